"""On data like mine: the stored problems nearest to a user's table (hand-made meta-features,
exact distances), ``harness recommend --data`` (text, JSON, exit codes, budgets) and the
report's "Data like yours" section."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from harness.analysis.like_mine import agreement, choose_budget, user_data_neighbours
from harness.analysis.nearest import (
    NONE_NEAR,
    OK,
    TOO_FEW,
    Problem,
    nearest_problems,
    stored_problems,
)
from harness.cli import main
from harness.report import write_report
from harness.store import ResultStore
from harness.synthetic_results import fill_store

ROOT = Path(__file__).resolve().parents[1]
CHURN = ROOT / "examples" / "churn.csv"


def meta(rows: int, features: int, *, classes: int = 2, imbalance: float = 0.8,
         landmark: float | None = 0.8, skew: float | None = None) -> dict:
    """Meta-features as ``harness.datasets._meta.meta_features`` stores them."""
    out = {"rows": rows, "features": features, "encoded_features": features,
           "categorical_fraction": 0.0, "missing_fraction": 0.0}
    if skew is None:
        out |= {"classes": classes, "imbalance": imbalance}
    else:
        out["target_skew"] = skew
    if landmark is not None:
        out["landmark"] = {"model": "random_forest(n_estimators=50)", "cv": 3,
                           "metric": "accuracy" if skew is None else "r2", "rows": rows,
                           "score": landmark}
    return out


#: Stored classification problems: three small binary ones like examples/churn.csv (200
#: rows, 7 features, 2 classes, landmark about 0.69), one larger 3-class, one far away.
BENCH = {"b-small": meta(200, 8, imbalance=0.6, landmark=0.72),
         "b-mid": meta(300, 7, imbalance=0.8, landmark=0.75),
         "b-tiny": meta(180, 10, imbalance=0.5, landmark=0.70),
         "b-three": meta(1000, 20, classes=3, landmark=0.9),
         "b-far": meta(5000, 60, classes=10, landmark=0.95)}
REGRESSION = {"r-one": meta(300, 5, skew=0.2, landmark=0.5),
              "r-two": meta(500, 8, skew=1.0, landmark=0.6),
              "r-three": meta(2000, 12, skew=-0.5, landmark=0.7)}


def bench_store(db: Path, *, datasets: dict = BENCH, budget_s: float = 30, suite: str = "bench",
                shift: dict | None = None, tasks: dict | None = None) -> Path:
    fill_store(db, suite=suite, datasets=list(datasets), strategies=("random", "grid"),
               seeds=range(6), trials_per_run=3, budget_s=budget_s, dataset_meta=datasets,
               score_shift=shift or {"grid": 0.2}, tasks=tasks)
    return db


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory) -> Path:
    """The five classification problems at 30 s and at 120 s, grid clearly best."""
    db = tmp_path_factory.mktemp("like") / "r.db"
    bench_store(db)
    bench_store(db, budget_s=120, suite="bench-long")
    return db


# -- distances on hand-made meta-features ---------------------------------------------------

def test_distance_is_the_rms_of_z_scores_over_stored_problems():
    """Three problems differing only in rows (100, 1,000, 10,000: log10 2, 3, 4, standard
    deviation sqrt(2/3)); the others' features are equal, so their scale is the floor and
    their differences zero: distance sqrt((1/sqrt(2/3))**2 / 7) over the 7 features."""
    problems = [Problem(f"p{rows}", "classification", meta(rows, 10)) for rows in
                (10_000, 100, 1000)]
    hood = nearest_problems(meta(1000, 10), "classification", problems)
    assert hood.status == OK and hood.stored == 3
    assert [n.problem.name for n in hood.shown] == ["p1000", "p100", "p10000"]
    expected = math.sqrt(1.5 / 7)
    assert [n.distance for n in hood.shown] == pytest.approx([0.0, expected, expected])
    assert hood.scales["log10 rows"] == pytest.approx((3.0, math.sqrt(2 / 3)))
    assert hood.scales["imbalance"] == pytest.approx((0.8, 0.1))  # no spread: the floor
    assert hood.shown[1].differences["log10 rows"] == pytest.approx(-1 / math.sqrt(2 / 3))
    assert all(n.near for n in hood.shown)


def test_a_missing_landmark_is_left_out_of_that_distance_only():
    problems = [Problem("a", "classification", meta(100, 10, landmark=None)),
                Problem("b", "classification", meta(1000, 10)),
                Problem("c", "classification", meta(10_000, 10))]
    hood = nearest_problems(meta(1000, 10), "classification", problems)
    by = {n.problem.name: n for n in hood.shown}
    assert "landmark score" not in by["a"].differences and len(by["a"].differences) == 6
    assert by["a"].distance == pytest.approx(math.sqrt(1.5 / 6))
    assert by["c"].distance == pytest.approx(math.sqrt(1.5 / 7))


def test_only_problems_of_the_same_task_are_compared():
    problems = [Problem(n, "regression", m) for n, m in REGRESSION.items()]
    problems += [Problem(n, "classification", m) for n, m in BENCH.items()]
    hood = nearest_problems(meta(400, 6, skew=0.5, landmark=0.55), "regression", problems)
    assert hood.stored == 3 and {n.problem.name for n in hood.shown} == set(REGRESSION)
    assert "target skew (signed log)" in hood.scales and "imbalance" not in hood.scales


def test_too_few_problems_and_none_near_enough():
    two = [Problem(n, "classification", BENCH[n]) for n in ("b-small", "b-mid")]
    assert nearest_problems(meta(200, 7), "classification", two).status == TOO_FEW
    far = meta(1_000_000, 900, classes=50, imbalance=0.01, landmark=0.2)
    hood = nearest_problems(far, "classification",
                            [Problem(n, "classification", m) for n, m in BENCH.items()])
    assert hood.status == NONE_NEAR and hood.chosen == []
    assert hood.shown[0].problem.name == "b-far" and hood.shown[0].distance > 1.5


def test_stored_problems_read_the_runs_meta_features(bench_db):
    with ResultStore(bench_db, create=False) as store:
        problems, without = stored_problems(store.runs_frame())
    assert {p.name: p.meta for p in problems} == BENCH and without == []


def test_the_users_own_data_stored_is_left_out(bench_db):
    """A stored problem with the same fingerprint as the user's data is the data itself, not
    a benchmark problem: left out of the neighbours and of the standardization."""
    from harness.analysis.like_mine import like_mine

    with ResultStore(bench_db, create=False) as store:
        runs = store.runs_frame()
    runs.loc[runs["dataset"] == "b-small", "fingerprint"] = "mine"
    like = like_mine(runs, BENCH["b-small"], "classification", fingerprint="mine")
    assert like.same_data == ("b-small",) and like.neighbourhood.stored == 4
    assert "b-small" not in [n.problem.name for n in like.neighbourhood.shown]
    assert like.verdict is not None and "b-small" not in like.budget.problems


# -- budgets and agreement ------------------------------------------------------------------

def test_the_budget_asked_for_picks_the_closest_stored_runs_and_level(bench_db):
    with ResultStore(bench_db, create=False) as store:
        runs = store.runs_frame()
    names = list(BENCH)
    picked = {asked: choose_budget(runs, names, asked) for asked in (60, 30, 25, 200, None)}
    assert (picked[60].time_s, picked[60].levels) == (120, (0.5,))
    assert (picked[30].time_s, picked[30].levels) == (30, (1.0,))
    # 25 s: 100% of 30 s and 25% of 120 s are both 30 s away by ratio: the larger level
    assert (picked[25].time_s, picked[25].levels) == (30, (1.0,))
    assert (picked[200].time_s, picked[200].levels) == (120, (1.0,))
    assert (picked[None].time_s, picked[None].levels) == (120, (0.25, 0.5, 1.0))
    assert "50% of the 120 s runs (60 s)" in picked[60].text


def test_agreement_of_two_verdicts(tmp_path):
    """Grid clearly best on the bench, random clearly best on the user's data (6 seeds: the
    Wilcoxon test separates them): they disagree; the same winner: they agree."""
    from harness.analysis import suite_verdict

    db = bench_store(tmp_path / "r.db")
    fill_store(db, suite="mine", datasets=["csv:mine.csv"], strategies=("random", "grid"),
               seeds=range(6), trials_per_run=3, budget_s=30, score_shift={"random": 0.3})
    with ResultStore(db, create=False) as store:
        runs = store.runs_frame()
    bench = suite_verdict(runs[runs["suite"] == "bench"], levels=(1.0,))
    mine = suite_verdict(runs[runs["suite"] == "mine"], levels=(1.0,))
    assert bench.recommendations[0].pick == "grid · random_forest"
    assert mine.recommendations[0].pick == "random · random_forest"
    state, sentence = agreement(mine, bench)
    assert state == "disagree" and "best mean rank: random · random_forest on your data" \
        in sentence
    assert agreement(bench, bench)[0] == "agree"
    assert agreement(None, bench)[0] == "not comparable"


# -- harness recommend --data ---------------------------------------------------------------

def _json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["recommend", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_recommend_data_on_a_csv_the_pack_does_not_contain(bench_db):
    """examples/churn.csv (200 rows, 7 features, binary): the three small binary problems
    are nearest, the 10-class one is not near enough; the verdict on the near ones (the
    120 s runs, every level) picks grid. As a user runs it: a separate process."""
    proc = run_cli("recommend", "--data", str(CHURN), "--target", "churned",
                   "--db", str(bench_db))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith(f"your data: csv:{CHURN} (classification): 200 rows, 7 features")
    table = re.findall(r"^\s+(\d+\.\d\d)\s+(yes|no)\s+(\S+)", out, flags=re.M)
    assert [name for _, _, name in table] == ["b-small", "b-tiny", "b-mid", "b-three", "b-far"]
    distances = [float(d) for d, _, _ in table]
    assert distances == sorted(distances) and len(table) == 5
    assert table[-1][1:] == ("no", "b-far")
    assert "verdict on the 4 near problem(s); budget: the 120 s runs" in out
    assert re.search(r"100%\s+pick grid · random_forest", out)


def test_recommend_data_json_shape_and_budget(bench_db, capsys):
    code, plain = _json(capsys, "--data", str(CHURN), "--target", "churned", "--db",
                        str(bench_db), "--budget", "60")
    assert code == 0 and plain["status"] == "ok" and plain["message"] is None
    assert plain["task"] == "classification" and plain["meta"]["rows"] == 200
    assert plain["same_data_left_out"] == [] and len(plain["fingerprint"]) == 16
    assert plain["meta"]["landmark"]["metric"] == "accuracy"
    distance = plain["distance"]
    assert distance["same_task_only"] and distance["near_enough"] == 1.5
    assert distance["stored_problems"] == 5 and len(distance["features"]) == 7
    assert set(distance["standardization"]["log10 rows"]) == {"mean", "scale"}
    neighbours = plain["neighbours"]
    assert [n["distance"] for n in neighbours] == sorted(n["distance"] for n in neighbours)
    assert {"problem", "distance", "near", "differences", "meta"} == \
        set(neighbours[0])
    assert plain["budget"]["time_s"] == 120 and plain["budget"]["levels"] == [0.5]
    [level] = plain["verdict"]["levels"]
    assert level["level"] == 0.5 and set(level["problems"]) == set(plain["budget"]["problems"])


def test_too_few_stored_problems_says_so_and_suggests_a_suite(tmp_path, capsys):
    db = bench_store(tmp_path / "r.db", datasets={k: BENCH[k] for k in ("b-small", "b-mid")})
    assert main(["recommend", "--data", str(CHURN), "--target", "churned", "--db",
                 str(db)]) == 0
    out = capsys.readouterr().out
    assert "too few stored problems to go on: 2 classification problem(s)" in out
    assert "at least 3 are needed" in out
    assert "harness run --suite tabular-quick" in out and "harness run --suite tabular " in out
    code, plain = _json(capsys, "--data", str(CHURN), "--target", "churned", "--db", str(db))
    assert code == 0 and plain["status"] == TOO_FEW and plain["verdict"] is None
    assert plain["suggest"] == ["harness run --suite tabular-quick",
                                "harness run --suite tabular"]


def test_none_near_enough_says_so(tmp_path, capsys):
    """Three large 10-class problems: churn.csv is near none of them."""
    far = {f"big-{i}": meta(5000 * (i + 1), 60, classes=10, landmark=0.95) for i in range(3)}
    db = bench_store(tmp_path / "r.db", datasets=far)
    assert main(["recommend", "--data", str(CHURN), "--target", "churned", "--db",
                 str(db)]) == 0
    out = capsys.readouterr().out
    assert "no stored classification problem is near enough (the nearest, big-0, is at " \
           "distance" in out and "harness run --suite tabular" in out
    assert "verdict on the" not in out


def test_a_regression_csv_written_here(tmp_path, capsys):
    """A numeric regression table: compared with the regression problems only."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["price"] = X @ np.arange(6) + rng.normal(size=400)
    frame.to_csv(tmp_path / "prices.csv", index=False)
    db = bench_store(tmp_path / "r.db", datasets={**BENCH, **REGRESSION},
                     tasks=dict.fromkeys(REGRESSION, "regression"))
    code, plain = _json(capsys, "--data", str(tmp_path / "prices.csv"), "--target", "price",
                        "--db", str(db))
    assert code == 0 and plain["task"] == "regression" and plain["status"] == "ok"
    assert plain["meta"]["landmark"]["metric"] == "r2"
    assert {n["problem"] for n in plain["neighbours"]} == set(REGRESSION)
    assert "target skew (signed log)" in plain["distance"]["features"]


