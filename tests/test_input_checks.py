"""Hostile input: numbers that are not finite or absurdly large, suite names that leave the
output folder, and dataset errors that say where they come from (issue 13, items 2, 8, 10)."""

import pandas as pd
import pytest
from conftest import run_cli

from harness.cli import main
from harness.config import parse_suite
from harness.errors import ConfigError, UserError
from harness.spaces import parse_space
from harness.strategies import STRATEGIES

BASE = """\
name: limits
cv: 3
test_size: 0.2
seeds: 1
n_jobs: 1
budget: {time_s: 5, max_trials: 2}
datasets: [iris]
models: [knn]
strategies: [default]
"""
SEED_LIST = "[" + ", ".join(map(str, range(10_001))) + "]"

# (line of BASE, its replacement, the field named, a fragment of the message)
BAD_NUMBERS = [
    ("budget: {time_s: 5, max_trials: 2}", "budget: {time_s: .inf}", "budget.time_s", "finite"),
    ("budget: {time_s: 5, max_trials: 2}", "budget: {time_s: .nan}", "budget.time_s", "finite"),
    ("budget: {time_s: 5, max_trials: 2}", "budget: {time_s: -.inf}", "budget.time_s",
     "finite"),
    ("budget: {time_s: 5, max_trials: 2}", "budget: {time_s: 700000}", "budget.time_s",
     "at most 604,800"),
    ("budget: {time_s: 5, max_trials: 2}", "budget: {time_s: 5, grace_s: .nan}",
     "budget.grace_s", "finite"),
    ("budget: {time_s: 5, max_trials: 2}", "budget: {time_s: 5, grace_s: .inf}",
     "budget.grace_s", "at most 86,400"),
    ("budget: {time_s: 5, max_trials: 2}", "budget: {time_s: 5, memory_mb: .nan}",
     "budget.memory_mb", "finite"),
    ("budget: {time_s: 5, max_trials: 2}", "budget: {time_s: 5, memory_mb: 1.0e+30}",
     "budget.memory_mb", "at most 16,777,216"),
    ("budget: {time_s: 5, max_trials: 2}", f"budget: {{time_s: 5, max_trials: {10**30}}}",
     "budget.max_trials", "from 1 to 10,000,000"),
    ("budget: {time_s: 5, max_trials: 2}", f"budget: {{time_s: {10**400}}}", "budget.time_s",
     "at most 604,800"),
    ("cv: 3", "cv: 1000", "cv", "from 2 to 100"),
    ("test_size: 0.2", "test_size: .nan", "test_size", "fraction"),
    ("n_jobs: 1", "n_jobs: 100000", "n_jobs", "from 1 to 1,024"),
    ("seeds: 1", "seeds: 100000000", "seeds", "from 1 to 10,000, got 100000000"),
    ("seeds: 1", "seeds: [0, 99999999999]", "seeds[1]", "from 0 to 4,294,967,295"),
    ("seeds: 1", f"seeds: {SEED_LIST}", "seeds", "at most 10,000 seeds, got a list of 10,001"),
    ("strategies: [default]", "strategies: [default, {name: coarse-to-fine, shrink: .nan}]",
     "strategies[1].shrink", "finite"),
    ("strategies: [default]", f"strategies: [default, {{name: random, n_iter: {10**30}}}]",
     "strategies[1].n_iter", "within +-10**15"),
    ("strategies: [default]", "strategies: [default, {name: regularization, "
     "strengths: [1.0, .inf]}]", "strategies[1].strengths[1]", "finite"),
    ("models: [knn]", "models: [{name: svc, space: {C: {type: float, low: .nan, high: 1}}}]",
     "models[0].space.C.low", "finite"),
    ("models: [knn]", "models: [{name: svc, space: {C: {type: float, low: 1, high: 1.0e+300}}}]",
     "models[0].space.C.high", "within +-1e+15"),
    ("models: [knn]", "models: [{name: svc, space: {C: [1, .nan]}}]", "models[0].space.C[1]",
     "finite"),
    ("models: [knn]", f"models: [{{name: knn, space: {{n_neighbors: {{type: int, low: 1, "
     f"high: {10**400}}}}}}}]", "models[0].space.n_neighbors.high", "within +-10**15"),
    ("datasets: [iris]", "datasets: [{name: iris, subsample: 10000000000000}]", "datasets[0]",
     "subsample must be a positive integer up to 1,000,000,000"),
    ("name: limits", 'name: ".."', "name", "outside the output folder"),
    ("name: limits", 'name: "."', "name", "outside the output folder"),
    ("name: limits", f"name: {'x' * 200}", "name", "at most 128 characters"),
]


@pytest.mark.parametrize(("old", "new", "field", "fragment"), BAD_NUMBERS,
                         ids=[case[2] + ":" + case[1][-30:] for case in BAD_NUMBERS])
