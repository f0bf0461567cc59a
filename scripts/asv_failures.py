"""List the benchmarks of one commit that asv saved without a value; exit 1 if any.

``asv run`` exits 0 when a benchmark returns nothing (it prints "failed"), so
scripts/run-asv.sh checks the saved results with this.

    python scripts/asv_failures.py [--config asv.conf.json] --commit HASH [--machine NAME]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from pathlib import Path
from typing import Any


def _missing(value: Any) -> bool:
    if isinstance(value, list):
        return not value or any(_missing(v) for v in value)
    return value is None or (isinstance(value, float) and math.isnan(value))


def default_machine() -> str:
    """The machine name ``asv run`` uses without --machine (as asv picks it)."""
    node = platform.node()
    path = Path.home() / ".asv-machine.json"
    known = set(json.loads(path.read_text())) - {"version"} if path.is_file() else set()
    return next(iter(known)) if node not in known and len(known) == 1 else node


def failures(results_dir: Path, commit: str, machine: str) -> list[str]:
    """Benchmarks of ``commit`` on ``machine`` saved with no value (or with a missing one
    for some parameters)."""
    files = sorted(results_dir.glob(f"{machine}/{commit[:8]}-*.json"))
    if not files:
        return [f"no results of commit {commit[:8]} under {results_dir / machine}"]
    bad: list[str] = []
    for path in files:
        saved = json.loads(path.read_text())
        column = saved["result_columns"].index("result")
        bad += [f"{name}: no value ({path.name})" for name, row in sorted(saved["results"].items())
                if _missing(row[column])]
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("asv.conf.json"))
    parser.add_argument("--commit", required=True)
    parser.add_argument("--machine", default=None, help="default: the one asv run uses")
    args = parser.parse_args()
    from asv.config import Config

    conf = Config.load(str(args.config))
    results_dir = args.config.resolve().parent / conf.results_dir  # asv's paths: as asv does
    bad = failures(results_dir, args.commit, args.machine or default_machine())
    for line in bad:
        print(f"asv benchmark failed: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
