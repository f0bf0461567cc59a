"""The bookkeeping of a keras-tuner search under the harness's budget: the callback that stops
training at the deadline, the record of each trial (its fidelity, who proposed it) and the
tuner subclass that records trials as they end."""

from __future__ import annotations

from typing import Any

from harness.strategies._protocol import Deadline, Trial, TrialRecorder

OBJECTIVE = "val_accuracy"


def deadline_callback(deadline: Deadline, reserve_s: float, stopped: list[bool]) -> Any:
    """A callback that stops training once the deadline minus ``reserve_s`` has passed and
    then sets ``stopped[0]`` (a trial cut short this way is not at full fidelity). keras-tuner
    deep-copies callbacks; ``stopped`` lives in the closure, so every copy shares it."""
    import keras

    class StopAtDeadline(keras.callbacks.Callback):
        """Stops training once the run's deadline minus the reserve has passed."""

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if deadline.remaining() <= reserve_s:
                self.model.stop_training = True
                stopped[0] = True

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if deadline.remaining() <= reserve_s and epoch + 1 < self.params.get("epochs", 0):
                self.model.stop_training = True
                stopped[0] = True

    return StopAtDeadline()


class Tracker:
    """What the recording tuner and the strategy share: the recorded trials, whether the
    running trial was cut at the deadline, and the trials the oracle proposed at random."""

    def __init__(self, recorder: TrialRecorder, deadline: Deadline, full_epochs: int):
        self.recorder = recorder
        self.deadline = deadline
        self.full_epochs = full_epochs
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
