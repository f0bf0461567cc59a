"""keras-tuner strategies and the image/sequence datasets (CIFAR-10, IMDb in their real formats)."""

import io
import pickle
import tarfile

import numpy as np
import pytest

import harness
from harness.datasets import keras_cache_dir, load_dataset, split_dataset

pytestmark = pytest.mark.slow

SUITE = """
name: deep-mini
seeds: [0]
budget: {{time_s: {time_s}{extra}}}
datasets: {datasets}
models: {models}
strategies: {strategies}
"""


def suite(write_suite, *, datasets="[{name: digits-images, subsample: 600}]", models="[cnn]",
          strategies, time_s=60, extra=", max_trials: 2"):
    return write_suite(SUITE.format(datasets=datasets, models=models, strategies=strategies,
                                    time_s=time_s, extra=extra))


def test_each_keras_strategy_end_to_end(write_suite, tmp_path):
    path = suite(write_suite, strategies="[{name: keras-random, epochs: 1}, "
                 "{name: keras-hyperband, max_epochs: 3}, {name: keras-bayes, epochs: 1}]")
    outcome = harness.run_suite(path, db=tmp_path / "r.db", keep_run_dirs=True)
    assert outcome.exit_code == 0
    runs = {r["strategy"]: r for r in outcome.runs}
    trials = harness.load_results(tmp_path / "r.db").trials
    for name, run in runs.items():
        assert run["status"] == "ok", run["error"]
        assert run["test_score"] > 0.5 and run["details"]["device"] == "CPU"
        own = trials[trials["strategy"] == name]
        assert len(own) == run["n_trials"] >= 1
        assert own["params"].map(lambda p: {"filters", "units"} <= set(p)).all()
        assert own["params"].map(lambda p: p["filters"] % 16 == 0 and 32 <= p["filters"] <= 128
                                 ).all()
        full = own[own["info"].map(lambda i: i["full_fidelity"])]
        assert run["best_cv_score"] == pytest.approx(full["mean_cv_score"].max())
    hyperband = trials[trials["strategy"] == "keras-hyperband"].sort_values("number")
    # one of its two trials is kept for training its choice for every epoch (its first trial
    # had 1 of 3, its first bracket's): that full-fidelity score is its best CV
    assert hyperband["fidelity"].map(lambda f: f["epochs"]).tolist() == [1, 3]
    assert hyperband["info"].map(lambda i: i["full_fidelity"]).tolist() == [False, True]
    assert hyperband["info"].iloc[-1]["stage"] == "full-fidelity"
    assert runs["keras-hyperband"]["best_cv_score"] == hyperband["mean_cv_score"].iloc[-1]
    bayes = runs["keras-bayes"]["details"]  # two trials: both from its random initial design
    assert bayes["initial_design"] == 3 and bayes["model_proposed_trials"] == 0
    random = trials[trials["strategy"] == "keras-random"]
    assert random["fidelity"].map(lambda f: f == {"epochs": 1}).all()
    # the tuner directory is removed unless keep_artifacts asks to keep it
    work = tmp_path / "work" / "deep-mini"
    assert list(work.glob("*/keras-tuner")) == []


def test_lstm_on_sequences_and_keep_artifacts(write_suite, tmp_path):
    path = suite(write_suite, datasets="[synthetic-sequences]", models="[lstm]",
                 strategies="[{name: keras-random, epochs: 1, keep_artifacts: true}]")
    outcome = harness.run_suite(path, db=tmp_path / "r.db", keep_run_dirs=True)
    (run,) = outcome.runs
    assert run["status"] == "ok" and run["test_score"] > 0.5
    assert set(run["best_params"]) == {"embedding_dim", "lstm_units"}
    assert list((tmp_path / "work" / "deep-mini").glob("*/keras-tuner/run"))


def test_budget_stops_the_epoch_loop_at_a_batch_end(write_suite, tmp_path):
    # 500 epochs cannot finish: the deadline cuts the epoch at a batch end, keeping a reserve
    # measured on the search's own models to load and score the best one
    time_s = 20
    path = suite(write_suite, strategies="[{name: keras-random, epochs: 500}]", time_s=time_s,
                 extra="")
    (run,) = harness.run_suite(path, db=tmp_path / "r.db").runs
    assert run["status"] == "ok"  # stopped cooperatively, then scored
    assert run["n_trials"] >= 1 and run["test_score"] is not None
    # the run's own timing: from its start to its result, scoring on test included
    assert run["wall_time_s"] - time_s <= max(1.0, 0.02 * time_s), run["details"]
    assert 0 < run["details"]["reserve_s"] < time_s / 2


