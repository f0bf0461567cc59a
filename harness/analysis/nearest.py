"""Stored benchmark problems like a given dataset: nearest in meta-features.

Every stored run carries its dataset's meta-features (``details["dataset_meta"]``, from
``harness.datasets._meta``). A problem is a dataset, as in the verdict; its meta-features
are those of its latest run that has them.

How near (one rule, used by ``harness recommend --data`` and the report):

- Only problems of the same task are compared (classification with classification,
  regression with regression): the verdict's test scores, the landmark's metric (accuracy or
  R²) and half the meta-features (classes and imbalance, or target skew) differ by task.
- Each meta-feature is put on a comparable footing, then z-scored over the stored problems
  of that task: log10 of rows and of features, the categorical and missing fractions, the
  landmark score (a default random forest's CV score: how hard the problem is), and for
  classification log2 of the classes and the imbalance (smallest class / largest), for
  regression sign(skew)·log(1 + |skew|) of the target. The scale is the standard deviation
  over the stored problems, but never below ``MIN_SCALE`` (a spread smaller than that
  says nothing, e.g. when no stored problem has missing values).
- The distance is the root mean square of the z-score differences over the meta-features
  both have (so it does not grow with their number). Near enough: at most ``NEAR`` (1.5),
  about the distance between two typical stored problems (two independent standardized
  values differ by √2 ≈ 1.41 on average, in this root-mean-square sense).
- The ``NEAREST`` (5) nearest that are near enough are the neighbours; fewer than
  ``MIN_PROBLEMS`` (3) stored problems of the task with meta-features are too few to say.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

NEAR = 1.5
NEAREST = 5
MIN_PROBLEMS = 3
OK, TOO_FEW, NONE_NEAR = "ok", "too few problems", "none near enough"


def _log10(value: Any) -> float | None:
    number = _number(value)
    return None if number is None or number <= 0 else math.log10(number)


def _log2(value: Any) -> float | None:
    number = _number(value)
    return None if number is None or number <= 0 else math.log2(number)


def _signed_log(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else math.copysign(math.log1p(abs(number)), number)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def landmark_score(meta: Mapping[str, Any]) -> float | None:
    """The landmark's CV score in ``meta`` (None when it failed or is missing)."""
    landmark = meta.get("landmark")
    return _number(landmark.get("score")) if isinstance(landmark, Mapping) else None


#: (name, how it is read from the meta-features, smallest scale), per task.
Feature = tuple[str, Callable[[Mapping[str, Any]], float | None], float]
_COMMON: list[Feature] = [
    ("log10 rows", lambda m: _log10(m.get("rows")), 0.25),
    ("log10 features", lambda m: _log10(m.get("features")), 0.25),
    ("categorical fraction", lambda m: _number(m.get("categorical_fraction")), 0.1),
    ("missing fraction", lambda m: _number(m.get("missing_fraction")), 0.05),
    ("landmark score", landmark_score, 0.05),
]
FEATURES: dict[str, list[Feature]] = {
    "classification": [*_COMMON, ("log2 classes", lambda m: _log2(m.get("classes")), 0.5),
                       ("imbalance", lambda m: _number(m.get("imbalance")), 0.1)],
    "regression": [*_COMMON,
                   ("target skew (signed log)", lambda m: _signed_log(m.get("target_skew")),
                    0.25)],
}
MIN_SCALE = {task: {name: floor for name, _, floor in features}
             for task, features in FEATURES.items()}


@dataclass(frozen=True)
class Problem:
    """A stored problem (dataset) with its task, meta-features and fingerprint."""

    name: str
    task: str
    meta: dict[str, Any]
    fingerprint: str = ""


@dataclass(frozen=True)
class Neighbour:
    """A stored problem and its distance; ``differences``: z-score difference per feature
    (stored minus given)."""

    problem: Problem
    distance: float
    near: bool
    differences: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Neighbourhood:
    """The stored problems nearest to a dataset, and whether there is anything to go on.

    ``status``: ``OK`` (some are near enough: ``chosen``), ``TOO_FEW`` or ``NONE_NEAR``;
    ``shown``: the nearest ``NEAREST`` whether near or not; ``scales``: (mean, scale) per
    feature over the ``stored`` problems of the task; ``without_meta``: stored problems
    whose runs carry no meta-features (stored before they existed)."""

    task: str
    status: str
    shown: list[Neighbour]
    scales: dict[str, tuple[float, float]]
    stored: int
    without_meta: list[str]
    near: float = NEAR

    @property
    def chosen(self) -> list[Neighbour]:
        return [n for n in self.shown if n.near] if self.status == OK else []


