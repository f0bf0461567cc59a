"""Problems: the entries of a suite and which of them pair up.

A dataset pairs with the models that take its kind of data (tabular, image, sequence) and
do its task; a strategy runs on the models it can tune (scikit-learn estimators or keras
hypermodels), and a strategy that chooses its own model (regularization, FLAML,
auto-sklearn) runs once per dataset. Config validates suites with these rules and the
planner makes runs by them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.datasets import BUILTINS
from harness.errors import ConfigError
from harness.metrics import metric_task
from harness.models import MODELS
from harness.spaces import Space
from harness.strategies import resolve_strategy


@dataclass(frozen=True)
class DatasetEntry:
    ref: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class ModelEntry:
    name: str
    space: Space
    overridden: bool


@dataclass(frozen=True)
class StrategyEntry:
    name: str
    options: Mapping[str, Any]


def compatible(dataset: DatasetEntry, model: ModelEntry, *, task: str | None = None) -> bool:
    """Whether ``model`` can be trained on ``dataset`` (tabular, image or sequence data, and
    the dataset's task when it is known)."""
    from harness.datasets import data_kind

    family = MODELS[model.name]
    return data_kind(dataset.ref) in family.data_kinds and (task is None or task in family.tasks)


def tunes(strategy: StrategyEntry, model: ModelEntry) -> bool:
    """Whether ``strategy`` can tune ``model`` (scikit-learn estimators or keras hypermodels)."""
    return MODELS[model.name].kind in resolve_strategy(strategy.name).model_kinds


@dataclass(frozen=True)
class Pairing:
    """One planned (model, strategy) pair of a dataset: ``model`` is the suite's model name,
    or what a strategy that chooses its own model searched (``linear``, ``automl``), then
    with an empty ``space``."""

    model: str
    space: Space
    strategy: StrategyEntry


def pairings(dataset: DatasetEntry, models: tuple[ModelEntry, ...],
             strategies: tuple[StrategyEntry, ...], *, task: str | None = None
             ) -> list[Pairing]:
    """What runs on ``dataset`` (each for every seed), in suite order: each strategy on each
    compatible model it tunes, except that a strategy choosing its own model runs once (where
    it would first have run), recorded with what it searched."""
    out: list[Pairing] = []
    once: set[str] = set()
    for model in models:
        if not compatible(dataset, model, task=task):
            continue
        for strategy in strategies:
            if not tunes(strategy, model):
                continue
            own = resolve_strategy(strategy.name).searched_model
            if own is None:
                out.append(Pairing(model.name, model.space, strategy))
            elif strategy.name not in once:
                once.add(strategy.name)
                out.append(Pairing(own, {}, strategy))
    return out


def known_task(entry: DatasetEntry) -> str | None:
    """The dataset's task where it is known without loading it (built-ins, options)."""
    from harness.datasets import IMAGE_DATASETS, SEQUENCE_DATASETS

    if entry.ref in BUILTINS:
        return BUILTINS[entry.ref].task
    if entry.ref in IMAGE_DATASETS or entry.ref in SEQUENCE_DATASETS:
        return "classification"
    return entry.options.get("task")


def check_problem_task(v_source: str | None, metric: str | None, dataset: str, task: str,
                       models: tuple[ModelEntry, ...]) -> None:
    """Raise ConfigError when the metric or a model does not fit the dataset's task."""
    if metric is not None and metric_task(metric) != task:
        raise ConfigError(f"{metric!r} is a {metric_task(metric)} metric but dataset "
                         f"{dataset!r} is {task}; use e.g. "
                          f"{'accuracy' if task == 'classification' else 'r2'}",
                          source=v_source, field="metric")
    entry = DatasetEntry(dataset, {})
    fitting = [m for m in models if compatible(entry, m)]
    if fitting and not any(compatible(entry, m, task=task) for m in fitting):
        names = ", ".join(n for n, f in MODELS.items() if task in f.tasks
                          and any(k in f.data_kinds for k in MODELS[fitting[0].name].data_kinds))
        raise ConfigError(f"no model of this suite does {task} (dataset {dataset!r}); "
                          f"add one of: {names}", source=v_source, field="models")
