"""Headless sub-commands of `fmnist-tui run`: one module per task, each with the same shape.

A command module defines `NAME`, `HELP`, `EPILOG`, `add_arguments(parser)`,
`build_task(args) -> Task` (raises ConfigError on bad input) and `Renderer`
(a `HeadlessRenderer` for its events). None of them imports TensorFlow at import time.
"""

from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

# In the order of the original exercise; a command whose module is not there yet is skipped.
COMMAND_MODULES = ("train", "devices", "jacobian", "eigen", "all")


def load_commands() -> list[ModuleType]:
    return [
        import_module(f"{__name__}.{name}")
        for name in COMMAND_MODULES
        if find_spec(f"{__name__}.{name}") is not None
    ]
