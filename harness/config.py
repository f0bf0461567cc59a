"""Suite files: load, validate (errors name the file and the field), and the Suite record.

A suite is a YAML mapping::

    name: smoke
    metric: accuracy          # any scikit-learn scorer; default per task (accuracy / r2)
    cv: 5                     # CV folds
    test_size: 0.2            # held-out fraction
    seeds: 2                  # a count (0..n-1) or a list
    budget: {time_s: 10, max_trials: 50, grace_s: 10, memory_mb: 4096}
    n_jobs: 1                 # cores each run may use
    datasets: [iris, {name: "csv:data.csv", target: label}]
    models: [random_forest, {name: svc, space: {C: {type: float, low: 0.1, high: 10, log: true}}}]
    strategies: [default, grid, {name: random, n_iter: 20}]
    executor: {kind: dask, scheduler: "tcp://host:8786"}   # optional; default: local

Every number is checked finite and in range; the field checks and their limits are in
:mod:`harness.config_fields`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.config_fields import (
    MAX_CV,
    MAX_N_JOBS,
    Budget,
    ExecutorConfig,
    Validator,
    check_run_count,
    is_number,
    parse_budget,
    parse_executor,
    parse_name,
    parse_seeds,
)
from harness.config_fields import parse_scheduler as parse_scheduler  # re-exported
from harness.datasets import BUILTINS, check_options, dataset_kind
from harness.errors import ConfigError, DatasetError
from harness.metrics import metric_names, metric_task
from harness.models import MODELS
from harness.problems import (
    DatasetEntry,
    ModelEntry,
    StrategyEntry,
    check_problem_task,
    known_task,
)
from harness.spaces import parse_space, space_to_dict
from harness.strategies import resolve_strategy

SUITES_DIR = Path(__file__).parent / "suites"
DEFAULT_SUITE = "smoke"
_TOP_KEYS = {"name", "description", "metric", "cv", "test_size", "seeds", "budget", "n_jobs",
             "datasets", "models", "strategies", "executor"}


@dataclass(frozen=True)
class Suite:
    """A validated suite: every problem (dataset x model) by every strategy and seed."""

    name: str
    metric: str | None
    cv: int
    test_size: float
    seeds: tuple[int, ...]
    budget: Budget
    n_jobs: int
    datasets: tuple[DatasetEntry, ...]
    models: tuple[ModelEntry, ...]
    strategies: tuple[StrategyEntry, ...]
    source: str | None = None
    base_dir: Path = Path(".")
    description: str = ""
    executor: ExecutorConfig = ExecutorConfig()  # where it runs; not part of to_dict()

    def metric_for(self, task: str) -> str:
        """The suite's metric, or the task's default."""
        from harness.metrics import DEFAULT_METRIC

        return self.metric or DEFAULT_METRIC[task]

    def to_dict(self) -> dict[str, Any]:
        """The plain form (stored with each suite run)."""
        return {
            "name": self.name, "metric": self.metric, "cv": self.cv,
            "test_size": self.test_size, "seeds": list(self.seeds),
            "budget": {k: v for k, v in vars(self.budget).items() if v is not None},
            "n_jobs": self.n_jobs,
            "datasets": [{"name": d.ref, **d.options} for d in self.datasets],
            "models": [{"name": m.name, "space": space_to_dict(m.space)} for m in self.models],
            "strategies": [{"name": s.name, **s.options} for s in self.strategies],
        }

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def shipped_suites() -> dict[str, Path]:
    """The suites shipped with the harness, by name."""
    return {p.stem: p for p in sorted(SUITES_DIR.glob("*.yaml"))}


def resolve_suite_path(name_or_path: str | Path | None) -> Path:
    """A shipped suite's name, or a path to a suite file."""
    ref = str(name_or_path or DEFAULT_SUITE)
    shipped = shipped_suites()
    if ref in shipped:
        return shipped[ref]
    path = Path(ref).expanduser()
    if path.is_file():
        return path
    raise ConfigError(
        f"no suite named {ref!r} and no such file; shipped suites: {', '.join(shipped)}"
    )


