"""A scikit-learn view of a fitted model from another library, so scorers can use it."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from harness.records import ColumnKind, ColumnLayout


def typed_frame(X: np.ndarray, layout: ColumnLayout | None) -> Any:
    """``X`` as the library sees a typed table: a DataFrame whose category columns have the
    pandas ``category`` dtype (all their levels, missing as NaN); ``X`` itself when the layout
    is plain (numbers only, nothing missing)."""
    if layout is None or layout.plain:
        return X
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    for i, (kind, levels) in enumerate(zip(layout.kinds, layout.levels, strict=True)):
        if kind is not ColumnKind.NUMBER:
            frame[f"x{i}"] = pd.Categorical(X[:, i], categories=np.arange(levels, dtype=float))
    return frame


class ClassifierView(ClassifierMixin, BaseEstimator):
    """Wraps an already fitted classifier (``predict``, optional ``predict_proba``); inputs
    are typed by ``layout`` first (:func:`typed_frame`)."""

    def __init__(self, model: Any = None, classes: Any = None, layout: Any = None):
        self.model = model
        self.classes = classes
        self.layout = layout

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.classes)

    def fit(self, X: Any, y: Any) -> ClassifierView:  # already fitted elsewhere
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.model.predict(typed_frame(X, self.layout)))

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self.model.predict_proba(typed_frame(X, self.layout)))

    def __sklearn_is_fitted__(self) -> bool:
        return True


class RegressorView(RegressorMixin, BaseEstimator):
    """Wraps an already fitted regressor (``predict``); inputs typed by ``layout`` first."""

    def __init__(self, model: Any = None, layout: Any = None):
        self.model = model
        self.layout = layout

    def fit(self, X: Any, y: Any) -> RegressorView:  # already fitted elsewhere
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.model.predict(typed_frame(X, self.layout)))

    def __sklearn_is_fitted__(self) -> bool:
        return True


def fitted_view(model: Any, task: str, classes: Any = None,
                layout: ColumnLayout | None = None) -> ClassifierView | RegressorView:
    """The right view for ``task``."""
    if task == "classification":
        return ClassifierView(model, classes, layout)
    return RegressorView(model, layout)
