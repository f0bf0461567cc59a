"""keras-tuner RandomSearch, Hyperband and BayesianOptimization under the run's budget.

keras-tuner has no wall-clock limit of its own, so the harness adds two: the tuner's oracle
creates no new trial once the budget (minus a reserve for scoring the best model) is spent,
and a Keras callback stops the epoch loop of the trial that is running at that moment.
Every finished trial is recorded with its hyperparameters, best validation score, epochs
(Hyperband's fidelity) and when it finished.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from harness.strategies._options import Option
from harness.strategies._protocol import Deadline, Problem, SearchOutcome, Trial, TrialRecorder

UNBOUNDED_TRIALS = 10_000
OBJECTIVE = "val_accuracy"


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


def _deadline_callback(deadline: Deadline, reserve_s: float) -> Any:
    import keras

    class StopAtDeadline(keras.callbacks.Callback):
        """Stops training once the run's deadline minus the reserve has passed."""

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if deadline.remaining() <= reserve_s:
                self.model.stop_training = True

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.on_train_batch_end(0)

    return StopAtDeadline()


#: What every keras-tuner strategy accepts; each class adds its own epochs options.
COMMON_OPTIONS = {
    "executions_per_trial": Option((int,), 1, "fits per trial, averaged", minimum=1),
    "batch_size": Option((int,), 32, "mini-batch size", minimum=1),
    "validation_split": Option((float,), 0.2, "share of the train part held for validation",
                               minimum=0.05, maximum=0.5),
    "keep_artifacts": Option((bool,), False, "keep the tuner directory in the run folder"),
    "reserve_s": Option((float, int), 3.0, "seconds kept to score the best model", minimum=0),
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
                 reserve_s: float = 3.0):
        self.executions_per_trial = executions_per_trial
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.keep_artifacts = keep_artifacts
        self.reserve_s = reserve_s
        self.epochs = 1  # set by the subclass: epochs per trial (Hyperband's most)

    def _tuner_kwargs(self, max_trials: int) -> dict[str, Any]:
        return {"max_trials": max_trials}

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
        limit = deadline.max_trials or UNBOUNDED_TRIALS
        reserve = self.reserve_s
        recorded: list[Trial] = []
        Recording = _recording(getattr(kt, self.tuner), recorded, recorder, deadline,
                               self.epochs)
        tuner = Recording(hypermodel, objective=kt.Objective(OBJECTIVE, "max"), seed=seed,
                          executions_per_trial=self.executions_per_trial,
                          directory=str(directory), project_name="run", overwrite=True,
                          **self._tuner_kwargs(limit))
        populate = tuner.oracle.populate_space

        def populate_until_deadline(trial_id: str) -> dict[str, Any]:
            if deadline.remaining() <= reserve or len(recorded) >= limit:
                return {"status": kt.engine.trial.TrialStatus.STOPPED, "values": None}
            return populate(trial_id)

        tuner.oracle.populate_space = populate_until_deadline  # every oracle asks this first
        started = time.time()
        tuner.search(problem.X, problem.y, epochs=self.epochs,
                     validation_split=self.validation_split, batch_size=self.batch_size,
                     callbacks=[_deadline_callback(deadline, reserve)], verbose=0)
        scored = [t for t in recorded if t.cv_scores[0] is not None]
        if not scored:
            raise RuntimeError(f"no keras-tuner trial finished within the budget "
                               f"({deadline.time_s:g} s)")
        best_model = tuner.get_best_models(num_models=1)[0]
        best = tuner.get_best_hyperparameters(num_trials=1)[0].values
        if not self.keep_artifacts:
            shutil.rmtree(directory, ignore_errors=True)
        classes = np.arange(int(problem.y.max()) + 1)
        return SearchOutcome(
            best_params={k: v for k, v in best.items() if not k.startswith("tuner/")},
            best_cv_score=max(t.cv_scores[0] for t in scored),
            details={"device": device, "n_trials": len(recorded),
                     "search_wall_s": round(time.time() - started, 2),
                     "tensorflow": tf.__version__, "keras_tuner": kt.__version__},
            best_estimator=fitted_view(KerasPredictor(best_model, **predictor_args),
                                       "classification", classes))


def _recording(base: type, recorded: list[Trial], recorder: TrialRecorder,
               deadline: Deadline, configured_epochs: int) -> type:
    """The keras-tuner tuner class ``base``, recording each trial as it ends."""

    class Recording(base):  # type: ignore[misc, valid-type]
        def on_trial_end(self, trial: Any) -> None:
            super().on_trial_end(trial)
            values = dict(trial.hyperparameters.values)
            # Hyperband sets each trial's own epochs (tuner/epochs)
            epochs = values.get("tuner/epochs", configured_epochs)
            score = trial.score
            recorded.append(Trial(
                number=len(recorded),
                params={k: v for k, v in values.items() if not k.startswith("tuner/")},
                cv_scores=[float(score) if score is not None else None],
                fit_time_s=0.0, score_time_s=0.0, elapsed_s=deadline.elapsed(),
                fidelity={"epochs": int(epochs)} if epochs is not None else None,
                info={"trial_id": trial.trial_id, "status": str(trial.status),
                      "objective": OBJECTIVE}))
            recorder.record(recorded[-1])

    return Recording


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
                 reserve_s: float = 3.0):
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
                 keep_artifacts: bool = False, reserve_s: float = 3.0):
        super().__init__(executions_per_trial=executions_per_trial, batch_size=batch_size,
                         validation_split=validation_split, keep_artifacts=keep_artifacts,
                         reserve_s=reserve_s)
        self.max_epochs = max_epochs
        self.factor = factor
        self.epochs = max_epochs  # Hyperband sets each trial's own (tuner/epochs)

    def _tuner_kwargs(self, max_trials: int) -> dict[str, Any]:
        return {"max_epochs": self.max_epochs, "factor": self.factor}


class KerasBayesStrategy(_FixedEpochsStrategy):
    """keras-tuner BayesianOptimization (Gaussian process)."""

    name: ClassVar[str] = "keras-bayes"
    tuner: ClassVar[str] = "BayesianOptimization"
