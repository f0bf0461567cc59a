"""Model families: a scikit-learn estimator per task plus its default search space.

Every model is built as a ``Pipeline`` with a ``scale`` step (StandardScaler for
scale-sensitive models, ``passthrough`` otherwise) and a ``model`` step, so search-space
names (``C``) map to pipeline parameters (``model__C``) in one place: :func:`to_pipeline_params`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.records import ColumnKind, ColumnLayout
from harness.spaces import CategoricalDim, FloatDim, IntDim, Space

PARAM_PREFIX = "model__"


@dataclass(frozen=True)
class ModelFamily:
    """A named model: one estimator class per task it supports, and its default space."""

    name: str
    description: str
    estimators: Mapping[str, Callable[..., Any]]
    default_space: Space
    scale: bool = False
    fixed: Mapping[str, Mapping[str, Any]] | None = None
    kind: str = "estimator"  # "estimator" (scikit-learn) or "keras" (a hypermodel)
    data_kinds: tuple[str, ...] = ("tabular",)

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.estimators)

    def build(self, task: str, *, seed: int, params: Mapping[str, Any] | None = None,
              layout: ColumnLayout | None = None) -> Any:
        """A fresh, unfitted Pipeline for ``task``, seeded, with ``params`` (space names) set.

        Numbers only and nothing missing (``layout`` None or plain): a ``scale`` step then the
        ``model``; otherwise a ``prepare`` step (:func:`preparation_step`) then the ``model``.
        Keras hypermodels are built by their tuner (see ``harness.hypermodels``), not here.
        """
        if self.kind != "estimator":
            raise TypeError(f"{self.name} is a keras hypermodel, built by its tuner")
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        factory = self.estimators[task]
        kwargs = dict((self.fixed or {}).get(task, {}))
        estimator = factory(**kwargs)
        if "random_state" in estimator.get_params():
            estimator.set_params(random_state=seed)
        if layout is None or layout.plain:
            first = ("scale", StandardScaler() if self.scale else "passthrough")
        else:
            first = ("prepare", preparation_step(layout, scale=self.scale, seed=seed))
        pipe = Pipeline([first, ("model", estimator)])
        if params:
            pipe.set_params(**to_pipeline_params(params))
        return pipe


def preparation_step(layout: ColumnLayout, *, scale: bool, seed: int) -> Any:
    """The ColumnTransformer a careful scikit-learn user puts before a model (fitted inside
    each CV fold, so nothing leaks): numbers median-imputed with a missing indicator (and
    standardized for scale-sensitive models); few-level categories one-hot encoded, missing as
    a level of its own, unseen levels ignored; many-level categories ordinal-encoded for trees
    and target-encoded for scale-sensitive models, unseen or missing levels as -1."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (
        OneHotEncoder,
        OrdinalEncoder,
        StandardScaler,
        TargetEncoder,
    )

    numbers = [SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)]
    many: Any = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                               encoded_missing_value=-1)
    if scale:
        numbers.append(StandardScaler())
        many = make_pipeline(TargetEncoder(cv=KFold(5, shuffle=True, random_state=seed)),
                             StandardScaler())
    steps = [
        ("numbers", make_pipeline(*numbers), layout.columns(ColumnKind.NUMBER)),
        ("categories", make_pipeline(
            SimpleImputer(strategy="constant", fill_value=-1),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
         layout.columns(ColumnKind.CATEGORY)),
        ("many_levels", many, layout.columns(ColumnKind.MANY_LEVELS)),
    ]
    return ColumnTransformer([step for step in steps if step[2]], remainder="drop",
                             sparse_threshold=0.0)


def to_pipeline_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Space names to pipeline parameter names (``C`` -> ``model__C``)."""
    return {f"{PARAM_PREFIX}{k}": v for k, v in params.items()}


def from_pipeline_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Pipeline parameter names back to space names."""
    return {k.removeprefix(PARAM_PREFIX): v for k, v in params.items()}


def _lazy(module: str, cls: str) -> Callable[..., Any]:
    def make(**kwargs: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), cls)(**kwargs)

    make.__qualname__ = cls
    return make


def _keras_hypermodel(**_: Any) -> Any:
    raise TypeError("keras hypermodels are built by their tuner")


_ENSEMBLE = "sklearn.ensemble"
MODELS: dict[str, ModelFamily] = {
    m.name: m
    for m in (
        ModelFamily(
            "svc",
            "support vector machine (SVC / SVR), standardized features",
            {
                "classification": _lazy("sklearn.svm", "SVC"),
                "regression": _lazy("sklearn.svm", "SVR"),
            },
            {
                "C": FloatDim(0.01, 100.0, log=True),
                "kernel": CategoricalDim(("rbf", "linear")),
                "gamma": FloatDim(1e-4, 1.0, log=True),
            },
            scale=True,
        ),
        ModelFamily(
            "random_forest",
            "random forest",
            {
                "classification": _lazy(_ENSEMBLE, "RandomForestClassifier"),
                "regression": _lazy(_ENSEMBLE, "RandomForestRegressor"),
            },
            {
                "n_estimators": IntDim(10, 200),
                "max_depth": IntDim(2, 20),
                "min_samples_split": IntDim(2, 20),
                "min_samples_leaf": IntDim(1, 10),
            },
        ),
        ModelFamily(
            "gradient_boosting",
            "gradient-boosted trees",
            {
                "classification": _lazy(_ENSEMBLE, "GradientBoostingClassifier"),
                "regression": _lazy(_ENSEMBLE, "GradientBoostingRegressor"),
            },
            {
                "n_estimators": IntDim(20, 200),
                "max_depth": IntDim(1, 6),
                "learning_rate": FloatDim(0.01, 0.5, log=True),
                "subsample": FloatDim(0.5, 1.0),
                "min_samples_split": IntDim(2, 20),
                "min_samples_leaf": IntDim(1, 10),
            },
        ),
        ModelFamily(
            "logistic_regression",
            "L2 logistic regression, standardized features",
            {"classification": _lazy("sklearn.linear_model", "LogisticRegression")},
            {"C": FloatDim(1e-3, 1e3, log=True)},
            scale=True,
            fixed={"classification": {"max_iter": 2000}},
        ),
        ModelFamily(
            "ridge",
            "ridge regression, standardized features",
            {"regression": _lazy("sklearn.linear_model", "Ridge")},
            {"alpha": FloatDim(1e-3, 1e3, log=True)},
            scale=True,
        ),
        ModelFamily(
            "knn",
            "k-nearest neighbours, standardized features",
            {
                "classification": _lazy("sklearn.neighbors", "KNeighborsClassifier"),
                "regression": _lazy("sklearn.neighbors", "KNeighborsRegressor"),
            },
            {"n_neighbors": IntDim(1, 30), "weights": CategoricalDim(("uniform", "distance"))},
            scale=True,
        ),
        ModelFamily(
            "cnn",
            "keras CNN: Conv2D(filters, 3x3) - MaxPool - Dense(units) - softmax; Adam",
            {"classification": _keras_hypermodel},
            {"filters": IntDim(32, 128, step=16), "units": IntDim(32, 128, step=16)},
            kind="keras",
            data_kinds=("image",),
        ),
        ModelFamily(
            "lstm",
            "keras text model: Embedding - LSTM - sigmoid; binary cross-entropy",
            {"classification": _keras_hypermodel},
            {"embedding_dim": IntDim(32, 256, step=32), "lstm_units": IntDim(32, 256, step=32)},
            kind="keras",
            data_kinds=("sequence",),
        ),
    )
}
