"""The run's own model, rebuilt after its result for the worker's extra measurements (the
budget levels' refits, the learning curve): one way to get it and the data it sees."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

OTHER_MODEL = ("the run's best model is not the problem's model with the best parameters "
               "(the strategy chose its own pipeline or ensemble)")


def not_refittable(spec: Mapping[str, Any], best_params: Mapping[str, Any] | None, *,
                   in_process: bool) -> tuple[str, str] | None:
    """Why the run's choice cannot be rebuilt with :func:`run_model` and refit, as
    ``(code, note)``, or None when it can: it must be the problem's scikit-learn model
    (``not-estimator`` otherwise, or ``other-model`` for a strategy's own model), built in
    process with parameters from its space (``other-model`` otherwise).

    ``in_process``: the run's best model was the problem's estimator built with
    ``best_params`` (False when a strategy scored its own model out of process).
    """
    from harness.models import MODELS

    family = MODELS.get(spec["model"])
    if family is None:  # a strategy that searched its own model ("linear", "automl")
        return "other-model", OTHER_MODEL
    if family.kind != "estimator":
        return ("not-estimator", f"model {spec['model']!r} is not a scikit-learn estimator; "
                                 "learning curves are drawn for scikit-learn models")
    if not in_process or not set(best_params or {}) <= set(spec.get("space") or {}):
        return "other-model", OTHER_MODEL
    return None


def run_model(spec: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[Any, Any]:
    """(the run's model family's pipeline with ``params``, seeded with the run's seed and
    prepared for the cached split's columns, that split)."""
    from harness.datasets import load_split
    from harness.models import MODELS
    from harness.records import ColumnLayout

    meta, split = load_split(Path(spec["data_dir"]))
    estimator = MODELS[spec["model"]].build(spec["task"], seed=int(spec["seed"]),
                                            params=dict(params),
                                            layout=ColumnLayout.from_dict(meta.get("layout")))
    return estimator, split
