"""The verdict with a planted truth, through the store and the real command line: what
``harness recommend`` prints (table and JSON) and what the report's Recommendation says."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from scipy.stats import rankdata

from harness.records import RunResult, RunSpec
from harness.store import ResultStore

SEEDS = (0, 1)
DATASETS = ("d1", "d2", "d3", "d4", "d5", "d6")


def _spec(dataset: str, strategy: str, seed: int, contender: str = "") -> RunSpec:
    return RunSpec(suite="planted", dataset=dataset, dataset_options={},
                   fingerprint=f"fp-{dataset}", task="classification", model="m",
                   space={"k": {"type": "categorical", "choices": [1, 2]}}, strategy=strategy,
                   strategy_options={}, seed=seed, metric="accuracy", cv=3, test_size=0.2,
                   n_jobs=1, time_s=10.0, max_trials=None, hard_limit_s=15.0, memory_mb=None,
                   contender=contender)


def _result(spec: RunSpec, status: str, test: float | None, cv: float,
            details: dict | None = None) -> RunResult:
    trials = [{"number": 0, "params": {"k": 1}, "cv_scores": [cv] * 3, "mean_cv_score": cv,
               "std_cv_score": 0.0, "fit_time_s": 0.1, "score_time_s": 0.0,
               "elapsed_s": 1.0, "fidelity": None, "info": {}, "error": None}]
    return RunResult(spec=spec, status=status, trials=trials, best_params={"k": 1},
                     best_cv_score=cv, test_score=test if status == "ok" else None,
                     wall_time_s=5.0, details=details or {},
                     error=None if status == "ok" else f"{status}: planted")


def _store(db: Path, results: list[RunResult]) -> Path:
    with ResultStore(db) as store:
        suite_id = store.start_suite(name="planted", source=None,
                                     config={"name": "planted", "seeds": list(SEEDS)},
                                     config_hash="planted", n_planned=len(results),
                                     git_commit=None, package_versions={}, machine={})
        for result in results:
            store.save_run(result, suite_id=suite_id, git_commit=None, package_versions={})
        store.finish_suite(suite_id, "finished")
    return db


def _recommend(db: Path, *args: str) -> dict:
    proc = run_cli("recommend", "--db", str(db), "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _level(verdict: dict, level: float, problem: str | None = None) -> dict:
    (found,) = [entry for entry in verdict["levels"] if entry["level"] == level
                and (problem is None or problem in entry["problems"])]
    return found


def _jitter(dataset: str, seed: int) -> float:
    """A small offset, distinct per (dataset, seed), so paired differences are distinct."""
    return (DATASETS.index(dataset) * len(SEEDS) + seed) / 1000


def test_a_high_cv_with_poor_test_scores_is_never_recommended(tmp_path):
    # "overfit" reports a CV of 0.99 everywhere but scores 0.70 on test; "honest" reports
    # 0.85 and scores 0.88 on test, on all 6 problems x 2 seeds
    results = []
    for dataset in DATASETS:
        for seed in SEEDS:
            j = _jitter(dataset, seed)
            results += [_result(_spec(dataset, "grid", seed), "ok", 0.70 + j, cv=0.99),
                        _result(_spec(dataset, "random", seed), "ok", 0.88 + 2 * j, cv=0.85)]
    db = _store(tmp_path / "r.db", results)
    final = _level(_recommend(db), 1.0)
    # 12 of 12 pairs favour honest: exact two-sided Wilcoxon p = 2 / 2**12, Holm over 1 test
    assert final["pick"] == final["group"][0] == "random · m" and final["group"] == ["random · m"]
    honest, overfit = final["contenders"]
    assert (honest["contender"], honest["mean_rank"]) == ("random · m", 1.0)
    assert (overfit["contender"], overfit["mean_rank"]) == ("grid · m", 2.0)
    assert overfit["p_holm"] == pytest.approx(2 / 2**12) and overfit["separated"]
    assert honest["p_best"] == 1.0 and final["effect"]["runner_up"] == "grid · m"
    assert final["effect"]["diff"] == pytest.approx(0.18 + 0.0055, abs=1e-9)
    assert final["effect"]["low"] > 0.15
    assert final["coverage"] == {"problems": list(DATASETS), "seeds": [0, 1], "pairs": 12}
    text = run_cli("recommend", "--db", str(db)).stdout
    assert "100%  pick random · m" in text and "failed runs: random · m 0 of 12" in text


def test_a_contender_that_fails_on_half_its_seeds_ranks_last_there(tmp_path):
    # "flaky" has the best test score where it runs, but fails (keeping a best CV of 0.999
    # from its trials) on seeds 2 and 3 of 4; "steady" is second where flaky runs
    seeds = (0, 1, 2, 3)
    results = []
    for dataset in DATASETS:
        for seed in seeds:
            failed = seed >= 2
            results += [
                _result(_spec(dataset, "bayes", seed), "failed" if failed else "ok", 0.95,
                        cv=0.999 if failed else 0.95),
                _result(_spec(dataset, "random", seed), "ok", 0.90, cv=0.9),
                _result(_spec(dataset, "default", seed), "ok", 0.80, cv=0.8)]
    db = _store(tmp_path / "r.db", results)
    final = _level(_recommend(db), 1.0)
    ranks = {c["contender"]: c["mean_rank"] for c in final["contenders"]}
    # flaky: 1st on seeds 0, 1 and last on 2, 3 -> 2.0; steady: 2, 2, 1, 1 -> 1.5
    assert ranks == {"random · m": 1.5, "bayes · m": 2.0, "default · m": 2.5}
    assert [c["contender"] for c in final["contenders"]] == ["random · m", "bayes · m",
                                                             "default · m"]
    flaky = {c["contender"]: c for c in final["contenders"]}["bayes · m"]
    assert (flaky["failed"], flaky["runs"], flaky["failure_rate"]) == (12, 24, 0.5)
    assert final["pick"] != "bayes · m"
    assert final["group"][0] == "random · m"


def test_two_equal_contenders_are_a_tie_group_not_a_pick(tmp_path):
    results = []
    for dataset in DATASETS:
        for seed in SEEDS:
            j = _jitter(dataset, seed)
            results += [_result(_spec(dataset, "random", seed), "ok", 0.9 + j, cv=0.9),
                        _result(_spec(dataset, "bayes", seed), "ok", 0.9 + j, cv=0.95),
                        _result(_spec(dataset, "default", seed), "ok", 0.6 + j, cv=0.6)]
    db = _store(tmp_path / "r.db", results)
    final = _level(_recommend(db), 1.0)
    # equal test scores: equal mean ranks (1.5) are a tie, whatever the suite's order
    assert final["pick"] is None and final["group"] == ["bayes · m", "random · m"]
    by = {c["contender"]: c for c in final["contenders"]}
    assert by["bayes · m"]["mean_rank"] == by["random · m"]["mean_rank"] == 1.5
    assert by["bayes · m"]["p_best"] == by["random · m"]["p_best"] == 0.5
    assert by["default · m"]["separated"] and final["effect"]["diff"] == 0.0
    assert final["summary"].startswith("at 100% of the budget no single winner: "
                                       "bayes · m, random · m")
    text = run_cli("recommend", "--db", str(db)).stdout
    assert "100%  no single winner: bayes · m, random · m" in text


def _levels_store(db: Path) -> Path:
    """"early" leads at 25% and 50% and trails at 100%; "late" the other way round; "automl"
    (a strategy that chooses its own model) stored no score before 100%; on d3 "early" had
    ended at its trial cap before 25%, so its final score stands for both levels."""
    unmeasured = {"test_score_at": {"0.25": None, "0.5": None},
                  "level_notes": {"0.25": "not measured", "0.5": "not measured"}}
    capped = "ended at its trial cap before this level"
    results = []
    for dataset in DATASETS[:3]:
        for seed in SEEDS:
            j = _jitter(dataset, seed)
            early = {"test_score_at": {"0.25": 0.75 + j, "0.5": 0.78 + j}, "level_notes": {}}
            if dataset == "d3":
                early = {"test_score_at": {"0.25": 0.80 + j, "0.5": 0.80 + j},
                         "level_notes": {"0.25": capped, "0.5": capped}}
            results += [
                _result(_spec(dataset, "random", seed), "ok", 0.80 + j, cv=0.8,
                        details=early),
                _result(_spec(dataset, "bayes", seed), "ok", 0.90 + j, cv=0.9,
                        details={"test_score_at": {"0.25": 0.60 + j, "0.5": 0.70 + j}}),
                _result(_spec(dataset, "flaml", seed, contender="flaml"), "ok", 0.85 + j,
                        cv=0.99, details=unmeasured)]
    return _store(db, results)


def test_each_budget_level_ranks_its_own_stored_test_scores(tmp_path):
    db = _levels_store(tmp_path / "r.db")
    verdict = _recommend(db)
    for level in (0.25, 0.5):
        entry = _level(verdict, level)
        assert [c["contender"] for c in entry["contenders"]] == ["random · m", "bayes · m"]
        assert entry["contenders"][0]["mean_rank"] == 1.0
        assert entry["not_ranked"] == {"flaml": f"not measured at {level:.0%} of the budget"}
        # 2 of the 12 ranked scores are final scores standing in for this level
        assert entry["qualified"] == {"ended at its trial cap before this level":
                                      {"runs": 2, "of": 12}}
        assert entry["summary"].endswith("; 2 of 12 scored runs: ended at its trial cap "
                                         "before this level")
    final = _level(verdict, 1.0)
    assert [c["contender"] for c in final["contenders"]] == ["bayes · m", "flaml",
                                                             "random · m"]
    assert final["not_ranked"] == {} and final["qualified"] == {}
    text = run_cli("recommend", "--db", str(db)).stdout
    assert "not ranked (not measured at 25% of the budget): flaml" in text
    assert "2 of 12 scored runs: ended at its trial cap before this level" in text


def test_contenders_that_share_no_problem_are_not_compared(tmp_path):
    results = []
    for seed in SEEDS:
        results += [_result(_spec("images", "keras-random", seed), "ok", 0.7, cv=0.7),
                    _result(_spec("images", "keras-bayes", seed), "ok", 0.8, cv=0.8),
                    _result(_spec("tabular", "random", seed), "ok", 0.9, cv=0.9)]
    db = _store(tmp_path / "r.db", results)
    verdict = _recommend(db)
    images, tabular = _level(verdict, 1.0, "images"), _level(verdict, 1.0, "tabular")
    assert (images["problems"], tabular["problems"]) == (["images"], ["tabular"])
    assert [c["contender"] for c in images["contenders"]] == ["keras-bayes · m",
                                                              "keras-random · m"]
    assert tabular["pick"] == "random · m"
    assert tabular["summary"].startswith("at 100% of the budget pick random · m: the only "
                                         "contender ranked on these problems")
    assert run_cli("report", "--db", str(db)).returncode == 0
    page = html.unescape(Path("reports/planted/index.html").read_text())
    section = page.split('<section id="significance">')[1].split("</section>")[0]
    row = re.search(r"<td class=\"name\">random · m</td>(.*?)</tr>", section, re.S).group(1)
    assert row.count(">not compared<") == 2 and ">tie<" not in row


def test_recommend_json_and_the_report_agree(tmp_path):
    db = _levels_store(tmp_path / "r.db")
    verdict = _recommend(db)
    assert run_cli("report", "--db", str(db)).returncode == 0
    page = html.unescape(Path("reports/planted/index.html").read_text())
    recommendation = page.split('<section id="recommendation">')[1].split("</section>")[0]
    for entry in verdict["levels"]:
        assert entry["summary"] in recommendation
    # the normalized table's mean ranks are the verdict's (and in its order)
    normalized = page.split('<section id="normalized">')[1].split("</section>")[0]
    final = _level(verdict, 1.0)
    ranks = re.findall(r"<td data-sort=\"([0-9.]+)\">[0-9.]+</td></tr>", normalized)
    assert [float(r) for r in ranks] == pytest.approx([c["mean_rank"]
                                                       for c in final["contenders"]])
    # the learning curves are said to be those of the named contender
    learning = page.split('<section id="learning">')[1].split("</section>")[0]
    assert "the Recommendation (at 100% of the budget) names" in learning
    assert f"{final['group'][0]}" in learning


def test_recommend_without_a_store_or_suite(tmp_path):
    proc = run_cli("recommend", "--db", str(tmp_path / "none.db"))
    assert proc.returncode == 2 and "no results database" in proc.stderr
    db = _levels_store(tmp_path / "r.db")
    proc = run_cli("recommend", "--db", str(db), "--suite", "other")
    assert proc.returncode == 2 and "no suite 'other'" in proc.stderr


REAL_SUITE = """
name: verdict-real
cv: 3
seeds: 2
budget: {time_s: 5, max_trials: 3}
datasets: [iris]
models: [knn]
strategies:
  - default
  - random
  - {name: regularization, penalties: [l2], strengths: [1.0]}
