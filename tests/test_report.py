"""The HTML report: sections, numbers, edge cases, escaping, and a real browser."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

import harness
from harness.report import write_report
from harness.synthetic_results import fill_store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SECTIONS = ["header", "recommendation", "leaderboards", "normalized", "significance",
            "anytime", "variance", "cost", "overfitting", "learning", "importance",
            "regularization", "failures"]

SUITE = """
name: report-tour
cv: 3
seeds: 2
budget: {time_s: 4, max_trials: 6}
datasets: [iris, wine, breast-cancer]
models: [knn]
strategies: [default, random, grid]
"""


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    """A report of real runs: 3 problems x 3 strategies x 2 seeds."""
    folder = tmp_path_factory.mktemp("report")
    suite = folder / "suite.yaml"
    suite.write_text(SUITE)
    db = folder / "r.db"
    outcome = harness.run_suite(suite, db=db, jobs=2)
    assert outcome.exit_code == 0
    path = write_report(db=db, out_dir=folder / "reports")
    return path, outcome.to_frame()


@pytest.mark.slow
def test_report_has_every_section_and_the_numbers(real_report):
    path, runs = real_report
    assert path.name == "index.html" and path.parent.name == "report-tour"
    html = path.read_text()
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    # one leaderboard per problem, each with every strategy
    assert html.count('class="sortable leaderboard"') == 3
    for problem in ("iris / knn", "wine / knn", "breast-cancer / knn"):
        assert f"<h3>{problem} <small>(accuracy)</small></h3>" in html
    # the mean test score of random search on wine, as the leaderboard shows it
    wine = runs[(runs["dataset"] == "wine") & (runs["strategy"] == "random")]
    assert f"{wine['test_score'].mean():.4f} ± " in html
    # charts are inline SVG: anytime, variance, cost, learning and importance per problem,
    # plus the gap chart and the critical-difference diagram (3 problems)
    assert html.count("<svg") == 3 * 5 + 2
    assert "CD = " in html and "Friedman p" in html
    assert "99% of the best final score" in html
    # one verdict per budget level (the problems share their contenders: one scope)
    for level in ("25%", "50%", "100%"):
        assert html.count(f"<li>at {level} of the budget") == 1
    assert "Every run finished" in html
    assert "The regularization strategy did not run in this suite." in html
    # self-contained: no external resource
    assert not re.search(r'<(link|img|iframe)\b', html)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count("<script") == 1


@pytest.mark.slow
def test_harness_run_writes_the_report(write_suite, tmp_path):
    path = write_suite(SUITE.replace("[iris, wine, breast-cancer]", "[iris]")
                       .replace("[default, random, grid]", "[default]"))
    proc = run_cli("run", "--suite", str(path), "--db", "r.db", "--no-learning-curves",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = tmp_path / "reports" / "report-tour" / "index.html"
    assert "report: reports/report-tour/index.html" in proc.stdout and report.exists()
    html = report.read_text()
    assert "learning curves were not computed" in html
    again = run_cli("report", "--db", "r.db", "--out", "elsewhere", cwd=tmp_path)
    assert again.returncode == 0 and (tmp_path / "elsewhere/report-tour/index.html").exists()


@pytest.mark.parametrize(("kwargs", "notes"), [
    (dict(strategies=["grid"], seeds=[0]),
     ["significance needs at least two contenders",
      "normalized scores need the random strategy as the baseline"]),
    (dict(statuses=["failed", "timeout"]),
     ["No run of this problem has a test score", "synthetic error",
      "at 100% of the budget: no verdict: no run has a test score"]),
    (dict(statuses=["skipped"]),
     ["No scored trials were recorded for this problem", "0 scored trial(s)",
      "No recommendation: no run of this suite ran."]),
])
def test_degenerate_suites_still_render_with_notes(tmp_path, kwargs, notes):
    db = tmp_path / "r.db"
    fill_store(db, suite="edge", **kwargs)
    html = write_report(db=db, out_dir=tmp_path / "reports").read_text()
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    for note in notes:
        assert note in html


def test_report_of_unknown_suite_and_empty_db(tmp_path):
    db = tmp_path / "r.db"
    proc = run_cli("report", "--db", str(db))
    assert proc.returncode == 2 and "no results database" in proc.stderr
    fill_store(db, suite="known")
    proc = run_cli("report", "--db", str(db), "--suite", "unknown")
    assert proc.returncode == 2 and "no suite 'unknown'" in proc.stderr and "known" in proc.stderr


def test_text_from_suites_data_and_errors_is_escaped(tmp_path):
    db = tmp_path / "r.db"
    evil = "<script>alert(1)</script>"
    fill_store(db, suite="evil", datasets=[evil, "plain"],
               strategies=["random", "grid", "bayes"], statuses=["ok", "ok", "failed"],
               params={"kernel": ["<b>rbf</b>", "linear"], "C": [0.1, 1.0]})
    html = write_report(db=db, out_dir=tmp_path / "reports").read_text()
    assert evil not in html and "<b>rbf</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script") == 1  # only the report's own sorting script


def _chromium() -> str:
    path = shutil.which("chromium")
    assert path, "headless Chromium is missing: run ./scripts/setup-tests.sh (apt-get install " \
                 "chromium)"
    return path


def _chromium_run(url: str, *extra: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp / 'chromium-profile'}",
         "--enable-logging=stderr", "--v=0", *extra, url],
        capture_output=True, text=True, timeout=120)


def _console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_browser_console_check_catches_errors(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    proc = _chromium_run(page.as_uri(), "--dump-dom", tmp=tmp_path)
    assert any("Uncaught ReferenceError" in m for m in _console_messages(proc.stderr))


@pytest.mark.slow
def test_report_loads_in_headless_chromium(real_report, tmp_path):
    path, _ = real_report
    dom = _chromium_run(path.as_uri(), "--dump-dom", tmp=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _console_messages(dom.stderr) == []
    assert dom.stdout.count('class="sortable leaderboard"') == 3
    assert dom.stdout.count("<svg") >= 17
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-screenshot.png"
    shot.unlink(missing_ok=True)
    proc = _chromium_run(path.as_uri(), f"--screenshot={shot}", "--window-size=1280,3000",
                         tmp=tmp_path)
    assert proc.returncode == 0 and _console_messages(proc.stderr) == []
    assert shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.frombuffer(shot.read_bytes()[16:24], dtype=">u4").tolist() == [1280, 3000]


@pytest.mark.slow
def test_tables_sort_by_a_click_on_their_header(real_report):
    from playwright.sync_api import sync_playwright

    path, _ = real_report
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text))
        page.goto(path.as_uri())
        table = page.locator("table.leaderboard").first
        header = table.locator("th", has_text="test median")
        column = [h.strip() for h in table.locator("thead th").all_inner_texts()].index(
            "test median")

        def keys():
            return [float(v) for v in table.locator(f"tbody tr td:nth-child({column + 1})")
                    .evaluate_all("cells => cells.map(c => c.getAttribute('data-sort'))")]

        header.click()
        assert keys() == sorted(keys())
        header.click()
        assert keys() == sorted(keys(), reverse=True)
        assert errors == []
        browser.close()
