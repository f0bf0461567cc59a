"""Matplotlib figures as inline SVG text (no files, no network at view time).

Every text a chart draws is plain text: names, parameter values and file names come from the
store, and matplotlib would read ``$...$`` in them as math (a parse error fails the report,
a valid one shows something else than what is stored). :func:`figure_to_svg` turns math and
LaTeX off for every text of the figure, so no chart can forget it.
"""

from __future__ import annotations

import io
import math
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def new_figure(width: float = 6.4, height: float = 3.6, *, left: float = 0.12,
               bottom: float = 0.16, right: float = 0.97, top: float = 0.95) -> tuple[Any, Any]:
    """A (figure, axes) pair on the non-interactive Agg backend.

    Margins are fixed (fractions of the figure): a layout engine would double the drawing
    time, and the report draws dozens of charts.
    """
    fig = figure_class()(figsize=(width, height))
    fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top)
    ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def figure_class() -> Any:
    """Matplotlib's ``Figure``, on the non-interactive Agg backend (imported on first use,
    see :func:`import_drawing`)."""
    import_drawing()
    from matplotlib.figure import Figure

    return Figure


def import_drawing() -> None:
    """Import matplotlib's figure and SVG code once, without writing the help text of its
    artists' ``set`` methods: matplotlib lists every property of each artist class in it as
    the class is made (``matplotlib.artist.kwdoc``), a third of the import's CPU time
    (0.1 of 0.3 s; a report's process imports it before its chart workers fork), for help
    a report never shows. ``help(Line2D.set)`` in the same process then lists no
    properties; nothing else differs."""
    if "matplotlib.figure" in sys.modules:
        return
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.artist

    kwdoc = matplotlib.artist.kwdoc
    matplotlib.artist.kwdoc = lambda artist: "(properties not listed)"
    try:
        import matplotlib.backends.backend_svg
        import matplotlib.figure  # noqa: F401
    finally:
        matplotlib.artist.kwdoc = kwdoc


#: No math, no LaTeX: for texts made while the figure is drawn (tick labels); the tick
#: formatters then write numbers without ``$``.
PLAIN_TEXT_RC = {"text.parse_math": False, "text.usetex": False,
                 "axes.formatter.use_mathtext": False}


def plain_text(fig: Any) -> None:
    """Turn math parsing and LaTeX off on every text the figure holds now (labels, titles,
    legends, annotations, tick labels). Ticks not made yet are made while the figure is
    drawn, under :data:`PLAIN_TEXT_RC` (``findobj`` would make them now, at a tenth of a
    chart's drawing time)."""
    for text in _texts(fig):
        text.set_parse_math(False)
        text.set_usetex(False)


def _texts(artist: Any) -> Iterator[Any]:
    """Every ``Text`` under ``artist``, without making an axis's ticks."""
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    if isinstance(artist, Text):
        yield artist
    if isinstance(artist, Axis):
        made = vars(artist)  # the tick lists are made on first access
        children = [artist.label, artist.offsetText, *made.get("majorTicks", ()),
                    *made.get("minorTicks", ())]
    else:
        children = artist.get_children()
    for child in children:
        yield from _texts(child)


def figure_to_svg(fig: Any, *, pad_inches: float = 0.08) -> str:
    """The figure as an ``<svg>`` element (XML header dropped), every text drawn as the plain
    text it is (see :func:`plain_text`) and kept as text.

    The figure is drawn once; its visible area is then cropped (or grown) to the box around
    everything drawn, ``pad_inches`` wider, so no text is cut at the figure's edge (tick and
    axis labels, legends beside the axes). This is what ``savefig(bbox_inches="tight")``
    saves, without the second drawing it makes to find that box.
    """
    import matplotlib

    buffer = io.StringIO()
    boxes: list[Any] = []

    def measure(event: Any) -> None:  # at the end of the drawing, with its renderer
        boxes.append(fig.get_tightbbox(event.renderer))

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "harness",
                                **PLAIN_TEXT_RC}):
        plain_text(fig)
        connection = fig.canvas.mpl_connect("draw_event", measure)
        try:
            with warnings.catch_warnings(), _ticks_laid_out_once(fig):
                # a glyph missing from matplotlib's font only affects the layout: the
                # browser draws the text with its own fonts
                warnings.filterwarnings("ignore", message="Glyph .* missing from font")
                fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
        finally:
            fig.canvas.mpl_disconnect(connection)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    return _cropped(svg, boxes[-1].padded(pad_inches), fig.get_size_inches()[1],
                    fig.get_facecolor())


