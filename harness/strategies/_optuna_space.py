"""The harness's space spec as Optuna distributions, and back, without loss.

``FloatDim`` becomes a ``FloatDistribution`` (``log`` kept), ``IntDim`` an
``IntDistribution`` (``log`` and ``step`` kept; a ``high`` off the step grid is lowered to
the grid's last point, which is the same set of values), ``CategoricalDim`` a
``CategoricalDistribution`` with the same choices in the same order. Optuna is imported
inside the functions, so importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.spaces import CategoricalDim, Dimension, FloatDim, IntDim, Space


def to_optuna(space: Space) -> dict[str, Any]:
    """Optuna distributions of a space: {name: BaseDistribution}."""
    return {name: dimension_to_optuna(dim) for name, dim in space.items()}


def dimension_to_optuna(dim: Dimension) -> Any:
    """One dimension as an Optuna distribution."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(dim, CategoricalDim):
        return CategoricalDistribution(list(dim.choices))
    if isinstance(dim, IntDim):
        high = dim.low + (dim.high - dim.low) // dim.step * dim.step  # the grid's last point
        return IntDistribution(dim.low, high, log=dim.log, step=dim.step)
    return FloatDistribution(dim.low, dim.high, log=dim.log)


def from_optuna(distributions: Mapping[str, Any]) -> Space:
    """The harness space of Optuna distributions (the inverse of :func:`to_optuna`)."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    space: Space = {}
    for name, dist in distributions.items():
        if isinstance(dist, CategoricalDistribution):
            space[name] = CategoricalDim(tuple(dist.choices))
        elif isinstance(dist, IntDistribution):
            space[name] = IntDim(int(dist.low), int(dist.high), dist.log, int(dist.step))
        elif dist.step is None:
            space[name] = FloatDim(float(dist.low), float(dist.high), dist.log)
        else:
            raise ValueError(f"{name}: a float distribution with a step ({dist.step}) has no "
                             "harness dimension")
    return space


def suggest(trial: Any, distributions: Mapping[str, Any]) -> dict[str, Any]:
    """Ask an Optuna trial for one value per distribution (its ``suggest_*`` methods)."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    params: dict[str, Any] = {}
    for name, dist in distributions.items():
        if isinstance(dist, CategoricalDistribution):
            params[name] = trial.suggest_categorical(name, dist.choices)
        elif isinstance(dist, IntDistribution):
            params[name] = trial.suggest_int(name, dist.low, dist.high, step=dist.step,
                                             log=dist.log)
        else:
            params[name] = trial.suggest_float(name, dist.low, dist.high, log=dist.log)
    return params
