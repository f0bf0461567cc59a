"""Strategies: the registry (names, options, what each needs) and the protocol they share.

Strategy modules are imported only when a run needs them, so validating a suite or
listing strategies never imports scikit-optimize or TensorFlow.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Strategy,
    Trial,
    TrialRecorder,
)


@dataclass(frozen=True)
class Option:
    """One strategy option: accepted Python types, default and meaning."""

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
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {value!r}"  # NaN passes any < or >
        if self.minimum is not None and value < self.minimum:
            return f"must be >= {self.minimum}, got {value!r}"
        if self.maximum is not None and value > self.maximum:
            return f"must be <= {self.maximum}, got {value!r}"
        return None

    def _kind(self) -> str:
        names = {int: "an integer", float: "a number", str: "a string", bool: "true/false"}
        kinds = [names.get(t, t.__name__) for t in self.types]
        if self.choices:
            kinds.append(f"one of {', '.join(map(str, self.choices))}")
        return " or ".join(kinds)


@dataclass(frozen=True)
class StrategyInfo:
    """A registered strategy: where its class lives, its options, what it needs."""

    name: str
    target: str
    description: str
    requires: str
    options: Mapping[str, Option] = field(default_factory=dict)
    environment: str | None = None  # a foreign environment it runs in (see environments.py)
    model_kinds: tuple[str, ...] = ("estimator",)  # the models it can tune

    def option_problems(self, options: Mapping[str, Any]) -> dict[str, str]:
        """Invalid options of a suite entry: {option name: message}."""
        problems: dict[str, str] = {}
        for key, value in options.items():
            if key not in self.options:
                valid = ", ".join(sorted(self.options)) or "none"
                problems[key] = f"unknown option for strategy {self.name!r}; valid: {valid}"
            elif (msg := self.options[key].problem(value)) is not None:
                problems[key] = msg
        return problems

    def create(self, options: Mapping[str, Any]) -> Strategy:
        """Import the strategy's module and build it with ``options``."""
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)(**dict(options))