def stored_problems(runs: pd.DataFrame) -> tuple[list[Problem], list[str]]:
    """Every stored problem with meta-features (latest run's), and the names of those
    without; runs in store order."""
    found: dict[str, Problem] = {}
    names: dict[str, None] = {}
    for run in runs.to_dict("records"):
        names[str(run["dataset"])] = None
        details = run.get("details")
        meta = details.get("dataset_meta") if isinstance(details, Mapping) else None
        if isinstance(meta, Mapping) and meta:
            found[str(run["dataset"])] = Problem(str(run["dataset"]), str(run["task"]),
                                                 dict(meta), str(run.get("fingerprint") or ""))
    return list(found.values()), [n for n in names if n not in found]


def _vector(task: str, meta: Mapping[str, Any]) -> dict[str, float]:
    values = {name: read(meta) for name, read, _ in FEATURES[task]}
    return {k: v for k, v in values.items() if v is not None}


def _scales(task: str, vectors: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    out = {}
    for name, floor in MIN_SCALE[task].items():
        values = [v[name] for v in vectors if name in v]
        if values:
            mean = sum(values) / len(values)
            std = math.sqrt(sum((x - mean) ** 2 for x in values) / len(values))
            out[name] = (mean, max(std, floor))
    return out


def distance(a: Mapping[str, float], b: Mapping[str, float],
             scales: Mapping[str, tuple[float, float]]) -> tuple[float, dict[str, float]]:
    """Root mean square of the z-score differences (b minus a) over the features both have
    (inf when they share none), and those differences."""
    diffs = {name: (b[name] - a[name]) / scales[name][1]
             for name in scales if name in a and name in b}
    if not diffs:
        return math.inf, {}
    return math.sqrt(sum(d * d for d in diffs.values()) / len(diffs)), diffs


def nearest_problems(meta: Mapping[str, Any], task: str, problems: Iterable[Problem], *,
                     without_meta: Iterable[str] = (), exclude: Iterable[str] = (),
                     k: int = NEAREST, near: float = NEAR,
                     min_problems: int = MIN_PROBLEMS) -> Neighbourhood:
    """The stored problems of ``task`` nearest to a dataset with meta-features ``meta``,
    nearest first (``exclude``: problem names to leave out)."""
    if task not in FEATURES:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(FEATURES)}")
    left_out = set(exclude)
    same = [p for p in problems if p.task == task and p.name not in left_out]
    vectors = [_vector(task, p.meta) for p in same]
    scales = _scales(task, vectors)
    mine = _vector(task, meta)
    ranked = []
    for problem, vector in zip(same, vectors, strict=True):
        d, diffs = distance(mine, vector, scales)
        ranked.append(Neighbour(problem, d, d <= near, diffs))
    ranked.sort(key=lambda n: (n.distance, n.problem.name))
    shown = ranked[:k]
    if len(same) < min_problems:
        status = TOO_FEW
    else:
        status = OK if any(n.near for n in shown) else NONE_NEAR
    return Neighbourhood(task, status, shown, scales, len(same),
                         [n for n in without_meta if n not in left_out], near)


#: What to run when the results database cannot answer for a dataset: (command, why).
SUGGEST = [("harness run --suite tabular-quick", "8 real problems, about 12 minutes on 2 cores"),
           ("harness run --suite tabular", "the whole pack of real problems")]


def status_sentence(hood: Neighbourhood, where: str) -> str | None:
    """Why the neighbourhood cannot answer (None when it can); ``where``: the database."""
    if hood.status == TOO_FEW:
        return (f"too few stored problems to go on: {hood.stored} {hood.task} problem(s) "
                f"with meta-features in {where}, at least {MIN_PROBLEMS} are needed; run a "
                "benchmark suite first, then ask again")
    if hood.status == NONE_NEAR:
        first = hood.shown[0]
        return (f"no stored {hood.task} problem is near enough (the nearest, "
                f"{first.problem.name}, is at distance {first.distance:.2f}, more than "
                f"{hood.near:g}): their verdict would not speak for this data; run more "
                "problems")
    return None
