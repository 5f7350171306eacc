"""The `fmnist-tui` command: opens the TUI, or runs a task headless with `run TASK`.

Nothing here imports TensorFlow or Textual at module level, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

DESCRIPTION = """\
A terminal workbench for the Fashion-MNIST deep-learning exercise: train and compare
two classifiers (Keras fit vs a low-level GradientTape loop), time matrix products on
CPU and GPU, and check autodiff and eigen-decompositions against exact symbolic math.
Every run is kept as runs/<run-id>/summary.md and summary.json.
"""

EPILOG = """\
examples:
  fmnist-tui                          open the app (keys: 1-5 pick a task, ? help, q quit)
  fmnist-tui run train --epochs 3     train both classifiers headless
  fmnist-tui run devices --sizes 500,1000 --rounds 5
                                      time matrix products on CPU (and GPU)
  fmnist-tui run jacobian --expr "[x*y, sin(x) + y**2]" --at "1,2"
  fmnist-tui run eigen --matrix "[[0,-1],[1,0]]"
  fmnist-tui run all --epochs 1 --sizes 500,1000 --rounds 3
  fmnist-tui run train --help         every option of a task
  fmnist-tui config                   the effective settings and where each comes from

settings: command-line flags win over FMNIST_... environment variables, which win over
a config file (./fmnist-tui.toml, else ~/.config/fmnist-tui/config.toml, or the file
named by FMNIST_CONFIG), which wins over the built-in defaults.

