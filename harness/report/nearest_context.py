"""The report's "Data like yours" section: for each of the suite's own-file datasets, the
stored benchmark problems nearest to it and whether their verdict agrees with the verdict
on it (``analysis.like_mine.user_data_neighbours``)."""

from __future__ import annotations

from typing import Any

from harness.analysis.like_mine import UserDataNeighbours
from harness.analysis.nearest import SUGGEST, Neighbour, landmark_score, status_sentence
from harness.analysis.recommend import Verdict
from harness.report.cells import cell, num


def _target(task: str, meta: dict[str, Any]) -> str:
    if task == "classification":
        return f"{meta.get('classes', '–')} classes, imbalance {num(meta.get('imbalance'), 2)}"
    return f"skew {num(meta.get('target_skew'), 2)}"


def _neighbour(n: Neighbour) -> dict[str, Any]:
    meta = n.problem.meta
    return {"problem": n.problem.name, "near": n.near,
            "distance": cell(num(n.distance, 2), n.distance),
            "rows": cell(str(meta.get("rows", "–")), meta.get("rows")),
            "features": cell(str(meta.get("features", "–")), meta.get("features")),
            "target": _target(n.problem.task, meta),
            "landmark": cell(num(landmark_score(meta), 3), landmark_score(meta))}


def _summary(verdict: Verdict | None) -> str:
    """The verdict's full-budget sentence (the last level it was drawn at)."""
    if verdict is None or not verdict.recommendations:
        return "–"
    return verdict.recommendations[-1].summary


def _section(item: UserDataNeighbours, db: str) -> dict[str, Any]:
    hood = item.like.neighbourhood
    message = status_sentence(hood, db)
    return {
        "dataset": item.dataset, "task": hood.task, "agreement": item.agreement,
        "sentence": item.sentence, "stored": hood.stored, "near": f"{hood.near:g}",
        "features": ", ".join(hood.scales),
        "message": message, "suggest": [c for c, _ in SUGGEST] if message else [],
        "neighbours": [_neighbour(n) for n in hood.shown],
        "budget": item.like.budget.text if item.like.budget else "–",
        "near_verdict": _summary(item.like.verdict), "own_verdict": _summary(item.own),
        "without_meta": ", ".join(hood.without_meta)}


def nearest_context(items: list[UserDataNeighbours], db: str) -> list[dict[str, Any]]:
    """One display-ready section per own-file dataset of the suite (``db``: the results
    database the neighbours come from)."""
    return [_section(item, db) for item in items]
