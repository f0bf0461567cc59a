"""Optuna's samplers and pruners over the problem's CV folds: TPE, CMA-ES, GP, Sobol QMC, and
TPE with Hyperband or successive-halving pruning on folds.

A trial is one configuration scored on the run's seeded CV folds (``_optuna_objective``);
the space is translated to Optuna's distributions without loss (``_optuna_space``). Each
model-based strategy sizes its initial design from the trial cap when ``n_startup_trials``
is unset (``min(default, max(3, max_trials // 4))``, the sampler's own default without a
cap) and records, per trial, whether the model or the initial design proposed it.
Optuna is imported when a search runs, never when strategies are listed.
"""

from __future__ import annotations

import importlib.util
from typing import Any, ClassVar

from harness.spaces import CategoricalDim, Space
from harness.strategies._options import Option
from harness.strategies._optuna_objective import (
    FoldObjective,
    ModelRule,
    quiet_optuna,
    run_study,
    study_outcome,
)
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    TrialRecorder,
    initial_design,
)

_STARTUP_HELP = ("trials of the initial (random) design (unset: min({d}, max(3, max_trials "
                 "// 4)), or {d} without a trial cap)")


def _startup_option(default: int) -> Option:
    return Option((int,), None, _STARTUP_HELP.format(d=default), minimum=1)


def _varies(dim: Any) -> bool:
    """Whether a dimension has more than one value (samplers model only those)."""
    if isinstance(dim, CategoricalDim):
        return len(dim.choices) > 1
    return dim.low != dim.high


class _OptunaStrategy:
    """What every Optuna strategy shares: the study over CV folds, under the budget."""

    name: ClassVar[str]
    requires: ClassVar[str] = "optuna"
    #: The sampler's own initial design when nothing bounds it (its n_startup_trials).
    library_startup: ClassVar[int | None] = 10
    #: The trial states the sampler counts towards its initial design.
    counted_states: ClassVar[tuple[str, ...]] = ("COMPLETE",)
    #: Whether trials are pruned on folds (then they record {"folds": k} as fidelity).
    prunes: ClassVar[bool] = False
    n_startup_trials: int | None = None

    def _sampler(self, seed: int, n_startup: int | None) -> Any:
        raise NotImplementedError

    def _pruner(self, problem: Problem) -> Any:
        return None

    def _modelled(self, space: Space) -> bool:
        """Whether the sampler's model has a dimension of ``space`` to propose."""
        return any(_varies(dim) for dim in space.values())

    def _model_rule(self, n_startup: int | None, problem: Problem) -> ModelRule | None:
        """Whether a trial starting now comes from the model (the sampler's own rule: enough
        counted trials, and something to model); None for a sampler without a model."""
        if n_startup is None:
            return None
        from optuna.trial import TrialState

        states = tuple(TrialState[s] for s in self.counted_states)
        if not self._modelled(problem.space):
            return lambda study: False
        return lambda study: len(study.get_trials(deepcopy=False, states=states)) >= n_startup

    def search(self, problem: Problem, *, deadline: Deadline, seed: int,
               recorder: TrialRecorder) -> SearchOutcome:
        n_startup = (None if self.library_startup is None else
                     initial_design(self.n_startup_trials, deadline.max_trials,
                                    self.library_startup))
        objective = FoldObjective(problem, seed=seed, deadline=deadline, recorder=recorder,
                                  by_model=self._model_rule(n_startup, problem),
                                  prune=self.prunes)
        with quiet_optuna():  # some samplers warn that they are experimental when built
            sampler, pruner = self._sampler(seed, n_startup), self._pruner(problem)
        study = run_study(objective, sampler=sampler, pruner=pruner)
        details: dict[str, Any] = {"sampler": type(sampler).__name__}
        if n_startup is not None:
            details["n_startup_trials"] = n_startup
        if pruner is not None:
            details["pruner"] = type(pruner).__name__
        return study_outcome(study, objective, **details)


class OptunaTpeStrategy(_OptunaStrategy):
    """Optuna's TPESampler (tree-structured Parzen estimator), one trial per configuration
    on the CV folds.

    Random trials first (the initial design), then TPE; ``multivariate`` models the
    dimensions jointly (Optuna 5's default for one objective).
    """

    name: ClassVar[str] = "optuna-tpe"
    counted_states: ClassVar[tuple[str, ...]] = ("COMPLETE", "PRUNED")
    options: ClassVar[dict[str, Option]] = {
        "n_startup_trials": _startup_option(10),
        "multivariate": Option((bool,), True, "model the dimensions jointly"),
    }

    def __init__(self, *, n_startup_trials: int | None = None, multivariate: bool = True):
        self.n_startup_trials = n_startup_trials
        self.multivariate = multivariate

    def _sampler(self, seed: int, n_startup: int | None) -> Any:
        from optuna.samplers import TPESampler

        return TPESampler(n_startup_trials=n_startup, multivariate=self.multivariate, seed=seed)


