"""Hyperopt's Tree-structured Parzen Estimator and simulated annealing under the run's budget.

``hyperopt.fmin`` runs the loop in this process: each configuration it proposes is
cross-validated and recorded as a trial at once; between evaluations an ``early_stop_fn``
ends the search at the trial cap or when the next evaluation (as long as the last one) would
not fit before the deadline minus the refit reserve, and fmin's ``timeout`` stops it from
proposing past the deadline. The proposals come from a generator seeded with the run's seed.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from harness.strategies._cv_trials import INITIAL, MODEL, TrialRunner
from harness.strategies._library_spaces import decode, free_dimensions, to_hyperopt
from harness.strategies._options import Option
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    TrialRecorder,
    initial_design,
)

#: fmin's ``max_evals`` when only the clock limits the search.
UNBOUNDED_EVALS = 100_000


def run_fmin(problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder,
             algo: Any, startup: int) -> TrialRunner:
    """Run ``hyperopt.fmin`` with ``algo`` (a ``suggest`` function) until the cap or the
    deadline; proposals made with fewer than ``startup`` finished trials are its initial
    design, later ones its model's. Returns the runner holding the recorded trials."""
    import numpy as np
    from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    runner = TrialRunner(problem, deadline=deadline, seed=seed, recorder=recorder)
    proposed = {"by": INITIAL}

    def suggest(new_ids: Any, domain: Any, trials: Any, rng_seed: int) -> Any:
        proposed["by"] = MODEL if len(trials.trials) >= startup else INITIAL
        return algo(new_ids, domain, trials, rng_seed)

    def objective(codes: dict[str, Any]) -> dict[str, Any]:
        trial = runner.evaluate(decode(problem.space, codes), info={"proposed_by": proposed["by"]})
        if trial.mean_cv_score is None:
            return {"status": STATUS_FAIL}
        return {"status": STATUS_OK, "loss": -trial.mean_cv_score}

    def stop(_trials: Any, *args: Any) -> tuple[bool, list[Any]]:
        return runner.at_cap() or not runner.allows(), []

    space = to_hyperopt(problem.space)
    if not space:  # every dimension is fixed: one configuration to evaluate
        runner.evaluate(decode(problem.space, {}), info={"proposed_by": INITIAL})
        return runner
    fmin(objective, space, algo=suggest, max_evals=deadline.max_trials or UNBOUNDED_EVALS,
         timeout=max(1.0, deadline.remaining()), trials=Trials(),
         rstate=np.random.default_rng(seed), show_progressbar=False, verbose=False,
         return_argmin=False, early_stop_fn=stop)
    return runner


class HyperoptTpeStrategy:
    """Hyperopt's TPE (tpe.suggest, Tree-structured Parzen Estimator).

    Random proposals first (``n_startup_jobs``; unset: sized from max_trials), then the
    configuration with the best expected improvement under two density models (good and
    bad trials), one at a time until the budget ends.
    """

    name: ClassVar[str] = "hyperopt-tpe"
    requires: ClassVar[str] = "hyperopt"
    options: ClassVar[dict[str, Option]] = {
        "n_startup_jobs": Option((int,), None, "random proposals before TPE models (unset: "
                                 "min(10, max(3, max_trials // 4)), 10 without a cap)",
                                 minimum=1),
        "n_ei_candidates": Option((int,), 24, "candidates drawn per proposal, the best "
                                  "expected improvement kept", minimum=1),
        "gamma": Option((float,), 0.25, "share of trials modelled as good", minimum=0.01,
                        maximum=0.99),
    }

    def __init__(self, *, n_startup_jobs: int | None = None, n_ei_candidates: int = 24,
                 gamma: float = 0.25):
        self.n_startup_jobs = n_startup_jobs
        self.n_ei_candidates = n_ei_candidates
        self.gamma = gamma

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        import functools

        from hyperopt import tpe

        startup = initial_design(self.n_startup_jobs, deadline.max_trials, within_cap=True)
        algo = functools.partial(tpe.suggest, n_startup_jobs=startup,
                                 n_EI_candidates=self.n_ei_candidates, gamma=self.gamma)
        runner = run_fmin(problem, deadline=deadline, seed=seed, recorder=recorder,
                          algo=algo, startup=startup)
        return runner.outcome(initial_design=startup,
                              searched_dimensions=len(free_dimensions(problem.space)))


class HyperoptAnnealStrategy:
    """Hyperopt's simulated annealing (anneal.suggest).

    The first configuration is drawn from the space; each next one is sampled around a
    good earlier trial (picked with a geometric preference for the best), in a neighbourhood
    that shrinks as trials accumulate.
    """

    name: ClassVar[str] = "hyperopt-anneal"
    requires: ClassVar[str] = "hyperopt"
    options: ClassVar[dict[str, Option]] = {
        "avg_best_idx": Option((float, int), 2.0, "mean rank (1 = always the best) of the "
                               "trial each proposal is sampled around", minimum=1.0),
        "shrink_coef": Option((float, int), 0.1, "how fast the neighbourhood shrinks with "
                              "the number of trials", minimum=0.0),
    }

    def __init__(self, *, avg_best_idx: float = 2.0, shrink_coef: float = 0.1):
        self.avg_best_idx = avg_best_idx
        self.shrink_coef = shrink_coef

    def search(
        self, problem: Problem, *, deadline: Deadline, seed: int, recorder: TrialRecorder
    ) -> SearchOutcome:
        import functools

        from hyperopt import anneal

        algo = functools.partial(anneal.suggest, avg_best_idx=float(self.avg_best_idx),
                                 shrink_coef=float(self.shrink_coef))
        runner = run_fmin(problem, deadline=deadline, seed=seed, recorder=recorder,
                          algo=algo, startup=1)
        return runner.outcome(initial_design=1,
                              searched_dimensions=len(free_dimensions(problem.space)))
