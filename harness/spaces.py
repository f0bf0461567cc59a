"""One search-space spec, translated for every search library.

A space maps a hyperparameter name to a dimension: :class:`IntDim`, :class:`FloatDim`
or :class:`CategoricalDim`. The same space becomes grid lists (``to_grid``), scipy.stats
distributions (``to_distributions``), scikit-optimize dimensions (``to_skopt``) or a
narrower space around a point (``refine``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.errors import ConfigError


@dataclass(frozen=True)
class IntDim:
    """Integers in [low, high], optionally on a log scale or on a grid of ``step``."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "int", "low": self.low, "high": self.high, "log": self.log}
        if self.step != 1:
            out["step"] = self.step
        return out


@dataclass(frozen=True)
class FloatDim:
    """Reals in [low, high], optionally on a log scale."""

    low: float
    high: float
    log: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class CategoricalDim:
    """One of a fixed list of choices (strings, numbers, booleans or null)."""

    choices: tuple[Any, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}


Dimension = IntDim | FloatDim | CategoricalDim
Space = dict[str, Dimension]

_DIM_TYPES = ("int", "float", "categorical")


#: The largest magnitude of a dimension's bounds (and a step), so that high - low stays finite.
MAX_BOUND = 1e15


def _number(value: Any, *, source: str | None, field: str, integer: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"must be {kind}, got {value!r}", source=source, field=field)
    if not -MAX_BOUND <= value <= MAX_BOUND:  # False for NaN too
        raise ConfigError(f"must be finite and within +-{MAX_BOUND:g}, got {value!r}",
                          source=source, field=field)
    if integer and not float(value).is_integer():
        raise ConfigError(f"must be an integer, got {value!r}", source=source, field=field)
    return int(value) if integer else float(value)


def parse_dimension(spec: Any, *, source: str | None = None, field: str = "") -> Dimension:
    """Parse one dimension from its suite form.

    Accepted forms: ``{type: int|float, low, high, log}``, ``{type: categorical, choices}``
    or a plain list (shorthand for categorical).
    """
    if isinstance(spec, list):
        spec = {"type": "categorical", "choices": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            "must be a mapping with 'type' (int, float, categorical) or a list of choices, "
            f"got {spec!r}",
            source=source,
            field=field,
        )
    kind = spec.get("type")
    if kind not in _DIM_TYPES:
        raise ConfigError(
            f"unknown dimension type {kind!r}; valid: {', '.join(_DIM_TYPES)}",
            source=source,
            field=f"{field}.type",
        )
    allowed = ({"type", "choices"} if kind == "categorical" else
               {"type", "low", "high", "log", "step"} if kind == "int" else
               {"type", "low", "high", "log"})
    extra = sorted(set(spec) - allowed)
    if extra:
        raise ConfigError(
            f"unknown key(s) {', '.join(extra)}; valid: {', '.join(sorted(allowed))}",
            source=source,
            field=field,
        )
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ConfigError(
                f"must be a non-empty list, got {choices!r}",
                source=source,
                field=f"{field}.choices",
            )
        odd = [c for c in choices if isinstance(c, float) and not math.isfinite(c)]
        if odd:
            raise ConfigError(f"choices must be finite, got {odd[0]!r}", source=source,
                              field=f"{field}.choices")
        return CategoricalDim(tuple(choices))
    return _numeric_dimension(spec, integer=kind == "int", source=source, field=field)


def _numeric_dimension(spec: Mapping[str, Any], *, integer: bool, source: str | None,
                       field: str) -> Dimension:
    """An int or float dimension from its checked mapping (low, high, log, step)."""
    for key in ("low", "high"):
        if key not in spec:
            raise ConfigError(f"missing '{key}' (a number)", source=source, field=field)
    low = _number(spec["low"], source=source, field=f"{field}.low", integer=integer)
    high = _number(spec["high"], source=source, field=f"{field}.high", integer=integer)
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(
            f"must be true or false, got {log!r}", source=source, field=f"{field}.log"
        )
    if low > high:
        raise ConfigError(f"low ({low}) must not exceed high ({high})", source=source, field=field)
    if log and low <= 0:
        raise ConfigError(
            f"a log-scale dimension needs low > 0, got {low}", source=source, field=f"{field}.low"
        )
    if not integer:
        return FloatDim(float(low), float(high), log)
    step = spec.get("step", 1)
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= MAX_BOUND:
        raise ConfigError(f"must be a positive integer up to {MAX_BOUND:g}, got {step!r}",
                          source=source,
                          field=f"{field}.step")
    if step > 1 and log:
        raise ConfigError("step and log cannot be combined", source=source, field=field)
    return IntDim(int(low), int(high), log, step)


def parse_space(spec: Any, *, source: str | None = None, field: str = "space") -> Space:
    """Parse a whole space (a mapping of name to dimension) from its suite form."""
    if not isinstance(spec, Mapping) or not spec:
        raise ConfigError(
            f"must be a non-empty mapping of hyperparameter name to dimension, got {spec!r}",
            source=source,
            field=field,
        )
    return {
        str(name): parse_dimension(dim, source=source, field=f"{field}.{name}")
        for name, dim in spec.items()
    }


