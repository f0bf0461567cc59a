"""The fixed cost of a run: the fork server stops at once, the learning curves' best-so-far,
and the measured breakdown of `benchmarks/overhead.py --trivial`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import yaml

from harness.execution.dask_task import SessionBestSoFar
from harness.execution.forkserver import ForkServer

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL = {"name": "trivial", "cv": 3, "seeds": 2, "n_jobs": 1, "budget": {"time_s": 30},
           "datasets": ["iris"], "models": ["logistic_regression"], "strategies": ["default"]}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def test_a_fork_server_still_warming_up_stops_at_once():
    server = ForkServer()
    server.start(warm_up=lambda: time.sleep(60))  # a zygote that would warm up for a minute
    assert not server.available
    started = time.monotonic()
    server.stop()  # nothing to run (every run stored): the harness must not wait for it
    assert time.monotonic() - started < 5


def test_session_best_so_far_decides_on_its_own_without_a_cluster():
    best = SessionBestSoFar("no-cluster")
    problem = ("iris", "fp", "svc", "")
    assert best.improves(problem, 0.90)
    assert not best.improves(problem, 0.80)  # worse than a run before it: no curve
    assert best.improves(problem, 0.95)
    assert best.improves(("wine", "fp", "svc", ""), 0.10)  # another problem


def test_trivial_breakdown_measures_every_phase(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks._trivial import breakdown

    suite = tmp_path / "trivial.yaml"
    suite.write_text(yaml.safe_dump(TRIVIAL))
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])  # the command uses this checkout
    parts = breakdown(suite, tmp_path, runs=2)
    once, per_run = parts["suite"], parts["run"]
    assert once["CLI imports"] > 0 and once["planning (load, split, cache, meta-features)"] > 0
    assert 0 < once["whole command"] < 120
    assert per_run["fork (request to worker start)"] > 0
    assert per_run["search (the model's fits, less imports)"] > 0
    assert per_run["store commit"] > 0
    measured = [v for k, v in per_run.items() if k != "worker: other"]
    assert all(v >= 0 for v in measured), per_run
    assert sum(per_run.values()) < once["whole command"]