@pytest.mark.parametrize("args, message", [
    (["--target", "nope"], "target column 'nope' not in churn.csv; columns are: age"),
    ([], "--target is needed: the name of the column to predict"),
    (["--target", "churned", "--budget", "0"], "--budget must be a positive number"),
    (["--target", "churned", "--suite", "bench"], "--suite and --data do not go together"),
])
def test_bad_input_is_a_clear_error(bench_db, capsys, args, message):
    code = main(["recommend", "--data", str(CHURN), "--db", str(bench_db), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_a_missing_file_or_database_is_a_clear_error(tmp_path, bench_db, capsys):
    assert main(["recommend", "--data", str(tmp_path / "mine.csv"), "--target", "y",
                 "--db", str(bench_db)]) == 2
    assert f"file not found: {tmp_path / 'mine.csv'}" in capsys.readouterr().err
    assert main(["recommend", "--data", str(CHURN), "--target", "churned",
                 "--db", str(tmp_path / "none.db")]) == 2
    err = capsys.readouterr().err
    assert "no results database at" in err and "harness run --suite tabular-quick" in err


# -- the report -----------------------------------------------------------------------------

def test_the_report_of_a_suite_with_own_data_shows_its_neighbours(tmp_path):
    """A suite ran csv:mine.csv (like b-small) and iris (no meta-features); random wins on
    the CSV, grid on the stored benchmark problems: the report says they disagree, lists
    the nearest problems (not the CSV itself) and leaves iris out of the section."""
    db = bench_store(tmp_path / "r.db")
    fill_store(db, suite="mine", datasets=["csv:mine.csv", "iris"],
               strategies=("random", "grid"), seeds=range(6), trials_per_run=3, budget_s=30,
               dataset_meta={"csv:mine.csv": meta(210, 8, imbalance=0.55, landmark=0.7)},
               score_shift={"random": 0.3})
    with ResultStore(db, create=False) as store:
        [item] = user_data_neighbours(store.runs_frame(), store.runs_frame(suite="mine"))
    assert item.dataset == "csv:mine.csv" and item.agreement == "disagree"
    assert "csv:mine.csv" not in [n.problem.name for n in item.like.neighbourhood.shown]
    html = write_report(db=db, suite="mine", out_dir=tmp_path / "reports").read_text()
    section = html[html.index('<section id="nearest">'):]
    section = section[:section.index("</section>")]
    assert '<a href="#nearest">Data like yours</a>' in html
    assert "<strong>disagree</strong>" in section
    names = re.findall(r'<td class="name">(b-[a-z]+)</td>', section)
    assert names[:3] == [n.problem.name for n in item.like.neighbourhood.shown][:3]
    assert len(names) == 5 and names[-1] == "b-far"
    assert "On the near problems (asked 30 s; nearest stored: 100% of the 30 s runs" in section
    assert "pick grid · random_forest" in section and "pick random · random_forest" in section
    assert "Left out, no meta-features stored: iris" in section


def test_a_suite_without_own_data_has_no_such_section(bench_db, tmp_path):
    html = write_report(db=bench_db, suite="bench", out_dir=tmp_path / "reports").read_text()
    assert 'id="nearest"' not in html and "Data like yours" not in html


def test_the_readme_command_runs_as_written(bench_db):
    """The README's `recommend --data` line, run from the top of the checkout."""
    text = (ROOT / "README.md").read_text()
    [line] = re.findall(r"^harness recommend --data .*$", text, flags=re.M)
    proc = run_cli(*line.split()[1:], "--db", str(bench_db), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "budget: asked 60 s; nearest stored: 50% of the 120 s runs (60 s)" in proc.stdout