def space_to_dict(space: Space) -> dict[str, dict[str, Any]]:
    """The plain (JSON/YAML) form of a space; ``parse_space`` reads it back."""
    return {name: dim.to_dict() for name, dim in space.items()}


def _numeric_points(dim: IntDim | FloatDim, points: int) -> list[Any]:
    if dim.low == dim.high or points == 1:
        values: np.ndarray = np.array([(dim.low + dim.high) / 2 if points == 1 else dim.low])
        if points == 1 and dim.log:
            values = np.array([math.sqrt(dim.low * dim.high)])
    elif dim.log:
        values = np.geomspace(dim.low, dim.high, points)
    else:
        values = np.linspace(dim.low, dim.high, points)
    if isinstance(dim, IntDim):
        snapped = {dim.low + dim.step * int(round((v - dim.low) / dim.step)) for v in values}
        return sorted(min(v, dim.high) for v in snapped)
    return [float(v) for v in values]


def to_grid(space: Space, *, points: int = 3) -> dict[str, list[Any]]:
    """Grid lists: ``points`` values per numeric dimension, every choice of a categorical."""
    if points < 1:
        raise ValueError(f"points must be >= 1, got {points}")
    return {
        name: list(dim.choices) if isinstance(dim, CategoricalDim) else _numeric_points(dim, points)
        for name, dim in space.items()
    }


def grid_size(space: Space, *, points: int = 3) -> int:
    """Number of configurations in ``to_grid(space, points=points)``."""
    return math.prod(len(values) for values in to_grid(space, points=points).values())


class LogUniformInt:
    """Integers drawn log-uniformly from [low, high]; has ``rvs`` like scipy.stats."""

    def __init__(self, low: int, high: int):
        from scipy.stats import loguniform

        self.low, self.high = low, high
        self._dist = loguniform(low, high + 1)

    def rvs(self, size: Any = None, random_state: Any = None) -> Any:
        draws = np.floor(self._dist.rvs(size=size, random_state=random_state)).astype(int)
        draws = np.clip(draws, self.low, self.high)
        return int(draws) if size is None else draws

    def __repr__(self) -> str:
        return f"LogUniformInt({self.low}, {self.high})"


def to_distributions(space: Space) -> dict[str, Any]:
    """scipy.stats distributions (lists for categoricals) for RandomizedSearchCV."""
    from scipy.stats import loguniform, randint, uniform

    out: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, CategoricalDim):
            out[name] = list(dim.choices)
        elif isinstance(dim, IntDim) and dim.step > 1:
            out[name] = list(range(dim.low, dim.high + 1, dim.step))
        elif isinstance(dim, IntDim):
            out[name] = (
                LogUniformInt(dim.low, dim.high) if dim.log else randint(dim.low, dim.high + 1)
            )
        elif dim.low == dim.high:
            out[name] = [dim.low]
        elif dim.log:
            out[name] = loguniform(dim.low, dim.high)
        else:
            out[name] = uniform(dim.low, dim.high - dim.low)
    return out


def to_skopt(space: Space) -> dict[str, Any]:
    """scikit-optimize dimensions for BayesSearchCV."""
    from skopt.space import Categorical, Integer, Real

    out: dict[str, Any] = {}
    for name, dim in space.items():
        prior = "log-uniform" if getattr(dim, "log", False) else "uniform"
        if isinstance(dim, CategoricalDim):
            out[name] = Categorical(list(dim.choices), name=name)
        elif dim.low == dim.high:
            out[name] = Categorical([dim.low], name=name)
        elif isinstance(dim, IntDim):
            out[name] = Integer(dim.low, dim.high, prior=prior, name=name)
        else:
            out[name] = Real(dim.low, dim.high, prior=prior, name=name)
    return out


def refine(space: Space, center: Mapping[str, Any], *, shrink: float = 0.25) -> Space:
    """A narrower space around ``center``, bounds clipped to ``space``.

    Each numeric dimension keeps ``shrink`` of its width (measured on the log scale for
    log dimensions), centred on the point; a categorical is fixed to the point's choice.
    """
    if not 0 < shrink <= 1:
        raise ValueError(f"shrink must be in (0, 1], got {shrink}")
    out: Space = {}
    for name, dim in space.items():
        if name not in center:
            out[name] = dim
            continue
        value = center[name]
        if isinstance(dim, CategoricalDim):
            out[name] = CategoricalDim((value,))
            continue
        if dim.log:
            lo, hi, mid = math.log(dim.low), math.log(dim.high), math.log(value)
        else:
            lo, hi, mid = float(dim.low), float(dim.high), float(value)
        half = (hi - lo) * shrink / 2
        new_lo, new_hi = max(lo, mid - half), min(hi, mid + half)
        if dim.log:
            new_lo, new_hi = math.exp(new_lo), math.exp(new_hi)
        if isinstance(dim, IntDim):
            low_i = max(dim.low, min(int(math.floor(new_lo)), int(value)))
            high_i = min(dim.high, max(int(math.ceil(new_hi)), int(value)))
            out[name] = IntDim(low_i, high_i, dim.log)
        else:
            out[name] = FloatDim(max(dim.low, new_lo), min(dim.high, new_hi), dim.log)
    return out
