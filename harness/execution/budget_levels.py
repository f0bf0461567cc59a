"""Test scores of a run's incumbents at 25% and 50% of its budget, computed by the worker after
the run's result (not charged to the run), so that verdicts at those budget levels rank on
held-out test scores as the final one does.

The incumbent at a level is the configuration the run would have returned then: its best
full-fidelity trial (highest mean CV score, the earliest of equals) among those finished by
``level * time_s``. It is refit on the train part with the run's seed and scored once on the
test part, the same way as the run's final choice. What is stored with the run::

    details["test_score_at"] = {"0.25": 0.91, "0.5": None}
    details["level_notes"] = {"0.5": "not enough trials"}

A level has a note (:class:`~harness.records.LevelNote`) where its score is missing or
qualified. The rules, in order:

1. The search had ended before the level (its trial cap, ``max_trials`` or the strategy's
   own, or an exhausted grid): the level's score is the run's final test score, noted
   ``ended at its trial cap before this level``, since the run's final choice is what a user
   stopping it at that time would have had.
2. The incumbent cannot be refit here (a strategy that chooses its own model or ensemble,
   a keras model, a model scored out of process): no score, ``not measured``.
3. Fewer than two full-fidelity trials had finished by the level: no score, ``not enough
   trials``.
4. Otherwise the incumbent's test score (the final one when it is the final choice; else one
   refit, shared by both levels when they have the same incumbent). A refit that fails or
   would not fit the allowance leaves the level ``not measured``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from harness.execution.refit import not_refittable
from harness.records import BUDGET_LEVELS, LevelNote, Trial, full_fidelity, level_key


def level_scores_event(spec: Mapping[str, Any], result: Mapping[str, Any],
                       trials: Sequence[Trial], *, in_process: bool,
                       allowance_s: float) -> dict[str, Any]:
    """The ``budget_levels`` event of an ``ok`` run: ``{"test_score_at", "level_notes",
    "seconds"}`` (see the module's docstring); at most ``allowance_s`` seconds of refits."""
    started = time.monotonic()
    details = result.get("details") or {}
    search_s = float(details.get("search_s") or 0.0)
    refit_s = float(details.get("refit_s") or 0.0)
    best_params = result.get("best_params") or {}
    refittable = not_refittable(spec, best_params, in_process=in_process) is None
    full = [t for t in trials if t.mean_cv_score is not None
            and full_fidelity(t.fidelity, t.info) is not False]
    scores: dict[str, float | None] = {}
    notes: dict[str, str] = {}
    refits: dict[str, float | None] = {json.dumps(best_params, sort_keys=True, default=str):
                                       result.get("test_score")}
    for level in BUDGET_LEVELS:
        key, at_s = level_key(level), level * float(spec["time_s"])
        before = [t for t in full if t.elapsed_s <= at_s]
        if search_s <= at_s:
            scores[key], notes[key] = result.get("test_score"), LevelNote.TRIAL_CAP
        elif not refittable:
            scores[key], notes[key] = None, LevelNote.NOT_MEASURED
        elif len(before) < 2:
            scores[key], notes[key] = None, LevelNote.FEW_TRIALS
        else:
            incumbent = max(before, key=lambda t: t.mean_cv_score)  # the earliest of equals
            known = json.dumps(incumbent.params, sort_keys=True, default=str)
            if known not in refits:
                fits = time.monotonic() - started + refit_s <= allowance_s
                refits[known] = _refit_score(spec, incumbent.params) if fits else None
            scores[key] = refits[known]
            if scores[key] is None:
                notes[key] = LevelNote.NOT_MEASURED
    return {"test_score_at": scores, "level_notes": {k: str(v) for k, v in notes.items()},
            "seconds": round(time.monotonic() - started, 3)}


def unmeasured() -> dict[str, Any]:
    """The levels of an ``ok`` run whose worker ended before it sent them."""
    keys = [level_key(level) for level in BUDGET_LEVELS]
    return {"test_score_at": dict.fromkeys(keys),
            "level_notes": dict.fromkeys(keys, str(LevelNote.NOT_MEASURED))}


def _refit_score(spec: Mapping[str, Any], params: Mapping[str, Any]) -> float | None:
    """``params`` refit on the train part (the run's seed) and scored on the test part."""
    from sklearn.metrics import get_scorer

    from harness.execution.refit import run_model
    from harness.strategies._protocol import clean_score

    try:
        estimator, split = run_model(spec, params)
        estimator.fit(split.X_train, split.y_train)
        return clean_score(get_scorer(spec["metric"])(estimator, split.X_test, split.y_test))
    except Exception:  # noqa: BLE001 - the run's result stands; the level is not measured
        return None
