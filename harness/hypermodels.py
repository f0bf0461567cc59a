"""Keras hypermodels: the image model (``cnn``) and the text model (``lstm``) the project grew
from, built from the same space spec as every other model (translated to keras-tuner ``hp``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.spaces import CategoricalDim, Dimension, FloatDim, IntDim, Space


def hp_value(hp: Any, name: str, dim: Dimension) -> Any:
    """Declare ``dim`` on keras-tuner's ``hp`` and return its value for this trial."""
    if isinstance(dim, CategoricalDim):
        return hp.Choice(name, list(dim.choices))
    sampling = "log" if dim.log else "linear"
    if isinstance(dim, IntDim):
        if dim.low == dim.high:
            return hp.Fixed(name, dim.low)
        return hp.Int(name, dim.low, dim.high, step=dim.step, sampling=sampling)
    assert isinstance(dim, FloatDim)
    if dim.low == dim.high:
        return hp.Fixed(name, dim.low)
    return hp.Float(name, dim.low, dim.high, sampling=sampling)


def _values(hp: Any, space: Space, defaults: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: hp_value(hp, name, dim) for name, dim in space.items()}
    return {**defaults, **values}


def build_cnn(hp: Any, *, space: Space, input_shape: tuple[int, ...], n_classes: int) -> Any:
    """Conv2D (filters, 3x3, relu) -> MaxPooling 2x2 -> Flatten -> Dense (units, relu) ->
    softmax; Adam; sparse categorical cross-entropy."""
    import keras

    v = _values(hp, space, {"filters": 32, "units": 64, "learning_rate": 1e-3})
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Conv2D(int(v["filters"]), (3, 3), activation="relu", padding="same"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(int(v["units"]), activation="relu"),
        keras.layers.Dense(n_classes, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(float(v["learning_rate"])),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_lstm(hp: Any, *, space: Space, vocabulary: int, sequence_length: int) -> Any:
    """Embedding (embedding_dim) -> LSTM (lstm_units) -> sigmoid; binary cross-entropy."""
    import keras

    v = _values(hp, space, {"embedding_dim": 64, "lstm_units": 64, "learning_rate": 1e-3})
    model = keras.Sequential([
        keras.Input(shape=(sequence_length,)),
        keras.layers.Embedding(vocabulary, int(v["embedding_dim"])),
        keras.layers.LSTM(int(v["lstm_units"])),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(float(v["learning_rate"])),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model
