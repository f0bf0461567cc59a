"""From a validated suite to the list of runs: load datasets once, fingerprint, split, key.

Each :class:`RunSpec` is plain data (it crosses to worker processes as JSON); its ``key``
hashes everything that defines the run, dataset fingerprint included, so a finished run
is recognised and skipped when the suite runs again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from harness.config import Suite
from harness.datasets import DatasetUnavailable, check_cv_fits, prepare_data
from harness.errors import DatasetError
from harness.problems import DatasetEntry, check_problem_task, pairings
from harness.records import RunSpec
from harness.spaces import space_to_dict
from harness.strategies import resolve_strategy


def plan_suite(suite: Suite, *, cache_dir: Path, round: str = "",
               prepared: Sequence[Sequence[str] | None] | None = None) -> list[RunSpec]:
    """Every run of the suite, in a stable order; datasets are split and cached as .npy.

    Only compatible pairs make problems (tabular data for scikit-learn models, images for
    ``cnn``, sequences for ``lstm``) and a strategy runs on the models it can tune; one that
    chooses its own model runs once per dataset and seed, its ``model`` what it searched
    (``linear``, ``automl``) and its space empty (see ``problems.pairings``). ``round``
    labels a repetition of the whole suite (a night), which gets keys of its own. A dataset
    whose file is missing here (CIFAR-10, IMDb) gives runs with a ``skip_reason``.
    ``prepared[i]``, where given, is what ``datasets.prepare_for_plan`` found for
    ``datasets[i]`` in another process (None: prepare it here).
    Raises DatasetError (unusable data; it names the suite file and ``datasets[i]``) or
    ConfigError (a metric or model that does not fit a dataset's task).
    """
    specs: list[RunSpec] = []
    for i, entry in enumerate(suite.datasets):
        try:
            fingerprint, task, data_dir, skip = _prepare(
                suite, entry, cache_dir, prepared[i] if prepared else None)
        except DatasetError as exc:
            raise exc.located(suite.source, f"datasets[{i}]") from None
        for pair in pairings(entry, suite.models, suite.strategies,
                             task=None if skip else task):
            for seed in suite.seeds:
                specs.append(RunSpec(
                    suite=suite.name, dataset=entry.ref,
                    dataset_options=dict(entry.options), fingerprint=fingerprint,
                    task=task, model=pair.model, space=space_to_dict(pair.space),
                    strategy=pair.strategy.name, strategy_options=dict(pair.strategy.options),
                    seed=seed, metric=suite.metric_for(task), cv=suite.cv,
                    test_size=suite.test_size, n_jobs=suite.n_jobs,
                    time_s=suite.budget.time_s, max_trials=suite.budget.max_trials,
                    hard_limit_s=suite.budget.hard_limit_s,
                    memory_mb=suite.budget.memory_mb, data_dir=data_dir,
                    skip_reason=skip, round=round,
                    contender=resolve_strategy(pair.strategy.name).contender(pair.model),
                    plan_index=len(specs)))
    return specs


def _prepare(suite: Suite, entry: DatasetEntry, cache_dir: Path,
             prepared: Sequence[str] | None = None) -> tuple[str, str, str, str]:
    """Load, check, split and cache a dataset: (fingerprint, task, data folder, skip reason);
    from ``prepared`` when another process has done that (and found CV fits)."""
    if prepared is not None:
        fingerprint, task, data_dir, skip = prepared
        if not skip:
            check_problem_task(suite.source, suite.metric, entry.ref, task, suite.models)
        return fingerprint, task, data_dir, skip
    try:
        data = prepare_data(entry.ref, entry.options, base_dir=suite.base_dir,
                            test_size=suite.test_size, cache_dir=cache_dir)
    except DatasetUnavailable as exc:
        return "unavailable", "classification", "", str(exc)
    check_problem_task(suite.source, suite.metric, entry.ref, data.dataset.task, suite.models)
    if data.dataset.kind == "tabular":
        check_cv_fits(data.dataset, data.split, suite.cv)
    return data.dataset.fingerprint, data.dataset.task, str(data.data_dir), ""


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
