"""The worker's event stream: one JSON object per line (start, trial, result)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from harness.plain import read_json_lines, to_plain
from harness.records import Trial


class EventWriter:
    """Appends events to a file, flushing each line so a killed worker keeps what it wrote
    (a flushed line is the kernel's: it outlives the process; no fsync per line, which only
    a machine's crash would need and which cost a loaded disk tens of milliseconds a run).

    Values become plain JSON on the way (numpy numbers as Python numbers, NaN and ±inf as
    null), so no value a strategy reports can break the stream.
    """

    def __init__(self, path: Path):
        self._file: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, event: str, **data: Any) -> None:
        line = json.dumps(to_plain({"event": event, **data}), allow_nan=False)
        self._file.write(line + "\n")
        self._file.flush()

    def record(self, trial: Trial) -> None:
        """A TrialRecorder: one ``trial`` event as soon as the trial is finished."""
        self.write("trial", **trial.to_dict())

    def close(self) -> None:
        self._file.close()


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete event in the file; a torn last line (killed mid-write) is dropped."""
    return read_json_lines(path)
