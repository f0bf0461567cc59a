"""A strategy's options, declared once on its class next to ``__init__``.

Each option says the Python types it accepts, its default, its bounds or choices and one
line of help::

    class GridStrategy:
        options: ClassVar[dict[str, Option]] = {
            "points": Option((int,), 3, "values per numeric dimension", minimum=1),
        }

        def __init__(self, *, points: int = 3): ...

Suite validation and ``harness list strategies`` read these declarations;
``harness.testing.check_options`` checks that they agree with ``__init__``. A class that
declares none gets one plain option per keyword-only ``__init__`` parameter.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    """One strategy option: accepted Python types, default, meaning, bounds or choices."""

    types: tuple[type, ...]
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    item_choices: tuple[Any, ...] | None = None  # for list options

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is invalid, or None."""
        if isinstance(value, bool) and bool not in self.types:
            return f"must be {self._kind()}, got {value!r}"
        if self.choices is not None and isinstance(value, str):
            if value not in self.choices:
                return f"must be one of {', '.join(map(str, self.choices))}, got {value!r}"
            return None
        if not isinstance(value, self.types):
            return f"must be {self._kind()}, got {value!r}"
        if isinstance(value, list):
            return self._list_problem(value)
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {value!r}"  # NaN passes any < or >
        if self.minimum is not None and value < self.minimum:
            return f"must be >= {self.minimum}, got {value!r}"
        if self.maximum is not None and value > self.maximum:
            return f"must be <= {self.maximum}, got {value!r}"
        return None

    def _list_problem(self, value: list[Any]) -> str | None:
        if not value:
            return "must not be empty"
        if self.item_choices is not None:
            bad = [v for v in value if v not in self.item_choices]
            if bad:
                return (f"unknown value(s) {', '.join(map(repr, bad))}; valid: "
                        f"{', '.join(map(str, self.item_choices))}")
        elif not all(isinstance(v, int | float) and not isinstance(v, bool)
                     and 0 < v < math.inf for v in value):
            return f"must be a list of positive finite numbers, got {value!r}"
        return None

    def _kind(self) -> str:
        names = {int: "an integer", float: "a number", str: "a string", bool: "true/false",
                 list: "a list"}
        kinds = [names.get(t, t.__name__) for t in self.types]
        if self.choices:
            kinds.append(f"one of {', '.join(map(str, self.choices))}")
        return " or ".join(kinds)

    def describe(self, name: str) -> str:
        """One line for listings: ``name (default X; range or choices): help``."""
        facts = [f"default {_shown(self.default)}"]
        if self.minimum is not None and self.maximum is not None:
            facts.append(f"{self.minimum:g} to {self.maximum:g}")
        elif self.minimum is not None:
            facts.append(f">= {self.minimum:g}")
        elif self.maximum is not None:
            facts.append(f"<= {self.maximum:g}")
        if self.item_choices:
            facts.append(f"a list of {', '.join(map(str, self.item_choices))}")
        if self.choices:
            either = len(facts) > 1 or list in self.types
            facts.append(f"{'or' if either else 'one of'} {' | '.join(map(str, self.choices))}")
        return f"{name} ({'; '.join(facts)}): {self.help}"


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def class_options(cls: type) -> dict[str, Option]:
    """The options a strategy class declares in ``options``, or else one plain option per
    keyword-only ``__init__`` parameter (a user's class that declares nothing)."""
    declared = getattr(cls, "options", None)
    if isinstance(declared, Mapping) and all(isinstance(o, Option)
                                             for o in declared.values()):
        return dict(declared)
    return {name: Option((object,), default, "user option")
            for name, default in keyword_defaults(cls).items()}


def keyword_defaults(cls: type) -> dict[str, Any]:
    """``__init__``'s keyword-only parameters and their defaults (None when required)."""
    return {p.name: None if p.default is inspect.Parameter.empty else p.default
            for p in inspect.signature(cls).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}
