"""The progress bar's time left: each run weighed by its expected duration (hand-made runs
and a stored history; no run is executed)."""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path

import pytest

from harness.console import Progress
from harness.eta import (
    DEFAULT_OVERHEAD_S,
    EtaClock,
    History,
    Kind,
    PastRun,
    clock_for,
    expected_s,
    past_runs,
    seconds_left,
    start_order,
    start_positions,
)
from harness.records import RunResult, RunSpec
from harness.store import ResultStore

SHORT = Kind("grid", "random_forest", "iris", 40.0, 8)
LONG = Kind("keras-random", "cnn", "digits-images", 40.0, 8)


def _spec(kind: Kind, seed: int) -> RunSpec:
    return RunSpec(suite="eta", dataset=kind.dataset, dataset_options={}, fingerprint="fp",
                   task="classification", model=kind.model, space={}, strategy=kind.strategy,
                   strategy_options={}, seed=seed, metric="accuracy", cv=3, test_size=0.2,
                   n_jobs=1, time_s=kind.time_s, max_trials=kind.max_trials,
                   hard_limit_s=kind.time_s + 10, memory_mb=None)


def test_runs_share_the_slots_in_the_order_they_start():
    assert seconds_left([10, 10, 10, 10], [], jobs=2) == 20
    assert seconds_left([10, 10, 10, 10], [], jobs=1) == 40
    # a run with 5 s left frees its slot first: the next two queue behind it and the other
    assert seconds_left([10, 10], [5, 8], jobs=2) == 18
    assert seconds_left([], [], jobs=2) == 0
    assert seconds_left([3], [], jobs=4) == 3  # more slots than runs: the longest run


def test_expected_duration_is_what_similar_runs_took_else_the_budget():
    history = History([PastRun(SHORT, 2.0), PastRun(SHORT, 4.0), PastRun(SHORT, 3.0)])
    assert expected_s(SHORT, history, 0.5) == pytest.approx(3.5)  # median 3 s + overhead
    assert expected_s(LONG, history, 0.5) == pytest.approx(40.5)  # nothing known: its budget
    # the same strategy, model and budget on another dataset stands in for an unseen one
    other = Kind("grid", "random_forest", "wine", 40.0, 8)
    assert expected_s(other, history, 0.0) == pytest.approx(3.0)
    # ... but a run of its own dataset comes first, and a different budget is not similar
    history.add(PastRun(other, 7.0))
    assert expected_s(other, history, 0.0) == pytest.approx(7.0)
    assert expected_s(Kind("grid", "random_forest", "iris", 20.0, 8), history, 0.0) == 20.0
    # failing both, other strategies on the same model, data and budget
    assert expected_s(Kind("bayes", "random_forest", "iris", 40.0, 8), history, 0.0) == 3.0
    assert expected_s(Kind("bayes", "random_forest", "digits", 40.0, 8), history, 0.0) == 40.0


def test_long_runs_last_weigh_more_than_a_count_of_runs():
    """The case of the issue: the short runs come first, so a count of runs says little
    time is left while the long ones are still to come."""
    kinds = {f"short{i}": SHORT for i in range(6)} | {f"long{i}": LONG for i in range(4)}
    stored = [PastRun(SHORT, 2.0)] * 3 + [PastRun(LONG, 40.0)] * 2
    clock = EtaClock(kinds, stored, jobs=2)
    now = 0.0
    for i in range(6):  # short runs: started two at a time, each 3 s from start to end
        clock.started(f"short{i}", now)
        now += 1.5
        clock.finished(f"short{i}", now + 1.5, status="ok", wall_s=2.0)
    # measured fixed cost: 3 s from start to end minus the 2 s charged, i.e. 1 s a run
    assert clock.overhead_s == pytest.approx(1.0)
    left = clock.seconds_left(now + 1.5)
    assert left == pytest.approx(2 * 41.0)  # four runs of 40 s + 1 s, two at a time
    by_count = (now + 1.5) / 6 * 4  # what counting runs says: 4 more runs like the first 6
    assert left > 10 * by_count


def test_a_run_in_progress_counts_what_is_left_of_it():
    clock = EtaClock({"a": SHORT, "b": LONG}, [PastRun(SHORT, 5.0)], jobs=2)
    assert clock.seconds_left(0.0) == pytest.approx(40 + DEFAULT_OVERHEAD_S)
    clock.started("a", 0.0)
    clock.started("b", 0.0)
    assert clock.seconds_left(30.0) == pytest.approx(10 + DEFAULT_OVERHEAD_S)
    # "a" ran past what its kind took before (5 s + 1 s): it may take as long again, but
    # no longer than its budget
    clock.finished("b", 30.0, status="ok", wall_s=29.0)
    assert clock.seconds_left(30.0) == pytest.approx(5 + 1.0)
    assert clock.seconds_left(38.0) == pytest.approx(40 + 1.0 - 38)
    assert clock.seconds_left(45.0) == 0  # past its budget: it ends any moment
    clock.keep_only([])  # another harness process stored it
    assert clock.seconds_left(30.0) == 0


