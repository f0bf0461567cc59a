"""The asv benchmarks run once in quick mode through scripts/run-asv.sh, so they cannot rot:
every benchmark must save a value, and asv publish must write the HTML."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = {
    "cost.Memory.peakmem_direct_search",
    "cost.Memory.peakmem_harness_run",
    "cost.Overhead.time_grid_search",
    "cost.OverheadRatio.track_overhead_ratio",
    "scores.StrategyScores.track_run_peak_mem_mb",
    "scores.StrategyScores.track_test_score",
}


def _asv_config(tmp_path: Path) -> Path:
    """The project's asv.conf.json with results, HTML and environments in tmp_path."""
    from asv.util import load_json

    conf = load_json(str(REPO / "asv.conf.json"), js_comments=True)
    conf.update(repo=str(REPO), benchmark_dir=str(REPO / "benchmarks"),
                results_dir=str(tmp_path / "results"), html_dir=str(tmp_path / "html"),
                env_dir=str(tmp_path / "env"),
                branches=["HEAD"])  # this checkout's commit, whatever branch it is on
    path = tmp_path / "asv.conf.json"
    path.write_text(json.dumps(conf))
    return path


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_asv_benchmarks_run_in_quick_mode_and_publish(tmp_path):
    home = tmp_path / "home"  # `asv machine --yes` writes ~/.asv-machine.json here
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASV_")}
    gitconfig = Path.home() / ".gitconfig"
    if gitconfig.is_file():  # keep git's safe.directory and the like
        env["GIT_CONFIG_GLOBAL"] = str(gitconfig)
    env.update(HOME=str(home), ASV_CONF=str(_asv_config(tmp_path)),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]]),
               # asv drops PYTHONPATH in the benchmark processes; this checkout goes first
               ASV_PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                            env.get("PYTHONPATH")])))
    done = subprocess.run(["bash", str(REPO / "scripts" / "run-asv.sh"), "--quick"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=840)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]

    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                            text=True, check=True, env=env).stdout.strip()
    (saved_path,) = (tmp_path / "results").glob(f"*/{commit[:8]}-*.json")
    saved = json.loads(saved_path.read_text())
    column = saved["result_columns"].index("result")
    results = {name: row[column] for name, row in saved["results"].items()}
    assert set(results) == BENCHMARKS  # nothing lost, and no helper taken for a benchmark
    for name, values in results.items():
        assert values and all(v is not None and not math.isnan(v) for v in values), name

    scores = results["scores.StrategyScores.track_test_score"]
    assert len(scores) == 15 * 3  # benchmarks/_common.py: TRACK_STRATEGIES x TRACK_DATASETS
    assert all(0.5 < s <= 1.0 for s in scores)
    assert all(m > 10 for m in results["scores.StrategyScores.track_run_peak_mem_mb"])
    direct, harness = results["cost.Overhead.time_grid_search"]
    assert direct > 0 and harness > 0

    index = tmp_path / "html" / "index.html"
    assert index.is_file()
    published = json.loads((tmp_path / "html" / "index.json").read_text())
    assert published["project"] == "tuning-harness"
    assert set(published["benchmarks"]) == BENCHMARKS