data: --data-dir DIR or FMNIST_DATA, then ~/.keras/datasets/fashion-mnist, then
/usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist), else a
download through Keras.
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fmnist-tui")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    from .commands import load_commands
    from .run_commands import add_run_commands

    parser = argparse.ArgumentParser(
        prog="fmnist-tui", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fmnist-tui {_version()}")
    _add_general_options(parser, argparse.SUPPRESS)
    parser.set_defaults(out=None, data_dir=None, logs=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "config", help="print the effective settings and where each value comes from",
        description="Print every setting's effective value and its source: flag, environment "
        "variable, config file (with line) or built-in default.",
        epilog="examples:\n  fmnist-tui config\n  FMNIST_TRAIN_EPOCHS=5 fmnist-tui config\n"
        "  FMNIST_CONFIG=~/fmnist.toml fmnist-tui --out /data/runs config\n\n"
        "config file (./fmnist-tui.toml or ~/.config/fmnist-tui/config.toml):\n"
        "  [train]\n  epochs = 10\n  models = [\"lowlevel\", \"keras\"]\n  [devices]\n  sizes = [500, 1000]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run = commands.add_parser(
        "run", help="run a task headless (no TUI)", description="Run one task without the TUI.",
        epilog="examples:\n  fmnist-tui run train --epochs 3\n  fmnist-tui run devices --sizes 500,1000 --rounds 5\n"
        '  fmnist-tui run jacobian --expr "3*x**2 + 2*x + 3" --at "1,3"\n'
        '  fmnist-tui run eigen --matrix "[[3,2],[2,3]]"\n'
        "  fmnist-tui run all --epochs 1 --sizes 500,1000 --rounds 3\n"
        "  fmnist-tui run TASK --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tasks = run.add_subparsers(dest="task", metavar="TASK", required=True)
    for module in load_commands():
        sub = tasks.add_parser(
            module.NAME, help=module.HELP, description=module.HELP[0].upper() + module.HELP[1:] + ".",
            epilog=module.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        _add_general_options(sub, argparse.SUPPRESS, data_dir=module.NAME in ("train", "all"))
        if module.NAME != "all":
            sub.add_argument("--detach", action="store_true",
                             help="start the run in the background, print its id and return at once "
                             "(follow it with `fmnist-tui attach ID`)")
        # Task options default to None: the layered settings fill in what was not given.
        for action in sub._actions:
            if action.option_strings and set(action.option_strings) & set(module.ARGUMENT_OF_FIELD.values()):
                if not isinstance(action.const, bool):  # not a store_true switch
                    action.default = None
        sub.set_defaults(command_module=module)
    add_run_commands(commands, _add_general_options)
    return parser


def _add_general_options(parser: argparse.ArgumentParser, default, data_dir: bool = True) -> None:
    parser.add_argument("--out", default=default, metavar="DIR", help="where run summaries go (default ./runs)")
    parser.add_argument("--logs", default=default, metavar="DIR", help="TensorBoard and diagnostic logs (default ./logs)")
    if data_dir:
        parser.add_argument("--data-dir", default=default, metavar="DIR",
                            help="directory with the four Fashion-MNIST .gz files")


GENERAL_OPTIONS = {"out": "--out", "logs": "--logs", "data_dir": "--data-dir"}


def command_sections(module) -> dict[str, dict[str, str]]:
    """Settings section → {field: option} of a command (`run all` spans several sections)."""
    return getattr(module, "SECTIONS", None) or {module.NAME: module.ARGUMENT_OF_FIELD}


def resolve_settings(args: argparse.Namespace, module=None):
    """Layer flags over environment, config file and defaults; write the results into `args`."""
    from fmnist_tui.engine.settings import find_config_file, load_config_file, resolve

    task_sections = command_sections(module) if module is not None else {}
    sections = ["general", *task_sections]
    flags, names, dests = {}, {}, {}
    for key, option in GENERAL_OPTIONS.items():
        flags[f"general.{key}"], names[f"general.{key}"], dests[f"general.{key}"] = getattr(args, key, None), option, key
    for section, options in task_sections.items():
        for key, option in options.items():
            dest = option.lstrip("-").replace("-", "_")
            if hasattr(args, dest) and not isinstance(getattr(args, dest), bool):
                name = f"{section}.{key}"
                flags[name], names[name], dests[name] = getattr(args, dest), option, dest
    path = find_config_file()
    config = load_config_file(path) if path is not None else None
    resolved = resolve(sections, flags=flags, config=config, flag_names=names)
    for name, dest in dests.items():
        if name in resolved:
            setattr(args, dest, resolved[name].value)
    return resolved, config


def unknown_variable_warnings() -> list[str]:
    """One line per FMNIST_… variable that no setting reads, with the closest valid name."""
    from fmnist_tui.engine.settings import unknown_environment_variables

    from .commands import all as run_all

    flags = {f"{s}.{k}": o for s, opts in run_all.SECTIONS.items() for k, o in opts.items()}
    flags.update({f"general.{k}": o for k, o in GENERAL_OPTIONS.items()})
    return unknown_environment_variables(flag_names=flags)


ESCAPE_DELAY_MS = 50


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is not None:  # the app shows them as notifications instead
        for warning in unknown_variable_warnings():
            print(f"fmnist-tui: warning: {warning}", file=sys.stderr)
    if args.command == "config":
        return show_config(args)
    if args.command is None:
        return run_app(args)
    if args.command != "run":
        from .run_commands import run_command

        return run_command(args)
    return run_task(args)


def _fail_on_config_file(exc, error_console) -> int:
    error_console.print(f"fmnist-tui: error: {exc}", markup=False)
    return 2


def show_config(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from fmnist_tui.engine.errors import ConfigError
    from fmnist_tui.engine.settings import SETTINGS, config_file_candidates, find_config_file, load_config_file, resolve

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:  # piped: do not fold file paths at 80 columns
        console.width = 160
    flags = {f"general.{k}": getattr(args, k, None) for k in GENERAL_OPTIONS}
    try:
        path = find_config_file()
        config = load_config_file(path) if path is not None else None
        resolved = resolve({s.section for s in SETTINGS}, flags=flags, config=config,
                           flag_names={f"general.{k}": o for k, o in GENERAL_OPTIONS.items()})
    except ConfigError as exc:
        return _fail_on_config_file(exc, Console(stderr=True, highlight=False, soft_wrap=True))
    if path is None:
        looked = ", ".join(str(p) for p in config_file_candidates())
        console.print(f"Config file: none (looked for {looked})")
    else:
        console.print(f"Config file: {path}")
    table = Table("setting", "value")
    table.add_column("source", overflow="fold")
    for setting in SETTINGS:
        item = resolved[setting.name]
        value = "—" if item.value is None else str(item.value)
        table.add_row(setting.name, value, item.source)
    console.print(table)
    console.print(
        "Environment variables are FMNIST_<SECTION>_<KEY> (e.g. FMNIST_TRAIN_EPOCHS), and "
        "FMNIST_OUT, FMNIST_LOGS, FMNIST_DATA for [general]; FMNIST_CONFIG names a config file.",
        markup=False,
    )
    return 0


def run_task(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fmnist_tui.engine.errors import ConfigError, FmnistError
    from fmnist_tui.engine.runner import check_output_dir

    from .headless import EXIT_FAILED, EXIT_USAGE, run_headless

    module = args.command_module
    error_console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        resolved, _ = resolve_settings(args, module)
    except ConfigError as exc:
        return _fail_on_config_file(exc, error_console)
    try:
        task = module.build_task(args)
        runs_dir = check_output_dir(Path(args.out))
    except ConfigError as exc:
        sections = [*command_sections(module), "general"]
        item = next((resolved[f"{s}.{exc.field}"] for s in sections if f"{s}.{exc.field}" in resolved), None)
        where = module.ARGUMENT_OF_FIELD.get(exc.field, f"--{exc.field.replace('_', '-')}")
        if item is not None and item.origin != "flag":
            where = f"{item.source.split(' ', 1)[1]} ({module.ARGUMENT_OF_FIELD.get(exc.field, exc.field)})"
        error_console.print(f"fmnist-tui run {module.NAME}: error: {where}: {exc}", markup=False)
        return EXIT_USAGE
    except FmnistError as exc:
        error_console.print(f"fmnist-tui run {module.NAME}: error: {exc}", markup=False)
        return EXIT_FAILED
    if getattr(args, "resume", None):
        from .run_commands import resume_training

        return resume_training(args, runs_dir)
    try:
        if getattr(args, "detach", False):
            from .run_commands import start_detached

            return start_detached(task, runs_dir)
        console = Console(highlight=False, soft_wrap=True)
        if hasattr(module, "run"):  # a command of several tasks (`run all`)
            return module.run(task, runs_dir, console, error_console)
        return run_headless(task, runs_dir, module.Renderer(console, error_console))
    except FmnistError as exc:  # the run could not even start (a full disk, say)
        error_console.print(f"fmnist-tui run {module.NAME}: error: {exc}", markup=False)
        return EXIT_FAILED


def run_app(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fmnist_tui.engine._tf import quieten_tensorflow_logs
    from fmnist_tui.engine.errors import ConfigError
    from fmnist_tui.engine.settings import SETTINGS, resolve

    from .native_stderr import native_stderr_to

    quieten_tensorflow_logs()
    # How long a lone Esc waits for the rest of an escape sequence (Textual reads it at import).
    # Its default of 100 ms is felt on every Esc; 50 ms, as Neovim uses, still keeps a
    # terminal's arrow and function keys whole. Set ESCDELAY (ms) to change it.
    os.environ.setdefault("ESCDELAY", str(ESCAPE_DELAY_MS))
    try:
        general, config = resolve_settings(args)
    except ConfigError as exc:
        return _fail_on_config_file(exc, Console(stderr=True, highlight=False, soft_wrap=True))
    from .app import make_app

    # the forms start from the user's environment and config file (else their own defaults)
    resolved = resolve({s.section for s in SETTINGS}, config=config)
    defaults = {name: item.value for name, item in resolved.items() if item.origin != "default"}
    app = make_app(runs_dir=Path(args.out), data_dir=args.data_dir, logs_dir=Path(args.logs), defaults=defaults,
                   warnings=unknown_variable_warnings(), premount_screens=True)
    with native_stderr_to(Path(args.logs) / "fmnist-tui.log"):
        app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
