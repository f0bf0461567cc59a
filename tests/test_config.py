import pytest
from conftest import run_cli

from harness.config import load_suite, shipped_suites
from harness.errors import ConfigError

GOOD = """
name: good
cv: 3
seeds: [1, 7]
budget: {time_s: 5, max_trials: 4}
datasets: [iris]
models:
  - random_forest
  - name: svc
    space:
      C: [0.1, 1, 10]
      kernel: [rbf, linear]
strategies: [default, {name: grid, points: 2}]
"""


def test_good_suite_loads_with_defaults(write_suite):
    suite = load_suite(write_suite(GOOD))
    assert suite.name == "good" and suite.cv == 3 and suite.test_size == 0.2
    assert suite.seeds == (1, 7) and suite.budget.max_trials == 4
    assert suite.metric is None and suite.metric_for("classification") == "accuracy"
    assert suite.metric_for("regression") == "r2"
    svc = suite.models[1]
    assert svc.overridden and set(svc.space) == {"C", "kernel"}
    assert suite.strategies[1].options == {"points": 2}


def test_seed_count_expands_to_range(write_suite):
    suite = load_suite(write_suite(GOOD.replace("seeds: [1, 7]", "seeds: 3")))
    assert suite.seeds == (0, 1, 2)


def test_shipped_suites_validate():
    names = set(shipped_suites())
    assert {"smoke", "slides"} <= names
    smoke = load_suite("smoke")
    assert {s.name for s in smoke.strategies} >= {"default", "grid", "random", "halving",
                                                 "bayes", "coarse-to-fine"}
    assert len(smoke.datasets) >= 2 and len(smoke.seeds) >= 2
    slides = load_suite("slides")
    svc = next(m for m in slides.models if m.name == "svc")
    assert svc.space["C"].choices == (0.1, 1, 10)
    assert svc.space["kernel"].choices == ("rbf", "linear")
    assert [d.ref for d in slides.datasets] == ["synthetic-classification"]
    regularization = next(s for s in slides.strategies if s.name == "regularization")
    assert regularization.options == {"penalties": ["none", "l2"], "strengths": [1.0],
                                      "scale": False}
    assert slides.test_size == 0.2


BAD_CASES = [
    ("strategies: [default, {name: grid, points: 2}]", "strategies: [default, gridsearch]",
     "strategies[1].name", "unknown strategy 'gridsearch'; valid: default, grid"),
    ("  - random_forest\n", "  - random_forrest\n", "models[0].name",
     "unknown model 'random_forrest'; valid: svc"),
    ("C: [0.1, 1, 10]", "C: {type: float, low: small, high: 10}", "models[1].space.C.low",
     "must be a number, got 'small'"),
    ("cv: 3", "cv: 3\nmetric: r2", "metric",
     "'r2' is a regression metric but dataset 'iris' is classification"),
    ("cv: 3", "cv: 3\nmetric: acuracy", "metric", "unknown scikit-learn scorer 'acuracy'"),
    ("cv: 3", "cv: 1", "cv", "must be an integer from 2 to 100"),
    ("seeds: [1, 7]", "seeds: many", "seeds", "a count or a list"),
    ("budget: {time_s: 5, max_trials: 4}", "budget: {time: 5}", "budget", "time_s"),
    ("strategies: [default, {name: grid, points: 2}]",
     "strategies: [default, {name: grid, pionts: 2}]", "strategies[1].pionts",
     "unknown option for strategy 'grid'; valid: points"),
    ("datasets: [iris]", "datasets: [irises]", "datasets[0].name", "unknown dataset 'irises'"),
    ("datasets: [iris]", "datasets: [diabetes]\nmetric: accuracy", "metric",
     "'accuracy' is a classification metric but dataset 'diabetes' is regression"),
    ("cv: 3", "cv: 3\nbudgt: 1", "budgt", "unknown field"),
    ("kernel: [rbf, linear]", "kernal: [rbf, linear]", "models[1].space.kernal",
     "SVC has no parameter 'kernal'"),
]