def test_bad_values_exit_2_naming_file_and_field_and_write_nothing(
        write_suite, tmp_path, capsys, old, new, field, fragment):
    assert old in BASE
    path = write_suite(BASE.replace(old, new))
    code = main(["run", "--suite", str(path), "--db", str(tmp_path / "r.db")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}: {field}: " in err and fragment in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["suite.yaml"]  # no db, cache, report


def test_nan_time_budget_through_the_command_line(write_suite, tmp_path):
    path = write_suite(BASE.replace("budget: {time_s: 5, max_trials: 2}",
                                    "budget: {time_s: .nan}"))
    proc = run_cli("run", "--suite", str(path), "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 2, proc.stderr
    assert f"{path}: budget.time_s: must be a finite number" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["suite.yaml"]


def test_planned_run_count_is_bounded_and_named():
    raw = {"name": "big", "budget": {"time_s": 1}, "seeds": 10_000,
           "datasets": ["iris", "wine", "digits"], "models": ["knn", "svc"],
           "strategies": ["default", "random"]}
    with pytest.raises(ConfigError) as err:
        parse_suite(raw, source="big.yaml")
    assert str(err.value) == (
        "big.yaml: plans 120,000 runs (3 datasets x 2 models x 2 strategies x 10,000 seeds); "
        "at most 100,000 per suite: use fewer seeds, or split the suite")
    raw["seeds"] = 8_000  # 96,000 runs: allowed
    assert len(parse_suite(raw, source="big.yaml").seeds) == 8_000


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_strategy_options_reject_non_finite_numbers(value):
    shrink = STRATEGIES["coarse-to-fine"].options["shrink"]
    assert shrink.problem(value) == f"must be a finite number, got {value!r}"
    assert shrink.problem(0.5) is None
    strengths = STRATEGIES["regularization"].options["strengths"]
    assert "positive finite numbers" in strengths.problem([1.0, value])


def test_space_rejects_non_finite_choices_and_huge_bounds():
    with pytest.raises(ConfigError, match=r"space\.C\.choices: choices must be finite"):
        parse_space({"C": [1.0, float("nan")]})
    with pytest.raises(ConfigError, match=r"space\.n\.high: must be finite and within"):
        parse_space({"n": {"type": "int", "low": 1, "high": 10**400}})
    with pytest.raises(ConfigError, match=r"space\.n\.step: must be a positive integer"):
        parse_space({"n": {"type": "int", "low": 1, "high": 5, "step": 10**30}})


# -- item 8: the report stays inside --out ---------------------------------------------------

def test_report_of_a_stored_suite_named_dotdot_stays_inside_out(tmp_path):
    from harness.report import write_report
    from harness.synthetic_results import fill_store

    db = tmp_path / "r.db"
    fill_store(db, suite="..", trials_per_run=3)  # a store written before names were checked
    out = tmp_path / "site" / "reports"
    with pytest.raises(UserError, match=r"suite name '\.\.' would put the report in .* "
                                        r"outside --out"):
        write_report(db=db, out_dir=out, learning_curves=False)
    assert not (tmp_path / "site" / "index.html").exists()
    proc = run_cli("report", "--db", str(db), "--out", str(out), "--no-learning-curves")
    assert proc.returncode == 2 and "outside --out" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("index.html"))


# -- item 10: dataset errors say where they come from ------------------------------------------

MINE = """\
name: mine
budget: {time_s: 5}
datasets: [iris, {name: "csv:data/%s", target: y}]
models: [knn]
strategies: [default]
"""


@pytest.mark.parametrize(("csv_text", "fragment"), [
    (None, "file not found: {folder}/data/x.csv"),
    ("a,y\n", "x.csv has no rows, only a header (a, y)"),
    ("", "{folder}/data/x.csv is empty: no header and no rows"),
    ("a,y\n" + "q,1\n" * 20, "no usable feature columns besides 'y' in x.csv (dropped: "
                              "a (constant))"),
])
def test_dataset_errors_name_suite_file_and_entry(tmp_path, csv_text, fragment):
    suites = tmp_path / "suites"
    (suites / "data").mkdir(parents=True)
    (suites / "s.yaml").write_text(MINE % "x.csv")
    if csv_text is not None:
        (suites / "data" / "x.csv").write_text(csv_text)
    # a relative suite path, run from tmp_path: the missing file's path is shown resolved
    proc = run_cli("run", "--suite", "suites/s.yaml", "--db", "r.db", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "harness: error: suites/s.yaml: datasets[1]: dataset 'csv:data/x.csv': " in proc.stderr
    assert fragment.format(folder=suites.resolve()) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_too_few_rows_for_cv_names_the_entry(tmp_path, write_suite, capsys):
    pd.DataFrame({"a": [i % 9 for i in range(40)],
                  "y": [0] * 37 + [1] * 3}).to_csv(tmp_path / "d.csv", index=False)
    path = write_suite("""
        name: mine
        cv: 5
        budget: {time_s: 5}
        datasets: [{name: "csv:d.csv", target: y, task: classification}]
        models: [knn]
        strategies: [default]
    """)
    code = main(["run", "--suite", str(path), "--db", str(tmp_path / "r.db")])
    assert code == 2
    assert (f"{path}: datasets[0]: dataset 'csv:d.csv': class 1 has 2 training rows, fewer "
            "than cv=5 folds" in capsys.readouterr().err)
