"""The report as a person sees it in headless Chromium: every section screenshotted, no chart
text cut at its SVG's edge, no two labels of a chart on top of each other, unique ids."""

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from harness.console import summary_rows
from harness.report import write_report
from harness.report.charts._svg import padded_limits, unique_svg_ids
from harness.synthetic_results import fill_store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "report-sections"
SECTIONS = ["header", "recommendation", "leaderboards", "normalized", "significance",
            "anytime", "variance", "cost", "overfitting", "learning", "importance",
            "regularization", "failures"]
#: strategies that cost alike (their points sit together) with long names
STRATEGIES = ["random", "grid", "bayes-optimization-with-a-long-name", "coarse-to-fine",
              "halving", "default", "hyperopt-tpe", "smac-hyperband"]
PARAMS = {"min_samples_leaf_of_the_forest": [1, 2, 4, 8], "embedding_dimension": [16, 32, 64],
          "criterion": ["gini", "entropy"]}

#: Per inline SVG: texts reaching outside it, and pairs of texts whose boxes overlap
#: (by more than a pixel each way: glyph boxes of neighbouring lines may touch).
LAYOUT_JS = """
() => Array.from(document.querySelectorAll("svg")).map((svg, index) => {
  const box = svg.getBoundingClientRect();
  const texts = Array.from(svg.querySelectorAll("text"))
    .filter(t => t.textContent.trim() !== "")
    .map(t => ({text: t.textContent.trim(), r: t.getBoundingClientRect()}))
    .filter(t => t.r.width > 0 && t.r.height > 0);
  const outside = texts.filter(t => t.r.left < box.left - 1 || t.r.right > box.right + 1
    || t.r.top < box.top - 1 || t.r.bottom > box.bottom + 1).map(t => t.text);
  const overlaps = [];
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i].r, b = texts[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) overlaps.push([texts[i].text, texts[j].text]);
    }
  }
  const section = svg.closest("section");
  return {index, section: section ? section.id : "", texts: texts.length, outside, overlaps};
})
"""


@pytest.fixture(scope="module")
def crowded_report(tmp_path_factory) -> Path:
    """A synthetic suite of 2 problems x 8 strategies x 3 seeds, long names included."""
    folder = tmp_path_factory.mktemp("layout")
    db = folder / "r.db"
    fill_store(db, suite="crowded", datasets=["alpha-dataset-with-a-long-name", "beta"],
               strategies=STRATEGIES, seeds=[0, 1, 2], params=PARAMS,
               statuses=["ok"] * 11 + ["failed"])
    return write_report(db=db, out_dir=folder / "reports")


def test_every_element_id_is_unique(crowded_report):
    html = crowded_report.read_text()
    ids = Counter(re.findall(r'\bid="([^"]+)"', html))
    assert html.count("<svg") >= 10
    assert [name for name, count in ids.items() if count > 1] == []
    # every reference points at an id of the same page
    for ref in re.findall(r'(?:url\(#|href="#)([^)"]+)', html):
        assert ref in ids, ref


def test_unique_svg_ids_prefixes_ids_and_their_references():
    svg = ('<svg><clipPath id="p1"/><g id="figure_1" clip-path="url(#p1)">'
           '<use xlink:href="#m1"/></g></svg>')
    html = f'<section id="cost">{svg}{svg}</section>'
    out = unique_svg_ids(html)
    assert out.count('id="figure_1"') == 0 and '<section id="cost">' in out
    assert 'id="chart1-p1"' in out and 'url(#chart2-p1)' in out
    assert 'xlink:href="#chart2-m1"' in out


def test_axis_limits_do_not_exaggerate_small_differences():
    # all runs used their whole 42 s budget: the time axis starts at 0
    assert padded_limits([41.4, 42.6], from_zero=True) == (0.0, pytest.approx(42.6 * 1.05))
    # scores 0.950 and 0.951 span at least 2% of their size, centred on them
    low, high = padded_limits([0.950, 0.951])
    assert high - low == pytest.approx(0.02 * 0.951 * 1.1)
    assert low < 0.95 and high > 0.951
    assert padded_limits([None, float("nan")]) is None


def test_summary_counts_trials_per_run():
    runs = [{"dataset": "iris", "model": "knn", "strategy": "random", "metric": "accuracy",
             "status": "ok", "best_cv_score": 0.9, "test_score": 0.8, "wall_time_s": 1.0,
             "n_trials": n} for n in (10, 20, 30)]
    headers, rows = summary_rows(runs)
    assert rows[0][headers.index("trials/run")] == "20.0"


def test_sections_are_readable_in_chromium(crowded_report):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "headless Chromium is missing: apt-get install chromium"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(crowded_report.as_uri())
        for section in SECTIONS:
            shot = ARTIFACTS / f"{section}.png"
            shot.unlink(missing_ok=True)
            page.locator(f"section#{section}").screenshot(path=str(shot))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        charts = page.evaluate(LAYOUT_JS)
        browser.close()
    assert len(charts) >= 10 and sum(c["texts"] for c in charts) > 200
    cut = [(c["section"], c["outside"]) for c in charts if c["outside"]]
    overlapping = [(c["section"], c["overlaps"]) for c in charts if c["overlaps"]]
    assert cut == []
    assert overlapping == []
