"""SMAC3: Bayesian optimization with a random-forest surrogate, and Hyperband over the
training-set size, under the run's budget.

The harness drives SMAC's ask/tell interface: it asks for a trial, cross-validates it (at the
trial's budget of training rows, for Hyperband), records it, tells SMAC the cost (the negated
mean CV score; a configuration that fails to fit is a crash) and asks again until the trial
cap, or until the next trial would not fit before the deadline minus the refit reserve.
SMAC's scenario is deterministic (one seed per configuration), seeded with the run's seed,
bounded by the cap and the remaining wall time, and writes its output under ``smac3_output``
in the working folder (the run's folder); its logging is kept to warnings.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, ClassVar

from harness.strategies._cv_trials import (
    INITIAL,
    MODEL,
    RANDOM,
    TrialRunner,
)
from harness.strategies._library_spaces import decode, free_dimensions, to_configspace
from harness.strategies._options import Option
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Trial,
    TrialRecorder,
    initial_design,
)

#: The scenario's ``n_trials`` when only the clock limits the search.
UNBOUNDED_TRIALS = 100_000
#: SMAC3's output folder, inside the working folder.
OUTPUT_DIRECTORY = "smac3_output"


def proposer(origin: str | None) -> str:
    """Who proposed a configuration, from SMAC's ``Configuration.origin``: its initial
    design, its model (the acquisition function's local search or sorted random search), or
    chance (random interleaving, sampling before any data)."""
    origin = origin or ""
    if origin.startswith("Initial Design"):
        return INITIAL
    if any(mark in origin for mark in ("Local Search", "(sorted)", "Differential Evolution")):
        return MODEL
    return RANDOM


def _not_called(config: Any, seed: int = 0, budget: float | None = None) -> float:
    """SMAC's facades want a target function; the harness's ask/tell loop evaluates."""
    raise RuntimeError("trials are evaluated by the harness's ask/tell loop")


def _no_budget(config: Any, seed: int = 0) -> float:
    """The same, for a facade without budgets (which warns of a ``budget`` argument)."""
    return _not_called(config, seed)


class SmacLoop:
    """One SMAC3 facade on a problem, stepped trial by trial."""

    def __init__(self, problem: Problem, *, deadline: Deadline, seed: int,
                 recorder: TrialRecorder, n_initial: int | None):
        self.problem = problem
        self.deadline = deadline
        self.seed = seed
        self.runner = TrialRunner(problem, deadline=deadline, seed=seed, recorder=recorder)
        self.n_initial = initial_design(n_initial, deadline.max_trials, within_cap=True)
        self.origins: dict[tuple[Any, ...], str] = {}
        self.max_ask_s = 0.0  # SMAC's longest ask (retraining and maximizing) so far

    def ask(self, facade: Any) -> Any:
        """SMAC's next trial, timing the ask; None once every configuration was tried."""
        from smac.main.exceptions import ConfigurationSpaceExhaustedException

        started = time.time()
        try:
            info = facade.ask()
        except ConfigurationSpaceExhaustedException:
            return None
        self.max_ask_s = max(self.max_ask_s, time.time() - started)
        return info

    def scenario(self, **budgets: Any) -> Any:
        """SMAC's scenario for this run (``budgets``: min_budget and max_budget)."""
        from smac import Scenario

        logging.getLogger("smac").setLevel(logging.WARNING)
        return Scenario(to_configspace(self.problem.space, seed=self.seed), name="harness",
                        output_directory=Path(OUTPUT_DIRECTORY), deterministic=True,
                        seed=self.seed, n_trials=self.deadline.max_trials or UNBOUNDED_TRIALS,
                        walltime_limit=max(1.0, self.deadline.remaining()), **budgets)

    def facade(self, cls: Any, scenario: Any, **components: Any) -> Any:
        """``cls`` (a SMAC facade) with the sized initial design and its random forest on the
        run's cores (SMAC's own takes them all), starting afresh."""
        from smac.model.random_forest import RandomForest

        initial = cls.get_initial_design(scenario, n_configs=self.n_initial, max_ratio=1.0)
        # the facades' get_model settings, on the run's cores; no max_leaf_nodes (SMAC's
        # 2**20 limits nothing but makes scikit-learn spend 0.2 s on every tree)
        model = RandomForest(scenario.configspace, log_y=True, n_trees=10, bootstrapping=True,
                             ratio_features=1.0, min_samples_split=2, min_samples_leaf=1,
                             max_depth=2**20, max_leaf_nodes=None,
                             instance_features=scenario.instance_features,
                             seed=scenario.seed, n_jobs=self.problem.n_jobs)
        target = _not_called if scenario.min_budget is not None else _no_budget
        return cls(scenario, target, model=model, initial_design=initial, overwrite=True,
                   logging_level=False, **components)

    def evaluate(self, facade: Any, info: Any, n_samples: int | None = None, *,
                 tell: bool = True) -> Trial:
        """Cross-validate SMAC's trial ``info``, record it and (unless ``tell`` is False)
        tell SMAC its cost."""
        from smac.runhistory.dataclasses import TrialValue
        from smac.runhistory.enumerations import StatusType

        codes = dict(info.config)
        key = tuple(sorted(codes.items()))
        by = self.origins.setdefault(key, proposer(info.config.origin))
        trial = self.runner.evaluate(decode(self.problem.space, codes), n_samples=n_samples,
                                     info={"proposed_by": by})
        score = trial.mean_cv_score
        if tell:
            facade.tell(info, TrialValue(
                cost=-self.penalty() if score is None else -score, time=trial.fit_time_s,
                status=StatusType.CRASHED if score is None else StatusType.SUCCESS))
        return trial

    def penalty(self) -> float:
        """The score a failed configuration is told as (SMAC's random forest cannot take
        its default crash cost, infinity): below every score seen, as in ``bayes``."""
        seen = [t.mean_cv_score for t in self.runner.trials if t.mean_cv_score is not None]
        return min(seen) - abs(min(seen)) - 1.0 if seen else -1e6

    def single_configuration(self, n_samples: int | None = None) -> bool:
        """Evaluate the space's one configuration (on ``n_samples`` rows, if given) when
        every dimension is fixed."""
        if free_dimensions(self.problem.space):
            return False
        self.runner.evaluate(decode(self.problem.space, {}), n_samples=n_samples,
                             info={"proposed_by": INITIAL})
        return True

    def details(self) -> dict[str, Any]:
        return {"initial_design": self.n_initial,
                "searched_dimensions": len(free_dimensions(self.problem.space)),
                "output_directory": OUTPUT_DIRECTORY}


class SmacBOStrategy:
    """SMAC3 HyperparameterOptimizationFacade (random-forest surrogate, expected improvement).

    A Sobol initial design (``n_initial``; unset: sized from max_trials), then configurations
    maximizing expected improvement under a random forest (local and sorted random search),
    with SMAC's occasional random configuration interleaved.
    """

    name: ClassVar[str] = "smac-bo"
    requires: ClassVar[str] = "smac"
    options: ClassVar[dict[str, Option]] = {
        "n_initial": Option((int,), None, "Sobol configurations before the random forest "
                            "proposes (unset: min(10, max(3, max_trials // 4)), 10 without "
                            "a cap)", minimum=1),
    }

    def __init__(self, *, n_initial: int | None = None):
        self.n_initial = n_initial

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        loop = SmacLoop(problem, deadline=deadline, seed=seed, recorder=recorder,
                        n_initial=self.n_initial)
        runner = loop.runner
        if not loop.single_configuration():
            from smac import HyperparameterOptimizationFacade

            facade = loop.facade(HyperparameterOptimizationFacade, loop.scenario())
            while not runner.at_cap() and runner.allows(loop.max_ask_s + runner.last_eval_s):
                if (info := loop.ask(facade)) is None:
                    break
                loop.evaluate(facade, info)
        return runner.outcome(**loop.details())


class SmacHyperbandStrategy:
    """SMAC3 MultiFidelityFacade: Hyperband over the training-set size, random forest.

    A trial fits each CV fold's model on a stratified share of its training rows (its budget,
    from ``min_samples`` up to the whole train part) and scores it on the whole held-out fold;
    Hyperband's brackets promote the best ``1/eta`` to ``eta`` times the rows. Best CV score
    and best params come from full-fidelity trials only.
    """

    name: ClassVar[str] = "smac-hyperband"
    requires: ClassVar[str] = "smac"
    options: ClassVar[dict[str, Option]] = {
        "eta": Option((int,), 3, "Hyperband's reduction factor", minimum=2),
        "min_samples": Option((int, str), "auto", "training rows of the smallest budget "
                              "(auto: 20 per CV fold, two per class and fold, at most a "
                              "third of the train part)", minimum=2, choices=("auto",)),
        "n_initial": Option((int,), None, "random configurations before the random forest "
                            "proposes (unset: min(10, max(3, max_trials // 4)), 10 without "
                            "a cap)", minimum=1),
    }

    def __init__(self, *, eta: int = 3, min_samples: int | str = "auto",
                 n_initial: int | None = None):
        self.eta = eta
        self.min_samples = min_samples
        self.n_initial = n_initial

    def budgets(self, problem: Problem) -> tuple[int, int]:
        """(smallest, largest) budget in training rows; the largest is the train part."""
        n = len(problem.y)
        if self.min_samples == "auto":
            n_classes = len(set(problem.y.tolist())) if problem.task == "classification" else 1
            floor = 2 * problem.cv * n_classes
            low = max(floor, min(max(20 * problem.cv, floor), n // 3))
        else:
            low = int(self.min_samples)
        return max(2, min(low, n // self.eta)), n

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        loop = SmacLoop(problem, deadline=deadline, seed=seed, recorder=recorder,
                        n_initial=self.n_initial)
        low, full = self.budgets(problem)
        if not loop.single_configuration(n_samples=full):
            self._run(loop, low, full)
        best = full_fidelity_best(loop, full)
        return loop.runner.outcome(best, min_samples=low, max_samples=full, eta=self.eta,
                                   **loop.details())

    def _run(self, loop: SmacLoop, low: int, full: int) -> None:
        from smac import MultiFidelityFacade

        scenario = loop.scenario(min_budget=low, max_budget=full)
        intensifier = MultiFidelityFacade.get_intensifier(scenario, eta=self.eta)
        facade = loop.facade(MultiFidelityFacade, scenario, intensifier=intensifier)
        runner = loop.runner
        seconds_per_row = 0.0
        while not runner.at_cap():
            unchecked = runner.best(n_samples=full) is None
            last_slot = unchecked and runner.slots_left() == 1
            if last_slot and runner.trials:
                break  # the cap's last trial: full_fidelity_best runs the best on all rows
            # while no trial ran on all rows, keep the time to run one after the search
            check_s = seconds_per_row * full if unchecked else 0.0
            if not runner.allows(loop.max_ask_s, extra_reserve_s=check_s):
                break
            if (info := loop.ask(facade)) is None:
                break
            rows = full if last_slot else int(round(info.budget))
            if not runner.allows(seconds_per_row * rows, extra_reserve_s=check_s):
                break
            loop.evaluate(facade, info, n_samples=rows, tell=not last_slot)
            seconds_per_row = runner.last_eval_s / rows


def full_fidelity_best(loop: SmacLoop, full: int) -> Trial | None:
    """The best trial on all training rows. When the search ended before any, the best
    configuration of the highest fidelity reached is cross-validated on all rows now (a
    trial of its own) and, if it scores, is the best."""
    runner = loop.runner
    best = runner.best(n_samples=full)
    if best is not None or not runner.trials:
        return best
    scored = [t for t in runner.trials if t.mean_cv_score is not None]
    if not scored:
        return None
    chosen = max(scored, key=lambda t: ((t.fidelity or {}).get("n_samples", 0),
                                        t.mean_cv_score or 0.0))
    checked = runner.evaluate(chosen.params, n_samples=full,
                              info={**chosen.info, "stage": "full-fidelity check"})
    return checked if checked.mean_cv_score is not None else chosen
