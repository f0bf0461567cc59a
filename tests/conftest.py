from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent


@pytest.fixture(autouse=True)
def _plugins_importable(monkeypatch, tmp_path):
    """Worker processes inherit PYTHONPATH, so they can import plugin_strategies too; each
    test runs in its own folder, so default outputs (reports/, results/) land there."""
    monkeypatch.chdir(tmp_path)
    paths = [str(TESTS_DIR), os.environ.get("PYTHONPATH")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, paths)))


@pytest.fixture
def write_suite(tmp_path):
    """Write a suite YAML (dedented text) into tmp_path; returns its path."""

    def write(text: str, name: str = "suite.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600
            ) -> subprocess.CompletedProcess[str]:
    """Run the ``harness`` command as a user would (a separate process, in the test's
    folder unless ``cwd`` says otherwise)."""
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env=os.environ.copy())


def stored_run_count(db: Path) -> int:
    """Runs stored in a results database so far (0 while it cannot be read)."""
    import sqlite3

    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite3.Error:
        return 0


def process_alive(pid: int) -> bool:
    """Whether a process runs (a zombie counts as gone)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def default_sigint() -> None:
    """``preexec_fn`` for a harness that a test will Ctrl-C: SIGINT as in a terminal.

    A test session started in the background by a non-interactive shell inherits SIGINT
    ignored, and Python then never raises KeyboardInterrupt; a user's terminal does not
    do that, so the tests restore the default."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
