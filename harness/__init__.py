"""tuning-harness: benchmark hyperparameter-tuning strategies under equal budgets.

For notebooks::

    import harness
    outcome = harness.run_suite("smoke", db="results/harness.db", jobs=2)
    runs, trials = harness.load_results("results/harness.db", suite="smoke")
"""

from importlib.metadata import PackageNotFoundError, version

from harness.api import Results, SuiteRun, load_results, run_suite
from harness.config import Suite, load_suite
from harness.errors import ConfigError, DatasetError, UserError

try:
    __version__ = version("tuning-harness")  # one source: pyproject.toml
except PackageNotFoundError:  # imported from a checkout that is not installed
    __version__ = "0+unknown"

__all__ = ["ConfigError", "DatasetError", "Results", "Suite", "SuiteRun", "UserError",
           "__version__", "load_results", "load_suite", "run_suite"]
