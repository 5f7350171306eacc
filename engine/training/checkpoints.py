"""Per-epoch checkpoints of one model's training state, so a run can resume where it stopped.

At the end of every epoch a trainer saves, in `runs/<id>/checkpoints/<model>.npz`, the
values of every variable of its model and optimizer (weights, Adam's moments and step
count, and Keras's dropout seed state) together with the epochs completed and their rows.
The randomness of each epoch (shuffle order, dropout masks) is a function of the seed and
the epoch alone, so a run resumed from epoch k learns as the unbroken run would have.
The file is replaced atomically: a kill at any instant leaves the previous epoch's state.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

from ..errors import FmnistError
from ..summaries import ResultsWriteError

CHECKPOINT_DIR = "checkpoints"


class CheckpointError(FmnistError):
    """A checkpoint that does not fit the model it is restored into."""


class ModelCheckpoint:
    """The saved state of one model of a run (a no-op without a run directory)."""

    def __init__(self, run_dir: Path | None, model: str) -> None:
        self.run_dir = None if run_dir is None else Path(run_dir)  # where the model's other files go too
        self.path = Path(run_dir) / CHECKPOINT_DIR / f"{model}.npz" if run_dir is not None else None
        self.variables: list[Any] = []

    def track(self, variables: Sequence[Any]) -> None:
        """The variables to save and restore, in a fixed order (model's, then optimizer's)."""
        self.variables = list(variables)

    def exists(self) -> bool:
        return self.path is not None and self.path.is_file()

    def save(self, rows: Sequence[dict[str, Any]]) -> None:
        if self.path is None:
            return
        import numpy as np

        arrays = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(self.variables)}
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            self.path.parent.mkdir(exist_ok=True)
            with open(tmp, "wb") as handle:
                np.savez(handle, rows=np.array(json.dumps(list(rows))), **arrays)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ResultsWriteError(self.path, exc) from None

    def restore(self) -> list[dict[str, Any]]:
        """Load the saved values into the tracked variables; returns the completed epochs' rows."""
        if not self.exists():
            return []
        assert self.path is not None
        import numpy as np

        try:
            with np.load(self.path, allow_pickle=False) as archive:
                rows = json.loads(str(archive["rows"]))
                arrays = [archive[f"v{i}"] for i in range(len(self.variables))]
                extra = len(archive.files) - 1 - len(arrays)
        except (OSError, ValueError, KeyError) as exc:
            raise CheckpointError(f"The checkpoint {self.path} cannot be read ({exc}).",
                                  "Start a new run; this one cannot be resumed.") from None
        if extra:
            raise CheckpointError(f"The checkpoint {self.path} was saved from a different model.",
                                  "Start a new run; this one cannot be resumed.")
        for variable, array in zip(self.variables, arrays):
            if tuple(variable.shape) != array.shape:
                raise CheckpointError(
                    f"The checkpoint {self.path} holds a {array.shape} value for a {tuple(variable.shape)} variable.",
                    "Start a new run; this one cannot be resumed.",
                )
            variable.assign(array)
        return [dict(r) for r in rows]

    def remove(self) -> None:
        if self.path is not None:
            try:
                self.path.unlink()
                self.path.parent.rmdir()
            except OSError:
                pass


def epoch_seed(seed: int, epoch: int) -> list[int]:
    """The stateless seed of one epoch's randomness (epoch counted from 1)."""
    return [int(seed), int(epoch)]