def test_failed_runs_teach_nothing_and_timeouts_count_as_their_budget():
    clock = EtaClock({"a": SHORT, "b": SHORT, "c": SHORT}, [], jobs=1)
    clock.started("a", 0.0)
    clock.finished("a", 1.0, status="failed", wall_s=0.5)
    assert clock.seconds_left(1.0) == pytest.approx(2 * (40 + DEFAULT_OVERHEAD_S))
    clock.started("b", 1.0)
    clock.finished("b", 52.0, status="timeout", wall_s=50.0)
    assert clock.seconds_left(52.0) == pytest.approx(40 + 1.0)


def test_the_stored_history_feeds_the_clock(tmp_path):
    with ResultStore(tmp_path / "r.db") as store:
        suite_id = store.start_suite(name="eta", source=None, config={"name": "eta"},
                                     config_hash="eta", n_planned=3, git_commit=None,
                                     package_versions={}, machine={})
        for seed, (status, wall) in enumerate([("ok", 2.0), ("ok", 6.0), ("failed", 0.1)]):
            store.save_run(RunResult(spec=_spec(SHORT, seed), status=status, wall_time_s=wall),
                           suite_id=suite_id, git_commit=None, package_versions={})
        rows = store.run_durations(["random_forest", "cnn"])
        assert store.run_durations(["cnn"]) == []
    assert len(rows) == 3 and rows[0]["budget_s"] == 40.0
    clock = clock_for([_spec(SHORT, 7), _spec(LONG, 7)], past_runs(rows), jobs=2)
    # grid: the median of 2 s and 6 s (the failure is left out); keras: its budget
    assert clock.seconds_left(0.0) == pytest.approx(40 + DEFAULT_OVERHEAD_S)
    clock_one = clock_for([_spec(SHORT, 7), _spec(LONG, 7)], past_runs(rows), jobs=1)
    assert clock_one.seconds_left(0.0) == pytest.approx(4 + 40 + 2 * DEFAULT_OVERHEAD_S)


def test_the_bar_shows_the_estimate_counting_down():
    stream = io.StringIO()
    bar = Progress(3, enabled=True, stream=stream)
    assert bar.left_text() == "?"
    bar.estimate(278.0, now=100.0)
    assert bar.left_text(now=100.0) == "4:38"
    assert bar.left_text(now=160.0) == "3:38"
    assert bar.left_text(now=500.0) == "0:00"
    bar.update("iris/random_forest/grid/seed=0", "ok", seconds_left=3725.0)
    bar.close()
    shown = stream.getvalue().split("\r")
    assert any("1/3" in frame and "1:02:05 left" in frame for frame in shown), shown


def test_the_fixed_cost_follows_the_runs_ended_last():
    """The first runs of a problem fit learning curves after their budget; later ones seldom,
    so the cost of the runs ended last is what the runs to come are likely to pay."""
    kinds = {f"r{i}": SHORT for i in range(8)}
    clock = EtaClock(kinds, [], jobs=1)
    for i, overhead in enumerate([9.0] + [0.5] * 6):
        clock.started(f"r{i}", 10.0 * i)
        clock.finished(f"r{i}", 10.0 * i + 2.0 + overhead, status="ok", wall_s=2.0)
    assert clock.overhead_s == pytest.approx(0.5)
    assert clock.seconds_left(70.0) == pytest.approx(2.0 + 0.5)  # the last one, like the rest


def _labels(specs):
    return [f"{s.strategy}/{s.dataset}/{s.seed}" for s in specs]


def test_a_first_run_of_each_unknown_kind_starts_early():
    """On a fresh database every kind of run is unknown: the first run of each (on any
    dataset) starts before the others, which then follow in plan order."""
    other = Kind("grid", "random_forest", "wine", 40.0, 8)
    plan = [_spec(kind, seed) for kind in (SHORT, other, LONG) for seed in (0, 1)]
    ordered = start_order(plan, [])
    assert _labels(ordered) == ["grid/iris/0", "keras-random/digits-images/0",
                                "grid/iris/1", "grid/wine/0", "grid/wine/1",
                                "keras-random/digits-images/1"]
    assert sorted(s.key for s in ordered) == sorted(s.key for s in plan)
    # a kind the store knows keeps its place; another budget or trial cap is another kind
    assert start_order(plan, [PastRun(LONG, 20.0)]) == plan
    stored = PastRun(Kind("keras-random", "cnn", "digits-images", 40.0, 4), 20.0)
    assert start_order(plan, [stored]) == ordered
    assert start_order(plan, [PastRun(SHORT, 2.0), PastRun(LONG, 20.0)]) == plan


