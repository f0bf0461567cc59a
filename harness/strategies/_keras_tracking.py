"""The bookkeeping of a keras-tuner search under the harness's budget: the callback that stops
training at the deadline, the record of each trial (its fidelity, who proposed it) and the
tuner subclass that records trials as they end."""

from __future__ import annotations

import time
from typing import Any

from harness.strategies._protocol import Deadline, Trial, TrialRecorder

OBJECTIVE = "val_accuracy"


#: Seconds of keras-tuner's own bookkeeping when a trial ends (checkpoint, trial file).
FINISH_S = 0.3
#: The measured reserve is this many times what it measured, for the variation between runs.
SAFETY = 1.5
#: The reserve until a validation pass has been measured (the first epoch of the first trial,
#: which also traces its functions).
UNMEASURED_S = 3.0


class Timings:
    """The slowest seen, on the search's own models, of what the end of a run repeats, so
    that the reserve kept before the deadline grows with the model: building one (loading
    the best model builds it again), one validation pass (the epoch cut at the deadline
    still validates; scoring the test part predicts about as many rows on a model loaded
    afresh) and one epoch. ``fixed_s`` (the ``reserve_s`` option) replaces the measured
    reserve."""

    def __init__(self, *, fixed_s: float | None = None, floor_s: float = 0.5):
        self.fixed_s = fixed_s
        self.floor_s = floor_s
        self.build_s = 0.0
        self.validation_s = 0.0
        self.epoch_s = 0.0

    def note(self, what: str, seconds: float) -> None:
        """Keep the slowest ``build_s``, ``validation_s`` or ``epoch_s`` seen."""
        setattr(self, what, max(getattr(self, what), seconds))

    def reserve_s(self) -> float:
        """Seconds kept at the end: finish the cut epoch, load the best model, score it."""
        if self.fixed_s is not None:
            return self.fixed_s
        measured = SAFETY * (self.build_s + 2.0 * self.validation_s + FINISH_S)
        return max(self.floor_s, measured if self.validation_s else max(measured, UNMEASURED_S))

    def allows_trial(self, deadline: Deadline, then_epochs: int = 0) -> bool:
        """Whether a new trial can build its model and train one epoch before the reserve,
        leaving room for one more model trained for ``then_epochs`` epochs after it."""
        after = self.build_s + then_epochs * self.epoch_s if then_epochs else 0.0
        return deadline.remaining() > self.reserve_s() + self.build_s + self.epoch_s + after


def deadline_callback(deadline: Deadline, timings: Timings, stopped: list[bool]) -> Any:
    """A callback that stops training at the first batch end once the deadline minus the
    reserve (``timings.reserve_s()``) has passed, then sets ``stopped[0]`` (a trial cut short
    this way is not at full fidelity), and measures epochs and validation passes into
    ``timings``. Keras 3 leaves the batch loop as soon as a batch-end callback sets
    ``stop_training``; the cut epoch's validation still runs (the reserve holds it).
    keras-tuner deep-copies callbacks; ``stopped`` and ``timings`` live in the closure, so
    every copy shares them."""
    import keras

    class StopAtDeadline(keras.callbacks.Callback):
        """Stops training once the run's deadline minus the reserve has passed."""

        epoch_began = validation_began = 0.0

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if deadline.remaining() <= timings.reserve_s():
                self.model.stop_training = True
                stopped[0] = True

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch_began = time.perf_counter()

        def on_test_begin(self, logs: Any = None) -> None:
            self.validation_began = time.perf_counter()

        def on_test_end(self, logs: Any = None) -> None:
            timings.note("validation_s", time.perf_counter() - self.validation_began)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if not stopped[0]:  # a cut epoch is shorter than a whole one
                timings.note("epoch_s", time.perf_counter() - self.epoch_began)
            if deadline.remaining() <= timings.reserve_s() and epoch + 1 < self.params.get(
                    "epochs", 0):
                self.model.stop_training = True
                stopped[0] = True

    return StopAtDeadline()


class Tracker:
    """What the recording tuner and the strategy share: the recorded trials, whether the
    running trial was cut at the deadline, and the trials the oracle proposed at random."""

    def __init__(self, recorder: TrialRecorder, deadline: Deadline, full_epochs: int,
                 timings: Timings | None = None):
        self.recorder = recorder
        self.deadline = deadline
        self.full_epochs = full_epochs
        self.timings = timings or Timings(floor_s=deadline.min_reserve_s)
        self.recorded: list[Trial] = []
        self.stopped = [False]
        self.random_ids: set[str] | None = None  # tracked for model-based oracles only

    def record(self, trial: Trial) -> None:
        self.recorded.append(trial)
        self.recorder.record(trial)

    def best_full(self) -> Trial | None:
        """The first of the best-scoring trials at full fidelity, or None."""
        full = [t for t in self.recorded
                if t.cv_scores[0] is not None and t.info.get("full_fidelity")]
        return max(full, key=lambda t: t.cv_scores[0], default=None)

    def track_proposals(self, oracle: Any) -> None:
        """Note each trial the oracle fills at random (its initial design)."""
        self.random_ids, fill = set(), oracle._random_populate_space
        populate, drawn = oracle.populate_space, [False]

        def random_fill(*args: Any, **kwargs: Any) -> Any:
            drawn[0] = True
            return fill(*args, **kwargs)

        def noting(trial_id: str) -> dict[str, Any]:
            drawn[0] = False
            values = populate(trial_id)
            if drawn[0] and self.random_ids is not None:
                self.random_ids.add(trial_id)
            return values

        oracle._random_populate_space, oracle.populate_space = random_fill, noting


def recording_tuner(base: type, tracker: Tracker) -> type:
    """The keras-tuner tuner class ``base``, recording each trial as it ends: its epochs
    (Hyperband's fidelity; full when it trained every epoch, not cut at the deadline) and,
    for a model-based oracle, whether the model or the random initial design proposed it."""

    class Recording(base):  # type: ignore[misc, valid-type]
        def _try_build(self, hp: Any) -> Any:  # every trial's model, and load_model's
            began = time.perf_counter()
            model = super()._try_build(hp)
            tracker.timings.note("build_s", time.perf_counter() - began)
            return model

        def on_trial_end(self, trial: Any) -> None:
            super().on_trial_end(trial)
            values = dict(trial.hyperparameters.values)
            # Hyperband sets each trial's own epochs (tuner/epochs)
            epochs = int(values.get("tuner/epochs", tracker.full_epochs))
            score = trial.score
            info = {"trial_id": trial.trial_id, "status": str(trial.status),
                    "objective": OBJECTIVE,
                    "full_fidelity": epochs >= tracker.full_epochs and not tracker.stopped[0]}
            if tracker.random_ids is not None:
                info["proposed_by"] = ("random" if trial.trial_id in tracker.random_ids
                                       else "model")
            tracker.stopped[0] = False
            tracker.record(Trial(
                number=len(tracker.recorded),
                params={k: v for k, v in values.items() if not k.startswith("tuner/")},
                cv_scores=[float(score) if score is not None else None],
                fit_time_s=0.0, score_time_s=0.0, elapsed_s=tracker.deadline.elapsed(),
                fidelity={"epochs": epochs}, info=info))

    return Recording
