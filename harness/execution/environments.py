"""Foreign environments: a virtual environment per framework that cannot live in the main one.

auto-sklearn 0.15 installs only on Python 3.9 (with scikit-learn 0.24), so the harness
creates a virtual environment for it under a cache folder, on a Python 3.9 interpreter it
finds: ``$HARNESS_PYTHON39`` (or ``--python`` given to ``harness env setup``) first, then
pyenv's ``versions/3.9.*``, then ``python3.9`` on PATH. Creation happens once, before any
run needs it; a missing interpreter is reported, never guessed around.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class EnvironmentUnavailable(Exception):
    """The environment cannot be created here; the message says what to install."""


@dataclass(frozen=True)
class EnvironmentSpec:
    name: str
    python: str  # major.minor
    requirements: tuple[str, ...]
    description: str

    @property
    def fingerprint(self) -> str:
        text = json.dumps([self.python, sorted(self.requirements)])
        return hashlib.sha256(text.encode()).hexdigest()[:10]


ENVIRONMENTS: dict[str, EnvironmentSpec] = {
    "autosklearn": EnvironmentSpec(
        "autosklearn", "3.9",
        ("auto-sklearn==0.15.0", "numpy<1.24", "pandas<2", "scipy<1.10"),
        "auto-sklearn 0.15 (scikit-learn 0.24) on Python 3.9"),
}
_BOOTSTRAP = ("pip", "setuptools<70", "wheel")


def env_root() -> Path:
    """Where environments live: ``$HARNESS_ENV_DIR`` or ``~/.cache/tuning-harness/envs``."""
    from harness.datasets import user_cache_dir

    configured = os.environ.get("HARNESS_ENV_DIR")
    return Path(configured).expanduser() if configured else user_cache_dir() / "envs"


def env_dir(spec: EnvironmentSpec) -> Path:
    return env_root() / f"{spec.name}-py{spec.python}-{spec.fingerprint}"


def _python_version(python: str) -> str | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_python(version: str, *, configured: str | None = None) -> tuple[str | None, list[str]]:
    """An interpreter of ``version`` and the places looked at (for the error message)."""
    tried: list[str] = []
    variable = f"HARNESS_PYTHON{version.replace('.', '')}"
    explicit = configured or os.environ.get(variable)
    if explicit:
        tried.append(f"{explicit} (from {'--python' if configured else variable})")
        if _python_version(explicit) == version:
            return explicit, tried
        return None, tried  # an explicit choice that is wrong is an error, not a hint
    pyenv_root = os.environ.get("PYENV_ROOT")
    if not pyenv_root and shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        pyenv_root = out.stdout.strip() or None
    if pyenv_root:
        pattern = str(Path(pyenv_root) / "versions" / f"{version}.*" / "bin" / "python")
        tried.append(pattern)
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if _python_version(candidate) == version:
                return candidate, tried
    on_path = shutil.which(f"python{version}")
    tried.append(f"python{version} on PATH")
    if on_path and _python_version(on_path) == version:
        return on_path, tried
    return None, tried


def _env_python(directory: Path) -> Path:
    return directory / "bin" / "python"


def strategy_environment_problem(strategy: str, *,
                                  log: Callable[[str], None] = lambda _: None) -> str:
    """Create the strategy's foreign environment on this host if it needs one (once);
    why it cannot be made or the strategy cannot run here (its ``unavailable()``, say an
    optional package missing), or '' when the strategy can run here."""
    from harness.strategies import resolve_strategy

    info = resolve_strategy(strategy)
    if reason := info.unavailable:
        return reason
    environment = info.environment
    if environment is None:
        return ""
    try:
        ensure_environment(environment, log=log)
    except EnvironmentUnavailable as exc:
        return str(exc)
    return ""


def ensure_environment(name: str, *, python: str | None = None,
                       log: Callable[[str], None] = lambda _: None) -> Path:
    """The environment's interpreter, creating the environment first if needed.

    Raises EnvironmentUnavailable with what to install when no suitable Python is found or
    the installation fails.
    """
    spec = ENVIRONMENTS[name]
    directory = env_dir(spec)
    ready = directory / "ready.json"
    if ready.exists():
        return _env_python(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f".{directory.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one creator at a time; others wait, then reuse
        if ready.exists():
            return _env_python(directory)
        base, tried = find_python(spec.python, configured=python)
        if base is None:
            raise EnvironmentUnavailable(
                f"{spec.description} needs a Python {spec.python} interpreter and none was "
                f"found (looked at: {'; '.join(tried)}). Install one (e.g. `pyenv install "
                f"{spec.python}`) and/or point the harness at it with "
                f"HARNESS_PYTHON{spec.python.replace('.', '')}=/path/to/python{spec.python} "
                f"or `harness env setup {name} --python PATH`.")
        log(f"creating the {name} environment in {directory} (Python {spec.python} from "
            f"{base}); this takes a minute or two, once")
        shutil.rmtree(directory, ignore_errors=True)
        steps = [[base, "-m", "venv", str(directory)],
                 [str(_env_python(directory)), "-m", "pip", "install", "-q", "--upgrade",
                  *_BOOTSTRAP],
                 [str(_env_python(directory)), "-m", "pip", "install", "-q",
                  *spec.requirements]]
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise EnvironmentUnavailable(
                    f"creating the {name} environment failed at `{' '.join(step)}`:\n"
                    f"{(proc.stderr or proc.stdout)[-2000:]}")
        ready.write_text(json.dumps({"base_python": base, "packages": _freeze(directory)}))
    return _env_python(directory)


def _freeze(directory: Path) -> dict[str, str]:
    out = subprocess.run([str(_env_python(directory)), "-m", "pip", "list", "--format=json"],
                         capture_output=True, text=True, check=False)
    try:
        return {p["name"]: p["version"] for p in json.loads(out.stdout)}
    except (ValueError, KeyError):
        return {}


def describe_environments() -> list[dict[str, Any]]:
    """Each known environment: where it lives, whether it is ready, its Python and packages."""
    rows = []
    for spec in ENVIRONMENTS.values():
        directory = env_dir(spec)
        ready = directory / "ready.json"
        info = json.loads(ready.read_text()) if ready.exists() else {}
        packages = info.get("packages", {})
        rows.append({"name": spec.name, "path": str(directory), "ready": ready.exists(),
                     "python": spec.python, "base_python": info.get("base_python"),
                     "requirements": list(spec.requirements), "packages": packages})
    return rows
