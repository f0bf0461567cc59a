"""auto-sklearn worker, run by the auto-sklearn environment's Python 3.9 (stdlib + auto-sklearn).

    python autosklearn_worker.py SPEC.json

SPEC names the .npy files of the train and test parts, the task, the metric (a scikit-learn
scorer name), the budget and the events file. Each evaluated pipeline is appended to the
events file as one JSON line the moment SMAC reports it; the last line is the result:
the final ensemble's score on the test part, the leaderboard and sprint statistics.
"""

import json
import os
import re
import sys
import traceback

EVENTS = None


def emit(event, **data):
    line = json.dumps(dict(event=event, **data), default=_plain)
    EVENTS.write(line + "\n")
    EVENTS.flush()
    os.fsync(EVENTS.fileno())


def _plain(value):
    try:
        return value.item()
    except AttributeError:
        return str(value)


def autosklearn_metric(name):
    """The auto-sklearn metric for a scikit-learn scorer name (neg_X -> X)."""
    import autosklearn.metrics

    aliases = {"neg_log_loss": "log_loss", "neg_root_mean_squared_error":
               "root_mean_squared_error"}
    base = aliases.get(name, name[4:] if name.startswith("neg_") else name)
    metric = getattr(autosklearn.metrics, base, None)
    if not isinstance(metric, autosklearn.metrics.Scorer):
        raise ValueError(f"auto-sklearn has no metric for the scikit-learn scorer {name!r}")
    return metric


class TrialStream:
    """SMAC callback: one trial event per evaluated pipeline."""

    def __init__(self, metric, started_at, n_splits):
        self.metric = metric
        self.started_at = started_at
        self.n_splits = n_splits
        self.number = 0

    def __call__(self, smbo, run_info, result, time_left):
        status = getattr(result.status, "name", str(result.status))
        ok = status == "SUCCESS"
        score = float(self.metric._optimum - result.cost) if ok else None
        config = run_info.config.get_dictionary() if run_info.config is not None else {}
        emit("trial", number=self.number, params=config, cv_scores=[score],
             fit_time_s=float(result.time or 0.0), score_time_s=0.0,
             elapsed_s=float(result.endtime - self.started_at),
             fidelity=None, info={"status": status,
                   "folds": f"mean over {self.n_splits} folds reported"},
             error=None if ok else f"auto-sklearn: {status}")
        self.number += 1
        return None


def sprint_numbers(text):
    numbers = {}
    patterns = {"runs": r"Number of target algorithm runs: (\d+)",
                "successful": r"Number of successful target algorithm runs: (\d+)",
                "crashed": r"Number of crashed target algorithm runs: (\d+)",
                "timed_out": r"exceeded the time limit: (\d+)",
                "memory_out": r"exceeded the memory limit: (\d+)"}
    for key, pattern in patterns.items():
        found = re.search(pattern, text)
        if found:
            numbers[key] = int(found.group(1))
    return numbers


def typed_frame(X, layout):
    """X as a DataFrame whose category columns have the pandas category dtype, so that
    auto-sklearn infers its feat_type (Categorical / Numerical) from the dtypes."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(X, columns=["x%d" % i for i in range(X.shape[1])])
    for i, (kind, levels) in enumerate(zip(layout["kinds"], layout["levels"])):  # noqa: B905
        if kind != "number":
            frame["x%d" % i] = pd.Categorical(X[:, i],
                                              categories=np.arange(levels, dtype=float))
    return frame


def run(spec):
    import numpy as np
    from sklearn.metrics import get_scorer

    data = {k: np.load(spec["data"][k], allow_pickle=False)
            for k in ("X_train", "y_train", "X_test", "y_test")}
    if spec.get("layout"):  # text categories or missing values: a typed table
        for key in ("X_train", "X_test"):
            data[key] = typed_frame(data[key], spec["layout"])
    metric = autosklearn_metric(spec["metric"])
    if spec["task"] == "classification":
        from autosklearn.classification import AutoSklearnClassifier as Estimator
    else:
        from autosklearn.regression import AutoSklearnRegressor as Estimator
    stream = TrialStream(metric, spec["started_at"], spec["cv"])
    max_trials = spec.get("max_trials")
    automl = Estimator(
        initial_configurations_via_metalearning=25 if not max_trials
        else max(0, min(25, max_trials - 1)),
        time_left_for_this_task=int(spec["time_left_s"]),
        per_run_time_limit=int(spec["per_run_time_limit_s"]),
        memory_limit=spec["memory_limit_mb"], n_jobs=spec["n_jobs"], seed=spec["seed"],
        metric=metric, resampling_strategy="cv",
        resampling_strategy_arguments={"folds": spec["cv"]},
        tmp_folder=spec["tmp_folder"], delete_tmp_folder_after_terminate=True,
        get_trials_callback=stream,
        ensemble_kwargs={"ensemble_size": spec.get("ensemble_size", 50)},
        smac_scenario_args={"runcount_limit": max_trials} if max_trials else None)
    automl.fit(data["X_train"], data["y_train"])
    scores = list(_trial_scores(automl))
    test_score = float(get_scorer(spec["metric"])(automl, data["X_test"], data["y_test"]))
    board = automl.leaderboard(detailed=False)
    models = automl.get_models_with_weights()
    best_params = {}
    if len(board):
        best_run = int(board.index[0])  # leaderboard ids are auto-sklearn's num_run
        runhistory = automl.automl_.runhistory_
        for key, value in runhistory.data.items():
            if (value.additional_info or {}).get("num_run") == best_run:
                best_params = runhistory.ids_config[key.config_id].get_dictionary()
                break
    emit("autosklearn_result", best_params=best_params,
         best_cv_score=max(scores) if scores else None, test_score=test_score,
         details={"n_models_tried": stream.number, "ensemble_size": len(models),
                  "sprint_statistics": sprint_numbers(automl.sprint_statistics()),
                  "leaderboard": json.loads(board.head(10).reset_index().to_json(
                      orient="records"))})


def _trial_scores(automl):
    results = automl.cv_results_
    for score, status in zip(results["mean_test_score"], results["status"]):  # noqa: B905
        if status == "Success" and score == score:
            yield float(score)


def main():
    global EVENTS
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    with open(spec["events"], "a") as EVENTS:
        try:
            run(spec)
        except Exception as exc:  # noqa: BLE001 - reported to the harness as the run's error
            emit("autosklearn_error",
                 error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
