"""Unit tests of hyperparameter importance on hand-made trials frames where one parameter
fully determines the CV score and another is noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis.importance import MIN_TRIALS, hyperparameter_importance


def _trials(params: list[dict], scores: list[float | None], problem: str = "p"
            ) -> pd.DataFrame:
    return pd.DataFrame({"problem": problem, "params": params, "mean_cv_score": scores})


def _determined(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """score = -(C - 3)^2 exactly; ``noise`` is drawn independently of the score."""
    rng = np.random.default_rng(seed)
    c_values = rng.uniform(0.0, 6.0, n)
    noise = rng.uniform(0.0, 1.0, n)
    params = [{"C": float(c), "noise": float(z)} for c, z in zip(c_values, noise, strict=True)]
    return _trials(params, [-(float(c) - 3.0) ** 2 for c in c_values])


def test_the_parameter_that_determines_the_score_is_the_most_important():
    result = hyperparameter_importance(_determined(), "p", space={"C", "noise"})
    assert result.note is None and result.n_trials == 40
    names = [name for name, _, _ in result.importances]
    assert names == ["C", "noise"]
    (_, c_mean, _), (_, noise_mean, _) = result.importances
    assert c_mean > 0.5 and abs(noise_mean) < 0.05 and c_mean > 10 * abs(noise_mean)
    assert result.surrogate_r2 is not None and result.surrogate_r2 > 0.8
    dependence = result.dependence[0]
    assert (dependence.name, dependence.categorical) == ("C", False)
    assert len(dependence.values) == len(dependence.score) == 20
    # the peak at C = 3 shows in the partial dependence: higher in the middle than at the ends
    middle = dependence.score[int(np.argmin([abs(v - 3.0) for v in dependence.values]))]
    assert middle > dependence.score[0] + 2 and middle > dependence.score[-1] + 2


def test_a_categorical_parameter_is_encoded_and_named_by_its_labels():
    rng = np.random.default_rng(1)
    kernels = ["rbf", "linear", "poly"] * 10
    bonus = {"rbf": 0.9, "linear": 0.5, "poly": 0.1}
    params = [{"kernel": k, "tol": float(rng.uniform())} for k in kernels]
    result = hyperparameter_importance(_trials(params, [bonus[k] for k in kernels]), "p",
                                       space={"kernel", "tol"}, top=1)
    assert result.importances[0][0] == "kernel"
    (dependence,) = result.dependence
    assert dependence.categorical and dependence.values == ["linear", "poly", "rbf"]
    by_label = dict(zip(dependence.values, dependence.score, strict=True))
    assert by_label["poly"] < by_label["linear"] < by_label["rbf"]


def test_only_scored_trials_over_the_space_of_the_problem_count():
    trials = _determined(MIN_TRIALS - 1)
    extra = _trials([{"C": 1.0, "noise": 0.5}, {"C": 2.0, "pipeline": "x"}, {}, None],
                    [None, 0.3, 0.2, 0.1])
    other = _determined(30).assign(problem="q")
    result = hyperparameter_importance(pd.concat([trials, extra, other], ignore_index=True),
                                       "p", space={"C", "noise"})
    assert (result.n_trials, result.importances, result.dependence) == (MIN_TRIALS - 1, [], [])
    assert result.surrogate_r2 is None
    assert result.note == f"{MIN_TRIALS - 1} scored trial(s) with hyperparameters; at least " \
                          f"{MIN_TRIALS} are needed"


def test_no_varying_parameter_gives_a_note():
    params = [{"C": 1.0, "kernel": "rbf"}] * 12
    result = hyperparameter_importance(_trials(params, [0.1 * i for i in range(12)]), "p",
                                       space={"C", "kernel"})
    assert (result.n_trials, result.importances) == (12, [])
    assert result.note == "no hyperparameter varied across the trials"
