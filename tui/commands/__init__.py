"""Headless sub-commands of `fmnist-tui run`: one module per task, each with the same shape.

A command module defines `NAME`, `HELP`, `EPILOG`, `SETTING_SECTIONS` (the settings
sections its options set), `add_arguments(parser, added=None)` (the options, generated
from the settings' declarations, plus any switch of its own), `build_task(args) -> Task`
(raises ConfigError on bad input) and `Renderer` (a `HeadlessRenderer` for its events).
None of them imports TensorFlow at import time.
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


# ---- options generated from the settings' declarations (engine/setting_specs.py) ----------


def option_dest(setting) -> str:
    """Where argparse keeps a setting's option: "--lr" -> "lr", "--batch-size" -> "batch_size"."""
    return setting.flag.lstrip("-").replace("-", "_")


def add_setting_arguments(parser, section: str, added: set[str] | None = None) -> None:
    """One option per setting of `section`, from its declaration.

    Options default to None: the layered settings (flag, environment, config file,
    default) fill in what was not given. `added` holds the flags already on the parser:
    in `run all`, sections that share a flag (--tolerance) get it once.
    """
    from fmnist_tui.engine.setting_specs import section_settings

    added = set() if added is None else added
    for setting in section_settings(section):
        if setting.flag not in added:
            parser.add_argument(setting.flag, default=None, metavar=setting.metavar, help=setting.cli_help)
            added.add(setting.flag)


def section_values(args, section: str) -> dict:
    """{key: raw value} of a section's settings, as `cli.resolve_settings` layered them into `args`."""
    from fmnist_tui.engine.settings import values_of

    return values_of(args.settings, section)
