"""Where a result came from: package versions, git commit, machine."""

from __future__ import annotations

import os
import platform
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

TRACKED_PACKAGES = ("tuning-harness", "numpy", "scipy", "pandas", "scikit-learn",
                    "scikit-optimize", "joblib", "threadpoolctl")


def package_versions() -> dict[str, str]:
    """Python and the installed versions of the packages results depend on."""
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@cache
def git_commit() -> str | None:
    """The harness checkout's commit (or $HARNESS_GIT_COMMIT / $GITHUB_SHA), None if unknown."""
    for var in ("HARNESS_GIT_COMMIT", "GITHUB_SHA"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def machine_info() -> dict[str, Any]:
    """CPU model, core count, memory and OS of this machine."""
    import psutil

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"host": platform.node(), "cpu": cpu or platform.machine(),
            "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform()}
