"""The data every analysis starts from: a suite's runs, trials and suite-run records."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from harness.store import ResultStore


@dataclass(frozen=True)
class SuiteData:
    """Runs and trials of one suite's round, as of its latest configuration."""

    suite: str
    runs: pd.DataFrame
    trials: pd.DataFrame
    suite_runs: list[dict[str, Any]]
    round: str = ""

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.suite_runs[-1] if self.suite_runs else None

    @cached_property
    def traces(self) -> dict[int, Any]:
        """Best-so-far trace of every run (see ``curves.run_traces``), computed once."""
        from harness.analysis.curves import run_traces

        return run_traces(self.trials)

    @property
    def problems(self) -> list[str]:
        return list(dict.fromkeys(self.runs["problem"])) if len(self.runs) else []

    @property
    def strategies(self) -> list[str]:
        return list(dict.fromkeys(self.runs["strategy"])) if len(self.runs) else []


def problem_label(dataset: str, model: str) -> str:
    """How a (dataset, model) pair is named in the report."""
    return f"{dataset} / {model}"


#: Beyond this magnitude a stored number is missing: its square overflows, so no mean, std
#: or test could use it (a NaN or ±inf never could).
LARGEST = 1e150


_KEPT = {str, int, bool, type(None)}  # values no number check can change


def usable(value: Any) -> Any:
    """``value`` with every float in it (inside lists and dicts too) that is not finite or
    beyond :data:`LARGEST` made None."""
    if isinstance(value, float):
        return value if abs(value) <= LARGEST else None  # NaN compares false: None
    if isinstance(value, dict):
        return {k: _usable_item(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_usable_item(v) for v in value]
    return value


def _usable_item(value: Any) -> Any:
    kind = type(value)
    if kind in _KEPT:
        return value
    if kind is float:
        return value if abs(value) <= LARGEST else None
    return usable(value)


def usable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The stored rows with every number no analysis can use missing (see :func:`usable`):
    NaN in number columns, None inside decoded JSON (params, fold scores, info)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].where(out[column].abs() <= LARGEST)
        elif out[column].dtype == object:
            out[column] = out[column].map(usable)
    return out


def _latest(store: ResultStore, suite: str, round: str | None
            ) -> tuple[str, list[dict[str, Any]], pd.DataFrame]:
    """(round, suite-run records, runs) of the suite's round (default: the latest) under
    that round's latest configuration."""
    suite_runs = store.suites(suite)
    if round is None:
        round = suite_runs[-1]["round"] if suite_runs else ""
    suite_runs = [s for s in suite_runs if s["round"] == round]
    runs = usable_frame(store.runs_frame(suite=suite, round=round))
    if suite_runs:
        latest_hash = suite_runs[-1]["config_hash"]
        same = {s["id"] for s in suite_runs if s["config_hash"] == latest_hash}
        runs = runs[runs["suite_id"].isin(same)].reset_index(drop=True)
        suite_runs = [s for s in suite_runs if s["id"] in same]
    return round, suite_runs, runs


def latest_runs(store: ResultStore) -> pd.DataFrame:
    """The runs of every stored suite's latest round (under its latest configuration), as
    ``load_suite_data`` reads one suite's: what "the results database" holds today."""
    names = list(dict.fromkeys(s["name"] for s in store.suites()))
    frames = [_latest(store, name, None)[2] for name in names]
    frames = [f for f in frames if len(f)]
    return (pd.concat(frames, ignore_index=True) if frames
            else usable_frame(store.runs_frame(suite="")))


def _in_plan_order(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs in their suite's plan order (each run's spec holds its place), not the order
    they ended in, so that the report's problems and strategies come in the suite's order
    however the runs were scheduled; runs stored without a place follow, as stored."""
    if not len(runs):
        return runs
    place = [spec.get("plan_index", -1) if isinstance(spec, dict) else -1
             for spec in runs["spec"]]
    order = sorted(range(len(runs)), key=lambda i: (place[i] < 0, place[i]))
    return runs.iloc[order].reset_index(drop=True)


def suite_runs(store: ResultStore, suite: str, *, round: str | None = None
               ) -> tuple[str, list[dict[str, Any]], pd.DataFrame]:
    """(round, suite-run records, runs) as :func:`load_suite_data` reads them, without the
    trials: for what needs only the runs."""
    round, suite_runs, runs = _latest(store, suite, round)
    runs = _in_plan_order(runs)
    return round, suite_runs, runs.assign(problem=[
        problem_label(d, m) for d, m in zip(runs["dataset"], runs["model"], strict=True)])


def load_suite_data(store: ResultStore, suite: str, *, round: str | None = None) -> SuiteData:
    """The suite's runs in one round (default: the latest) under that round's latest
    configuration (older rounds and configurations left out)."""
    round, suite_runs_, runs = suite_runs(store, suite, round=round)
    trials = usable_frame(store.trials_frame(suite=suite, round=round))
    place = {run_id: i for i, run_id in enumerate(runs["id"])}
    trials = trials[trials["run_id"].isin(place)]
    trials = trials.iloc[trials["run_id"].map(place).argsort(kind="stable")].reset_index(
        drop=True)
    trials = trials.assign(problem=[problem_label(d, m) for d, m in zip(trials["dataset"],
                                                                         trials["model"],
                                                                         strict=True)])
    return SuiteData(suite=suite, runs=runs, trials=trials, suite_runs=suite_runs_,
                     round=round)