def test_the_first_run_of_a_long_kind_teaches_the_estimate_early():
    """The case of the issue on a fresh database: short runs first, the long kind's runs
    last. Started in plan order, nothing is known of the long kind until the short runs
    are over, so the estimate expects each long run to take its whole budget; started in
    ``start_order``, its first run has ended by then and the others are expected to take
    as long as it took (20 s of their 40 s)."""
    plan = ([_spec(SHORT, seed) for seed in range(6)]
            + [_spec(LONG, seed) for seed in range(4)])
    took = {"grid": 2.0, "keras-random": 20.0}

    def left_after(order, runs_ended):
        clock = clock_for(order, [], jobs=1)
        now = 0.0
        for spec in order[:runs_ended]:
            clock.started(spec.key, now)
            now += took[spec.strategy] + 1.0
            clock.finished(spec.key, now, status="ok", wall_s=took[spec.strategy])
        actual = sum(took[s.strategy] + 1.0 for s in order[runs_ended:])
        return clock.seconds_left(now), actual

    shown, actual = left_after(plan, 6)
    assert actual == pytest.approx(4 * 21.0) and shown == pytest.approx(4 * 41.0)
    ordered = start_order(plan, [])
    shown, actual = left_after(ordered, 6)
    assert _labels(ordered[:2]) == ["grid/iris/0", "keras-random/digits-images/0"]
    assert shown == pytest.approx(actual) == pytest.approx(3 * 21.0 + 3.0)


def test_the_replay_benchmark_compares_both_orders_on_the_same_durations(tmp_path,
                                                                          monkeypatch):
    """``benchmarks/eta_replay.py`` on a stored suite run of 4 short runs, then 2 long ones
    (one slot): in plan order the long kind is unknown until the end, in start order its
    first run has taught the estimate by half-way."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    from benchmarks.eta_replay import errors, load, replay

    plan = [_spec(SHORT, seed) for seed in range(4)] + [_spec(LONG, seed) for seed in range(2)]
    plan = [dataclasses.replace(s, plan_index=i) for i, s in enumerate(plan)]
    with ResultStore(tmp_path / "r.db") as store:
        suite_id = store.start_suite(name="eta", source=None, config={"name": "eta"},
                                     config_hash="eta", n_planned=6, git_commit=None,
                                     package_versions={}, machine={"jobs": 1})
        now = 1000.0
        for spec in plan:
            wall = 2.0 if spec.strategy == "grid" else 20.0
            store.save_run(RunResult(spec=spec, status="ok", wall_time_s=wall, started_at=now,
                                     finished_at=now + wall), suite_id=suite_id,
                           git_commit=None, package_versions={})
            now += wall + 1.0  # the next run starts a second after this one's result
    runs = load(tmp_path / "r.db", "eta")
    assert [r.took_s for r in runs] == [3.0, 3.0, 3.0, 3.0, 21.0, 20.1]
    in_plan = replay(runs, [], jobs=1)
    assert [f[1] for f in in_plan] == [1, 2, 3, 4, 5, 6]
    assert in_plan[-1][0] == pytest.approx(4 * 3 + 21 + 20.1)
    ordered = [runs[i] for i in start_positions([r.kind for r in runs], [])]
    assert [r.kind.strategy for r in ordered] == ["grid", "keras-random", *["grid"] * 3,
                                                  "keras-random"]
    plan_errors, start_errors = errors(in_plan), errors(replay(ordered, [], jobs=1))
    assert plan_errors[1] > 0.5  # 3 s + 2 x 41 s expected where 3 s + 2 x 21 s were left
    assert abs(start_errors[1]) < 0.1


def test_the_bar_is_drawn_on_a_terminal_that_reports_no_width():
    """A pseudo-terminal opened without a size (``script``, some CI runners) reports 0
    columns; the bar, sized to it, would show nothing, not even the time left."""
    import pty

    master, slave = pty.openpty()  # a new pseudo-terminal has no size: 0 x 0
    try:
        assert os.get_terminal_size(slave).columns == 0
        with open(slave, "w", closefd=False) as stream:
            bar = Progress(3, enabled=True, stream=stream)
            bar.update("iris/random_forest/grid/seed=0", "ok")
            bar.estimate(3725.0)  # drawn at once
            bar.close()
        shown = _read_all(master)
    finally:
        os.close(master)
        os.close(slave)
    assert "1/3" in shown and "1:02:05 left" in shown, shown


def _read_all(fd: int) -> str:
    """What has been written to the pseudo-terminal whose master is ``fd``, up to the line end
    the bar writes when it is closed (the kernel hands a pseudo-terminal's writes over to its
    master asynchronously: a read can return before the later ones have arrived)."""
    import select
    import time

    chunks: list[bytes] = []
    deadline = time.monotonic() + 10
    while b"\n" not in b"".join(chunks) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            chunks.append(os.read(fd, 65536))
    return b"".join(chunks).decode(errors="replace")
