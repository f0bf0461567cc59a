"""From a validated suite to the list of runs: load datasets once, fingerprint, split, key.

Each :class:`RunSpec` is plain data (it crosses to worker processes as JSON); its ``key``
hashes everything that defines the run, dataset fingerprint included, so a finished run
is recognised and skipped when the suite runs again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.config import Suite, check_problem_task, compatible, tunes
from harness.datasets import (
    DatasetUnavailable,
    check_cv_fits,
    load_dataset,
    save_split,
    split_dataset,
)
from harness.spaces import space_to_dict

_NOT_KEYED = ("data_dir", "skip_reason", "learning_curves")


@dataclass(frozen=True)
class RunSpec:
    """One (problem, strategy, seed, budget): everything a worker needs, as plain data."""

    suite: str
    dataset: str
    dataset_options: dict[str, Any]
    fingerprint: str
    task: str
    model: str
    space: dict[str, Any]
    strategy: str
    strategy_options: dict[str, Any]
    seed: int
    metric: str
    cv: int
    test_size: float
    n_jobs: int
    time_s: float
    max_trials: int | None
    hard_limit_s: float
    memory_mb: float | None
    data_dir: str = field(default="", compare=False)
    skip_reason: str = field(default="", compare=False)  # e.g. the dataset file is missing
    round: str = ""  # a label (a night's date) that makes the suite's runs new again
    # whether the worker computes the best configuration's learning curve after the run
    learning_curves: bool = field(default=True, compare=False)

    @property
    def key(self) -> str:
        """Hash of what defines the run (everything but where its data is cached, why it is
        skipped and whether a learning curve is computed after it).

        The round is part of the key only when set, so keys of round-less runs stay as they
        were in stores written before rounds existed.
        """
        defining = {k: v for k, v in asdict(self).items()
                    if k not in _NOT_KEYED and (k != "round" or v)}
        return hashlib.sha256(json.dumps(defining, sort_keys=True, default=str).encode()
                              ).hexdigest()[:20]

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.model}/{self.strategy}/seed={self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        return cls(**data)


def plan_suite(suite: Suite, *, cache_dir: Path, round: str = "") -> list[RunSpec]:
    """Every run of the suite, in a stable order; datasets are split and cached as .npy.

    Only compatible pairs make problems (tabular data for scikit-learn models, images for
    ``cnn``, sequences for ``lstm``) and a strategy runs on the models it can tune. ``round``
    labels a repetition of the whole suite (a night), which gets keys of its own. A dataset
    whose file is missing here (CIFAR-10, IMDb) gives runs with a ``skip_reason``.
    Raises DatasetError (unusable data) or ConfigError (a metric or model that does not
    fit a dataset's task).
    """
    specs: list[RunSpec] = []
    for entry in suite.datasets:
        fingerprint, task, data_dir, skip = "unavailable", "classification", "", ""
        try:
            dataset = load_dataset(entry.ref, entry.options, base_dir=suite.base_dir)
        except DatasetUnavailable as exc:
            skip = str(exc)
        else:
            fingerprint, task = dataset.fingerprint, dataset.task
            check_problem_task(suite.source, suite.metric, entry.ref, task, suite.models)
            subsample = entry.options.get("subsample")
            split = split_dataset(dataset, test_size=suite.test_size, subsample=subsample)
            if dataset.kind == "tabular":
                check_cv_fits(dataset, split, suite.cv)
            data_dir = str(save_split(dataset, split, cache_dir.resolve() / split_dir_name(
                fingerprint, suite.test_size, subsample)))
        for model in suite.models:
            if not compatible(entry, model, task=None if skip else task):
                continue
            for strategy in suite.strategies:
                if not tunes(strategy, model):
                    continue
                for seed in suite.seeds:
                    specs.append(RunSpec(
                        suite=suite.name, dataset=entry.ref,
                        dataset_options=dict(entry.options), fingerprint=fingerprint,
                        task=task, model=model.name, space=space_to_dict(model.space),
                        strategy=strategy.name, strategy_options=dict(strategy.options),
                        seed=seed, metric=suite.metric_for(task), cv=suite.cv,
                        test_size=suite.test_size, n_jobs=suite.n_jobs,
                        time_s=suite.budget.time_s, max_trials=suite.budget.max_trials,
                        hard_limit_s=suite.budget.hard_limit_s,
                        memory_mb=suite.budget.memory_mb, data_dir=data_dir,
                        skip_reason=skip, round=round))
    return specs


def split_dir_name(fingerprint: str, test_size: float, subsample: int | None) -> str:
    """The cache folder name of a dataset's split (the same on every host)."""
    return f"{fingerprint}-t{test_size:g}" + (f"-s{subsample}" if subsample else "")


_ROUND_CHARS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}")


def round_label(text: str | None, *, now: dt.datetime | None = None) -> str:
    """A round label as given (``today``: the UTC date, ``now``: the UTC minute); '' for none.

    A round repeats the whole suite under new keys: a nightly job passes ``--round today``
    so that each night's runs are stored beside the earlier nights' instead of being skipped.
    """
    from harness.errors import UserError

    if not text:
        return ""
    moment = now or dt.datetime.now(dt.UTC)
    if text == "today":
        return moment.strftime("%Y-%m-%d")
    if text == "now":
        return moment.strftime("%Y-%m-%dT%H:%M")
    if not _ROUND_CHARS.fullmatch(text):
        raise UserError(f"--round: bad label {text!r}; use 'today' (the UTC date), 'now' "
                        "(the UTC minute) or up to 64 letters, digits and . _ : + -, "
                        "starting with a letter or digit (e.g. 2026-11-28 or v1.2)")
    return text


def parse_only(expressions: Iterable[str]) -> dict[str, set[str]]:
    """``--only strategy=grid,dataset=iris`` into {field: values}; same field ORs, fields AND."""
    from harness.errors import UserError

    allowed = ("dataset", "model", "strategy", "seed")
    filters: dict[str, set[str]] = {}
    for expression in expressions:
        for item in filter(None, (part.strip() for part in expression.split(","))):
            key, sep, value = item.partition("=")
            if not sep or key not in allowed or not value:
                raise UserError(f"--only: bad filter {item!r}; use FIELD=VALUE with FIELD in "
                                f"{', '.join(allowed)} (e.g. strategy=grid,dataset=iris)")
            filters.setdefault(key, set()).add(value)
    return filters


def select(specs: Iterable[RunSpec], filters: Mapping[str, set[str]]) -> list[RunSpec]:
    """The specs that match every filter field."""
    return [s for s in specs
            if all(str(getattr(s, key)) in values for key, values in filters.items())]
