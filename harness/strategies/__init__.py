"""Strategies: the registry (name -> class) and the protocol they share.

Each strategy class declares its own options, description and needs; the registry only
maps a name to its class. A strategy module is imported when a suite or a listing names it,
and imports its heavy libraries (scikit-learn's searches, scikit-optimize, FLAML,
TensorFlow) inside ``search`` only, so validating a suite or listing strategies stays light.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from harness.strategies._options import Option, class_options
from harness.strategies._problem import model_problem
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Strategy,
    Trial,
    TrialRecorder,
)


@dataclass(frozen=True)
class StrategyInfo:
    """A strategy: its name and ``module:Class`` target; the rest is read from the class.

    The class says what it is: its options (``options``, see ``_options.py``), a description
    (``description``, else the first paragraph of its docstring), what it ``requires``, the
    ``model_kinds`` it tunes, the foreign ``environment`` it runs in, if any, and, with a
    classmethod ``unavailable()``, why it cannot run on this host. The class's
    module is imported on first use only; strategy modules import their heavy libraries
    inside ``search``, so reading these never imports TensorFlow, scikit-optimize or FLAML.
    """

    name: str
    target: str

    @cached_property
    def cls(self) -> type:
        """The strategy class (its module imported on first use)."""
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)

    @property
    def options(self) -> dict[str, Option]:
        return class_options(self.cls)

    @property
    def description(self) -> str:
        text = getattr(self.cls, "description", None) or inspect.cleandoc(self.cls.__doc__ or "")
        return " ".join(text.split("\n\n")[0].replace("``", "").split()) or "user strategy"

    @property
    def requires(self) -> str:
        return getattr(self.cls, "requires", "user code")

    @property
    def environment(self) -> str | None:
        """A foreign environment it runs in (see execution/environments.py), or None."""
        return getattr(self.cls, "environment", None)

    @property
    def unavailable(self) -> str:
        """Why it cannot run on this host (say, an optional package is missing, with the
        install hint), or '' when it can: the class's ``unavailable()`` if it has one. The
        harness records its runs as skipped with this reason before any run starts."""
        check = getattr(self.cls, "unavailable", None)
        return str(check() or "") if callable(check) else ""

    @property
    def chooses_model(self) -> bool:
        """Whether it chooses its own model (AutoML, regularization): it then says, in
        ``outcome_space(problem)``, the dimensions of the best params it returns."""
        return callable(getattr(self.cls, "outcome_space", None))

    def contender(self, model: str) -> str:
        """What a user could pick, as the report names it: ``strategy · model``; for a
        strategy that chooses its own model, its name with the models it searches when the
        class says (``searched_model``: ``regularization · linear``), else its name
        (``flaml``)."""
        if not self.chooses_model:
            return f"{self.name} · {model}"
        searched = getattr(self.cls, "searched_model", None)
        return f"{self.name} · {searched}" if searched else self.name

    @property
    def searched_model(self) -> str | None:
        """For a strategy that chooses its own model, what its runs record as their ``model``
        (the class's ``searched_model``: ``linear`` for regularization, ``automl`` for FLAML
        and auto-sklearn; ``automl`` when a user's class does not say); None for the others.
        Such a strategy runs once per dataset and seed, not once per model of the suite."""
        if not self.chooses_model:
            return None
        return str(getattr(self.cls, "searched_model", None) or "automl")

    @property
    def model_kinds(self) -> tuple[str, ...]:
        """The models it can tune (``estimator``: scikit-learn, ``keras``: hypermodels)."""
        return tuple(getattr(self.cls, "model_kinds", ("estimator",)))

    def option_problems(self, options: Mapping[str, Any]) -> dict[str, str]:
        """Invalid options of a suite entry: {option name: message}."""
        declared = self.options
        problems: dict[str, str] = {}
        for key, value in options.items():
            if key not in declared:
                valid = ", ".join(sorted(declared)) or "none"
                problems[key] = f"unknown option for strategy {self.name!r}; valid: {valid}"
            elif (msg := declared[key].problem(value)) is not None:
                problems[key] = msg
        return problems

    def create(self, options: Mapping[str, Any]) -> Strategy:
        """Build the strategy with ``options``."""
        return self.cls(**dict(options))


#: The built-in strategies: name -> ``module:Class``. A new one is its module plus a line here.
STRATEGIES: dict[str, StrategyInfo] = {
    name: StrategyInfo(name, f"harness.strategies.{target}")
    for name, target in {
        "default": "default:DefaultStrategy",
        "grid": "sklearn_search:GridStrategy",
        "random": "sklearn_search:RandomStrategy",
        "halving": "sklearn_search:HalvingStrategy",
        "bayes": "bayes:BayesStrategy",
        "coarse-to-fine": "coarse_to_fine:CoarseToFineStrategy",
        "hyperopt-tpe": "hyperopt_search:HyperoptTpeStrategy",
        "hyperopt-anneal": "hyperopt_search:HyperoptAnnealStrategy",
        "smac-bo": "smac_search:SmacBOStrategy",
        "smac-hyperband": "smac_search:SmacHyperbandStrategy",
        "flaml": "flaml_automl:FlamlStrategy",
        "autosklearn": "autosklearn:AutoSklearnStrategy",
        "regularization": "regularization:RegularizationStrategy",
        "keras-random": "keras_tuning:KerasRandomStrategy",
        "keras-hyperband": "keras_tuning:KerasHyperbandStrategy",
        "keras-bayes": "keras_tuning:KerasBayesStrategy",
        "optuna-tpe": "optuna_search:OptunaTpeStrategy",
        "optuna-cmaes": "optuna_search:OptunaCmaEsStrategy",
        "optuna-gp": "optuna_search:OptunaGpStrategy",
        "optuna-qmc": "optuna_search:OptunaQmcStrategy",
        "optuna-tpe-hyperband": "optuna_search:OptunaTpeHyperbandStrategy",
        "optuna-tpe-halving": "optuna_search:OptunaTpeHalvingStrategy",
    }.items()
}


def resolve_strategy(name: str) -> StrategyInfo:
    """A registered strategy, or a user's class given as ``package.module:ClassName``.

    A user's class implements the same protocol (keyword-only options in ``__init__``,
    optionally declared in ``options``; ``search(problem, *, deadline, seed, recorder)``);
    its module must be importable by the worker processes too (installed, or on
    PYTHONPATH). Raises KeyError with the reason.
    """
    if name in STRATEGIES:
        return STRATEGIES[name]
    module_name, sep, cls_name = name.partition(":")
    if not sep or not module_name or not cls_name:
        raise KeyError(f"unknown strategy {name!r}; valid: {', '.join(STRATEGIES)}, "
                       "or package.module:ClassName for your own")
    info = StrategyInfo(name, name)
    try:
        cls = info.cls
    except (ImportError, AttributeError) as exc:
        raise KeyError(f"cannot import strategy {name!r}: {exc}") from None
    if not callable(getattr(cls, "search", None)):
        raise KeyError(f"{name!r} has no search(problem, *, deadline, seed, recorder) method")
    return info


__all__ = [
    "STRATEGIES",
    "resolve_strategy",
    "Deadline",
    "Option",
    "Problem",
    "SearchOutcome",
    "Strategy",
    "StrategyInfo",
    "Trial",
    "TrialRecorder",
    "model_problem",
]
