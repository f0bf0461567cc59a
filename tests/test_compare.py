"""History across rounds and ``harness compare``: regressions gate, noise does not."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import run_cli

from harness.analysis.regressions import CompareSettings, compare_runs
from harness.cli import main
from harness.store import SCHEMA_VERSION, ResultStore
from harness.synthetic_results import fill_store

PROBLEMS = {"datasets": ("alpha", "beta", "gamma"), "strategies": ("random", "grid", "bayes"),
            "seeds": range(5), "trials_per_run": 4}


def _rounds(db, *shifts):
    """One stored round per entry; each a fresh draw of the seeds' noise."""
    for index, shift in enumerate(shifts):
        fill_store(db, round=f"night-{index}", seed=100 + index, score_shift=shift,
                   git_commit=f"commit{index}", **PROBLEMS)


def test_noise_between_rounds_is_no_regression(tmp_path, capsys):
    db = tmp_path / "h.db"
    _rounds(db, {}, {})
    assert main(["compare", "--db", str(db), "--fail-on-regression"]) == 0
    out = capsys.readouterr().out
    assert "baseline : round night-0" in out and "candidate: round night-1" in out
    assert "0 regressed" in out and "36 comparison(s)" in out


def test_noise_alone_rarely_flags_anything(tmp_path):
    """The pessimistic case: every round draws the seeds' noise afresh (real rounds repeat
    the same seeds, so most of their differences are exactly zero). Over 30 nights of 36
    comparisons each, at most 10% of nights raise a false alarm, where uncorrected tests
    would raise one on most nights."""
    db = tmp_path / "h.db"
    _rounds(db, *[{}] * 30)
    with ResultStore(db) as store:
        frames = [store.runs_frame(round=f"night-{i}") for i in range(30)]
    pairs = list(zip(frames, frames[1:], strict=False))
    alarms = sum(bool(compare_runs(a, b).regressions) for a, b in pairs)
    uncorrected = sum(bool(compare_runs(a, b, settings=CompareSettings(correction="none"))
                           .regressions) for a, b in pairs)
    assert alarms <= 0.1 * len(pairs) and uncorrected >= 0.3 * len(pairs)


def test_a_clear_drop_is_a_regression_with_exit_code_1(tmp_path, capsys):
    db = tmp_path / "h.db"
    _rounds(db, {}, {}, {"grid": -0.08})
    assert main(["compare", "--db", str(db), "--fail-on-regression"]) == 1
    captured = capsys.readouterr()
    assert "regression(s) of round night-2 against round night-1" in captured.err
    table = [line for line in captured.out.splitlines() if "REGRESSED" in line]
    assert table and all(" grid " in line for line in table)
    assert any("test_score" in line for line in table)
    # without the flag the table is the same but the exit code stays 0
    assert main(["compare", "--db", str(db)]) == 0
    # an explicit baseline: the two noise rounds compare clean
    assert main(["compare", "--db", str(db), "--baseline", "night-0", "--candidate",
                 "night-1", "--fail-on-regression"]) == 0


def test_json_output_parses_and_names_the_rounds(tmp_path):
    db = tmp_path / "h.db"
    _rounds(db, {}, {"bayes": -0.1})
    proc = run_cli("compare", "--db", str(db), "--format", "json", "--fail-on-regression")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["baseline"]["round"] == "night-0" and data["candidate"]["round"] == "night-1"
    assert data["candidate"]["git_commit"] == "commit1" and data["config_changed"] is False
    assert data["regressions"] == len([c for c in data["comparisons"]
                                       if c["verdict"] == "regressed"]) > 0
    assert {c["strategy"] for c in data["comparisons"] if c["verdict"] == "regressed"} == {
        "bayes"}
    row = next(c for c in data["comparisons"] if c["verdict"] == "regressed")
    assert row["p_worse"] < 0.05 and row["change"] < -0.01 and row["n_pairs"] == 5


def test_minimum_effect_and_alpha_are_options(tmp_path, capsys):
    db = tmp_path / "h.db"
    _rounds(db, {}, {"grid": -0.08})
    assert main(["compare", "--db", str(db), "--fail-on-regression",
                 "--min-effect", "0.2"]) == 0
    assert main(["compare", "--db", str(db), "--fail-on-regression", "--alpha", "1e-9"]) == 0
    assert main(["compare", "--db", str(db), "--fail-on-regression", "--alpha", "2"]) == 2
    assert "--alpha must be between 0 and 1" in capsys.readouterr().err


