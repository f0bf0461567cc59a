"""The HTML report: a context of plain data and inline SVG, laid out by Jinja2 templates."""

from harness.report.context import build_context
from harness.report.render import DEFAULT_REPORTS_DIR, render_html, write_report

__all__ = ["DEFAULT_REPORTS_DIR", "build_context", "render_html", "write_report"]
