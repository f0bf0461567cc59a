import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from harness.datasets import (
    BUILTINS,
    SPLIT_SEED,
    load_dataset,
    split_dataset,
)
from harness.errors import DatasetError


def test_builtins_load_with_stable_fingerprints():
    expected_shapes = {"synthetic-classification": (1000, 20), "iris": (150, 4),
                       "wine": (178, 13), "breast-cancer": (569, 30), "digits": (1797, 64),
                       "diabetes": (442, 10)}
    assert set(BUILTINS) == set(expected_shapes)
    for name, shape in expected_shapes.items():
        first, second = load_dataset(name), load_dataset(name)
        assert first.shape == shape
        assert first.fingerprint == second.fingerprint and len(first.fingerprint) == 16
    assert load_dataset("diabetes").task == "regression"
    assert load_dataset("iris").fingerprint != load_dataset("wine").fingerprint


def test_synthetic_classification_is_the_tutorial_call():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)
    ds = load_dataset("synthetic-classification")
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.y, y)


def test_split_is_fixed_and_stratified():
    ds = load_dataset("iris")
    a, b = split_dataset(ds, test_size=0.2), split_dataset(ds, test_size=0.2)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert len(a.y_test) == 30 and np.bincount(a.y_test).tolist() == [10, 10, 10]
    other = split_dataset(ds, test_size=0.2, seed=SPLIT_SEED + 1)
    assert not np.array_equal(a.X_test, other.X_test)


def _csv(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_csv_and_parquet_with_target_column(tmp_path):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.rand(60), "b": rng.rand(60),
                          "label": ["yes", "no"] * 30})
    csv = load_dataset(f"csv:{_csv(tmp_path, frame)}", {"target": "label"})
    assert csv.task == "classification" and csv.shape == (60, 2)
    assert csv.feature_names == ("a", "b") and csv.classes == ("no", "yes")
    frame.to_parquet(tmp_path / "data.parquet")
    pq = load_dataset("parquet:data.parquet", {"target": "label"}, base_dir=tmp_path)
    assert pq.fingerprint == csv.fingerprint
    reg = load_dataset(f"csv:{_csv(tmp_path, frame.assign(label=rng.rand(60)), 'r.csv')}",
                       {"target": "label"})
    assert reg.task == "regression"


@pytest.mark.parametrize(("frame", "options", "fragment"), [
    (None, {"target": "y"}, "file not found"),
    (pd.DataFrame({"a": range(20), "y": [0, 1] * 10}), {"target": "label"},
     "target column 'label' not in data.csv; columns are: a, y"),
    (pd.DataFrame({"a": [f"u{i}" for i in range(20)], "b": ["k"] * 20, "y": [0, 1] * 10}),
     {"target": "y"}, "no usable feature columns besides 'y' in data.csv (dropped: "
     "a (identifier (unique per row)), b (constant))"),
    (pd.DataFrame({"a": range(20), "y": [None] * 20}), {"target": "y"},
     "every value of target column 'y' in data.csv is missing"),
    (pd.DataFrame({"a": [i % 7 for i in range(20)], "y": [1] * 20}),
     {"target": "y", "task": "classification"},
     "single class"),
    (pd.DataFrame({"a": [1.0, float("inf")] * 10, "y": [0, 1] * 10}), {"target": "y"},
     "infinite values in column(s) a"),
])
def test_bad_files_give_clear_errors_naming_the_dataset(tmp_path, frame, options, fragment):
    path = tmp_path / "data.csv"
    if frame is not None:
        frame.to_csv(path, index=False)
    with pytest.raises(DatasetError) as err:
        load_dataset(f"csv:{path}", options)
    assert f"dataset 'csv:{path}'" in str(err.value)
    assert fragment in str(err.value)


def test_openml_offline_without_cache_names_cache(monkeypatch):
    import urllib.error

    import sklearn.datasets

    def offline(**kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(DatasetError) as err:
        load_dataset("openml:61")
    message = str(err.value)
    assert "dataset 'openml:61'" in message and "not in the cache at" in message
    assert "could not be downloaded" in message


def test_cli_bad_dataset_exits_2_without_traceback(tmp_path, write_suite):
    _csv(tmp_path, pd.DataFrame({"a": ["x"] * 20, "y": [0, 1] * 10}))
    path = write_suite("""
        name: mine
        budget: {time_s: 5}
        datasets: [{name: "csv:data.csv", target: y}]
        models: [random_forest]
        strategies: [default]
    """)
    proc = run_cli("run", "--suite", str(path), "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 2
    assert "dataset 'csv:data.csv'" in proc.stderr
    assert ("no usable feature columns besides 'y' in data.csv (dropped: a (constant))"
            in proc.stderr)
    assert "Traceback" not in proc.stderr


def test_too_few_rows_per_class_for_cv(tmp_path, write_suite):
    frame = pd.DataFrame({"a": [i % 9 for i in range(40)], "y": [0] * 37 + [1] * 3})
    _csv(tmp_path, frame)
    path = write_suite("""
        name: mine
        cv: 5
        budget: {time_s: 5}
        datasets: [{name: "csv:data.csv", target: y, task: classification}]
        models: [random_forest]
        strategies: [default]
    """)
    proc = run_cli("run", "--suite", str(path), "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 2
    assert "class 1 has 2 training rows, fewer than cv=5 folds" in proc.stderr
