"""The Classifier task: load the data, train each chosen model in turn, record the results."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Callable

from ..data import Dataset, load_fashion_mnist
from ..events import Log, ModelFinished, ModelResumed
from ..runner import Cancelled, RunContext, Task
from .config import TrainConfig
from .network import seed_everything, steps_per_epoch
from .reporting import ModelReporter, TensorBoardWriter
from .summary import render_train_markdown

DataLoader = Callable[[], Dataset]
# Where each model is saved at the end of its training, in the run directory.
MODEL_FILES = {"keras": "keras-model.keras", "lowlevel": "lowlevel-savedmodel"}


def load_data(data_dir: str | Path | None) -> Dataset:
    """The real data set, or a prepared subset when `data_dir` names an `.npz` file."""
    from ..data_npz import is_npz_path, load_npz_dataset

    return load_npz_dataset(data_dir) if is_npz_path(data_dir) else load_fashion_mnist(data_dir)


class TrainTask(Task):
    name = "train"

    def __init__(
        self,
        config: TrainConfig,
        data_dir: str | Path | None = None,
        logs_dir: str | Path | None = "logs",
        data_loader: DataLoader | None = None,
    ) -> None:
        self.config = config
        self.data_dir = data_dir
        self.logs_dir = Path(logs_dir) if logs_dir is not None else None
        self._load = data_loader or (lambda: load_data(data_dir))

    def config_dict(self) -> dict[str, Any]:
        data = self.config.to_dict()
        data["data_dir"] = str(self.data_dir) if self.data_dir else None
        return data

    def options(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "logs_dir": str(self.logs_dir.resolve()) if self.logs_dir is not None else None,
        }

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "TrainTask":
        return cls(TrainConfig.parse(options.get("config") or {}), data_dir=options.get("data_dir"),
                   logs_dir=options.get("logs_dir"))

    def params(self) -> dict[str, Any]:
        return {"models": list(self.config.models), "epochs": self.config.epochs}

    def render_markdown(self, summary: dict[str, Any]) -> str:
        return render_train_markdown(summary)

    def prepare(self, ctx: RunContext) -> None:
        from .cluster import joining_message
        from .distribute import describe_strategy, make_strategy

        message = joining_message(self.config.strategy)
        if message:  # a cluster's worker waits for the others before its strategy exists
            ctx.emit(Log(message))
        ctx.summary["strategy"] = describe_strategy(make_strategy(self.config.strategy))

    def run(self, ctx: RunContext) -> None:
        ctx.emit(Log("Loading Fashion-MNIST…"))
        data = self._load()
        samples = len(data.x_train)
        ctx.summary["data"] = {"source": data.source, "train_samples": samples, "test_samples": len(data.x_test)}
        models = ctx.summary.get("models") if isinstance(ctx.summary.get("models"), dict) else {}
        ctx.summary["models"] = {name: models.get(name) or {"status": "pending", "epochs": []}
                                 for name in self.config.models}
        ctx.emit(Log(f"Data: {samples} training and {len(data.x_test)} test images from {data.source or 'memory'}."))
        if self.logs_dir is not None and ctx.run_dir is not None:
            ctx.summary["tensorboard_logdir"] = str(self.logs_dir / "fit" / ctx.run_id)
        # A run without a seed still gets one, recorded, so that a resumed run can use it too.
        seed = ctx.summary.setdefault(
            "effective_seed", self.config.seed if self.config.seed is not None else random.randrange(2**31))
        # One model after the other, so that each has the machine to itself (fair timing).
        for name in self.config.models:
            ctx.check_cancelled()
            record = ctx.summary["models"][name]
            if record.get("status") == "completed":  # a resumed run: this model is done
                ctx.emit(ModelResumed(model=name, epochs=self.config.epochs, rows=tuple(record.get("epochs") or ())))
                ctx.emit(ModelFinished(model=name, result=dict(record)))
                continue
            self._train_model(ctx, data, name, record, seed)
            ctx.emit(ModelFinished(model=name, result=dict(record)))
            ctx.checkpoint()

    def _train_model(self, ctx: RunContext, data: Dataset, name: str, record: dict[str, Any], seed: int) -> None:
        from ..system_monitor import ResourceRecorder
        from .checkpoints import ModelCheckpoint
        from .keras_trainer import save_keras_model, train_keras
        from .lowlevel_trainer import train_lowlevel

        trainers = {"keras": train_keras, "lowlevel": train_lowlevel}
        samples = len(data.x_train)
        tensorboard = None
        if "tensorboard_logdir" in ctx.summary:
            tensorboard = TensorBoardWriter(Path(ctx.summary["tensorboard_logdir"]) / name)
        checkpoint = ModelCheckpoint(ctx.run_dir, name)
        # This process's memory, CPU and GPU while the model trains (a resumed model's earlier
        # attempt included); written with every epoch's checkpoint and at the end, however it ends.
        resources = ResourceRecorder(previous=record.get("resources"))

        def epoch_done() -> None:
            record["resources"] = resources.summary()
            ctx.checkpoint()

        reporter = ModelReporter(
            name, self.config.epochs, steps_per_epoch(samples, self.config.batch_size), samples, ctx.emit, record,
            tensorboard, on_epoch=epoch_done, checkpoint=checkpoint,
        )
        status = "failed"
        try:
            resources.start()
            seed_everything(seed)
            ctx.emit(Log(f"Training {name}…"))
            model = trainers[name](data, self.config, reporter, ctx.token, seed=seed)
            if ctx.run_dir is not None:
                saver = save_keras_model if name == "keras" else (lambda m, path: m.save(path))
                saved = saver(model, ctx.run_dir / MODEL_FILES[name])
                record["model_file"] = saved.name
                checkpoint.remove()  # the saved model supersedes it
            status = "completed"
        except Cancelled:
            status = "cancelled"
            raise
        finally:
            record["resources"] = resources.stop()
            reporter.close(status)
