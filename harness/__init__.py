"""tuning-harness: benchmark hyperparameter-tuning strategies under equal budgets.

For notebooks::

    import harness
    outcome = harness.run_suite("smoke", db="results/harness.db", jobs=2)
    runs, trials = harness.load_results("results/harness.db", suite="smoke")

The names below are imported on first use (PEP 562), so ``harness.cli`` can start its
fork server before the API's imports (NumPy, the store, the runner) have run, and a process
that needs only a part of the harness (a report) does not import the runner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.api import Results, SuiteRun, load_results, run_suite
    from harness.config import Suite, load_suite
    from harness.errors import ConfigError, DatasetError, UserError

_WHERE = {"Results": "harness.api", "SuiteRun": "harness.api", "load_results": "harness.api",
          "run_suite": "harness.api", "Suite": "harness.config", "load_suite": "harness.config",
          "ConfigError": "harness.errors", "DatasetError": "harness.errors",
          "UserError": "harness.errors"}

__all__ = ["ConfigError", "DatasetError", "Results", "Suite", "SuiteRun", "UserError",
           "__version__", "load_results", "load_suite", "run_suite"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("tuning-harness")  # one source: pyproject.toml
        except PackageNotFoundError:  # imported from a checkout that is not installed
            value = "0+unknown"
    elif name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    else:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
