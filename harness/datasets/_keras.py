"""Image and sequence datasets: CIFAR-10 and IMDb through ``keras.datasets``, and two offline
stand-ins (``digits-images``, ``synthetic-sequences``) for machines without them.

Before loading CIFAR-10 or IMDb the harness looks for the file in keras's cache folder
(``$KERAS_HOME/datasets``, default ``~/.keras/datasets``); without it the dataset is
*unavailable* (runs on it are recorded as skipped) instead of a download that would hang.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.datasets._base import Dataset, make_array_dataset
from harness.errors import DatasetError


class DatasetUnavailable(DatasetError):
    """The dataset's file is not on this machine and cannot be fetched; runs are skipped."""


@dataclass(frozen=True)
class KerasFile:
    """Where keras.datasets keeps a dataset, and where it comes from."""

    cache_name: str  # the file keras.utils.get_file looks for in its cache folder
    origin: str


KERAS_FILES = {
    "cifar10": KerasFile("cifar-10-batches-py-target_archive",
                         "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"),
    "imdb": KerasFile("imdb.npz",
                      "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"),
}
IMAGE_DATASETS = ("cifar10", "digits-images")
SEQUENCE_DATASETS = ("imdb", "synthetic-sequences")


def keras_cache_dir() -> Path:
    """keras's dataset cache folder (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``)."""
    home = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    return Path(home).expanduser() / "datasets"


def check_keras_file(name: str) -> Path:
    """The cached file of ``name``; DatasetUnavailable naming the file and folder if absent."""
    info = KERAS_FILES[name]
    path = keras_cache_dir() / info.cache_name
    if not path.exists():
        raise DatasetUnavailable(
            name, f"{info.cache_name} is not in keras's cache folder {path.parent} and this "
                  f"machine cannot download it. Download {info.origin} elsewhere and put it "
                  f"there as {info.cache_name} (or set KERAS_HOME to a folder whose datasets/ "
                  "holds it)")
    return path


def load_cifar10() -> Dataset:
    """CIFAR-10 through ``keras.datasets.cifar10.load_data`` (its own test part held out)."""
    check_keras_file("cifar10")
    from keras.datasets import cifar10

    (X_train, y_train), (X_test, y_test) = cifar10.load_data()
    return make_array_dataset("cifar10", X_train, y_train, kind="image",
                              test_part=(X_test, y_test),
                              description="CIFAR-10: 32x32 colour images, 10 classes")


def load_imdb(*, num_words: int = 10000, maxlen: int = 200) -> Dataset:
    """IMDb reviews through ``keras.datasets.imdb.load_data``, padded to ``maxlen`` tokens."""
    check_keras_file("imdb")
    from keras.datasets import imdb
    from keras.utils import pad_sequences

    (X_train, y_train), (X_test, y_test) = imdb.load_data(num_words=num_words)
    pad = {"maxlen": maxlen, "padding": "pre", "truncating": "pre"}
    return make_array_dataset("imdb", pad_sequences(X_train, **pad).astype(np.int32), y_train,
                              kind="sequence",
                              test_part=(pad_sequences(X_test, **pad).astype(np.int32), y_test),
                              description=f"IMDb reviews, {num_words} words, {maxlen} tokens")


def load_digits_images() -> Dataset:
    """scikit-learn's 8x8 digits as (N, 8, 8, 1) images scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]
    return make_array_dataset("digits-images", images, digits.target, kind="image",
                              description="1797 8x8 digit images, 10 classes (offline)")


def load_synthetic_sequences(*, n: int = 1200, length: int = 40, vocab: int = 200,
                             seed: int = 42) -> Dataset:
    """Synthetic token sequences (offline stand-in for IMDb): the label says whether tokens
    from the first half of the vocabulary outnumber those from the second half."""
    rng = np.random.default_rng(seed)
    lean = rng.uniform(0.3, 0.7, size=n)
    low = rng.integers(1, vocab // 2, size=(n, length))
    high = rng.integers(vocab // 2, vocab, size=(n, length))
    pick_low = rng.uniform(size=(n, length)) < lean[:, None]
    tokens = np.where(pick_low, low, high).astype(np.int32)
    labels = (pick_low.sum(axis=1) > length / 2).astype(np.int64)
    return make_array_dataset("synthetic-sequences", tokens, labels, kind="sequence",
                              description=f"{n} synthetic sequences of {length} tokens "
                                          f"(vocabulary {vocab}), 2 classes (offline)")


def vocabulary_size(X: np.ndarray) -> int:
    """Tokens an Embedding layer must cover."""
    return int(X.max()) + 1 if X.size else 1


def load_keras_dataset(name: str, options: dict[str, Any]) -> Dataset:
    """One of the image/sequence datasets by name (options: num_words, maxlen for imdb)."""
    if name == "cifar10":
        return load_cifar10()
    if name == "imdb":
        return load_imdb(num_words=options.get("num_words", 10000),
                         maxlen=options.get("maxlen", 200))
    if name == "digits-images":
        return load_digits_images()
    return load_synthetic_sequences()
