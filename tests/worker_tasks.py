"""Tasks that tests run in worker processes (named "worker_tasks:Class" in a spec)."""

from __future__ import annotations

import time
from typing import Any

from fmnist_tui.engine.events import Log
from fmnist_tui.engine.runner import RunContext, Task


class StuckTask(Task):
    """Stands for TensorFlow stuck in an op: it never checks the cancel token."""

    name = "stuck"
    needs_environment = False

    def config_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds}

    def __init__(self, seconds: float = 120.0) -> None:
        self.seconds = seconds

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "StuckTask":
        return cls(float(options.get("seconds", 120.0)))

    def run(self, ctx: RunContext) -> None:
        ctx.summary["progress"] = "stuck"
        ctx.checkpoint()
        ctx.emit(Log("stuck in an op"))
        time.sleep(self.seconds)

    def render_markdown(self, summary: dict[str, Any]) -> str:
        return f"# Stuck\n\n**Status:** {summary.get('status')}\n\n{summary.get('error', '')}\n"
