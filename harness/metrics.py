"""scikit-learn scorer names: which task each fits, and the default per task."""

from __future__ import annotations

from functools import cache

DEFAULT_METRIC = {"classification": "accuracy", "regression": "r2"}


@cache
def _scorer_tasks() -> dict[str, str]:
    from sklearn.metrics import get_scorer, get_scorer_names

    tasks: dict[str, str] = {}
    for name in get_scorer_names():
        module = getattr(get_scorer(name)._score_func, "__module__", "")
        if module.endswith("_regression"):
            tasks[name] = "regression"
        elif module.endswith(("_classification", "_ranking")):
            tasks[name] = "classification"
    return tasks


def metric_names() -> list[str]:
    """Every supervised scorer name the harness accepts."""
    return sorted(_scorer_tasks())


def metric_task(name: str) -> str | None:
    """'classification' or 'regression' for a supervised scorer name, None if unknown."""
    return _scorer_tasks().get(name)
