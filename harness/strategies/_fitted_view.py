"""A scikit-learn view of a fitted model from another library, so scorers can use it."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin


class ClassifierView(ClassifierMixin, BaseEstimator):
    """Wraps an already fitted classifier (``predict``, optional ``predict_proba``)."""

    def __init__(self, model: Any = None, classes: Any = None):
        self.model = model
        self.classes = classes

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.classes)

    def fit(self, X: Any, y: Any) -> ClassifierView:  # already fitted elsewhere
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.model.predict(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self.model.predict_proba(X))

    def __sklearn_is_fitted__(self) -> bool:
        return True


class RegressorView(RegressorMixin, BaseEstimator):
    """Wraps an already fitted regressor (``predict``)."""

    def __init__(self, model: Any = None):
        self.model = model

    def fit(self, X: Any, y: Any) -> RegressorView:  # already fitted elsewhere
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.model.predict(X))

    def __sklearn_is_fitted__(self) -> bool:
        return True


def fitted_view(model: Any, task: str, classes: Any = None) -> ClassifierView | RegressorView:
    """The right view for ``task``."""
    return ClassifierView(model, classes) if task == "classification" else RegressorView(model)
