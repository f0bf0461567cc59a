"""benchmarks/verdict_stability.py: the two seed sets are disjoint, and tau and the verdict's
agreement come from the two stored runs' verdicts (as ``harness recommend`` gives them)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from scipy.stats import kendalltau

from harness.api import recommend
from harness.synthetic_results import fill_store

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "verdict_stability.py"
DATASETS = ("d1", "d2", "d3", "d4")  # 4 problems x 2 seeds: enough pairs for a pick
STRATEGIES = ("s1", "s2", "s3")


def _script():
    spec = importlib.util.spec_from_file_location("verdict_stability", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _store(path: Path, seeds: tuple[int, ...], shift: dict[str, float]) -> Path:
    fill_store(path, suite="stab", datasets=DATASETS, strategies=STRATEGIES, seeds=seeds,
               score_shift=shift, trials_per_run=3)
    return path


def test_seed_sets_are_disjoint_and_of_the_asked_size():
    first, second = _script().seed_sets(3)
    assert (first, second) == ([0, 1, 2], [3, 4, 5])


@pytest.mark.parametrize(("shift_b", "tau", "same"), [
    ({"s1": 0.4, "s2": 0.2}, 1.0, True),      # the same order on other seeds
    ({"s2": 0.2, "s3": 0.4}, -1.0, False),    # the order reversed: s3 best, s1 last
])
def test_tau_and_verdict_agreement_follow_the_two_stores(tmp_path, shift_b, tau, same):
    script = _script()
    a = script.ranking(_store(tmp_path / "a.db", (0, 1), {"s1": 0.4, "s2": 0.2}), "stab")
    b = script.ranking(_store(tmp_path / "b.db", (2, 3), shift_b), "stab")
    assert a["pick"] is not None and a["pick"].startswith("s1")
    assert (a["seeds"], b["seeds"]) == ([0, 1], [2, 3])
    agreement = script.compare(a, b)
    assert agreement["tau"] == tau
    assert agreement["same_verdict"] is same and agreement["same_first"] is same
    assert set(agreement["tau_per_problem"]) == set(a["problems"]) and len(a["problems"]) == 4
    assert agreement["mean_tau_per_problem"] == pytest.approx(tau)


def test_a_tie_group_agrees_with_the_same_group_only():
    compare = _script().compare
    base = {"mean_rank": {"x": 1.4, "y": 1.6, "z": 3.0}, "order": ["x", "y", "z"],
            "problem_ranks": {}, "problems": [], "pick": None, "group": ["x", "y"]}
    swapped = {**base, "mean_rank": {"x": 1.6, "y": 1.4, "z": 3.0}, "order": ["y", "x", "z"],
               "group": ["y", "x"]}
    result = compare(base, swapped)
    assert result["same_verdict"] is True and result["same_first"] is False
    assert result["tau"] == pytest.approx(1 / 3, abs=1e-4)
    assert compare(base, {**swapped, "group": ["y"], "pick": "y"})["same_verdict"] is False


@pytest.mark.slow
def test_script_runs_a_tiny_suite_twice_and_reports_what_was_stored(tmp_path, write_suite):
    suite = write_suite("""
        name: tiny-stability
        cv: 2
        seeds: 1
        budget: {time_s: 2, max_trials: 2, grace_s: 5}
        models: [random_forest]
        strategies: [default, random]
        datasets: [iris, wine]
    """)
    out, work = tmp_path / "out.json", tmp_path / "work"
    done = subprocess.run([sys.executable, str(SCRIPT), "--suite", str(suite), "--quiet",
                           "--workdir", str(work), "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert (result["a"]["seeds"], result["b"]["seeds"]) == ([0], [1])
    assert result["a"]["statuses"] == result["b"]["statuses"] == {"ok": 4}
    mean_ranks = []
    for key, db in (("a", work / "seeds-a.db"), ("b", work / "seeds-b.db")):
        rec = recommend(db, "tiny-stability").verdict.recommendations[-1]
        assert rec.seeds == result[key]["seeds"]
        mean_ranks.append({r.contender: r.mean_rank for r in rec.contenders})
        assert result[key]["mean_rank"] == mean_ranks[-1]
    names = sorted(mean_ranks[0])
    expected = kendalltau([mean_ranks[0][n] for n in names], [mean_ranks[1][n] for n in names])
    assert result["agreement"]["tau"] == pytest.approx(expected.statistic, abs=1e-4)
    assert f"Kendall tau between the two rankings: {result['agreement']['tau']}" in done.stdout


def test_bad_seed_count_and_unknown_suite_are_refused_without_a_traceback():
    done = subprocess.run([sys.executable, str(SCRIPT), "--seeds-per-set", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--seeds-per-set must be at least 1, got 0" in done.stderr
    done = subprocess.run([sys.executable, str(SCRIPT), "--suite", "no-such-suite", "--quiet"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no-such-suite" in done.stderr
    assert "Traceback" not in done.stderr