_SK = "scikit-learn"
_KERAS_OPTIONS = {
    "epochs": Option((int,), 3, "epochs per trial (RandomSearch, Bayesian)", minimum=1),
    "executions_per_trial": Option((int,), 1, "fits per trial, averaged", minimum=1),
    "batch_size": Option((int,), 32, "mini-batch size", minimum=1),
    "validation_split": Option((float,), 0.2, "share of the train part held for validation",
                               minimum=0.05, maximum=0.5),
    "keep_artifacts": Option((bool,), False, "keep the tuner directory in the run folder"),
    "reserve_s": Option((float, int), 3.0, "seconds kept to score the best model", minimum=0),
}
STRATEGIES: dict[str, StrategyInfo] = {
    s.name: s
    for s in (
        StrategyInfo(
            "default",
            "harness.strategies.default:DefaultStrategy",
            "the model's defaults, no tuning (the baseline)",
            _SK,
        ),
        StrategyInfo(
            "grid",
            "harness.strategies.sklearn_search:GridStrategy",
            "GridSearchCV over a grid made from the space",
            _SK,
            {"points": Option((int,), 3, "values per numeric dimension", minimum=1)},
        ),
        StrategyInfo(
            "random",
            "harness.strategies.sklearn_search:RandomStrategy",
            "RandomizedSearchCV until the budget ends",
            _SK,
            {
                "n_iter": Option(
                    (int,),
                    None,
                    "candidates to draw (default: until the budget or max_trials ends)",
                    minimum=1,
                )
            },
        ),
        StrategyInfo(
            "halving",
            "harness.strategies.sklearn_search:HalvingStrategy",
            "HalvingRandomSearchCV (successive halving over n_samples)",
            _SK,
            {
                "factor": Option((int,), 3, "elimination factor", minimum=2),
                "n_candidates": Option(
                    (int, str), "exhaust", "first-round candidates", minimum=1, choices=("exhaust",)
                ),
                "min_resources": Option(
                    (int, str),
                    "auto",
                    "first-round samples",
                    minimum=1,
                    choices=("auto", "smallest", "exhaust"),
                ),
            },
        ),
        StrategyInfo(
            "bayes",
            "harness.strategies.bayes:BayesStrategy",
            "scikit-optimize BayesSearchCV, Gaussian-process surrogate",
            "scikit-optimize",
            {
                "n_initial_points": Option((int,), 10, "random points before the GP", minimum=1),
                "acq_func": Option(
                    (str,),
                    "gp_hedge",
                    "acquisition function",
                    choices=("gp_hedge", "EI", "PI", "LCB"),
                ),
            },
        ),
        StrategyInfo(
            "coarse-to-fine",
            "harness.strategies.coarse_to_fine:CoarseToFineStrategy",
            "random search, then a refined random search around the best point",
            _SK,
            {
                "coarse_fraction": Option(
                    (float, int),
                    0.5,
                    "budget share of the coarse stage",
                    minimum=0.05,
                    maximum=0.95,
                ),
                "shrink": Option(
                    (float, int), 0.25, "fraction of each range kept", minimum=0.01, maximum=1.0
                ),
            },
        ),
        StrategyInfo("flaml", "harness.strategies.flaml_automl:FlamlStrategy",
                     "FLAML AutoML (cost-frugal search over lgbm, xgboost, rf, ...)",
                     "flaml[automl] (main environment)",
                     {"estimator_list": Option((list, str), "auto", "FLAML learners",
                                               choices=("auto",),
                                               item_choices=("lgbm", "rf", "xgboost",
                                                             "extra_tree", "xgb_limitdepth",
                                                             "lrl1", "kneighbor", "sgd")),
                      "reserve_fraction": Option((float, int), 0.15, "budget share kept for "
                                                 "the final retrain", minimum=0.0,
                                                 maximum=0.9)}),
        StrategyInfo("autosklearn", "harness.strategies.autosklearn:AutoSklearnStrategy",
                     "auto-sklearn 0.15 (SMAC + meta-learning + ensembles)",
                     "its own Python 3.9 env: harness env setup autosklearn",
                     {"per_run_time_limit_s": Option((int,), None, "seconds per pipeline "
                                                     "(default: a quarter of time left)",
                                                     minimum=1),
                      "memory_limit_mb": Option((int,), 3072, "memory per pipeline",
                                                minimum=256),
                      "reserve_s": Option((float, int), 6.0, "seconds kept for the ensemble "
                                          "and the test score", minimum=0),
                      "ensemble_size": Option((int,), 50, "ensemble selection rounds",
                                              minimum=1),
                      "time_left_s": Option((int,), None, "override time_left_for_this_task "
                                            "(default: budget minus reserve)", minimum=30)},
                     environment="autosklearn"),
        StrategyInfo("regularization", "harness.strategies.regularization:"
                     "RegularizationStrategy",
                     "penalty kind (none, L2, L1, elastic net) x strength on linear models",
                     _SK,
                     {"penalties": Option((list,), None, "subset of none, l2, l1, elasticnet",
                                         item_choices=("none", "l2", "l1", "elasticnet")),
                      "strengths": Option((int, list), 9, "a count (log-spaced over "
                                          "strength_range) or a list of C / alpha values",
                                          minimum=1),
                      "strength_range": Option((list,), None, "[low, high] of C or alpha"),
                      "l1_ratios": Option((list,), None, "elastic-net mixes (0.2, 0.5, 0.8)"),
                      "max_iter": Option((int,), 1000, "solver iterations", minimum=1),
                      "scale": Option((bool,), True, "standardize features first")}),
        *(StrategyInfo(f"keras-{kind}", f"harness.strategies.keras_tuning:{cls}", text,
                       "tensorflow + keras-tuner", {**_KERAS_OPTIONS, **extra},
                       model_kinds=("keras",))
          for kind, cls, text, extra in (
              ("random", "KerasRandomStrategy", "keras-tuner RandomSearch", {}),
              ("hyperband", "KerasHyperbandStrategy", "keras-tuner Hyperband",
               {"max_epochs": Option((int,), 10, "most epochs of a trial", minimum=1),
                "factor": Option((int,), 3, "reduction factor", minimum=2)}),
              ("bayes", "KerasBayesStrategy", "keras-tuner BayesianOptimization (GP)", {}))),
    )
}

def resolve_strategy(name: str) -> StrategyInfo:
    """A registered strategy, or a user's class given as ``package.module:ClassName``.

    A user's class implements the same protocol (keyword-only options in ``__init__``,
    ``search(problem, *, deadline, seed, recorder)``); its module must be importable by the
    worker processes too (installed, or on PYTHONPATH). Raises KeyError with the reason.
    """
    if name in STRATEGIES:
        return STRATEGIES[name]
    module_name, sep, cls_name = name.partition(":")
    if not sep or not module_name or not cls_name:
        raise KeyError(f"unknown strategy {name!r}; valid: {', '.join(STRATEGIES)}, "
                       "or package.module:ClassName for your own")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as exc:
        raise KeyError(f"cannot import strategy {name!r}: {exc}") from None
    if not callable(getattr(cls, "search", None)):
        raise KeyError(f"{name!r} has no search(problem, *, deadline, seed, recorder) method")
    options = {
        p.name: Option((object,), p.default, "user option")
        for p in inspect.signature(cls).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    doc = (cls.__doc__ or "").strip().splitlines()
    kinds = tuple(getattr(cls, "model_kinds", ("estimator",)))
    return StrategyInfo(name, name, doc[0] if doc else "user strategy", "user code", options,
                        model_kinds=kinds)


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
]
