"""What the harness prints: a progress bar with ETA, the summary table, the suites table."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

#: The bar's width on a terminal that reports none
FALLBACK_COLUMNS = 100


def _sizeless_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that reports a width of 0 (a pseudo-terminal opened
    without a size, as ``script`` and some CI runners open one): tqdm, sizing its bar to the
    terminal, would draw nothing there, not even the counts and the time left."""
    try:
        return os.isatty(stream.fileno()) and os.get_terminal_size(stream.fileno()).columns == 0
    except (AttributeError, OSError, ValueError):  # not a file, or not a terminal
        return False


class Progress:
    """A tqdm bar over runs, with the time left as the runner estimates it (counting down
    from the latest estimate; ``?`` before the first); silent when disabled."""

    FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed} elapsed, {left} left{postfix}]"

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None):
        self._bar = None
        self.counts: dict[str, int] = {}
        self._left: tuple[float, float] | None = None  # (seconds left, when estimated)
        if enabled and total:
            from tqdm import tqdm

            progress = self

            class _Bar(tqdm):  # type: ignore[type-arg]
                monitor_interval = 0  # no monitor thread: the harness forks workers

                @property
                def format_dict(self) -> dict[str, Any]:
                    return {**super().format_dict, "left": progress.left_text()}

            stream = stream or sys.stderr
            sizeless = _sizeless_terminal(stream)
            self._bar = _Bar(total=total, unit="run", file=stream, desc="runs",
                             dynamic_ncols=not sizeless,
                             ncols=FALLBACK_COLUMNS if sizeless else None,
                             bar_format=self.FORMAT)

    def estimate(self, seconds_left: float, *, now: float | None = None) -> None:
        """The runner's estimate of the seconds left, shown at once."""
        self._left = (seconds_left, time.time() if now is None else now)
        if self._bar is not None:
            self._bar.refresh()

    def left_text(self, now: float | None = None) -> str:
        """The time left as shown, ``M:SS`` or ``H:MM:SS``, counting down since the estimate."""
        if self._left is None:
            return "?"
        seconds, since = self._left
        left = max(0.0, seconds - ((time.time() if now is None else now) - since))
        minutes, secs = divmod(round(left), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

    def update(self, label: str, status: str, *, seconds_left: float | None = None) -> None:
        """One more run ended (``label``, ``status``); ``seconds_left`` as now estimated."""
        self.counts[status] = self.counts.get(status, 0) + 1
        if seconds_left is not None:
            self._left = (seconds_left, time.time())
        if self._bar is not None:
            self._bar.set_postfix_str(" ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))
                                      + f" | {label}", refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def duration_text(seconds: float) -> str:
    """A duration for people: ``45 s``, ``12 min``, ``1 h 53 min``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def summary_rows(runs: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Per problem and strategy over seeds: mean best CV, mean test, mean wall, mean trials
    per run, statuses."""
    import numpy as np

    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["dataset"], run["model"], run["strategy"]), []).append(run)

    def mean(values: list[Any]) -> float | None:
        vals = [v for v in values if v is not None]
        return float(np.mean(vals)) if vals else None

    headers = ["dataset", "model", "strategy", "metric", "seeds", "best_cv", "test", "wall_s",
               "trials/run", "status"]
    rows = []
    for (dataset, model, strategy), group in groups.items():
        statuses: dict[str, int] = {}
        for run in group:
            statuses[run["status"]] = statuses.get(run["status"], 0) + 1
        rows.append([dataset, model, strategy, group[0]["metric"], len(group),
                     mean([r["best_cv_score"] for r in group]),
                     mean([r["test_score"] for r in group]),
                     mean([r["wall_time_s"] for r in group]),
                     f'{mean([r["n_trials"] for r in group]):.1f}',
                     " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))])
    return headers, rows


def suites_table() -> str:
    """The shipped suites: runs, budget, and the wall time if every run used its whole budget
    (runs x time_s / jobs, at the default ``--jobs`` of this machine)."""
    from harness.config import load_suite, shipped_suites
    from harness.execution.local import default_jobs
    from harness.problems import known_task, pairings

    rows = []
    for name, path in shipped_suites().items():
        suite = load_suite(path)
        n_runs = len(suite.seeds) * sum(
            len(pairings(d, suite.models, suite.strategies, task=known_task(d)))
            for d in suite.datasets)
        jobs = default_jobs(suite.n_jobs)
        rows.append([name, n_runs, f"{suite.budget.time_s:g}",
                     f"{duration_text(n_runs * suite.budget.time_s / jobs)} "
                     f"({jobs} job{'s' if jobs > 1 else ''})", suite.description])
    return (format_table(["suite", "runs", "budget_s", "at full budget", "description"], rows)
            + "\n\nat full budget: runs x budget_s / jobs, with --jobs at its default here "
              "(cores // n_jobs); runs that end at their trial cap take less")


_KIND_TEXT = {"estimator": "scikit-learn models", "keras": "keras models (cnn and lstm)"}


def format_strategies(strategies: Iterable[Any], width: int | None = None) -> str:
    """One block per strategy (a ``StrategyInfo``): name, what it needs and tunes, its
    description, then a line per option ``name (default X; range or choices): help``."""
    import shutil
    import textwrap

    width = width or min(100, shutil.get_terminal_size((100, 24)).columns)
    blocks = []
    for s in strategies:
        tunes = ("chooses its own model" if s.chooses_model else
                 "tunes " + " and ".join(_KIND_TEXT.get(k, k) for k in s.model_kinds))
        lines = [textwrap.fill(f"{s.name}: needs {s.requires}; {tunes}", width,
                               subsequent_indent="    "),
                 textwrap.fill(s.description, width, initial_indent="  ",
                               subsequent_indent="  ")]
        if s.unavailable:
            lines.append(textwrap.fill(f"unavailable here: {s.unavailable}", width,
                                       initial_indent="  ", subsequent_indent="    "))
        options = s.options
        lines.append("  options:" if options else "  options: none")
        lines += [textwrap.fill(option.describe(name), width, initial_indent="    ",
                                subsequent_indent="        ")
                  for name, option in options.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