def test_a_seed_that_now_fails_is_a_regression(tmp_path):
    db = tmp_path / "h.db"
    fill_store(db, round="a", seed=1, datasets=("alpha",), strategies=("random",),
               seeds=range(3))
    fill_store(db, round="b", seed=1, datasets=("alpha",), strategies=("random",),
               seeds=range(3), statuses=("ok", "timeout", "ok"))
    with ResultStore(db) as store:
        result = compare_runs(store.runs_frame(round="a"), store.runs_frame(round="b"))
    status = [c for c in result.regressions if c.measure == "status"]
    assert len(status) == 1 and status[0].note == "seed 1: ok -> timeout"
    assert status[0].baseline == 3 and status[0].candidate == 2


def test_slower_runs_are_a_regression_of_wall_time(tmp_path):
    import pandas as pd

    base = pd.DataFrame({"id": range(5), "dataset": "d", "model": "m", "strategy": "s",
                         "seed": range(5), "status": "ok", "test_score": 0.9,
                         "best_cv_score": 0.9, "wall_time_s": [10, 11, 9, 10, 12],
                         "peak_mem_mb": 200.0})
    slower = base.assign(wall_time_s=base["wall_time_s"] * [1.9, 2.1, 2.0, 1.8, 2.2])
    result = compare_runs(base, slower)
    assert [(c.measure, round(c.change, 1)) for c in result.regressions] == [
        ("wall_time_s", 1.0)]
    # within the minimum relative change: unchanged however consistent
    slightly = base.assign(wall_time_s=base["wall_time_s"] * 1.1)
    assert not compare_runs(base, slightly).regressions
    assert compare_runs(base, slightly, settings=CompareSettings(min_relative=0.05)).regressions


def test_first_round_has_no_baseline_and_passes(tmp_path):
    db = tmp_path / "h.db"
    _rounds(db, {})
    proc = run_cli("compare", "--db", str(db), "--fail-on-regression")
    assert proc.returncode == 0 and "no baseline round" in proc.stdout
    proc = run_cli("compare", "--db", str(db), "--format", "json")
    assert json.loads(proc.stdout)["baseline"] is None