def load_suite(name_or_path: str | Path | None = None) -> Suite:
    """Read and validate a suite file (or a shipped suite by name)."""
    path = resolve_suite_path(name_or_path)
    source = str(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(f"{where}not valid YAML ({getattr(exc, 'problem', exc)})",
                          source=source) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", source=source) from None
    return parse_suite(raw, source=source, base_dir=path.parent)


def parse_suite(raw: Any, *, source: str | None = None, base_dir: Path | None = None) -> Suite:
    """Validate a suite mapping; raises ConfigError naming the field and what is valid.

    Numbers are checked finite and in range (the limits are listed in config_fields).
    """
    v = Validator(source)
    if not isinstance(raw, Mapping):
        raise ConfigError("a suite must be a YAML mapping with name, datasets, models, "
                          "strategies", source=source)
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        v.fail(unknown[0], f"unknown field; valid fields: {', '.join(sorted(_TOP_KEYS))}")
    name = parse_name(v, raw.get("name"))
    metric = raw.get("metric")
    if metric is not None and (not isinstance(metric, str) or metric_task(metric) is None):
        v.fail("metric", f"unknown scikit-learn scorer {metric!r}; valid: "
                         f"{', '.join(metric_names())}")
    cv = v.integer(raw.get("cv", 5), "cv", minimum=2, maximum=MAX_CV)
    test_size = raw.get("test_size", 0.2)
    if not is_number(test_size) or not 0 < test_size < 1:
        v.fail("test_size", f"must be a fraction between 0 and 1, got {test_size!r}")
    seeds = parse_seeds(v, raw.get("seeds", 1))
    budget = parse_budget(v, raw.get("budget"))
    n_jobs = v.integer(raw.get("n_jobs", 1), "n_jobs", minimum=1, maximum=MAX_N_JOBS)
    v.finite_everywhere(dict(raw), "")
    entries = {field: v.entries(raw, field) for field in ("datasets", "models", "strategies")}
    check_run_count(v, datasets=len(entries["datasets"]), models=len(entries["models"]),
                    strategies=len(entries["strategies"]), seeds=len(seeds))
    datasets = tuple(_dataset(v, d, f"datasets[{i}]") for i, d in enumerate(entries["datasets"]))
    models = tuple(_model(v, m, f"models[{i}]") for i, m in enumerate(entries["models"]))
    strategies = tuple(_strategy(v, s, f"strategies[{i}]")
                       for i, s in enumerate(entries["strategies"]))
    for field, items in (("datasets", [d.ref for d in datasets]),
                         ("models", [m.name for m in models]),
                         ("strategies", [s.name for s in strategies])):
        dupes = sorted({x for x in items if items.count(x) > 1})
        if dupes:
            v.fail(field, f"listed twice: {', '.join(dupes)}")
    _check_pairs(v, datasets, models, strategies)
    _check_tasks(v, metric, datasets, models)
    return Suite(name=name, metric=metric, cv=cv, test_size=float(test_size), seeds=seeds,
                 budget=budget, n_jobs=n_jobs, datasets=datasets, models=models,
                 strategies=strategies, source=source, base_dir=base_dir or Path("."),
                 description=str(raw.get("description", "")),
                 executor=parse_executor(v, raw.get("executor")))


def _named(v: Validator, entry: Any, field: str, kind: str) -> tuple[str, dict[str, Any]]:
    if isinstance(entry, str):
        return entry, {}
    if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
        return entry["name"], {k: val for k, val in entry.items() if k != "name"}
    v.fail(field, f"must be a {kind} name or a mapping with 'name', got {entry!r}")
    raise AssertionError  # unreachable


def _dataset(v: Validator, entry: Any, field: str) -> DatasetEntry:
    ref, options = _named(v, entry, field, "dataset")
    try:
        dataset_kind(ref)
    except DatasetError:
        v.fail(f"{field}.name", f"unknown dataset {ref!r}; valid: {', '.join(BUILTINS)}, "
                                "csv:PATH, parquet:PATH, openml:ID")
    problems = check_options(ref, options)
    if problems:
        v.fail(field, f"dataset {ref!r}: {'; '.join(problems)}")
    return DatasetEntry(ref, options)


def _model(v: Validator, entry: Any, field: str) -> ModelEntry:
    name, options = _named(v, entry, field, "model")
    if name not in MODELS:
        v.fail(f"{field}.name", f"unknown model {name!r}; valid: {', '.join(MODELS)}")
    unknown = sorted(set(options) - {"space"})
    if unknown:
        v.fail(f"{field}.{unknown[0]}", "unknown field; valid: name, space")
    if "space" not in options:
        return ModelEntry(name, dict(MODELS[name].default_space), overridden=False)
    space = parse_space(options["space"], source=v.source, field=f"{field}.space")
    family = MODELS[name]
    if family.kind == "keras":
        owner, valid = name, {*family.default_space, "learning_rate"}
    else:
        estimator = family.build(family.tasks[0], seed=0).named_steps["model"]
        owner, valid = type(estimator).__name__, set(estimator.get_params())
    for key in space:
        if key not in valid:
            v.fail(f"{field}.space.{key}", f"{owner} has no parameter "
                                           f"{key!r}; valid: {', '.join(sorted(valid))}")
    return ModelEntry(name, space, overridden=True)


def _strategy(v: Validator, entry: Any, field: str) -> StrategyEntry:
    name, options = _named(v, entry, field, "strategy")
    try:
        info = resolve_strategy(name)
    except KeyError as exc:
        v.fail(f"{field}.name", str(exc.args[0]))
    problems = info.option_problems(options)
    if problems:
        key, message = next(iter(problems.items()))
        v.fail(f"{field}.{key}", message)
    return StrategyEntry(name, options)


def _check_pairs(v: Validator, datasets: tuple[DatasetEntry, ...],
                 models: tuple[ModelEntry, ...], strategies: tuple[StrategyEntry, ...]) -> None:
    """Every dataset fits some model, every model some dataset, every strategy some model."""
    from harness.datasets import data_kind

    for i, d in enumerate(datasets):
        if not any(data_kind(d.ref) in MODELS[m.name].data_kinds for m in models):
            v.fail(f"datasets[{i}]", f"no model of this suite takes {data_kind(d.ref)} data "
                                     f"like {d.ref!r}; add one of: " + ", ".join(
                                         n for n, f in MODELS.items()
                                         if data_kind(d.ref) in f.data_kinds))
    for i, m in enumerate(models):
        if not any(data_kind(d.ref) in MODELS[m.name].data_kinds for d in datasets):
            v.fail(f"models[{i}]", f"model {m.name!r} takes "
                                   f"{' or '.join(MODELS[m.name].data_kinds)} data and no dataset "
                                   "of this suite has it")
    kinds = {MODELS[m.name].kind for m in models}
    for i, s in enumerate(strategies):
        info = resolve_strategy(s.name)
        if not kinds & set(info.model_kinds):
            v.fail(f"strategies[{i}]", f"strategy {s.name!r} tunes "
                                       f"{' or '.join(info.model_kinds)} models and this suite "
                                       f"has only {' and '.join(sorted(kinds))} models")


def _check_tasks(v: Validator, metric: str | None, datasets: tuple[DatasetEntry, ...],
                 models: tuple[ModelEntry, ...]) -> None:
    for entry in datasets:
        task = known_task(entry)
        if task is not None:
            check_problem_task(v.source, metric, entry.ref, task, models)
