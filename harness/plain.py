"""Plain data: one conversion to JSON-safe values, and JSON-lines files read as they grow.

A leaf module (nothing of the harness imported), shared by the worker's event stream, the
strategies that follow a foreign process's events, the datasets and the store.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def to_plain(value: Any) -> Any:
    """``value`` as JSON-safe Python data: numpy scalars and arrays become Python numbers
    and lists (recursively through dicts, lists and tuples), NaN and ±inf become None, and
    anything else that JSON cannot hold becomes its ``str``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalar
    tolist = getattr(value, "tolist", None)  # numpy array
    if callable(tolist) and getattr(value, "ndim", 0):
        return to_plain(tolist())
    if callable(item):
        try:
            return to_plain(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def utc_minute(timestamp: float | None) -> str | None:
    """A Unix time as ``YYYY-MM-DD HH:MM UTC``; None when it is missing, not finite, or
    outside the calendar."""
    if timestamp is None:
        return None
    try:
        return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, ValueError, OSError):
        return None


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """Every complete record in the file; a torn last line (killed mid-write) is dropped."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


class JsonLinesFollower:
    """Reads a JSON-lines file as another process appends to it: each call returns the
    records completed since the last call (a partly written last line waits)."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0

    def read_new(self) -> list[dict[str, Any]]:
        return [json.loads(line.decode("utf-8", "replace")) for line in self.read_new_lines()
                if line.strip()]

    def read_new_lines(self) -> list[bytes]:
        """The complete lines appended since the last call, unparsed (a reader that wants
        only some records need not parse the others)."""
        if not self.path.exists():
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        return complete.splitlines()
