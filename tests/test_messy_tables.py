"""Tables as they come: text categories, missing values, identifier and constant columns are
prepared by one rule, inside each model's pipeline, and every strategy family runs on them."""

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from harness.analysis.preparation import preparation_text
from harness.datasets import load_dataset
from harness.models import MODELS
from harness.records import ColumnKind, ColumnLayout


def _messy_frame(rows: int = 160, seed: int = 1) -> pd.DataFrame:
    """A churn-like table: an id, a constant, text with few and many levels (some missing),
    numbers with missing values, booleans and a text target."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "premium", None], rows, p=[0.4, 0.3, 0.25, 0.05])
    age = rng.normal(45, 12, rows)
    age[rng.random(rows) < 0.15] = np.nan
    calls = rng.poisson(2, rows).astype(float)
    score = (np.nan_to_num(age, nan=45) - 45) / 12 + np.where(plan == "premium", 1.2, 0.0)
    return pd.DataFrame({
        "customer_id": [f"C{100000 + i}" for i in range(rows)],
        "country": "NL",
        "plan": plan,
        "region": rng.choice([f"r{i:02d}" for i in range(25)], rows),
        "age": age,
        "support_calls": calls,
        "paperless": rng.choice([True, False], rows),
        "churned": np.where(score + 0.3 * calls + rng.normal(0, 1, rows) > 0.6, "yes", "no"),
    })


def test_the_preparation_rule_on_a_messy_csv(tmp_path):
    frame = _messy_frame()
    frame.loc[[3, 7], "churned"] = None
    frame.to_csv(tmp_path / "messy.csv", index=False)
    data = load_dataset(f"csv:{tmp_path / 'messy.csv'}", {"target": "churned"})
    assert data.feature_names == ("plan", "region", "age", "support_calls", "paperless")
    assert [k.value for k in data.layout.kinds] == [
        "category", "many-levels", "number", "number", "number"]
    assert data.layout.levels[:2] == (3, 25) and data.layout.missing
    assert data.prep["rows_dropped_missing_target"] == 2 and data.shape[0] == 158
    assert data.prep["dropped"] == {"customer_id": "identifier (unique per row)",
                                    "country": "constant"}
    text = preparation_text(data.prep)
    assert text.startswith("158 (2 without a target dropped) rows; columns: 3 number, "
                           "1 category, 1 many-levels; missing: ")
    assert text.endswith("dropped: country (constant), "
                         "customer_id (identifier (unique per row))")


@pytest.mark.parametrize("model", [m for m in MODELS.values() if m.kind == "estimator"],
                         ids=lambda m: m.name)
def test_every_model_prepares_inside_its_pipeline(model):
    """Fitted on rows without missing values and with levels 0-1, every model still predicts
    rows with NaN everywhere and an unseen level; imputation is learnt from the fit rows."""
    layout = ColumnLayout((ColumnKind.NUMBER, ColumnKind.CATEGORY, ColumnKind.MANY_LEVELS),
                          (0, 3, 12), missing=True)
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=60), rng.integers(0, 2, 60), rng.integers(0, 12, 60)])
    task = model.tasks[0]
    y = (X[:, 0] > 0).astype(int) if task == "classification" else X[:, 0] * 2
    pipe = model.build(task, seed=0, layout=layout)
    assert list(pipe.named_steps) == ["prepare", "model"]
    pipe.fit(X, y)
    odd = np.array([[np.nan, 2.0, 15.0], [np.nan, np.nan, np.nan]])
    assert pipe.predict(odd).shape == (2,)
    imputer = pipe.named_steps["prepare"].named_transformers_["numbers"][0]
    assert imputer.statistics_[0] == pytest.approx(np.median(X[:, 0]))
    plain = model.build(task, seed=0, layout=ColumnLayout.numbers(3))
    assert list(plain.named_steps) == ["scale", "model"]  # numbers only: as before


SUITE = """\
name: messy
cv: 3
test_size: 0.25
seeds: 1
budget: {time_s: 40, max_trials: 3, grace_s: 10}
datasets: [{name: "csv:messy.csv", target: churned}]
models: [random_forest]
strategies: [default, grid, random, halving, bayes, coarse-to-fine, optuna-tpe, hyperopt-tpe,
             smac-bo, {name: regularization, strengths: 2}, flaml, autosklearn]
"""


@pytest.mark.slow
def test_a_messy_csv_runs_through_every_strategy_family_and_the_report_shows_it(tmp_path):
    _messy_frame().to_csv(tmp_path / "messy.csv", index=False)
    (tmp_path / "suite.yaml").write_text(SUITE)
    result = run_cli("run", "--suite", "suite.yaml", "--db", "r.db", "--out", "reports",
                     "--jobs", "2", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "r.db") as db:
        runs = db.execute("select id, strategy, status, test_score, details from runs").fetchall()
    assert sorted(r[1] for r in runs) == sorted(
        ["default", "grid", "random", "halving", "bayes", "coarse-to-fine", "optuna-tpe",
         "hyperopt-tpe", "smac-bo", "regularization", "flaml", "autosklearn"])
    assert {r[2] for r in runs} == {"ok"}, [(r[1], r[2]) for r in runs]
    assert all(r[3] is not None and 0 <= r[3] <= 1 for r in runs)
    prep = json.loads(runs[0][4])["dataset_prep"]
    assert prep["dropped"] == {"customer_id": "identifier (unique per row)",
                               "country": "constant"}
    html = (tmp_path / "reports" / "messy" / "index.html").read_text()
    assert "country (constant), customer_id (identifier (unique per row))" in html
    assert "3 number, 1 category, 1 many-levels" in html
    shown = run_cli("show", "--db", "r.db", "--trials", "0", str(runs[0][0]), cwd=tmp_path)
    assert "data: 160 rows; columns: 3 number, 1 category, 1 many-levels" in shown.stdout


def test_automl_strategies_get_the_table_with_its_types():
    """FLAML (in process) and auto-sklearn (its worker script, on Python 3.9) see category
    columns as pandas categories with every level, missing cells as missing; numbers stay
    numbers, and a plain table stays an array."""
    import importlib.util

    from harness.strategies._fitted_view import typed_frame
    from harness.strategies.autosklearn import WORKER_SCRIPT

    spec = importlib.util.spec_from_file_location("autosklearn_worker", WORKER_SCRIPT)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    layout = ColumnLayout((ColumnKind.NUMBER, ColumnKind.CATEGORY, ColumnKind.MANY_LEVELS),
                          (0, 3, 12), missing=True)
    X = np.array([[1.5, 0.0, 11.0], [np.nan, 2.0, np.nan], [3.0, np.nan, 4.0]])
    for frame in (typed_frame(X, layout), worker.typed_frame(X, layout.to_dict())):
        assert [str(t) for t in frame.dtypes] == ["float64", "category", "category"]
        assert list(frame["x1"].cat.categories) == [0.0, 1.0, 2.0]
        assert len(frame["x2"].cat.categories) == 12
        assert frame.isna().sum().tolist() == [1, 1, 1]
    plain = np.ones((3, 2))
    assert typed_frame(plain, ColumnLayout.numbers(2)) is plain
