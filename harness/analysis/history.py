"""A suite's history: its stored rounds (nights), which round a reference names, and each
strategy's score and time over the rounds with the regressions between consecutive rounds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.analysis._data import problem_label, usable_frame
from harness.analysis.regressions import (
    CompareSettings,
    Comparison,
    ComparisonResult,
    compare_runs,
)
from harness.errors import UserError
from harness.plain import to_plain, utc_minute
from harness.records import RunStatus
from harness.store import ResultStore

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Round:
    """One round of a suite: the suite runs (invocations) stored under one label."""

    label: str
    suite_ids: tuple[int, ...]
    started_at: float
    finished_at: float | None
    git_commit: str | None
    package_versions: dict[str, str]
    config_hash: str

    @property
    def name(self) -> str:
        """The label, or a readable stand-in for the unlabelled round."""
        return self.label or "(no round label)"

    @property
    def started(self) -> str:
        return utc_minute(self.started_at) or "unknown time"


def stored_rounds(store: ResultStore, suite: str) -> list[Round]:
    """The suite's rounds, oldest first (by when each began)."""
    grouped: dict[str, list[dict]] = {}
    for record in store.suites(suite):
        grouped.setdefault(record["round"], []).append(record)
    rounds = [Round(label=label, suite_ids=tuple(r["id"] for r in records),
                    started_at=records[0]["started_at"],
                    finished_at=records[-1]["finished_at"],
                    git_commit=records[-1]["git_commit"],
                    package_versions=records[-1]["package_versions"] or {},
                    config_hash=records[-1]["config_hash"])
              for label, records in grouped.items()]
    return sorted(rounds, key=lambda r: r.started_at)


def resolve_round(rounds: list[Round], ref: str, *, suite: str) -> Round:
    """The round a reference names: a suite-run id, a round label, or a date (YYYY-MM-DD,
    the last round begun that UTC day)."""
    if ref.isdigit():
        for r in rounds:
            if int(ref) in r.suite_ids:
                return r
    for r in rounds:
        if r.label == ref:
            return r
    if _DATE.fullmatch(ref):
        same_day = [r for r in rounds if r.started.startswith(ref)]
        if same_day:
            return same_day[-1]
    known = ", ".join(f"{r.name} (suite runs {', '.join(map(str, r.suite_ids))}, "
                      f"{r.started})" for r in rounds[-10:])
    raise UserError(f"no round {ref!r} of suite {suite!r}; give a suite-run id, a round label "
                    f"or a date (YYYY-MM-DD). Stored rounds: {known or 'none'}")


@dataclass(frozen=True)
class RoundComparison:
    """A candidate round against its baseline round."""

    suite: str
    baseline: Round
    candidate: Round
    settings: CompareSettings
    result: ComparisonResult

    @property
    def config_changed(self) -> bool:
        """Whether the suite's configuration differs between the two rounds."""
        return self.baseline.config_hash != self.candidate.config_hash


def compare_rounds(store: ResultStore, *, suite: str, baseline: Round, candidate: Round,
                   settings: CompareSettings | None = None) -> RoundComparison:
    """Compare two stored rounds of a suite problem by problem and strategy by strategy."""
    settings = settings or CompareSettings()
    result = compare_runs(usable_frame(store.runs_frame(suite=suite, round=baseline.label)),
                          usable_frame(store.runs_frame(suite=suite, round=candidate.label)),
                          settings=settings)
    return RoundComparison(suite=suite, baseline=baseline, candidate=candidate,
                           settings=settings, result=result)


@dataclass(frozen=True)
class Series:
    """One strategy on one problem: a mean per round (None where it did not run ok)."""

    strategy: str
    test_score: list[float | None]
    wall_time_s: list[float | None]
    regressed: list[list[str]]  # per round: the measures that regressed against the round before


@dataclass(frozen=True)
class ProblemHistory:
    problem: str
    metric: str
    series: list[Series]


@dataclass(frozen=True)
class History:
    """Each strategy's test score and wall time over the last rounds, regressions marked."""

    rounds: list[Round]
    problems: list[ProblemHistory]
    regressions: list[tuple[str, Comparison]] = field(default_factory=list)  # (round, row)


def round_history(store: ResultStore, suite: str, *, settings: CompareSettings | None = None,
                  last: int = 30) -> History | None:
    """The suite's history over its last ``last`` rounds; None with fewer than two rounds."""
    rounds = stored_rounds(store, suite)[-last:]
    if len(rounds) < 2:
        return None
    settings = settings or CompareSettings()
    runs = usable_frame(store.runs_frame(suite=suite))
    by_round = {r.label: runs[runs["round"] == r.label] for r in rounds}
    flagged: dict[tuple[str, str, str], list[str]] = {}
    regressions: list[tuple[str, Comparison]] = []
    for before, after in zip(rounds, rounds[1:], strict=False):
        result = compare_runs(by_round[before.label], by_round[after.label], settings=settings)
        for c in result.regressions:
            key = (after.label, problem_label(c.dataset, c.model), c.strategy)
            flagged.setdefault(key, []).append(c.measure)
            regressions.append((after.name, c))
    frame = runs[runs["round"].isin(list(by_round))]
    means = (frame[frame["status"] == RunStatus.OK]
             .groupby(["dataset", "model", "strategy", "round"])[["test_score", "wall_time_s"]]
             .mean())
    lookup = {key: (row.test_score, row.wall_time_s) for key, row in zip(
        means.index, means.itertuples(index=False), strict=True)}
    problems = []
    for (dataset, model), group in frame.groupby(["dataset", "model"], sort=False):
        problem = problem_label(dataset, model)
        series = []
        for strategy in dict.fromkeys(group["strategy"]):
            values = [lookup.get((dataset, model, strategy, r.label), (None, None))
                      for r in rounds]
            series.append(Series(
                strategy=strategy, test_score=[to_plain(v[0]) for v in values],
                wall_time_s=[to_plain(v[1]) for v in values],
                regressed=[flagged.get((r.label, problem, strategy), []) for r in rounds]))
        problems.append(ProblemHistory(problem=problem, metric=str(group["metric"].iloc[-1]),
                                       series=series))
    return History(rounds=rounds, problems=problems, regressions=regressions)

