"""ETA accuracy: the time left that the progress bar shows, against the time actually left.

Runs a suite through ``harness run`` (the smoke suite by default; ``--quick`` for a small one
of about a minute), reads the bar as it is drawn and records, with a timestamp, the time left
it shows as each run ends. When the last run has ended it knows the time that was actually
left at each of those moments and prints the error at 25%, 50% and 75% of the runs
(target: within 30%). The runs are stored as a new round of ``--db`` (default: a temporary
database, so nothing is known of earlier runs), so a database that holds earlier rounds
gives the estimate their history; ``--warm`` first runs the suite's seed-0 runs as a round
of their own (not measured), as when a suite is run again.

    python benchmarks/eta_accuracy.py [--quick] [--warm] [--db results/harness.db] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

TARGET = 0.30
FRACTIONS = (0.25, 0.50, 0.75)
#: What the bar shows: ``12/72 [01:10 elapsed, 4:38 left, ...``
FRAME = re.compile(r"(\d+)/(\d+) \[[\d:]+ elapsed, ([\d:]+|\?) left")
QUICK = {"name": "eta-quick", "cv": 3, "seeds": 2, "n_jobs": 1,
         "budget": {"time_s": 10, "max_trials": 4},
         "datasets": ["iris", "breast-cancer"], "models": ["random_forest"],
         "strategies": ["default", "grid", "random", "bayes"]}


def seconds(text: str) -> float | None:
    """``4:38`` or ``1:02:05`` in seconds; None for ``?``."""
    if text == "?":
        return None
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + int(part)
    return total


def watch(command: list[str]) -> tuple[list[tuple[float, int, int, float | None]], str]:
    """Run ``command``; each frame of the bar that shows a new count of ended runs as
    (seconds since the start, runs ended, runs in all, seconds left shown); and stderr."""
    started = time.monotonic()
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert proc.stderr is not None
    frames: list[tuple[float, int, int, float | None]] = []
    text, buffer = [], b""
    while chunk := os.read(proc.stderr.fileno(), 4096):
        now = time.monotonic() - started
        buffer += chunk
        *done, buffer = re.split(rb"[\r\n]", buffer)
        for raw in done:
            line = raw.decode(errors="replace")
            text.append(line)
            match = FRAME.search(line)
            if match and (not frames or int(match[1]) > frames[-1][1]):
                frames.append((now, int(match[1]), int(match[2]), seconds(match[3])))
    if proc.wait() != 0:
        sys.exit(f"harness run failed ({proc.returncode}):\n" + "\n".join(text[-40:]))
    return frames, "\n".join(text)


def errors(frames: list[tuple[float, int, int, float | None]]) -> dict[float, dict]:
    """At each fraction of the runs: what the bar showed, what was left, the relative error."""
    end = frames[-1][0]
    out = {}
    for fraction in FRACTIONS:
        at, n, total, shown = next(f for f in frames if f[1] >= fraction * f[2])
        actual = end - at
        out[fraction] = {"runs": f"{n}/{total}", "at_s": round(at, 1), "shown_s": shown,
                         "actual_s": round(actual, 1),
                         "error": None if shown is None or actual <= 0
                         else round((shown - actual) / actual, 3)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="smoke", help="suite name or YAML (default: smoke)")
    parser.add_argument("--quick", action="store_true",
                        help="a small suite instead (16 short runs, about a minute)")
    parser.add_argument("--db", type=Path, default=None,
                        help="results database (default: a temporary one)")
    parser.add_argument("--warm", action="store_true",
                        help="first store the suite's seed-0 runs as history (not measured)")
    parser.add_argument("--jobs", type=int, default=None, help="runs at a time")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        suite = args.suite
        if args.quick:
            suite = str(Path(tmp) / "quick.yaml")
            Path(suite).write_text(yaml.safe_dump(QUICK))
        db = args.db or Path(tmp) / "eta.db"
        command = [sys.executable, "-m", "harness", "run", "--suite", suite, "--db", str(db),
                   "--no-report"] + (["--jobs", str(args.jobs)] if args.jobs else [])
        label = f"eta-{time.strftime('%Y%m%dT%H%M%S')}"
        if args.warm:
            subprocess.run([*command, "--quiet", "--only", "seed=0", "--round",
                            f"{label}-history"], check=True, stdout=subprocess.DEVNULL)
        command += ["--round", label]
        load_before = os.getloadavg()
        frames, _ = watch(command)
    load_after = os.getloadavg()
    if not frames or frames[-1][1] != frames[-1][2]:
        sys.exit("the progress bar never showed every run ended")
    result = errors(frames)
    print(f"{frames[-1][2]} runs in {frames[-1][0]:.0f} s; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min), "
          f"{os.cpu_count()} cores; "
          + ("seed-0 runs stored first as history" if args.warm else "no history"))
    for fraction, row in result.items():
        print(f"at {fraction:.0%} ({row['runs']}, {row['at_s']:.0f} s): shown "
              f"{row['shown_s']} s left, actually {row['actual_s']:.0f} s, error "
              + ("-" if row["error"] is None else f"{row['error']:+.0%}"))
    worst = max(abs(r["error"]) for r in result.values() if r["error"] is not None)
    print(f"largest error {worst:.0%} (target: within {TARGET:.0%})")
    if args.json:
        args.json.write_text(json.dumps({
            "fractions": {str(k): v for k, v in result.items()}, "frames": frames,
            "load_average": [load_before, load_after]}, indent=2))


if __name__ == "__main__":
    main()
