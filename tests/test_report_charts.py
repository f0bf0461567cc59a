"""The report's charts drawn by worker processes (harness/report/charts/batch.py): the same
report as drawn in place, errors surface, and no fork where it would be unsafe."""

import subprocess
import sys
import threading

import pytest

from harness.analysis.cost import CostPoint
from harness.report import write_report
from harness.report.charts import lines
from harness.report.charts.batch import ChartBatch
from harness.report.charts.points import pareto_svg
from harness.synthetic_results import fill_store


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    db = tmp_path_factory.mktemp("charts") / "r.db"
    fill_store(db, suite="charts", datasets=["alpha", "beta", "gamma"],
               strategies=["random", "grid", "bayes"], seeds=[0, 1], trials_per_run=15)
    return db


def test_workers_draw_the_same_report_as_one_process(small_store, tmp_path):
    parallel = write_report(db=small_store, out_dir=tmp_path / "two", chart_workers=2)
    serial = write_report(db=small_store, out_dir=tmp_path / "one", chart_workers=0)
    html = parallel.read_text()
    assert html == serial.read_text()
    assert html.count("<svg") >= 15 and "<!--harness-chart-" not in html


def test_a_chart_failing_in_a_worker_fails_the_report_with_its_error(small_store, tmp_path,
                                                                     monkeypatch):
    def broken(fig, **kwargs):
        raise ValueError("no room on the canvas")

    monkeypatch.setattr(lines, "figure_to_svg", broken)  # the anytime curves' charts
    with pytest.raises(ValueError, match="no room on the canvas"):
        write_report(db=small_store, out_dir=tmp_path / "r", chart_workers=2)
    assert not (tmp_path / "r" / "charts" / "index.html").exists()


def test_a_process_running_other_threads_draws_in_place():
    points = [CostPoint("random", 1.0, 0.9, 5.0, 0.01, True),
              CostPoint("grid", 2.0, 0.8, 3.0, 0.02, False)]
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with ChartBatch(workers=2) as batch:
            assert not batch.parallel  # forking a process with threads is unsafe
            svg = pareto_svg(points, {"random": "#1f77b4", "grid": "#ff7f0e"}, "accuracy")
    finally:
        release.set()
        other.join()
    assert svg.startswith("<svg") and "grid" in svg


#: Run in a fresh interpreter: a pytest process may keep other tests' threads alive, and then
#: (rightly) draws in place.
WORKERS_DRAW = """
from harness.analysis.cost import CostPoint
from harness.report.charts.batch import ChartBatch
from harness.report.charts.points import pareto_svg
points = [CostPoint("random", 1.0, 0.9, 5.0, 0.01, True),
          CostPoint("grid", 2.0, 0.8, 3.0, 0.02, False)]
colors = {"random": "#1f77b4", "grid": "#ff7f0e"}
in_place = pareto_svg(points, colors, "accuracy")
with ChartBatch(workers=2) as batch:
    assert batch.parallel, "a process without other threads should fork chart workers"
    placeholder = pareto_svg(points, colors, "accuracy")
    assert placeholder != in_place
    assert batch.fill(f"<p>{placeholder}</p>") == f"<p>{in_place}</p>"
# one worker; the charts it has not begun when the page is filled are drawn here instead
many = [CostPoint(f"s{i}", 1.0 + i, 0.5 + i / 50, 5.0, 0.01, i % 2 == 0) for i in range(8)]
charts = [pareto_svg(many[:n], {p.strategy: "#1f77b4" for p in many}, "accuracy")
          for n in range(1, 9)]
with ChartBatch(workers=1) as batch:
    page = "".join(pareto_svg(many[:n], {p.strategy: "#1f77b4" for p in many}, "accuracy")
                   for n in range(1, 9))
    assert batch.fill(page) == "".join(charts)
    assert batch.drawn_here > 0  # filled at once: most were still queued
print("drawn by workers, the same chart")
"""


def test_a_process_without_other_threads_draws_the_same_chart_in_workers():
    result = subprocess.run([sys.executable, "-c", WORKERS_DRAW], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "drawn by workers, the same chart" in result.stdout


def test_a_figure_drawn_again_shows_its_new_ticks():
    """Each axis's ticks are worked out once per drawing (charts._svg), not once per figure:
    a figure whose limits change between two drawings shows the new tick labels."""
    import re

    from harness.report.charts._svg import figure_to_svg, new_figure

    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    ax.set_xlim(0, 1)
    first = figure_to_svg(fig)
    ax.set_xlim(0, 500)
    second = figure_to_svg(fig)

    def labels(svg: str) -> set[str]:
        return set(re.findall(r">([0-9.]+)</text>", svg))

    assert {"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"} <= labels(first)
    assert not {"100", "300", "500"} & labels(first)
    assert {"100", "200", "300", "400", "500"} <= labels(second)
    assert "_update_ticks" not in vars(ax.xaxis)  # matplotlib's own method again
