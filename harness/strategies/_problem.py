"""The :class:`Problem` of a dataset's train part and a model family, built one way for the
worker and for ``harness.testing``."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from harness.records import ColumnLayout
from harness.spaces import Space
from harness.strategies._protocol import Problem


def model_problem(*, dataset: str, model: str, task: str, X: np.ndarray, y: np.ndarray,
                  space: Space, scoring: str, cv: int, n_jobs: int, seed: int,
                  data_dir: str | None = None, python: str | None = None,
                  layout: ColumnLayout | None = None) -> Problem:
    """The problem a strategy searches: its ``make_estimator`` builds the model family's
    pipeline for ``task``, seeded with the run's ``seed``, with the given params set. For a
    strategy that searches its own model (``model`` is then what it searched, e.g.
    ``linear``), ``make_estimator`` raises: there is no model family to build. ``layout``
    (text categories, missing values) gives the pipeline its preparation step."""
    from harness.models import MODELS

    family = MODELS.get(model)
    build = (functools.partial(_build, family, task, seed, layout) if family is not None
             else functools.partial(_no_family, model))
    return Problem(dataset=dataset, model=model, task=task, X=X, y=y, space=space,
                   scoring=scoring, cv=cv, n_jobs=n_jobs, make_estimator=build,
                   data_dir=data_dir, python=python, layout=layout)


def _build(family: Any, task: str, seed: int, layout: ColumnLayout | None,
           params: Mapping[str, Any] | None) -> Any:
    return family.build(task, seed=seed, params=params, layout=layout)


def _no_family(model: str, params: Mapping[str, Any] | None) -> Any:
    raise RuntimeError(f"{model!r} is what a strategy that chooses its own model searched, "
                       "not a model family; such a strategy builds its own estimators")
