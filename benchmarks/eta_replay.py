"""ETA replay: a stored suite run's runs, replayed through the progress bar's estimate.

Where ``eta_accuracy.py`` runs a suite (minutes, and at the mercy of the machine's load),
this replays one already stored, in no time and the same every time: each run takes what
it took (its charged wall time, plus the gap before the next run started in its slot: the
work after its result, the next worker's start), ``--jobs`` at a time, on a fresh clock (no
history) or with ``--warm`` (its seed-0 runs as history). It starts them in the suite's plan
order and in the harness's start order (a first run of each unknown kind early), and prints
the error of the time left shown at 25%, 50% and 75% of the runs for both, so the two orders
are compared on the very same durations.

    python benchmarks/eta_replay.py results/harness.db [--suite smoke] [--jobs 2] [--warm]

The plan order is each run's stored place in the plan, or for runs stored without one the
suite's dataset, then strategy, then seed order (right for suites with one model a dataset).
"""

from __future__ import annotations

import argparse
import heapq
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.eta import EtaClock, Kind, PastRun, past_run, start_positions

FRACTIONS = (0.25, 0.50, 0.75)


@dataclass(frozen=True)
class Stored:
    """A stored run: its kind, status, charged and whole seconds, and its place in the plan."""

    key: str
    kind: Kind
    status: str
    wall_s: float
    took_s: float
    seed: int
    place: tuple[int, ...]


def load(db: Path, suite: str | None) -> list[Stored]:
    """The suite's (default: the latest suite's) stored runs of its latest suite run, in
    plan order."""
    conn = sqlite3.connect(db)
    suite_id, config, machine = conn.execute(
        "SELECT id, config, machine FROM suites" + (" WHERE name=?" if suite else "")
        + " ORDER BY id DESC LIMIT 1", (suite,) if suite else ()).fetchone()
    config = json.loads(config)
    jobs = int(json.loads(machine or "{}").get("jobs") or 2)
    datasets = [d if isinstance(d, str) else d.get("name") for d in config.get("datasets", [])]
    strategies = [s if isinstance(s, str) else s["name"] for s in config.get("strategies", [])]
    rows = conn.execute("SELECT key, strategy, model, dataset, budget_s, max_trials, status, "
                        "wall_time_s, seed, started_at, finished_at, spec FROM runs "
                        "WHERE suite_id=? ORDER BY started_at", (suite_id,)).fetchall()
    slots: list[tuple[float, str]] = [(rows[0][9], "")] * jobs  # as the suite ran
    gap: dict[str, float] = {}
    for key, *_, started, finished, _spec in rows:  # the slot that freed first takes it
        free, before = heapq.heappop(slots)
        gap[before] = max(0.0, started - free)
        heapq.heappush(slots, (finished, key))
    runs = []
    for key, strategy, model, dataset, budget, cap, status, wall, seed, *_, spec in rows:
        index = json.loads(spec or "{}").get("plan_index", -1)
        place = ((index,) if index >= 0 else
                 (_position(datasets, dataset), _position(strategies, strategy), seed))
        runs.append(Stored(key, Kind(strategy, model, dataset, float(budget), cap), status,
                           float(wall or 0.0), float(wall or 0.0) + gap.get(key, 0.1), seed,
                           place))
    return sorted(runs, key=lambda r: r.place)


def _position(names: list[str], name: str) -> int:
    return names.index(name) if name in names else len(names)


def replay(runs: Sequence[Stored], history: Sequence[PastRun], jobs: int
           ) -> list[tuple[float, int, float]]:
    """Start ``runs`` in the given order, ``jobs`` at a time; as each ends, (seconds since
    the start, runs ended, seconds left shown)."""
    clock = EtaClock({r.key: r.kind for r in runs}, history, jobs=jobs)
    queue, running, frames, now = list(runs), [], [], 0.0
    while queue or running:
        while queue and len(running) < jobs:
            run = queue.pop(0)
            clock.started(run.key, now)
            heapq.heappush(running, (now + run.took_s, run.key, run))
        now, _, run = heapq.heappop(running)
        clock.finished(run.key, now, status=run.status, wall_s=run.wall_s)
        frames.append((now, len(frames) + 1, clock.seconds_left(now)))
    return frames


def errors(frames: Sequence[tuple[float, int, float]]) -> list[float]:
    """The relative error of the time left shown at each of ``FRACTIONS`` of the runs."""
    end, total = frames[-1][0], frames[-1][1]
    out = []
    for fraction in FRACTIONS:
        at, _, shown = next(f for f in frames if f[1] >= fraction * total)
        out.append((shown - (end - at)) / (end - at))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="results database holding the suite run")
    parser.add_argument("--suite", default=None, help="suite name (default: the latest)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default: 2)")
    parser.add_argument("--warm", action="store_true", help="the seed-0 runs as history")
    args = parser.parse_args()
    runs = load(args.db, args.suite)
    history = [p for r in runs if args.warm and r.seed == 0
               if (p := past_run(r.kind, r.status, r.wall_s)) is not None]
    orders = {"plan order": list(runs),
              "start order": [runs[i] for i in start_positions([r.kind for r in runs],
                                                                history)]}
    print(f"{len(runs)} runs of {args.db}, --jobs {args.jobs}, "
          + ("seed-0 runs as history" if args.warm else "no history"))
    for name, order in orders.items():
        frames = replay(order, history, args.jobs)
        print(f"{name}: {frames[-1][0]:.0f} s; error at "
              + ", ".join(f"{f:.0%} {e:+.0%}" for f, e in zip(FRACTIONS, errors(frames),
                                                                strict=True)))


if __name__ == "__main__":
    main()