def test_missing_cifar10_is_skipped_and_the_suite_goes_on(write_suite, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    path = suite(write_suite, datasets="[cifar10, {name: digits-images, subsample: 300}]",
                 strategies="[{name: keras-random, epochs: 1}]", extra=", max_trials: 1")
    outcome = harness.run_suite(path, db=tmp_path / "r.db")
    runs = {r["dataset"]: r for r in outcome.runs}
    skipped = runs["cifar10"]
    assert skipped["status"] == "skipped" and skipped["n_trials"] == 0
    assert "cifar-10-batches-py-target_archive is not in keras's cache folder" in skipped["error"]
    assert str(tmp_path / "keras" / "datasets") in skipped["error"]
    assert runs["digits-images"]["status"] == "ok" and outcome.exit_code == 0


@pytest.fixture
def keras_cache(tmp_path, monkeypatch):
    """A temporary keras cache; the files' hashes are not checked (a small test file cannot
    have the real archive's sha256), everything else is keras's own loading code."""
    import keras.src.backend.config as keras_config
    import keras.src.utils.file_utils as file_utils

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    # keras reads KERAS_HOME when it is imported; this process imported it already
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path / "keras"))
    monkeypatch.setattr(file_utils, "validate_file", lambda *a, **k: True)
    folder = keras_cache_dir()
    folder.mkdir(parents=True)
    return folder


def _cifar_batch(label_offset: int) -> bytes:
    labels = [(i + label_offset) % 10 for i in range(10000)]
    data = np.zeros((10000, 3072), dtype=np.uint8)
    data[:, 0] = np.array(labels, dtype=np.uint8) * 20  # red channel, top-left pixel
    data[:, 1024] = 7  # green channel, top-left pixel
    return pickle.dumps({b"batch_label": b"test", b"labels": labels, b"data": data,
                         b"filenames": [b"x.png"] * 10000}, protocol=4)


def test_cifar10_files_in_the_real_format_load_through_keras(keras_cache):
    with tarfile.open(keras_cache / "cifar-10-batches-py-target_archive", "w:gz") as archive:
        for i, name in enumerate([*(f"data_batch_{k}" for k in range(1, 6)), "test_batch"]):
            payload = _cifar_batch(i)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    dataset = load_dataset("cifar10")
    assert dataset.kind == "image" and dataset.X.shape == (50000, 32, 32, 3)
    assert dataset.X.dtype == np.uint8 and dataset.classes == tuple(range(10))
    assert dataset.test_part[0].shape == (10000, 32, 32, 3)
    assert dataset.X[3, 0, 0].tolist() == [60, 7, 0]  # channels last, label 3 in batch 1
    split = split_dataset(dataset, test_size=0.2, subsample=1000)
    assert split.X_test.shape[0] == 10000 and np.bincount(split.y_train).tolist() == [100] * 10
    assert split.y_test[:3].tolist() == [5, 6, 7]  # the dataset's own test batch


def test_imdb_file_in_the_real_format_loads_through_keras(keras_cache):
    reviews = [[5, 6, 7], [8, 9], [10, 11, 12, 13, 14, 15]]
    np.savez(keras_cache / "imdb.npz",
             x_train=np.array(reviews * 4, dtype=object), y_train=np.array([0, 1, 1] * 4),
             x_test=np.array(reviews, dtype=object), y_test=np.array([1, 0, 1]))
    dataset = load_dataset("imdb", {"num_words": 15, "maxlen": 5})
    assert dataset.kind == "sequence" and dataset.X.shape == (12, 5)
    assert dataset.test_part[0].shape == (3, 5) and dataset.test_part[1].tolist() == [1, 0, 1]
    # keras adds the start token 1, shifts ids by 3 and maps ids >= num_words to 2 (oov)
    rows = {tuple(r) for r in dataset.test_part[0].tolist()}
    assert rows == {(0, 1, 8, 9, 10), (0, 0, 1, 11, 12), (14, 2, 2, 2, 2)}  # pre-truncated