@pytest.mark.parametrize(("old", "new", "field", "message"), BAD_CASES)
def test_bad_suite_errors_name_file_field_and_valid_values(write_suite, old, new, field,
                                                            message):
    assert old in GOOD
    path = write_suite(GOOD.replace(old, new))
    with pytest.raises(ConfigError) as err:
        load_suite(path)
    assert err.value.field == field
    assert message in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("case", [BAD_CASES[0], BAD_CASES[2], BAD_CASES[3]])
def test_cli_rejects_bad_suite_with_exit_2_and_no_traceback(write_suite, tmp_path, case):
    old, new, field, message = case
    path = write_suite(GOOD.replace(old, new))
    proc = run_cli("run", "--suite", str(path), "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 2
    assert f"{path}: {field}: " in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.db").exists()


def test_yaml_syntax_error_names_line(write_suite, tmp_path):
    path = write_suite("name: x\nbudget: {time_s: 5\n")
    proc = run_cli("run", "--suite", str(path), "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 2
    assert str(path) in proc.stderr and "line" in proc.stderr and "YAML" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_suite_name_lists_shipped_suites(tmp_path):
    proc = run_cli("run", "--suite", "smok", "--db", str(tmp_path / "r.db"))
    assert proc.returncode == 2
    assert "no suite named 'smok'" in proc.stderr and "smoke" in proc.stderr


@pytest.mark.parametrize(("text", "field", "message"), [
    ("datasets: [iris, digits-images]\nmodels: [random_forest]\nstrategies: [grid]",
     "datasets[1]", "no model of this suite takes image data like 'digits-images'; add one of: "
                    "cnn"),
    ("datasets: [iris]\nmodels: [random_forest, lstm]\nstrategies: [grid]",
     "models[1]", "model 'lstm' takes sequence data and no dataset of this suite has it"),
    ("datasets: [iris]\nmodels: [random_forest]\nstrategies: [grid, keras-random]",
     "strategies[1]", "strategy 'keras-random' tunes keras models and this suite has only "
                      "estimator models"),
    ("datasets: [{name: imdb, maxlen: -3}]\nmodels: [lstm]\nstrategies: [keras-random]",
     "datasets[0]", "maxlen must be a positive integer up to 1,000,000,000, got -3"),
    ("datasets: [digits-images]\nmodels: [{name: cnn, space: {kernels: [3, 5]}}]\n"
     "strategies: [keras-random]", "models[0].space.kernels",
     "cnn has no parameter 'kernels'; valid: filters, learning_rate, units"),
])
def test_problems_need_compatible_data_models_and_strategies(write_suite, text, field, message):
    path = write_suite(f"name: mixed\nbudget: {{time_s: 5}}\n{text}\n")
    with pytest.raises(ConfigError) as err:
        load_suite(path)
    assert err.value.field == field and message in str(err.value)


def test_mixed_suite_expands_to_compatible_runs_only(write_suite, tmp_path):
    from harness.plan import plan_suite

    path = write_suite("""
        name: mixed
        seeds: 2
        budget: {time_s: 5}
        datasets: [iris, digits-images, synthetic-sequences]
        models: [knn, cnn, lstm]
        strategies: [grid, keras-random]
    """)
    specs = plan_suite(load_suite(path), cache_dir=tmp_path / "cache")
    pairs = {(s.dataset, s.model, s.strategy) for s in specs}
    assert pairs == {("iris", "knn", "grid"), ("digits-images", "cnn", "keras-random"),
                     ("synthetic-sequences", "lstm", "keras-random")}
    assert len(specs) == 6


def test_nightly_suite_covers_every_offline_dataset_and_strategy_family():
    from harness.datasets import BUILTINS, KERAS_FILES
    from harness.strategies import STRATEGIES

    suite = load_suite(shipped_suites()["nightly"])
    offline = (set(BUILTINS) | {"digits-images", "synthetic-sequences"}) - set(KERAS_FILES)
    assert {d.ref for d in suite.datasets} == offline
    assert {s.name for s in suite.strategies} == set(STRATEGIES)
    assert len(suite.seeds) == 5
