"""The package as a wheel: `pip install .` (not editable) writes a working report."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WRITE_STORE = """
import sys
from pathlib import Path
import harness
from harness.synthetic_results import fill_store
fill_store(Path(sys.argv[1]), suite="wheel-suite", seeds=(0, 1), trials_per_run=5)
print(harness.__file__)
"""


def _clean_env() -> dict[str, str]:
    """This environment without PYTHONPATH, so the venv imports its own copy of harness."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          env=_clean_env(), timeout=300)
    assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_wheel_installed_in_a_fresh_venv_writes_the_report(tmp_path):
    # build from a copy of the sources (links kept as links), so the checkout stays clean
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "harness", src / "harness", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "templates", src / "templates", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    assert (src / "harness" / "report" / "templates").is_symlink()
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", wheels, src, cwd=tmp_path)
    [wheel] = wheels.glob("tuning_harness-*.whl")

    # a fresh venv that sees the heavy dependencies of this one, with the wheel installed
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv,
         cwd=tmp_path)
    python, script = venv / "bin" / "python", venv / "bin" / "harness"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
         "--force-reinstall", wheel, cwd=tmp_path)

    work = tmp_path / "elsewhere"  # outside the checkout and the sources
    work.mkdir()
    db = work / "r.db"
    imported = Path(_run(python, "-c", WRITE_STORE, db, cwd=work).stdout.strip())
    assert imported.is_relative_to(venv), f"the venv imported {imported}, not its wheel"
    installed_templates = imported.parent / "report" / "templates"  # files, not the link
    assert installed_templates.is_dir() and not installed_templates.is_symlink()

    proc = _run(script, "report", "--db", db, "--out", work / "reports",
                "--no-learning-curves", cwd=work)
    html_path = work / "reports" / "wheel-suite" / "index.html"
    assert f"report: {html_path}" in proc.stdout
    html = html_path.read_text()
    assert "wheel-suite" in html and '<section id="leaderboards">' in html
    assert _run(script, "--version", cwd=work).stdout.startswith("harness ")