@contextmanager
def _ticks_laid_out_once(fig: Any) -> Iterator[None]:
    """While ``fig`` is drawn and measured, each axis works out its ticks (positions, labels)
    and their labels' boxes once, not again for every label it places and for the tight
    box (up to eight times an axis, alike each time: the axes' place and view limits are
    fixed by then, with fixed margins and no layout engine). The same SVG, 13-17% less
    drawing time (``benchmarks/report_render.py``). Matplotlib versions without these
    private methods are drawn as they are."""
    axes = [axis for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
            if hasattr(axis, "_update_ticks") and hasattr(axis, "_get_ticklabel_bboxes")]
    for axis in axes:
        axis._update_ticks = _once(axis._update_ticks)
        axis._get_ticklabel_bboxes = _once(axis._get_ticklabel_bboxes)
    try:
        yield
    finally:
        for axis in axes:  # the class's methods again
            del axis._update_ticks, axis._get_ticklabel_bboxes


def _once(method: Any) -> Any:
    """``method`` answering each distinct call (its arguments' identities) from memory."""
    answers: dict[tuple[int, ...], Any] = {}

    def remembered(*args: Any) -> Any:
        key = tuple(id(a) if not isinstance(a, list) else tuple(map(id, a)) for a in args)
        if key not in answers:
            answers[key] = method(*args)
        return answers[key]

    return remembered


#: No date (each chart would differ on every run), no creator: only the drawing
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
_SVG_SIZE = re.compile(r'width="[^"]*" height="[^"]*" viewBox="[^"]*"')


def _cropped(svg: str, box: Any, height_in: float, facecolor: Any) -> str:
    """``svg`` (drawn at 72 points per inch) showing only ``box`` (inches, from the bottom
    left), on the figure's background colour."""
    from matplotlib.colors import to_hex

    x, y = box.x0 * 72, (height_in - box.y1) * 72
    w, h = box.width * 72, box.height * 72
    svg = _SVG_SIZE.sub(f'width="{w:.2f}pt" height="{h:.2f}pt" '
                        f'viewBox="{x:.2f} {y:.2f} {w:.2f} {h:.2f}"', svg, count=1)
    # the figure's own background covers only the figure; the box may reach beyond it
    background = (f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" '
                  f'fill="{to_hex(facecolor)}"/>\n')
    at = svg.index("<g id=")
    return svg[:at] + background + svg[at:]


_SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
_ID_PATTERNS = (
    (re.compile(r'\bid="([^"]+)"'), 'id="{prefix}{0}"'),
    (re.compile(r"url\(#([^)]+)\)"), "url(#{prefix}{0})"),
    (re.compile(r'href="#([^"]+)"'), 'href="#{prefix}{0}"'),
)


def unique_svg_ids(html: str) -> str:
    """``html`` with the element ids of its n-th inline ``<svg>`` (and the references to
    them: ``url(#..)``, ``href``/``xlink:href="#.."``) prefixed by ``chart<n>-``.

    Every matplotlib figure names its elements alike (``figure_1``, ``axes_1``, ...); in one
    page those ids would repeat and a reference could resolve to another chart's clip path.
    """
    counter = iter(range(1, 1_000_000))

    def prefix_block(block: re.Match[str]) -> str:
        prefix = f"chart{next(counter)}-"
        svg = block.group(0)
        for pattern, template in _ID_PATTERNS:
            svg = pattern.sub(lambda m, t=template: t.format(m.group(1), prefix=prefix), svg)
        return svg

    return _SVG_BLOCK.sub(prefix_block, html)


def padded_limits(values: list[float], *, from_zero: bool = False,
                  min_share: float = 0.02) -> tuple[float, float] | None:
    """Axis limits for ``values`` that do not blow small differences up: from 0 when
    ``from_zero`` (times), otherwise spanning at least ``min_share`` of the values' magnitude;
    5% padding either side. None without finite values."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    if from_zero:
        low = min(low, 0.0)
    span = max(high - low, min_share * max(abs(low), abs(high)), 1e-9)
    if from_zero:
        return low, low + span * 1.05
    middle = (low + high) / 2
    return middle - span * 0.55, middle + span * 0.55


def as_float_array(values: list[float | None]) -> Any:
    """A float array with NaN for None (matplotlib leaves gaps there)."""
    import numpy as np

    return np.array([np.nan if v is None else v for v in values], dtype=float)


def color_for(names: list[str]) -> dict[str, str]:
    """A stable colour per name (strategy), in the order given."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