class _PrunedTpe(OptunaTpeStrategy):
    """TPE with a pruner that stops poor trials after some folds."""

    prunes: ClassVar[bool] = True
    options: ClassVar[dict[str, Option]] = {
        **OptunaTpeStrategy.options,
        "reduction_factor": Option((int,), 3, "the pruner's reduction factor (keeps about "
                                   "1/factor of the trials at each rung)", minimum=2),
        "min_folds": Option((int,), 1, "folds scored before the first pruning decision",
                            minimum=1),
    }

    def __init__(self, *, n_startup_trials: int | None = None, multivariate: bool = True,
                 reduction_factor: int = 3, min_folds: int = 1):
        super().__init__(n_startup_trials=n_startup_trials, multivariate=multivariate)
        self.reduction_factor = reduction_factor
        self.min_folds = min_folds


class OptunaTpeHyperbandStrategy(_PrunedTpe):
    """Optuna's TPESampler with its HyperbandPruner on CV folds (the fidelity).

    After each fold the running mean is the trial's intermediate value; Hyperband's
    brackets of successive halving stop poor trials early. Pruned trials keep the fold
    scores they have; the best is chosen from trials scored on every fold.
    """

    name: ClassVar[str] = "optuna-tpe-hyperband"

    def _pruner(self, problem: Problem) -> Any:
        from optuna.pruners import HyperbandPruner

        return HyperbandPruner(min_resource=min(self.min_folds, problem.cv),
                               max_resource=problem.cv, reduction_factor=self.reduction_factor)


class OptunaTpeHalvingStrategy(_PrunedTpe):
    """Optuna's TPESampler with its SuccessiveHalvingPruner on CV folds (the fidelity).

    After each fold the running mean is the trial's intermediate value; a trial below the
    top 1/reduction_factor of its rung is stopped. Pruned trials keep the fold scores they
    have; the best is chosen from trials scored on every fold.
    """

    name: ClassVar[str] = "optuna-tpe-halving"

    def _pruner(self, problem: Problem) -> Any:
        from optuna.pruners import SuccessiveHalvingPruner

        return SuccessiveHalvingPruner(min_resource=min(self.min_folds, problem.cv),
                                       reduction_factor=self.reduction_factor)


class OptunaCmaEsStrategy(_OptunaStrategy):
    """Optuna's CmaEsSampler (CMA-ES evolution strategy) on the numeric dimensions.

    Categorical dimensions are sampled by its independent sampler (random), as Optuna does;
    needs the ``cmaes`` package.
    """

    name: ClassVar[str] = "optuna-cmaes"
    requires: ClassVar[str] = "optuna, cmaes"
    library_startup: ClassVar[int | None] = 1
    options: ClassVar[dict[str, Option]] = {
        "n_startup_trials": Option((int,), None, "random trials before CMA-ES (unset: 1, "
                                   "Optuna's default, with or without a trial cap)",
                                   minimum=1),
    }

    def __init__(self, *, n_startup_trials: int | None = None):
        self.n_startup_trials = n_startup_trials

    def _modelled(self, space: Space) -> bool:
        return any(_varies(d) for d in space.values() if not isinstance(d, CategoricalDim))

    def _sampler(self, seed: int, n_startup: int | None) -> Any:
        from optuna.samplers import CmaEsSampler

        return CmaEsSampler(n_startup_trials=n_startup or 1, seed=seed,
                            warn_independent_sampling=False)


def _torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


class OptunaGpStrategy(_OptunaStrategy):
    """Optuna's GPSampler (Gaussian-process Bayesian optimization, log EI).

    Needs PyTorch: ``pip install 'tuning-harness[optuna-gp]'``; without it its runs are
    recorded as skipped.
    """

    name: ClassVar[str] = "optuna-gp"
    requires: ClassVar[str] = "optuna, torch (extra optuna-gp)"
    options: ClassVar[dict[str, Option]] = {"n_startup_trials": _startup_option(10)}

    def __init__(self, *, n_startup_trials: int | None = None):
        self.n_startup_trials = n_startup_trials

    @classmethod
    def unavailable(cls) -> str:
        """Why it cannot run here ('' when it can): PyTorch is missing."""
        if _torch_installed():
            return ""
        return ("optuna-gp needs PyTorch, which is not installed here: pip install "
                "'tuning-harness[optuna-gp]' (or pip install torch)")

    def _sampler(self, seed: int, n_startup: int | None) -> Any:
        # PyTorch takes seconds to import: here, before the trials, rather than inside the
        # first model step, whose length the deadline check could not foresee
        import torch  # noqa: F401
        from optuna.samplers import GPSampler

        return GPSampler(n_startup_trials=n_startup or 10, seed=seed,
                         warn_independent_sampling=False)


class OptunaQmcStrategy(_OptunaStrategy):
    """Optuna's QMCSampler: a scrambled Sobol (or Halton) sequence seeded with the run's seed,
    a low-discrepancy, stronger random baseline (no model).

    Its first trial is random: Optuna infers the space from it.
    """

    name: ClassVar[str] = "optuna-qmc"
    library_startup: ClassVar[int | None] = None
    options: ClassVar[dict[str, Option]] = {
        "qmc_type": Option((str,), "sobol", "the sequence", choices=("sobol", "halton")),
    }

    def __init__(self, *, qmc_type: str = "sobol"):
        self.qmc_type = qmc_type

    def _sampler(self, seed: int, n_startup: int | None) -> Any:
        from optuna.samplers import QMCSampler

        return QMCSampler(qmc_type=self.qmc_type, scramble=True, seed=seed,
                          warn_independent_sampling=False)
