"""How a training run's progress reads, line by line: the Classifier screen and `run train` alike.

An epoch's line (its loss, accuracy, test loss and test accuracy, and how long it took),
a resumed model's line, a finished model's line, the short progress note beside a model's
bars and the cells of the Epochs table are built here once, from the engine's events'
`logs`. No Textual, no rich.
"""

from __future__ import annotations

from typing import Any, Mapping

from fmnist_tui.engine.training.config import MODEL_TITLES

NAN = float("nan")


def model_title(model: str) -> str:
    """ "Keras" / "Low-level" for the engine's model names; an unknown name as it is."""
    return MODEL_TITLES.get(model, model)


def epoch_line(model: str, epoch: int, epochs: int, logs: Mapping[str, float]) -> str:
    """ "keras epoch 2/5: loss 0.3012 acc 0.8911 test loss 0.3420 test acc 0.8790 (4.1 s)"."""
    return (
        f"{model} epoch {epoch}/{epochs}: loss {logs['loss']:.4f} acc {logs['accuracy']:.4f} "
        f"test loss {logs['test_loss']:.4f} test acc {logs['test_accuracy']:.4f} ({logs['seconds']:.1f} s)"
    )


def resumed_line(model: str, epochs_done: int, epochs: int) -> str:
    return f"{model}: resumed after epoch {epochs_done} of {epochs}"


def model_finished_line(model: str, result: Mapping[str, Any]) -> str:
    return f"{model}: {result.get('status', 'finished')}"


def batch_note(epoch: int, logs: Mapping[str, float]) -> str:
    """Beside a model's batch bar: "epoch 2  loss 0.3012  acc 0.8911"."""
    return f"epoch {epoch}  loss {logs.get('loss', NAN):.4f}  acc {logs.get('accuracy', NAN):.4f}"


def epoch_note(logs: Mapping[str, float]) -> str:
    """Beside a model's epoch bar, after an epoch: "test acc 0.8790"."""
    return f"test acc {logs['test_accuracy']:.4f}"


EPOCH_HEADERS = ("model", "epoch", "loss", "accuracy", "test loss", "test acc", "seconds")


def epoch_cells(model: str, epoch: int, logs: Mapping[str, float]) -> tuple[str, ...]:
    """One row of the Epochs table, under `EPOCH_HEADERS`."""
    return (
        model, str(epoch), f"{logs['loss']:.4f}", f"{logs['accuracy']:.4f}",
        f"{logs['test_loss']:.4f}", f"{logs['test_accuracy']:.4f}", f"{logs['seconds']:.2f}",
    )
