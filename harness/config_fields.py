"""Field checks of a suite file: the validator, numbers and their limits, seeds, budget, executor.

Every number in a suite is checked finite and within a documented range, so that a typo
(``time_s: .inf``, ``seeds: 100000000``) fails at once, naming the file and the field,
instead of disabling the hard kill or exhausting memory later:

=====================  =============================================================
field                  valid
=====================  =============================================================
name                   1..128 letters, digits, ``-``, ``_``, ``.``; not ``.`` or ``..``
cv                     integer 2..100
test_size              fraction, 0 < x < 1
seeds                  count 1..10,000, or a list of at most 10,000 integers 0..2**32-1
n_jobs                 integer 1..1024
budget.time_s          seconds, 0 < x <= 604,800 (7 days)
budget.grace_s         seconds, 0 <= x <= 86,400 (1 day)
budget.memory_mb       MB, 0 < x <= 16,777,216 (16 TB)
budget.max_trials      integer 1..10,000,000
planned runs           datasets x models x strategies x seeds <= 100,000
anything else          finite (no ``.nan``/``.inf``), integers within +-10**15
=====================  =============================================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from harness.errors import ConfigError

BUDGET_KEYS = {"time_s", "max_trials", "grace_s", "memory_mb"}
EXECUTOR_KINDS = ("local", "dask")
SCHEDULER_FORMS = ("tcp://HOST:PORT", "tls://HOST:PORT",
                   "local:N (a LocalCluster of N workers on this machine)")
_SCHEDULER_RE = re.compile(r"(?:(tcp|tls)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})"
                           r"|local:(\d+))")

MAX_NAME_LENGTH = 128
MAX_CV = 100
MAX_SEEDS = 10_000
MAX_SEED = 2**32 - 1  # numpy's and scikit-learn's random_state limit
MAX_N_JOBS = 1024
MAX_TIME_S = 7 * 24 * 3600.0
MAX_GRACE_S = 24 * 3600.0
MAX_MEMORY_MB = 16 * 1024 * 1024.0  # 16 TB
MAX_TRIALS = 10_000_000
MAX_RUNS = 100_000
MAX_INTEGER = 10**15  # any other integer of a suite (options, choices)


@dataclass(frozen=True)
class Budget:
    """Per-run limits: wall-clock seconds, optional trial cap, kill grace, memory cap."""

    time_s: float
    max_trials: int | None = None
    grace_s: float | None = None
    memory_mb: float | None = None

    @property
    def hard_limit_s(self) -> float:
        """Seconds after which the worker's process group is killed."""
        grace = self.grace_s if self.grace_s is not None else max(5.0, 0.25 * self.time_s)
        return self.time_s + grace


@dataclass(frozen=True)
class ExecutorConfig:
    """Where runs execute: ``local`` (this machine) or ``dask`` (a cluster's scheduler)."""

    kind: str = "local"
    scheduler: str | None = None