"""


@pytest.mark.slow
def test_a_real_run_names_its_contenders_and_the_report_agrees(write_suite, tmp_path):
    path = write_suite(REAL_SUITE)
    proc = run_cli("run", "--suite", str(path), "--db", "r.db", "--jobs", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    verdict = _recommend(tmp_path / "r.db")
    final = _level(verdict, 1.0)
    assert final["problems"] == ["iris"] and final["coverage"]["seeds"] == [0, 1]
    assert {c["contender"] for c in final["contenders"]} == {
        "default · knn", "random · knn", "regularization · linear"}
    # the mean ranks follow the stored test scores, seed by seed
    with ResultStore(tmp_path / "r.db") as store:
        runs = store.runs(suite="verdict-real")
    expected: dict[str, float] = {}
    for seed in (0, 1):
        scores = {r["spec"]["contender"]: r["test_score"] for r in runs if r["seed"] == seed}
        names = sorted(scores)
        for name, rank in zip(names, rankdata([-scores[n] for n in names]), strict=True):
            expected[name] = expected.get(name, 0.0) + rank / 2
    assert {c["contender"]: c["mean_rank"] for c in final["contenders"]} == pytest.approx(
        expected)
    page = html.unescape((tmp_path / "reports/verdict-real/index.html").read_text())
    for entry in verdict["levels"]:
        assert entry["summary"] in page


def test_the_bootstrap_resamples_problems_then_seeds():
    import numpy as np

    from harness.analysis.bootstrap import bootstrap

    # a is best on p1 and b on p2 and p3, on every seed: a has the best mean rank in a
    # resample exactly when p1 is drawn at least twice of three: 7/27
    ranks = np.array([[[1.0, 2.0]] * 2, [[2.0, 1.0]] * 2, [[2.0, 1.0]] * 2])
    values = np.array([[[0.9, 0.8]] * 2, [[0.7, 0.8]] * 2, [[0.7, 0.8]] * 2])
    result = bootstrap(ranks, values, pair=(0, 1), resamples=4000, seed=1)
    assert result.p_best[0] == pytest.approx(7 / 27, abs=0.03)
    assert sum(result.p_best) == pytest.approx(1.0)
    # the mean difference a - b: (0.1 - 0.1 - 0.1) / 3; resampled between -0.1 and 0.1
    assert result.diff == pytest.approx(-0.1 / 3)
    assert -0.1 - 1e-9 <= result.low < result.diff < result.high <= 0.1 + 1e-9
    # within a problem, seeds are resampled: one seed where b wins makes it sometimes best
    mixed = np.array([[[1.0, 2.0], [2.0, 1.0], [1.0, 2.0]]])
    shares = bootstrap(mixed, mixed * 0, pair=None, resamples=4000, seed=1).p_best
    # b is best when the seeds drawn hold more of seed 1 than of the others: 7/27 again
    assert shares[1] == pytest.approx(7 / 27, abs=0.03)
