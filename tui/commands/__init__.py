"""Headless sub-commands of `fmnist-tui run`: one module per task, each with the same shape.

A command module defines `NAME`, `HELP`, `EPILOG`, `add_arguments(parser)`,
`build_task(args) -> Task` (raises ConfigError on bad input) and `Renderer`
(a `HeadlessRenderer` for its events). None of them imports TensorFlow at import time.
"""

from importlib import import_module
from types import ModuleType

COMMAND_MODULES = ("train",)


def load_commands() -> list[ModuleType]:
    return [import_module(f"{__name__}.{name}") for name in COMMAND_MODULES]
