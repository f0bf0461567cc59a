"""The order runs start in (a first run of each kind unknown to the store early, for the
progress bar's estimate) changes neither what is stored nor what is shown: the summary and
the report list runs in the suite's plan order, whatever order they ran and ended in."""

from __future__ import annotations

import pytest

from harness.analysis import load_suite_data
from harness.analysis.recommend import suite_verdict, verdict_plain
from harness.api import run_suite
from harness.store import ResultStore
from harness.synthetic_results import fill_store

SUITE = """
name: order
cv: 2
seeds: 2
budget: {time_s: 10, max_trials: 2, grace_s: 2}
datasets: [iris]
models: [knn]
strategies: [default, {name: 'plugin_strategies:SleepStrategy', seconds: 0.1}]
"""


def _started(outcome):
    return [f"{r['strategy'].split(':')[-1]}/{r['seed']}"
            for r in sorted(outcome.runs, key=lambda r: r["started_at"])]


@pytest.mark.slow
def test_runs_start_with_a_first_run_of_each_new_kind_and_are_listed_in_plan_order(
        write_suite, tmp_path):
    path = write_suite(SUITE)
    db = tmp_path / "r.db"
    fresh = run_suite(path, db=db, jobs=1, learning_curves=False)
    planned = [f"{s.strategy.split(':')[-1]}/{s.seed}" for s in fresh.planned]
    assert planned == ["default/0", "default/1", "SleepStrategy/0", "SleepStrategy/1"]
    assert _started(fresh) == ["default/0", "SleepStrategy/0", "default/1", "SleepStrategy/1"]
    assert [r["key"] for r in fresh.runs] == [s.key for s in fresh.planned]
    assert fresh.exit_code == 0
    # once the store knows every kind, a new round starts them in plan order
    again = run_suite(path, db=db, jobs=1, learning_curves=False, round="again")
    assert _started(again) == planned
    with ResultStore(db) as store:
        assert list(load_suite_data(store, "order", round="").runs["key"]) == [
            s.key for s in fresh.planned]


def test_the_report_reads_runs_in_plan_order_whatever_order_they_ended_in(tmp_path):
    """The same runs stored in another order (their ids, the order they ended in) give the
    same tables and the same verdict."""
    frames, stored = [], []
    for shuffle in (None, 7):
        db = tmp_path / f"{shuffle}.db"
        fill_store(db, datasets=("alpha", "beta", "gamma"), strategies=("random", "grid"),
                   seeds=(0, 1, 2), trials_per_run=5, shuffle=shuffle)
        with ResultStore(db) as store:
            frames.append(load_suite_data(store, "synthetic"))
            stored.append([r["key"] for r in store.runs(suite="synthetic")])  # by id
    assert stored[0] != stored[1] and sorted(stored[0]) == sorted(stored[1])
    plan, shuffled = frames
    assert list(plan.runs["key"]) == stored[0]
    for frame, ids in ((lambda d: d.runs, ["id"]),
                       (lambda d: d.trials, ["id", "run_id"])):
        assert frame(plan).drop(columns=ids).equals(frame(shuffled).drop(columns=ids))
    assert plan.problems == ["alpha / random_forest", "beta / random_forest",
                             "gamma / random_forest"] == shuffled.problems
    assert verdict_plain(suite_verdict(plan.runs)) == verdict_plain(suite_verdict(shuffled.runs))