def test_rounds_are_found_by_suite_run_id_and_date(tmp_path, capsys):
    db = tmp_path / "h.db"
    _rounds(db, {}, {}, {})
    assert main(["compare", "--db", str(db), "--baseline", "1", "--candidate", "3"]) == 0
    out = capsys.readouterr().out
    assert "round night-0" in out and "round night-2" in out
    import datetime as dt

    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    assert main(["compare", "--db", str(db), "--baseline", "night-0", "--candidate",
                 today]) == 0
    assert "candidate: round night-2" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--baseline", "1999-01-01"], "no round '1999-01-01' of suite 'synthetic'"),
    (["--baseline", "night-1", "--candidate", "night-1"], "both name round night-1"),
    (["--suite", "nope"], "no suite 'nope'"),
])
def test_bad_references_are_usage_errors(tmp_path, args, message):
    db = tmp_path / "h.db"
    _rounds(db, {}, {})
    proc = run_cli("compare", "--db", str(db), *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_version_1_store_is_migrated_without_losing_runs(tmp_path):
    db = tmp_path / "old.db"
    fill_store(db, seeds=range(2))
    with sqlite3.connect(db) as conn:  # make it look like a store written by schema 1
        for column in ("host", "pid", "heartbeat"):  # schema 3
            conn.execute(f"ALTER TABLE suites DROP COLUMN {column}")
        conn.execute("DROP TABLE claims")
        conn.execute("DROP TABLE importances")  # schema 4
        conn.execute("DROP INDEX runs_by_round")
        conn.execute("ALTER TABLE runs DROP COLUMN round")
        conn.execute("ALTER TABLE suites DROP COLUMN round")
        conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    with ResultStore(db) as store:
        runs = store.runs()
        assert len(runs) == 4 and {r["round"] for r in runs} == {""}
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
        assert conn.execute("SELECT count(*) FROM claims").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM importances").fetchone()[0] == 0


def test_history_section_in_the_report(tmp_path):
    from harness.report import write_report

    db = tmp_path / "h.db"
    _rounds(db, {}, {}, {"grid": -0.08})
    html = write_report(db=db, out_dir=tmp_path / "reports",
                        learning_curves=False).read_text()
    history = html[html.index('<section id="history">'):]
    assert all(f"night-{i}" in history for i in range(3))
    assert "commit2" in history and 'href="#history"' in html
    regressions = history[history.index("Regressions between consecutive rounds"):]
    assert "grid" in regressions and "night-2" in regressions
    assert "random</td>" not in regressions
    assert history.count("<svg") == 3  # one chart per problem
    assert "Round</dt><dd><code>night-2</code>" in html  # the sections show the latest


def test_report_without_rounds_has_no_history_section(tmp_path):
    from harness.report import write_report

    db = tmp_path / "h.db"
    fill_store(db, seeds=range(2))
    html = write_report(db=db, out_dir=tmp_path / "r", learning_curves=False).read_text()
    assert '<section id="history">' not in html


@pytest.mark.slow
def test_rounds_rerun_the_suite_and_compare_real_runs(write_suite, tmp_path):
    """Two nights of a real suite: the second round runs again instead of being skipped,
    the report shows both, and compare finds nothing (same code, same seeds)."""
    path = write_suite("""
        name: nightly-mini
        seeds: 2
        cv: 3
        budget: {time_s: 8, max_trials: 4}
        datasets: [iris]
        models: [logistic_regression]
        strategies: [default, random]
        """)
    db = tmp_path / "r.db"
    first = run_cli("run", "--suite", str(path), "--db", str(db), "--round", "2026-11-27",
                    "--quiet", "--no-learning-curves")
    assert first.returncode == 0, first.stderr
    assert "(round 2026-11-27): 4 run(s) executed" in first.stdout
    again = run_cli("run", "--suite", str(path), "--db", str(db), "--round", "2026-11-27",
                    "--quiet", "--no-report")
    assert "0 run(s) executed, 4 already stored" in again.stdout
    second = run_cli("run", "--suite", str(path), "--db", str(db), "--round", "today",
                     "--quiet", "--no-learning-curves")
    assert second.returncode == 0 and "4 run(s) executed" in second.stdout
    with ResultStore(db) as store:
        assert len(store.runs()) == 8
        assert len({r["key"] for r in store.runs()}) == 8
    proc = run_cli("compare", "--db", str(db), "--fail-on-regression", "--format", "json")
    assert proc.returncode == 0, proc.stdout
    data = json.loads(proc.stdout)
    assert data["baseline"]["round"] == "2026-11-27" and data["regressions"] == 0
    scores = [c for c in data["comparisons"] if c["measure"] == "test_score"]
    assert scores and all(c["change"] == 0 for c in scores)  # same seeds, same scores
    html = (tmp_path / "reports" / "nightly-mini" / "index.html").read_text()
    assert '<section id="history">' in html and "2026-11-27" in html
    bad = run_cli("run", "--suite", str(path), "--db", str(db), "--round", "no spaces!")
    assert bad.returncode == 2 and "--round: bad label" in bad.stderr


def test_a_changed_configuration_is_pointed_out(tmp_path, capsys):
    db = tmp_path / "h.db"
    _rounds(db, {}, {})
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE suites SET config_hash='edited' WHERE round='night-1'")
    assert main(["compare", "--db", str(db)]) == 0
    assert "configuration changed between these rounds" in capsys.readouterr().out


def test_sub_second_time_changes_are_not_regressions():
    """A 50% slower run that still takes under a second is noise; a 2 s growth is not."""
    import numpy as np

    from harness.analysis.regressions import _measure_change

    ident = {"dataset": "iris", "model": "knn", "strategy": "random"}
    base = np.array([0.22, 0.23, 0.22, 0.23])
    noise = _measure_change(base, base * 1.5, "wall_time_s", CompareSettings(), ident)
    assert noise.effect_worse is False
    slow = _measure_change(base + 4, (base + 4) * 1.5, "wall_time_s", CompareSettings(), ident)
    assert slow.effect_worse is True
