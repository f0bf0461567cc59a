"""The worker's event stream: one JSON object per line (start, trial, result)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from harness.strategies import Trial


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


class EventWriter:
    """Appends events to a file, flushing each line so a killed worker keeps what it wrote."""

    def __init__(self, path: Path):
        self._file: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, event: str, **data: Any) -> None:
        line = json.dumps({"event": event, **data}, default=_json_default, allow_nan=False)
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def record(self, trial: Trial) -> None:
        """A TrialRecorder: one ``trial`` event as soon as the trial is finished."""
        self.write("trial", **trial_to_dict(trial))

    def close(self) -> None:
        self._file.close()


def trial_to_dict(trial: Trial) -> dict[str, Any]:
    data = asdict(trial)
    data["mean_cv_score"] = trial.mean_cv_score
    data["std_cv_score"] = trial.std_cv_score
    return data


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete event in the file; a torn last line (killed mid-write) is dropped."""
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


class JsonLinesFollower:
    """Reads a JSON-lines file as another process appends to it: each call returns the
    records completed since the last call (a partly written last line waits)."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0

    def read_new(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        return [json.loads(line) for line in complete.decode("utf-8", "replace").splitlines()
                if line.strip()]
