"""keras-tuner RandomSearch, Hyperband and BayesianOptimization under the run's budget.

keras-tuner has no wall-clock limit of its own, so the harness adds two: the tuner's oracle
creates no new trial once the budget (minus a reserve for scoring the best model) is spent,
and a Keras callback stops the epoch loop of the trial that is running at that moment.
Every finished trial is recorded with its hyperparameters, best validation score, epochs
(Hyperband's fidelity) and when it finished; ``info["full_fidelity"]`` says whether it
trained every epoch (Hyperband's lower rungs and trials cut at the deadline did not). The
run's best CV score and model are those of its best full-fidelity trial; with none, the
best configuration is trained for every epoch in what is left of the budget.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from harness.strategies._keras_tracking import (
    OBJECTIVE,
    Timings,
    Tracker,
    deadline_callback,
    recording_tuner,
)
from harness.strategies._options import Option
from harness.strategies._protocol import (
    Deadline,
    Problem,
    SearchOutcome,
    Trial,
    TrialRecorder,
    initial_design,
)

UNBOUNDED_TRIALS = 10_000


class KerasPredictor:
    """A fitted Keras classifier with ``predict`` (labels) and ``predict_proba``."""

    def __init__(self, model: Any, *, binary: bool, vocabulary: int | None = None):
        self.model = model
        self.binary = binary
        self.vocabulary = vocabulary

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        if self.vocabulary is not None:  # unseen tokens map to the last known id
            return np.minimum(X, self.vocabulary - 1)
        return X

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        out = np.asarray(self.model.predict(self._inputs(X), verbose=0))
        return np.hstack([1 - out, out]) if self.binary else out

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


#: What every keras-tuner strategy accepts; each class adds its own epochs options.
COMMON_OPTIONS = {
    "executions_per_trial": Option((int,), 1, "fits per trial, averaged", minimum=1),
    "batch_size": Option((int,), 32, "mini-batch size", minimum=1),
    "validation_split": Option((float,), 0.2, "share of the train part held for validation",
                               minimum=0.05, maximum=0.5),
    "keep_artifacts": Option((bool,), False, "keep the tuner directory in the run folder"),
    "reserve_s": Option((float, int), None, "seconds kept to load and score the best model "
                        "(unset: measured on the search's models: a build, validation "
                        "passes)", minimum=0),
}


class _KerasTunerStrategy:
    """Shared by the three keras-tuner strategies; subclasses name the tuner and its epochs."""

    name: ClassVar[str] = ""
    requires: ClassVar[str] = "tensorflow + keras-tuner"
    model_kinds: ClassVar[tuple[str, ...]] = ("keras",)
    tuner: ClassVar[str] = ""
    options: ClassVar[dict[str, Option]] = COMMON_OPTIONS

    def __init__(self, *, executions_per_trial: int = 1, batch_size: int = 32,
                 validation_split: float = 0.2, keep_artifacts: bool = False,
                 reserve_s: float | None = None):
        self.executions_per_trial = executions_per_trial
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.keep_artifacts = keep_artifacts
        self.reserve_s = reserve_s
        self.epochs = 1  # set by the subclass: epochs per trial (Hyperband's most)

    #: Whether trials run at reduced fidelity (fewer epochs); one trial of ``max_trials`` is
    #: then kept for evaluating the chosen configuration at full fidelity.
    multi_fidelity: ClassVar[bool] = False

    def _tuner_kwargs(self, limit: int, max_trials: int | None) -> dict[str, Any]:
        return {"max_trials": limit}

    def search(self, problem: Problem, *, deadline: Deadline, seed: int,
               recorder: TrialRecorder) -> SearchOutcome:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras
        import keras_tuner as kt
        import tensorflow as tf

        from harness.strategies._fitted_view import fitted_view

        tf.config.threading.set_intra_op_parallelism_threads(problem.n_jobs)
        tf.config.threading.set_inter_op_parallelism_threads(problem.n_jobs)
        keras.utils.set_random_seed(seed)
        gpus = tf.config.list_physical_devices("GPU")
        device = f"GPU ({gpus[0].name})" if gpus else "CPU"
        hypermodel, predictor_args = _hypermodel(problem)
        directory = Path.cwd() / "keras-tuner"
        started = time.time()
        tracker = Tracker(recorder, deadline, self.epochs, Timings(
            fixed_s=self.reserve_s, floor_s=deadline.min_reserve_s))
        tuner = self._run_tuner(kt, hypermodel, problem, deadline, seed, tracker, directory)
        model, params, best_cv = self._choose(tuner, problem, deadline, tracker)
        details = {"device": device, "n_trials": len(tracker.recorded),
                   "search_wall_s": round(time.time() - started, 2),
                   "reserve_s": round(tracker.timings.reserve_s(), 2),
                   "tensorflow": tf.__version__, "keras_tuner": kt.__version__}
        if tracker.random_ids is not None:
            details["initial_design"] = _initial_points(tuner.oracle)
            details["model_proposed_trials"] = sum(
                t.info.get("proposed_by") == "model" for t in tracker.recorded)
        if not self.keep_artifacts:
            shutil.rmtree(directory, ignore_errors=True)
        classes = np.arange(int(problem.y.max()) + 1)
        return SearchOutcome(
            best_params=params, best_cv_score=best_cv, details=details,
            best_estimator=fitted_view(KerasPredictor(model, **predictor_args),
                                       "classification", classes))

    def _run_tuner(self, kt: Any, hypermodel: Any, problem: Problem, deadline: Deadline,
                   seed: int, tracker: Tracker, directory: Path) -> Any:
        """Build the recording tuner and search until the deadline or the trial cap."""
        limit = deadline.max_trials or UNBOUNDED_TRIALS
        if self.multi_fidelity and deadline.max_trials and deadline.max_trials >= 2:
            limit -= 1  # kept for the full-fidelity evaluation
        Recording = recording_tuner(getattr(kt, self.tuner), tracker)
        tuner = Recording(hypermodel, objective=kt.Objective(OBJECTIVE, "max"), seed=seed,
                          executions_per_trial=self.executions_per_trial,
                          directory=str(directory), project_name="run", overwrite=True,
                          **self._tuner_kwargs(limit, deadline.max_trials))
        if hasattr(tuner.oracle, "num_initial_points"):  # a model-based oracle
            tracker.track_proposals(tuner.oracle)
        populate = tuner.oracle.populate_space

        def populate_until_deadline(trial_id: str) -> dict[str, Any]:
            # at reduced fidelity, room is kept to train the choice for every epoch
            then = self.epochs if self.multi_fidelity and tracker.best_full() is None else 0
            if (not tracker.timings.allows_trial(deadline, then)
                    or len(tracker.recorded) >= limit):
                return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}
            return populate(trial_id)

        tuner.oracle.populate_space = populate_until_deadline  # every oracle asks this first
        tuner.search(problem.X, problem.y, epochs=self.epochs,
                     validation_split=self.validation_split, batch_size=self.batch_size,
                     callbacks=[deadline_callback(deadline, tracker.timings, tracker.stopped)],
                     verbose=0)
        if not any(t.cv_scores[0] is not None for t in tracker.recorded):
            raise RuntimeError(f"no keras-tuner trial finished within the budget "
                               f"({deadline.time_s:g} s)")
        return tuner

    def _choose(self, tuner: Any, problem: Problem, deadline: Deadline, tracker: Tracker
                ) -> tuple[Any, dict[str, Any], float | None]:
        """The model, params and best CV score of the best full-fidelity trial; with none,
        the tuner's best configuration trained for every epoch in what is left of the
        budget (best CV None when even that is cut short, or would not fit)."""
        best = tracker.best_full()
        if best is not None:
            trial = tuner.oracle.get_trial(best.info["trial_id"])
            return tuner.load_model(trial), best.params, best.cv_scores[0]
        trial = tuner.oracle.get_best_trials(num_trials=1)[0]
        params = {k: v for k, v in trial.hyperparameters.values.items()
                  if not k.startswith("tuner/")}
        model, score = None, None
        timings = tracker.timings
        if deadline.remaining() > (timings.reserve_s() + timings.build_s
                                   + self.epochs * timings.epoch_s):
            model, score = self._full_fidelity_fit(tuner, trial, problem, deadline, tracker)
        if model is None:
            model = tuner.load_model(trial)
        return model, params, score

    def _full_fidelity_fit(self, tuner: Any, trial: Any, problem: Problem,
                           deadline: Deadline, tracker: Tracker) -> tuple[Any, float | None]:
        """Train ``trial``'s configuration for every epoch, recorded as a trial; (model,
        its best validation score) when it finished, else (None, None)."""
        stopped = [False]
        model = tuner.hypermodel.build(trial.hyperparameters.copy())
        history = model.fit(problem.X, problem.y, epochs=self.epochs,
                            validation_split=self.validation_split, batch_size=self.batch_size,
                            callbacks=[deadline_callback(deadline, tracker.timings, stopped)],
                            verbose=0)
        scores = [float(v) for v in history.history.get(OBJECTIVE, [])]
        full = not stopped[0] and len(history.epoch) >= self.epochs
        score = max(scores) if scores else None  # as keras-tuner scores a trial
        tracker.record(Trial(
            number=len(tracker.recorded),
            params={k: v for k, v in trial.hyperparameters.values.items()
                    if not k.startswith("tuner/")},
            cv_scores=[score], fit_time_s=0.0, score_time_s=0.0,
            elapsed_s=deadline.elapsed(), fidelity={"epochs": len(history.epoch)},
            info={"full_fidelity": full, "stage": "full-fidelity", "objective": OBJECTIVE}))
        return (model, score) if full else (None, None)


def _initial_points(oracle: Any) -> int:
    """The random trials a keras-tuner Bayesian oracle draws before its Gaussian process."""
    return int(oracle.num_initial_points or max(3 * len(oracle.hyperparameters.space), 3))


def _hypermodel(problem: Problem) -> tuple[Any, dict[str, Any]]:
    from harness.datasets import vocabulary_size
    from harness.hypermodels import build_cnn, build_lstm

    space = problem.space
    if problem.model == "cnn":
        shape = tuple(int(d) for d in problem.X.shape[1:])
        n_classes = int(problem.y.max()) + 1
        return (lambda hp: build_cnn(hp, space=space, input_shape=shape, n_classes=n_classes),
                {"binary": False})
    vocabulary = vocabulary_size(problem.X)
    length = int(problem.X.shape[1])
    return (lambda hp: build_lstm(hp, space=space, vocabulary=vocabulary,
                                  sequence_length=length),
            {"binary": True, "vocabulary": vocabulary})


class _FixedEpochsStrategy(_KerasTunerStrategy):
    """A tuner that trains every trial for the same ``epochs``."""

    options: ClassVar[dict[str, Option]] = {
        "epochs": Option((int,), 3, "epochs per trial", minimum=1), **COMMON_OPTIONS}

    def __init__(self, *, epochs: int = 3, executions_per_trial: int = 1, batch_size: int = 32,
                 validation_split: float = 0.2, keep_artifacts: bool = False,
                 reserve_s: float | None = None):
        super().__init__(executions_per_trial=executions_per_trial, batch_size=batch_size,
                         validation_split=validation_split, keep_artifacts=keep_artifacts,
                         reserve_s=reserve_s)
        self.epochs = epochs


class KerasRandomStrategy(_FixedEpochsStrategy):
    """keras-tuner RandomSearch."""

    name: ClassVar[str] = "keras-random"
    tuner: ClassVar[str] = "RandomSearch"


class KerasHyperbandStrategy(_KerasTunerStrategy):
    """keras-tuner Hyperband (``max_epochs``, ``factor``); epochs are the fidelity."""

    name: ClassVar[str] = "keras-hyperband"
    tuner: ClassVar[str] = "Hyperband"
    options: ClassVar[dict[str, Option]] = {
        "max_epochs": Option((int,), 10, "most epochs of a trial", minimum=1),
        "factor": Option((int,), 3, "reduction factor between brackets", minimum=2),
        **COMMON_OPTIONS}

    def __init__(self, *, max_epochs: int = 10, factor: int = 3, executions_per_trial: int = 1,
                 batch_size: int = 32, validation_split: float = 0.2,
                 keep_artifacts: bool = False, reserve_s: float | None = None):
        super().__init__(executions_per_trial=executions_per_trial, batch_size=batch_size,
                         validation_split=validation_split, keep_artifacts=keep_artifacts,
                         reserve_s=reserve_s)
        self.max_epochs = max_epochs
        self.factor = factor
        self.epochs = max_epochs  # Hyperband sets each trial's own (tuner/epochs)

    multi_fidelity: ClassVar[bool] = True

    def _tuner_kwargs(self, limit: int, max_trials: int | None) -> dict[str, Any]:
        return {"max_epochs": self.max_epochs, "factor": self.factor}


class KerasBayesStrategy(_FixedEpochsStrategy):
    """keras-tuner BayesianOptimization (Gaussian process).

    Its random initial design is sized from the trial cap when ``num_initial_points`` is
    unset; each run records how many trials the model proposed (``model_proposed_trials``).
    """

    name: ClassVar[str] = "keras-bayes"
    tuner: ClassVar[str] = "BayesianOptimization"
    options: ClassVar[dict[str, Option]] = {
        "num_initial_points": Option((int,), None, "random trials before the Gaussian process "
                                     "(unset: min(10, max(3, max_trials // 4)), or keras-"
                                     "tuner's 3 per dimension with no trial cap)", minimum=1),
        **_FixedEpochsStrategy.options}

    def __init__(self, *, num_initial_points: int | None = None, epochs: int = 3,
                 executions_per_trial: int = 1, batch_size: int = 32,
                 validation_split: float = 0.2, keep_artifacts: bool = False,
                 reserve_s: float | None = None):
        super().__init__(epochs=epochs, executions_per_trial=executions_per_trial,
                         batch_size=batch_size, validation_split=validation_split,
                         keep_artifacts=keep_artifacts, reserve_s=reserve_s)
        self.num_initial_points = num_initial_points

    def _tuner_kwargs(self, limit: int, max_trials: int | None) -> dict[str, Any]:
        return {"max_trials": limit, "num_initial_points": initial_design(
            self.num_initial_points, max_trials, default=None)}
