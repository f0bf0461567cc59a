"""Render the report context with the Jinja2 templates into one self-contained HTML file.

The templates are package data of ``harness.report`` (``harness/report/templates``, a link to
the checkout's top-level ``templates/`` that the wheel build follows), read through
``importlib.resources`` so an installed wheel renders the same report as a checkout."""

from __future__ import annotations

import gc
from collections.abc import Callable
from importlib.resources import abc as resources_abc
from importlib.resources import files
from pathlib import Path
from typing import Any

from harness.errors import UserError

DEFAULT_REPORTS_DIR = Path("reports")
ENTRY_TEMPLATE = "index.html.j2"


def templates() -> resources_abc.Traversable:
    """The folder of the report's Jinja2 templates, as package data."""
    return files("harness.report").joinpath("templates")


def _environment(root: resources_abc.Traversable) -> Any:
    from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape

    if not root.joinpath(ENTRY_TEMPLATE).is_file():
        raise UserError(f"report templates not found in {root}: this installation of the "
                        "harness lacks its package data; reinstall it (pip install .)")

    def source(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        resource = root.joinpath(*name.split("/"))
        if not resource.is_file():
            return None  # Jinja2 raises TemplateNotFound
        return resource.read_text(encoding="utf-8"), str(resource), lambda: True

    return Environment(loader=FunctionLoader(source),
                       autoescape=select_autoescape(["html", "j2"], default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(context: dict[str, Any], *,
                templates_dir: resources_abc.Traversable | None = None) -> str:
    """The report page as HTML text (``templates_dir``: another template folder)."""
    root = templates() if templates_dir is None else templates_dir
    from harness.report.charts._svg import unique_svg_ids

    return unique_svg_ids(_environment(root).get_template(ENTRY_TEMPLATE).render(**context))


def _page(db: Path, suite: str | None, out_dir: Path, learning_curves: bool,
          chart_workers: int | None) -> tuple[str, str]:
    """(suite name, report HTML); charts drawn by ``chart_workers`` processes while the
    rest of the report is computed (see ``charts.batch``).

    What is imported and read from the store lives until the report is written: frozen
    out of the garbage collector meanwhile, so that the many collections while charts are
    drawn do not each walk it again (about a tenth of the report's time on 20,000 trials).
    """
    from harness.analysis import load_suite_data, stored_importances, suite_runs
    from harness.analysis.history import round_history
    from harness.report.charts._svg import unique_svg_ids
    from harness.report.charts.batch import ChartBatch
    from harness.report.context import build_context, importance_sections
    from harness.store import ResultStore

    gc.freeze()  # before the chart workers are forked, too: fewer pages copied into them
    try:
        with ChartBatch(chart_workers) as charts:  # its workers start while the store is read
            with ResultStore(db, create=False) as store:
                name = store.suite_name(suite)
                round, _, runs = suite_runs(store, name)  # the runs, without the trials
                # its charts are drawn by the workers while the trials are read
                importance = importance_sections(list(dict.fromkeys(runs["problem"])),
                                                 stored_importances(store, name, round, runs))
                data = load_suite_data(store, name, round=round)
                history = round_history(store, name)
                nearest = _nearest(store, data)
            folder, out = (out_dir / name).resolve(), out_dir.resolve()
            if folder == out or not folder.is_relative_to(out):  # e.g. a suite named '..'
                raise UserError(f"suite name {name!r} would put the report in {folder}, "
                                f"outside --out {out}")
            gc.freeze()
            context = build_context(data, learning_curves=learning_curves, history=history,
                                    nearest=nearest, importance=importance)
            html = _environment(templates()).get_template(ENTRY_TEMPLATE).render(**context)
            html = charts.fill(html)
    finally:
        gc.unfreeze()  # collectable again, as any garbage
    return name, unique_svg_ids(html)


def write_report(*, db: Path, suite: str | None = None, out_dir: Path = DEFAULT_REPORTS_DIR,
                 learning_curves: bool = True, chart_workers: int | None = None) -> Path:
    """Build and write ``<out_dir>/<suite>/index.html`` from the store; returns its path.

    ``suite`` defaults to the suite run most recently. The learning curves are the ones
    stored with the runs, the hyperparameter importance the one stored for the suite's round
    (no model is fitted: ``harness.importances.store_importances`` fits what is missing);
    ``learning_curves=False`` leaves the curves out.
    ``chart_workers``: processes that draw the charts beside this one (None: one per core
    besides this process's, at most 4; 0: all in this process).
    """
    name, html = _page(db, suite, out_dir, learning_curves, chart_workers)
    path = out_dir / name / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def _nearest(store: Any, data: Any) -> list[dict[str, Any]]:
    """The "Data like yours" sections: only for a suite that ran a user's own file."""
    from harness.analysis._data import latest_runs
    from harness.analysis.like_mine import FILE_SOURCES, user_data_neighbours
    from harness.report.nearest_context import nearest_context

    if not len(data.runs) or not data.runs["dataset"].str.startswith(FILE_SOURCES).any():
        return []
    return nearest_context(user_data_neighbours(latest_runs(store), data.runs),
                           str(store.path))
