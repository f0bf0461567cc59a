"""Render the report context with the Jinja2 templates into one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import UserError

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
DEFAULT_REPORTS_DIR = Path("reports")


def _environment(templates_dir: Path) -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    if not (templates_dir / "index.html.j2").exists():
        raise UserError(f"report templates not found in {templates_dir}; install the harness "
                        "from its checkout (pip install -e .)")
    return Environment(loader=FileSystemLoader(templates_dir),
                       autoescape=select_autoescape(["html", "j2"], default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(context: dict[str, Any], *, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The report page as HTML text."""
    return _environment(templates_dir).get_template("index.html.j2").render(**context)


def write_report(*, db: Path, suite: str | None = None, out_dir: Path = DEFAULT_REPORTS_DIR,
                 learning_curves: bool = True) -> Path:
    """Build and write ``<out_dir>/<suite>/index.html`` from the store; returns its path.

    ``suite`` defaults to the suite run most recently. The learning curves are the ones
    stored with the runs (no model is fitted); ``learning_curves=False`` leaves them out.
    """
    from harness.analysis import load_suite_data
    from harness.analysis.history import round_history
    from harness.report.context import build_context
    from harness.store import ResultStore

    with ResultStore(db, create=False) as store:
        name = store.suite_name(suite)
        data = load_suite_data(store, name)
        history = round_history(store, name)
    html = render_html(build_context(data, learning_curves=learning_curves, history=history))
    path = out_dir / name / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
