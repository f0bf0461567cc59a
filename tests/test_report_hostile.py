"""The report survives any stored value: math-like text, non-finite and huge numbers, empty
and huge strings, HTML. It renders, and no stored text reaches the page unescaped."""

from __future__ import annotations

import itertools
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from harness.records import RunResult, RunSpec
from harness.report import write_report
from harness.store import ResultStore
from harness.synthetic_results import fill_store

NAN, INF = float("nan"), float("inf")
NUMBERS: list[float | None] = [NAN, INF, -INF, None, 1e308, -1e308, 1e-308, 1e100, 0.0]
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
TEXTS = ["", "x" * 10_000, "ünï©ødé ✓ 漢字 🙂 \u202eRTL", "$\\badcmd{y}$", "price_$US_$EUR.csv",
         SCRIPT, f"{IMG} \"double\" 'single' `back`", "two\nlines\r\nand\ttab", "&amp; &lt;b&gt;"]
# what the page may contain: the report's own markup, nothing a stored text brought in
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "script", "h1", "h2", "h3",
             "nav", "a", "section", "p", "div", "span", "table", "thead", "tbody", "tr", "th",
             "td", "code", "small", "strong", "em", "ul", "ol", "li", "dl", "dt", "dd", "pre",
             "details", "summary", "br", "b", "i", "abbr", "caption"}
SVG_TAGS = {"svg", "metadata", "defs", "style", "g", "path", "text", "use", "clippath",
            "rect", "title", "desc", "pattern", "tspan", "polyline", "line", "circle",
            "rdf:rdf", "cc:work", "cc:agent", "dc:type", "dc:date", "dc:format", "dc:title",
            "dc:creator"}


def test_math_like_names_and_parameters_render_as_typed(tmp_path):
    """A dataset file, strategy or parameter value with ``$`` is text, not math: the report
    renders (mathtext failed it with a parse error) and shows the text as stored."""
    db = tmp_path / "r.db"
    fill_store(db, datasets=["price_$US_$EUR.csv", "b"], strategies=["s$a", "$\\badcmd{y}$"],
               params={"p": ["$\\badcmd{y}$", "$x^2$"], "q": [1, 2, 3]}, trials_per_run=12)
    html = write_report(db=db, out_dir=tmp_path / "out", learning_curves=False).read_text()
    svgs = "".join(re.findall(r"<svg.*?</svg>", html, flags=re.S))
    # the texts are drawn in the charts as typed: the legend, ticks, importance bars
    assert ">price_$US_$EUR.csv / random_forest<" in svgs
    assert ">$\\badcmd{y}$ (n=2)<" in svgs  # anytime legend
    assert ">$x^2$<" in svgs  # a category of the partial-dependence chart
    assert "<h3>price_$US_$EUR.csv / random_forest <small>" in html


def _pick(row: int, column: int, finite: float, hostile_share: int) -> float | None:
    """A hostile number for every ``hostile_share``-th (row, column), else ``finite``."""
    if (row + column) % hostile_share:
        return finite
    return NUMBERS[(row * 7 + column) % len(NUMBERS)]


def _trials(run: int, count: int, share: int) -> list[dict[str, Any]]:
    trials = []
    for number in range(count):
        i = run * count + number
        score = 0.5 + 0.03 * (i % 11)
        folds = [_pick(i, c, score, share) for c in range(3)]
        trials.append({
            "number": number,
            "params": {TEXTS[3]: _pick(i, 3, float(number % 4), share),
                       SCRIPT: TEXTS[(i + number) % len(TEXTS)][:40],
                       "penalty": TEXTS[i % 3], "C": _pick(i, 4, 10.0 ** (number % 5 - 2),
                                                            share)},
            "cv_scores": folds, "mean_cv_score": _pick(i, 5, score, share),
            "std_cv_score": _pick(i, 6, 0.02, share), "fit_time_s": _pick(i, 7, 0.1, share),
            "score_time_s": _pick(i, 8, 0.01, share), "elapsed_s": _pick(i, 9, number, share),
            "fidelity": {TEXTS[i % len(TEXTS)]: _pick(i, 10, 1.0, share)} if i % 2 else None,
            "info": {"train_score": _pick(i, 11, score + 0.1, share),
                     "test_score": _pick(i, 12, score, share), "n_nonzero": _pick(i, 13, 3, share),
                     "n_coef": 4, TEXTS[6]: TEXTS[i % len(TEXTS)]},
            "error": TEXTS[i % len(TEXTS)] or None})
    return trials


def _spec(suite: str, round_label: str, dataset: str, strategy: str, seed: int, i: int,
          share: int) -> RunSpec:
    budget = _pick(i, 14, 60.0, share)
    return RunSpec(
        suite=suite, dataset=dataset, dataset_options={TEXTS[5]: TEXTS[i % len(TEXTS)]},
        fingerprint=TEXTS[i % len(TEXTS)], task=TEXTS[(i + 1) % len(TEXTS)], model=TEXTS[2],
        space={TEXTS[3]: {"type": TEXTS[5]}, SCRIPT: {}, "penalty": {}, "C": {}},
        strategy=strategy, strategy_options={"x": _pick(i, 15, 1.0, share)}, seed=seed,
        metric=TEXTS[(i + 2) % len(TEXTS)], cv=3, test_size=_pick(i, 16, 0.2, share) or 0.0,
        n_jobs=1, time_s=60.0 if budget is None or budget != budget else budget,
        max_trials=None, hard_limit_s=_pick(i, 17, 65.0, share) or 0.0,
        memory_mb=_pick(i, 18, 500.0, share), round=round_label)


