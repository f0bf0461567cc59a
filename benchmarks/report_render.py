"""Report rendering speed and size: a store of 100 runs with 20,000 trials.

5 problems x 5 strategies x 4 seeds, 200 trials per run (synthetic, see
harness/synthetic_results.py). Times ``write_report`` end to end in a fresh process
(imports included), reports the HTML size, and compares them with the targets
(under 5 s, under 3 MB). Learning curves are skipped: the synthetic datasets cannot be
refitted, so this measures analysis and rendering.

    python benchmarks/report_render.py [--repeats 3] [--json out.json] [--rounds 30]

``--rounds N`` stores N - 1 earlier rounds of the same suite first (2 trials per run: the
history section reads runs, not trials), so the report also draws its History section.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RENDER = """
import sys, time
from pathlib import Path
started = time.perf_counter()
from harness.report import write_report
path = write_report(db=Path(sys.argv[1]), suite="bench", out_dir=Path(sys.argv[2]))
print(time.perf_counter() - started, path.stat().st_size)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds stored (the history section needs at least 2)")
    args = parser.parse_args()
    from harness.synthetic_results import fill_store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        shape = {"suite": "bench", "datasets": ["a", "b", "c", "d", "e"],
                 "strategies": ["default", "grid", "random", "bayes", "halving"],
                 "seeds": [0, 1, 2, 3]}
        for night in range(1, args.rounds):
            fill_store(db, round=f"night-{night:02d}", seed=night, trials_per_run=2, **shape)
        runs = fill_store(db, round=f"night-{args.rounds:02d}" if args.rounds > 1 else "",
                          trials_per_run=200, **shape)
        times, size = [], 0
        for i in range(args.repeats):
            out = subprocess.run([sys.executable, "-c", RENDER, str(db), str(Path(tmp) / "r")],
                                 capture_output=True, text=True, check=True).stdout.split()
            seconds, size = float(out[0]), int(out[1])
            times.append(seconds)
            print(f"repeat {i + 1}: {seconds:.2f} s, {size / 1e6:.2f} MB", flush=True)
    figures = {"runs": runs, "trials": runs * 200, "rounds": args.rounds,
               "render_s_median": statistics.median(times),
               "render_s_min": min(times), "html_mb": size / 1e6, "target_s": 5.0,
               "target_mb": 3.0, "measured_at": time.strftime("%Y-%m-%d %H:%M")}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
