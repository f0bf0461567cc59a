"""The nightly workflow and tox.ini agree: every tox environment the workflow runs exists,
and every harness command tox runs is one the harness accepts."""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "nightly.yml"
TOX_INI = REPO / "tox.ini"
ENVS = {"py311", "lint", "bench", "asv", "nightly"}


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict[str, Any]]:
    return [step for job in _workflow()["jobs"].values() for step in job["steps"]]


def _tox() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(TOX_INI)
    return parser


def _tox_envs(tox: configparser.ConfigParser) -> set[str]:
    listed = set(re.split(r"[\s,]+", tox["tox"].get("env_list", "").strip())) - {""}
    return listed | {s.split(":", 1)[1] for s in tox.sections() if s.startswith("testenv:")}


def _harness_commands(tox: configparser.ConfigParser) -> list[tuple[str, list[str]]]:
    """(environment, argv after `harness`) of each harness command tox.ini runs."""
    found = []
    for section in tox.sections():
        for line in tox[section].get("commands", "").splitlines():
            words = shlex.split(line.replace("{posargs}", "").lstrip("- "))
            if words[:1] == ["harness"]:
                found.append((section, words[1:]))
    return found


def test_workflow_runs_nightly_by_schedule_and_by_hand():
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    assert triggers["schedule"][0]["cron"].split()[0].isdigit()
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"]["actions"] == "read"  # to download the last artifact
    checkout = [s for s in _steps() if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout and checkout[0]["with"]["fetch-depth"] == 0


def test_every_tox_env_the_workflow_runs_exists_in_tox_ini():
    envs = _tox_envs(_tox())
    assert envs >= ENVS
    called = [name for step in _steps() for group in re.findall(r"\btox -e ([\w,-]+)",
                                                                 step.get("run", ""))
              for name in group.split(",")]
    assert {"nightly", "asv"} <= set(called)
    assert set(called) <= envs, f"not in tox.ini: {set(called) - envs}"


def test_workflow_restores_the_last_database_and_uploads_artifacts_always():
    steps = _steps()
    restore = " ".join(s.get("run", "") for s in steps)
    assert "gh run list --workflow nightly.yml" in restore
    assert "gh run download" in restore and "-n results-db -D results/" in restore
    uploads = {s["with"]["name"]: s for s in steps
               if s.get("uses", "").startswith("actions/upload-artifact@")}
    assert set(uploads) == {"results-db", "reports"}
    assert all(s["if"] == "always()" for s in uploads.values())
    assert "results/harness.db" in uploads["results-db"]["with"]["path"]
    assert "results/asv" in uploads["results-db"]["with"]["path"]
    assert uploads["reports"]["with"]["path"].rstrip("/") == "reports"
    # restored before the suite runs, so tonight's round joins the history
    order = [s.get("run", "") for s in steps]
    first = next(i for i, r in enumerate(order) if "gh run download" in r)
    assert first < next(i for i, r in enumerate(order) if "tox -e nightly" in r)


def test_harness_commands_in_tox_ini_are_accepted_by_the_cli():
    commands = _harness_commands(_tox())
    assert {argv[0] for _, argv in commands} >= {"run", "report", "compare"}
    parser = build_parser()
    for section, argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"[{section}] harness {' '.join(argv)}: not accepted by the harness CLI")


def test_tox_reads_tox_ini():
    done = subprocess.run([sys.executable, "-m", "tox", "config", "-e", ",".join(sorted(ENVS)),
                           "-k", "commands"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    for env in ENVS:
        assert f"[testenv:{env}]" in done.stdout
    assert "bash scripts/run-asv.sh" in done.stdout
    assert (REPO / "scripts" / "run-asv.sh").is_file()