def fill_hostile(db: Path, *, share: int) -> str:
    """Two rounds of a suite with hostile text in every text column and a hostile number in
    every ``share``-th number cell (1: all of them); returns the suite name."""
    suite = "hostile $\\badcmd{s}$ " + IMG + " ü"  # no slash: the report folder is named so
    datasets, strategies = TEXTS[:3], [*TEXTS[3:6], "regularization"]
    statuses = itertools.cycle(["ok", "ok", "failed", "ok", "timeout", "memout", "skipped"])
    i = 0
    with ResultStore(db) as store:
        for round_label in (SCRIPT, TEXTS[2]):
            config = {"name": suite, "metric": TEXTS[5], "cv": TEXTS[6], "n_jobs": INF,
                      "seeds": [NAN, 1e308, SCRIPT], "test_size": -INF,
                      "budget": {"time_s": INF, "max_trials": NAN}}
            suite_id = store.start_suite(
                name=suite, source=TEXTS[5] + "/" + TEXTS[1], config=config,
                config_hash=TEXTS[6], n_planned=-1, git_commit=TEXTS[5],
                package_versions={TEXTS[5]: TEXTS[6], "": TEXTS[1]},
                machine={"cpu": TEXTS[5], "cores": NAN, "memory_gb": INF, "host": TEXTS[6]},
                round=round_label)
            for dataset, strategy, seed in itertools.product(datasets, strategies,
                                                             (0, 2**63 - 1)):
                trials = _trials(i, 12, share)
                result = RunResult(
                    spec=_spec(suite, round_label, dataset, strategy, seed, i, share),
                    status=next(statuses), trials=trials,
                    best_params={TEXTS[3]: _pick(i, 19, 1.0, share), SCRIPT: TEXTS[i % 9]},
                    best_cv_score=_pick(i, 20, 0.8, share), test_score=_pick(i, 21, 0.7, share),
                    wall_time_s=_pick(i, 22, 30.0, share), cpu_time_s=_pick(i, 23, 20.0, share),
                    peak_mem_mb=_pick(i, 24, 200.0, share), error=TEXTS[i % len(TEXTS)],
                    details={SCRIPT: _pick(i, 25, 1.0, share)}, host=TEXTS[i % len(TEXTS)],
                    started_at=_pick(i, 26, 1.7e9, share), finished_at=_pick(i, 27, 1.7e9, share),
                    attempts=i % 3)
                store.save_run(result, suite_id=suite_id, git_commit=TEXTS[(i + 3) % 9],
                               package_versions={SCRIPT: TEXTS[i % 9]})
                i += 1
            store.finish_suite(suite_id, TEXTS[5])
    with sqlite3.connect(db) as conn:  # what the API would not let through
        conn.execute("UPDATE runs SET status=? WHERE id % 9 = 4", (SCRIPT,))
        conn.execute("UPDATE runs SET wall_time_s=NULL, cpu_time_s=NULL, peak_mem_mb=NULL, "
                     "n_trials=-5 WHERE id % 7 = 3")
        conn.execute("UPDATE suites SET started_at=?, finished_at=? WHERE id = 1", (INF, -INF))
        conn.execute("UPDATE suites SET finished_at=? WHERE id = 2", (1e308,))
    return suite


class _Tags(HTMLParser):
    """Every start tag and attribute name of a page, as the browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.mark.parametrize("share", [3, 1], ids=["some-numbers-hostile", "every-number-hostile"])
def test_report_of_hostile_values_renders_with_every_text_escaped(tmp_path, share):
    db = tmp_path / "r.db"
    suite = fill_hostile(db, share=share)
    path = write_report(db=db, out_dir=tmp_path / "out")
    assert path == tmp_path / "out" / suite / "index.html"
    html = path.read_text(encoding="utf-8")

    # nothing a stored text carried became markup: only the report's own tags, no handler
    page = _Tags()
    page.feed(html)
    assert page.tags <= PAGE_TAGS | SVG_TAGS, page.tags - PAGE_TAGS - SVG_TAGS
    assert not {a for a in page.attributes if a.startswith("on")}
    assert html.count("<script") == 1 and len(page.scripts) == 1
    assert "alert" not in page.scripts[0] and "badcmd" not in page.scripts[0]
    assert SCRIPT not in html and "<img src=x" not in html
    # ... and is shown, escaped, in the page and in the charts' text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html
    assert "$\\badcmd{y}$" in html and "x" * 10_000 in html
    assert "mathdefault" not in html  # the log axis's ticks are plain numbers too
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    # the charts are drawn (0, 1e-308 and 1e100 are numbers still) and name the strategies
    assert len(svgs) >= 4
    chart_text = "".join(svgs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart_text
    assert "$\\badcmd{y}$" in chart_text
    for svg in svgs:
        assert SCRIPT not in svg and "<img" not in svg
    # no non-finite number is printed as such
    cells = re.findall(r">([^<>]*)</td>", html)
    assert not [c for c in cells if re.search(r"\b(nan|inf)\b", c, flags=re.I)]
