"""Contract checks for strategies: every built-in one passes them, and so should yours.

::

    from harness.testing import check_strategy
    from mypackage.strategies import MyStrategy

    def test_my_strategy_keeps_the_contract():
        check_strategy(MyStrategy, n_iter=5)  # keyword arguments are the strategy's options

:func:`check_strategy` runs the strategy in this process on a tiny problem and raises
AssertionError naming the property that failed: the declared options agree with
``__init__``; trials are recorded, their scores higher-is-better; the deadline is honoured;
the best params belong to the space; the trial cap is honoured; the same seed gives the
same trials.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import numbers
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.spaces import CategoricalDim, Dimension, FloatDim, IntDim, Space
from harness.strategies import Deadline, Problem, SearchOutcome, Trial, model_problem
from harness.strategies._options import Option, class_options

#: Time each capped run may take; it should end at the trial cap long before.
CAPPED_RUN_S = 60.0
#: Scorers whose scores lie in [0, 1].
_UNIT_SCORERS = ("accuracy", "balanced_accuracy", "roc_auc", "average_precision", "f1",
                 "precision", "recall", "jaccard", "top_k_accuracy")
#: The tiny problems: (dataset, model, space, train rows kept) per model kind.
TINY_PROBLEMS: dict[str, tuple[str, str, Space, int | None]] = {
    "estimator": ("iris", "random_forest", {
        "n_estimators": IntDim(5, 20), "max_depth": IntDim(2, 6),
        "max_features": FloatDim(0.3, 1.0), "criterion": CategoricalDim(("gini", "entropy"))},
        None),
    "keras": ("digits-images", "cnn", {"filters": IntDim(8, 16, step=8),
                                       "units": IntDim(8, 16, step=8)}, 240),
}


def check_options(strategy_class: type) -> None:
    """The class's declared ``options`` agree with its ``__init__``: each keyword-only
    parameter is declared and nothing else is, the defaults are equal and valid. A class
    that declares no ``options`` passes (its options are its keyword-only parameters)."""
    declared = getattr(strategy_class, "options", None)
    if declared is None:
        return
    where = f"{strategy_class.__name__}.options"
    assert isinstance(declared, Mapping) and all(
        isinstance(o, Option) for o in declared.values()), \
        f"{where} must map option names to harness.strategies.Option"
    params = inspect.signature(strategy_class).parameters.values()
    keyword = {p.name: p.default for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    undeclared = sorted(set(keyword) - set(declared))
    assert not undeclared, (f"options: keyword-only __init__ parameter(s) "
                            f"{', '.join(undeclared)} not declared in {where}")
    unaccepted = sorted(set(declared) - set(keyword))
    assert not unaccepted, (f"options: {where} declares {', '.join(unaccepted)}, which "
                            f"__init__ does not accept as keyword-only parameter(s)")
    for name, option in declared.items():
        default = keyword[name]
        assert default is not inspect.Parameter.empty, \
            f"options: __init__ parameter {name!r} has no default"
        assert option.default == default and type(option.default) is type(default), (
            f"options: {where}[{name!r}] declares default {option.default!r}, __init__ "
            f"has {default!r}")
        problem = None if default is None else option.problem(default)
        assert problem is None, f"options: the default of {name!r} is invalid: {problem}"


def tiny_problem(model_kind: str = "estimator", *, seed: int = 0,
                 data_dir: Path | None = None) -> Problem:
    """A problem that takes seconds: iris and a small random-forest space (``estimator``),
    or 240 of the 8x8 digit images and a small CNN (``keras``); accuracy, 3-fold CV, one
    core. With ``data_dir`` the split is also written there, as the harness caches it."""
    from harness.datasets import load_dataset, save_split, split_dataset

    if model_kind not in TINY_PROBLEMS:
        raise ValueError(f"no tiny problem for {model_kind!r} models; valid: "
                         f"{', '.join(TINY_PROBLEMS)}")
    dataset_name, model, space, rows = TINY_PROBLEMS[model_kind]
    dataset = load_dataset(dataset_name)
    split = split_dataset(dataset, test_size=0.2, subsample=rows)
    if data_dir is not None:
        save_split(dataset, split, data_dir)
    return model_problem(dataset=dataset_name, model=model, task=dataset.task,
                         X=split.X_train, y=split.y_train, space=dict(space),
                         scoring="accuracy", cv=3, n_jobs=1, seed=seed,
                         data_dir=None if data_dir is None else str(data_dir))


def check_strategy(strategy_class: type, problem: Problem | None = None, /, *,
                   budget_s: float = 3.0, max_trials: int = 4, slack_s: float = 2.0,
                   seed: int = 0, **options: Any) -> None:
    """Check that ``strategy_class`` (built with ``options``) keeps the strategy contract.

    Runs it in this process, in a temporary working folder, on ``problem`` (default: a
    :func:`tiny_problem` for the first of the class's ``model_kinds``): once with no trial
    cap under ``budget_s`` seconds, then (unless the class says ``deterministic = False``)
    twice with the same ``seed`` and ``max_trials``. ``budget_s``, ``max_trials``,
    ``slack_s`` (how late a search may return) and ``seed`` are the check's settings; every
    other keyword is an option of the strategy. Raises AssertionError naming the property
    that failed.
    """
    check_options(strategy_class)
    for name, value in options.items():
        option = class_options(strategy_class).get(name)
        assert option is not None, f"options: {strategy_class.__name__} has no option {name!r}"
        assert (msg := option.problem(value)) is None, f"options: {name}: {msg}"
    with _work_folder() as work:
        if problem is None:
            kind = tuple(getattr(strategy_class, "model_kinds", ("estimator",)))[0]
            problem = tiny_problem(kind, seed=seed, data_dir=work / "data")
        problem = _with_environment(problem, getattr(strategy_class, "environment", None))
        strategy = strategy_class(**options)
        run = _run(strategy, problem, seed=seed, time_s=budget_s, max_trials=None)
        _check_run(run, strategy, problem, slack_s=slack_s)
        if not getattr(strategy_class, "deterministic", True):
            return
        first, again = [_run(strategy_class(**options), problem, seed=seed,
                             time_s=max(CAPPED_RUN_S, budget_s), max_trials=max_trials)
                        for _ in range(2)]
    for capped in (first, again):
        _check_run(capped, strategy, problem, slack_s=slack_s)
        assert len(capped.trials) <= max_trials, (
            f"trial cap: {len(capped.trials)} trials recorded with max_trials={max_trials}")
    params = [t.params for t in first.trials], [t.params for t in again.trials]
    assert params[0] == params[1], (
        f"same seed, same trials: two runs with seed={seed} and max_trials={max_trials} "
        f"tried {params[0]} and then {params[1]}")


def _with_environment(problem: Problem, environment: str | None) -> Problem:
    """The problem with the interpreter of the strategy's own environment, as the worker
    gives it (created here if it does not exist yet)."""
    if environment is None or problem.python is not None:
        return problem
    from harness.execution.environments import ensure_environment

    return dataclasses.replace(problem, python=str(ensure_environment(environment)))


@dataclass
class _Run:
    outcome: SearchOutcome
    trials: list[Trial]
    wall_s: float
    time_s: float
    max_trials: int | None

    @property
    def label(self) -> str:
        cap = "no trial cap" if self.max_trials is None else f"max_trials={self.max_trials}"
        return f"(run of {self.time_s:g} s, {cap})"


class _Recorder:
    def __init__(self) -> None:
        self.trials: list[Trial] = []

    def record(self, trial: Trial) -> None:
        self.trials.append(trial)


@contextlib.contextmanager
def _work_folder() -> Iterator[Path]:
    """A temporary working folder (strategies write their logs into the current one)."""
    with tempfile.TemporaryDirectory(prefix="check-strategy-") as tmp, contextlib.chdir(tmp):
        yield Path(tmp)


def _run(strategy: Any, problem: Problem, *, seed: int, time_s: float,
         max_trials: int | None) -> _Run:
    recorder = _Recorder()
    started = time.time()
    deadline = Deadline(started_at=started, time_s=time_s, max_trials=max_trials)
    try:
        outcome = strategy.search(problem, deadline=deadline, seed=seed, recorder=recorder)
    except Exception as exc:
        raise AssertionError(f"search: it raised {type(exc).__name__}: {exc}") from exc
    run = _Run(outcome, recorder.trials, time.time() - started, time_s, max_trials)
    assert isinstance(outcome, SearchOutcome), \
        f"search: it returned {type(outcome).__name__}, not a SearchOutcome {run.label}"
    return run


def _check_run(run: _Run, strategy: Any, problem: Problem, *, slack_s: float) -> None:
    assert run.wall_s <= run.time_s + slack_s, (
        f"deadline: search returned after {run.wall_s:.1f} s, past the budget plus "
        f"{slack_s:g} s of slack {run.label}")
    _check_trials(run, problem, slack_s=slack_s)
    space = problem.space
    if callable(getattr(strategy, "outcome_space", None)):
        space = strategy.outcome_space(problem)
        declared = set(space) & set(run.outcome.best_params)
        assert declared or not run.outcome.best_params, (
            f"best params: {run.outcome.best_params} name none of {sorted(space)}, the "
            f"dimensions its outcome_space declares {run.label}")
        params = {k: v for k, v in run.outcome.best_params.items() if k in declared}
    else:
        params = run.outcome.best_params
    for key, value in params.items():
        assert key in space, (f"best params: {key!r} is not a dimension of the space "
                              f"({', '.join(space)}) {run.label}")
        problem_text = _outside(space[key], value)
        assert problem_text is None, f"best params: {key}={value!r} {problem_text} {run.label}"


def _check_trials(run: _Run, problem: Problem, *, slack_s: float) -> None:
    assert run.trials, f"trials: none was recorded {run.label}"
    means = {}
    for trial in run.trials:
        assert isinstance(trial, Trial), f"trials: recorded a {type(trial).__name__}, not a Trial"
        assert trial.elapsed_s <= run.time_s + slack_s, (
            f"deadline: trial {trial.number} finished at {trial.elapsed_s:.1f} s {run.label}")
        for score in trial.cv_scores:
            wrong = None if score is None else _score_problem(problem.scoring, score)
            assert wrong is None, (f"scores: trial {trial.number} scored {score} "
                                   f"({problem.scoring}), {wrong}; scores are higher-is-better")
        if trial.mean_cv_score is not None:
            means[id(trial)] = trial.mean_cv_score
    assert means, f"scores: no recorded trial has a score {run.label}"
    best = run.outcome.best_cv_score
    assert best is not None, f"scores: best_cv_score is None though trials scored {run.label}"
    top = max((_fidelity_rank(t) for t in run.trials if id(t) in means), default=())
    highest = max(means[id(t)] for t in run.trials if id(t) in means
                  and _fidelity_rank(t) == top)
    assert best >= highest - 1e-9 * max(1.0, abs(highest)), (
        f"scores: best_cv_score {best} is below the trials' highest mean score {highest}; "
        f"the best is the highest (scores are higher-is-better) {run.label}")


def _fidelity_rank(trial: Trial) -> tuple[Any, ...]:
    """Trials at the highest fidelity (n_samples, epochs) are the ones a best is chosen from."""
    return tuple(sorted((trial.fidelity or {}).items()))


def _score_problem(scoring: str, score: float) -> str | None:
    if not math.isfinite(score):
        return "not finite"
    if scoring.startswith("neg_") and score > 0:
        return "above 0 for a negated loss"
    if scoring.startswith(_UNIT_SCORERS) and not 0.0 <= score <= 1.0:
        return "outside [0, 1]"
    if scoring in ("r2", "explained_variance") and score > 1.0:
        return "above 1"
    return None


def _outside(dim: Dimension, value: Any) -> str | None:
    """Why ``value`` is not in ``dim``, or None."""
    if isinstance(dim, CategoricalDim):
        return None if value in dim.choices else f"is not one of {list(dim.choices)}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return "is not a number"
    if isinstance(dim, IntDim):
        if float(value) != int(value):
            return "is not an integer"
        if (int(value) - dim.low) % dim.step:
            return f"is not on the grid of step {dim.step} from {dim.low}"
    tolerance = 1e-9 * max(1.0, abs(dim.high))
    if not dim.low - tolerance <= value <= dim.high + tolerance:
        return f"is outside [{dim.low}, {dim.high}]"
    return None