def is_number(value: Any) -> bool:
    """An int or float (YAML's true/false are not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


class Validator:
    """Raises ConfigError naming the suite file and a field."""

    def __init__(self, source: str | None):
        self.source = source

    def fail(self, field: str | None, message: str) -> NoReturn:
        raise ConfigError(message, source=self.source, field=field)

    def integer(self, value: Any, field: str, *, minimum: int, maximum: int) -> int:
        """An integer in [minimum, maximum]."""
        if not isinstance(value, int) or isinstance(value, bool) or not (
                minimum <= value <= maximum):
            self.fail(field, f"must be an integer from {minimum} to {maximum:,}, got {value!r}")
        return int(value)

    def number(self, value: Any, field: str, *, minimum: float, maximum: float,
               open_low: bool = False) -> float:
        """A finite number in [minimum, maximum] (or (minimum, maximum] with ``open_low``)."""
        low_ok = is_number(value) and (value > minimum if open_low else value >= minimum)
        if not (low_ok and value <= maximum):  # False for NaN: every comparison is
            low = f"> {minimum:g}" if open_low else f">= {minimum:g}"
            self.fail(field, f"must be a finite number {low} and at most {maximum:,.0f}, "
                             f"got {value!r}")
        return float(value)

    def entries(self, raw: Mapping[str, Any], field: str) -> list[Any]:
        items = raw.get(field)
        if not isinstance(items, list) or not items:
            self.fail(field, f"must be a non-empty list, got {items!r}")
        return items

    def finite_everywhere(self, value: Any, field: str) -> None:
        """No NaN or infinity, and no integer beyond +-10**15, anywhere inside ``value``."""
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(field, f"must be a finite number, got {value!r}")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            self.fail(field, f"must be within +-10**15, got {value!r}")
        if isinstance(value, Mapping):
            for key, item in value.items():
                self.finite_everywhere(item, f"{field}.{key}" if field else str(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.finite_everywhere(item, f"{field}[{i}]")


def parse_name(v: Validator, name: Any) -> str:
    """A suite name: it names folders (work, reports), so it cannot leave them."""
    if not isinstance(name, str) or not name.strip():
        v.fail("name", f"must be a non-empty string, got {name!r}")
    if not all(c.isalnum() or c in "-_." for c in name):
        v.fail("name", f"use letters, digits, '-', '_' or '.', got {name!r}")
    if name in (".", ".."):
        v.fail("name", f"{name!r} names a folder outside the output folder; use letters or "
                       "digits")
    if len(name) > MAX_NAME_LENGTH:
        v.fail("name", f"at most {MAX_NAME_LENGTH} characters, got {len(name)}")
    return name


def parse_seeds(v: Validator, value: Any) -> tuple[int, ...]:
    """A count n (seeds 0..n-1) or a list of distinct non-negative integers."""
    if isinstance(value, int) and not isinstance(value, bool):
        v.integer(value, "seeds", minimum=1, maximum=MAX_SEEDS)
        return tuple(range(value))
    if not isinstance(value, list) or not value:
        v.fail("seeds", f"must be a count or a list of non-negative integers, got {value!r}")
    if len(value) > MAX_SEEDS:
        v.fail("seeds", f"at most {MAX_SEEDS:,} seeds, got a list of {len(value):,}")
    for i, seed in enumerate(value):
        v.integer(seed, f"seeds[{i}]", minimum=0, maximum=MAX_SEED)
    if len(set(value)) != len(value):
        v.fail("seeds", f"seeds repeat: {value}")
    return tuple(value)


def parse_budget(v: Validator, value: Any) -> Budget:
    """The ``budget`` mapping: time_s (required), max_trials, grace_s, memory_mb."""
    if not isinstance(value, Mapping) or "time_s" not in value:
        v.fail("budget", f"must be a mapping with time_s (seconds per run), got {value!r}")
    unknown = sorted(set(value) - BUDGET_KEYS)
    if unknown:
        v.fail(f"budget.{unknown[0]}", f"unknown field; valid: {', '.join(sorted(BUDGET_KEYS))}")
    max_trials, grace, memory = (value.get(k) for k in ("max_trials", "grace_s", "memory_mb"))
    return Budget(
        time_s=v.number(value["time_s"], "budget.time_s", minimum=0, maximum=MAX_TIME_S,
                        open_low=True),
        max_trials=None if max_trials is None else v.integer(
            max_trials, "budget.max_trials", minimum=1, maximum=MAX_TRIALS),
        grace_s=None if grace is None else v.number(grace, "budget.grace_s", minimum=0,
                                                    maximum=MAX_GRACE_S),
        memory_mb=None if memory is None else v.number(
            memory, "budget.memory_mb", minimum=0, maximum=MAX_MEMORY_MB, open_low=True))


def check_run_count(v: Validator, **factors: int) -> None:
    """At most MAX_RUNS planned runs (the product of the factors, e.g. datasets=3, seeds=5)."""
    count = math.prod(factors.values())
    if count > MAX_RUNS:
        shown = " x ".join(f"{n:,} {name}" for name, n in factors.items())
        v.fail(None, f"plans {count:,} runs ({shown}); at most {MAX_RUNS:,} per suite: "
                     "use fewer seeds, or split the suite")


def parse_scheduler(text: Any, *, source: str | None = None,
                    field: str = "--scheduler") -> str:
    """Check a Dask scheduler address; raises ConfigError naming ``field`` and valid forms."""
    match = _SCHEDULER_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(f"bad scheduler address {text!r}; valid: {', '.join(SCHEDULER_FORMS)}",
                          source=source, field=field)
    port, workers = match.group(3), match.group(4)
    if port is not None and not 0 < int(port) < 65536:
        raise ConfigError(f"port {port} of {text!r} is not in 1..65535", source=source,
                          field=field)
    if workers is not None and int(workers) < 1:
        raise ConfigError(f"local:N needs N >= 1 workers, got {text!r}", source=source,
                          field=field)
    return text.strip()


def parse_executor(v: Validator, value: Any) -> ExecutorConfig:
    """The optional ``executor`` mapping: kind (local, dask) and a dask scheduler."""
    if value is None:
        return ExecutorConfig()
    if not isinstance(value, Mapping):
        v.fail("executor", f"must be a mapping like {{kind: dask, scheduler: "
                           f"'tcp://HOST:8786'}}, got {value!r}")
    unknown = sorted(set(value) - {"kind", "scheduler"})
    if unknown:
        v.fail(f"executor.{unknown[0]}", "unknown field; valid: kind, scheduler")
    kind = value.get("kind", "dask" if "scheduler" in value else "local")
    if kind not in EXECUTOR_KINDS:
        v.fail("executor.kind", f"unknown executor {kind!r}; valid: {', '.join(EXECUTOR_KINDS)}")
    if kind == "local":
        if value.get("scheduler") is not None:
            v.fail("executor.scheduler", "only the dask executor takes a scheduler")
        return ExecutorConfig()
    if value.get("scheduler") is None:
        v.fail("executor.scheduler", f"the dask executor needs a scheduler: "
                                     f"{', '.join(SCHEDULER_FORMS)}")
    return ExecutorConfig("dask", parse_scheduler(value["scheduler"], source=v.source,
                                                  field="executor.scheduler"))
