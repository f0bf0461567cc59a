"""Contenders and what each run of one reached at a budget level, as the verdict reads them.

A contender is what a user could pick: a search strategy on a named model
(``random · random_forest``) or a strategy that chooses its own model (``flaml``,
``regularization · linear``). The planner writes the label into each run's spec; runs
stored before it did are labelled ``strategy · model``, or ``strategy`` where its best
parameters lie outside the problem's space (it chose its own model). The verdict compares
contenders on datasets (its "problems"), so a strategy that chooses its own model meets
the search strategies of every model of that dataset.

At 100% of the budget a run's score is its test score. At 25% and 50% it is the test score
of the configuration that was its incumbent at that point, refit by the worker after the
run and stored as ``details["test_score_at"]`` (``{"0.25": 0.93, "0.5": None}``) with
``details["level_notes"]`` (``{"0.5": "not enough trials"}``; a note beside a score
qualifies it: "ended at its trial cap before this level"); a run without a score is "not
measured" at that level, with the reason it stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from harness.records import FAILED_STATUSES, RunStatus

#: The budget levels of the verdict: shares of each run's time budget.
LEVELS: tuple[float, ...] = (0.25, 0.5, 1.0)
NOT_MEASURED = "the run stored no test score at this level"
NO_TEST_SCORE = "no test score"

#: How an observation counts: a score, a failure (ranks last) or nothing to rank.
SCORED, FAILED, UNMEASURED = "scored", "failed", "not measured"

OBSERVATION_COLUMNS = ["problem", "contender", "strategy", "seed", "outcome", "score", "reason",
                       "run_id"]


def contender_label(spec: Mapping[str, Any] | None, strategy: str, model: str, *,
                    own_model: bool = False) -> str:
    """The contender a run belongs to: the label its spec carries, else ``strategy · model``
    (``strategy`` alone when ``own_model``: it chose its own model)."""
    label = spec.get("contender") if isinstance(spec, Mapping) else None
    if label:
        return str(label)
    return str(strategy) if own_model else f"{strategy} · {model}"


def _chose_own_model(run: Mapping[str, Any]) -> bool:
    """Whether a run's best parameters lie outside its problem's space (AutoML, the
    regularization sweep): how runs stored before specs carried the label are told apart."""
    spec = run.get("spec") if isinstance(run.get("spec"), Mapping) else {}
    params = run.get("best_params") if isinstance(run.get("best_params"), Mapping) else {}
    return bool(params) and not set(params) <= set(spec.get("space") or {})


def contender_labels(runs: pd.DataFrame) -> list[str]:
    """The contender of each run (row order); a strategy counts as choosing its own model
    on a model when any of its runs there did."""
    records = runs.to_dict("records")
    own = {(r["strategy"], r["model"]) for r in records if _chose_own_model(r)}
    return [contender_label(r.get("spec"), r["strategy"], r["model"],
                            own_model=(r["strategy"], r["model"]) in own) for r in records]


def level_key(level: float) -> str:
    """How a budget level is written in ``details["test_score_at"]``: ``0.25``, ``0.5``."""
    return f"{level:g}"


def level_text(level: float) -> str:
    return f"{level:.0%}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


def _stored_at(details: Mapping[str, Any], level: float) -> tuple[float | None, str | None]:
    """(score, reason) stored for ``level``: a number, a reason, or {score, note|reason}."""
    stored = details.get("test_score_at")
    value = stored.get(level_key(level)) if isinstance(stored, Mapping) else None
    reason = None
    if isinstance(value, Mapping):
        reason = value.get("note") or value.get("reason")
        value = value.get("score", value.get("test_score"))
    elif isinstance(value, str):
        value, reason = None, value
    if reason is None:
        reasons = details.get("level_notes")
        if isinstance(reasons, Mapping):
            reason = reasons.get(level_key(level))
        elif isinstance(reasons, str):
            reason = reasons
    return _number(value), (str(reason) if reason else None)


def run_outcome(status: str, test_score: Any, details: Mapping[str, Any] | None,
                level: float) -> tuple[str, float | None, str | None]:
    """(outcome, score, reason) of one run at ``level``: ``scored`` with its test score,
    ``failed`` (failed, timed out, out of memory, or no test score: ranks last) or
    ``not measured`` (nothing to rank at this level; the reason says why)."""
    if status in FAILED_STATUSES:
        return FAILED, None, str(status)
    details = details if isinstance(details, Mapping) else {}
    if level >= 1.0:
        score = _number(test_score)
        return (SCORED, score, None) if score is not None else (FAILED, None, NO_TEST_SCORE)
    score, reason = _stored_at(details, level)
    if score is not None:
        return SCORED, score, reason
    return UNMEASURED, None, reason or NOT_MEASURED


def observations(runs: pd.DataFrame, level: float) -> pd.DataFrame:
    """One row per run that ran (skipped runs left out): problem (the dataset), contender,
    strategy, seed, outcome, score, reason and run id, at budget ``level``."""
    rows = []
    for run, label in zip(runs.to_dict("records"), contender_labels(runs), strict=True):
        if run.get("status") == RunStatus.SKIPPED:
            continue
        outcome, score, reason = run_outcome(run["status"], run.get("test_score"),
                                             run.get("details"), level)
        rows.append((str(run["dataset"]), label, str(run["strategy"]), int(run["seed"]),
                     outcome, score, reason, run.get("id")))
    return pd.DataFrame(rows, columns=OBSERVATION_COLUMNS)
