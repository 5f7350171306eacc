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
    parser.set_defaults(out=None, data_dir=None, logs=None, notify=None)
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
        sub.set_defaults(command_module=module)
    add_run_commands(commands, _add_general_options)
    return parser


def _add_general_options(parser: argparse.ArgumentParser, default, data_dir: bool = True, notify: bool = True) -> None:
    """The [general] settings' options; `data_dir` and `notify` only where they matter (commands
    that load the data, commands that follow a run to its end)."""
    from fmnist_tui.engine.setting_specs import section_settings

    wanted = {"data_dir": data_dir, "notify": notify}
    for setting in section_settings("general"):
        if wanted.get(setting.key, True):
            parser.add_argument(setting.flag, default=default, metavar=setting.metavar, help=setting.cli_help)


def resolve_settings(args: argparse.Namespace, module=None):
    """Layer flags over environment, config file and defaults.

    Every resolved value is kept in `args.settings` ("section.key" -> Resolved; see
    `commands.section_values`); the [general] ones are also written to `args.out`,
    `args.logs` and `args.data_dir`.
    """
    from fmnist_tui.engine.setting_specs import SETTINGS
    from fmnist_tui.engine.settings import find_config_file, load_config_file, resolve

    from .commands import option_dest

    sections = ["general", *(module.SETTING_SECTIONS if module is not None else ())]
    flags = {s.name: getattr(args, option_dest(s), None) for s in SETTINGS if s.section in sections}
    path = find_config_file()
    config = load_config_file(path) if path is not None else None
    resolved = resolve(sections, flags=flags, config=config)
    for item in resolved.values():
        if item.setting.section == "general":
            setattr(args, option_dest(item.setting), item.value)
    args.settings = resolved
    return resolved, config


def notify_setting(args: argparse.Namespace) -> bool:
    """`general.notify` as `resolve_settings` layered it into `args`: whether a run's ending
    rings the bell and sends a desktop notification. A bad value raises ConfigError("notify")."""
    from fmnist_tui.engine.setting_specs import setting_named

    return setting_named("general.notify").value(getattr(args, "notify", None))


def unknown_variable_warnings() -> list[str]:
    """One line per FMNIST_… variable that no setting reads, with the closest valid name."""
    from fmnist_tui.engine.setting_specs import flag_names
    from fmnist_tui.engine.settings import unknown_environment_variables

    return unknown_environment_variables(flag_names=flag_names())


ESCAPE_DELAY_MS = 50


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "workers", None) is not None:
        return launch_workers(args, sys.argv[1:] if argv is None else list(argv))
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
    from fmnist_tui.engine.setting_specs import SETTINGS, sections
    from fmnist_tui.engine.settings import config_file_candidates, find_config_file, load_config_file, resolve

    from .commands import option_dest

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:  # piped: do not fold file paths at 80 columns
        console.width = 160
    flags = {s.name: getattr(args, option_dest(s), None) for s in SETTINGS if s.section == "general"}
    try:
        path = find_config_file()
        config = load_config_file(path) if path is not None else None
        resolved = resolve(sections(), flags=flags, config=config)
    except ConfigError as exc:
        return _fail_on_config_file(exc, Console(stderr=True, highlight=False, soft_wrap=True))
    if path is None:
        looked = ", ".join(str(p) for p in config_file_candidates())
        console.print(f"Config file: none (looked for {looked})")
    else:
        console.print(f"Config file: {path}")
    table = Table("setting", "value")
    table.add_column("source", overflow="fold")
    for name, item in resolved.items():
        table.add_row(name, "—" if item.value is None else str(item.value), item.source)
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

    from .headless import EXIT_FAILED, EXIT_USAGE, NOTIFY_ENDINGS, run_headless

    module = args.command_module
    error_console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        resolved, _ = resolve_settings(args, module)
    except ConfigError as exc:
        return _fail_on_config_file(exc, error_console)
    try:
        task = module.build_task(args)
        runs_dir = check_output_dir(Path(args.out))
        NOTIFY_ENDINGS.set(notify_setting(args))
    except ConfigError as exc:
        where = where_set(exc.field, [*module.SETTING_SECTIONS, "general"], resolved)
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
    finally:
        if getattr(args, "scratch_outputs", None) is not None and not getattr(args, "detach", False):
            args.scratch_outputs.remove_scratch()  # a cluster worker's own files (not the chief)


def launch_workers(args, argv: list[str]) -> int:
    """`run train --workers N`: N local workers of one cluster (see engine/training/cluster.py)."""
    from fmnist_tui.engine.errors import ConfigError
    from fmnist_tui.engine.training.cluster import launch_local_workers

    from .headless import EXIT_USAGE

    try:
        return launch_local_workers(argv, args.workers)
    except ConfigError as exc:
        print(f"fmnist-tui run train: error: --workers: {exc}", file=sys.stderr)
        return EXIT_USAGE


def where_set(field: str, sections: list[str], resolved) -> str:
    """Where a refused value came from: "--epochs", or "env FMNIST_TRAIN_EPOCHS (--epochs)"."""
    items = [resolved[f"{s}.{field}"] for s in sections if f"{s}.{field}" in resolved]
    # `run all --tolerance`: of two sections' tolerances, the one the user set is the suspect
    item = next((i for i in items if i.origin != "default"), items[0] if items else None)
    if item is None:  # not a setting (a command's own switch)
        return f"--{field.replace('_', '-')}"
    if item.origin in ("env", "file"):
        return f"{item.source.split(' ', 1)[1]} ({item.setting.flag})"
    return item.setting.flag


def run_app(args: argparse.Namespace) -> int:
    from .start_up_collector import pause_collector_for_start_up

    pause_collector_for_start_up()  # until the screens are built (see start_up_collector.py)
    from rich.console import Console

    from fmnist_tui.engine._tf import quieten_tensorflow_logs
    from fmnist_tui.engine.errors import ConfigError
    from fmnist_tui.engine.setting_specs import sections
    from fmnist_tui.engine.settings import resolve

    from .native_stderr import native_stderr_to

    quieten_tensorflow_logs()
    # How long a lone Esc waits for the rest of an escape sequence (Textual reads it at import).
    # Its default of 100 ms is felt on every Esc; 50 ms, as Neovim uses, still keeps a
    # terminal's arrow and function keys whole. Set ESCDELAY (ms) to change it.
    os.environ.setdefault("ESCDELAY", str(ESCAPE_DELAY_MS))
    error_console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        general, config = resolve_settings(args)
    except ConfigError as exc:
        return _fail_on_config_file(exc, error_console)
    try:
        notify = notify_setting(args)
    except ConfigError as exc:
        error_console.print(f"fmnist-tui: error: {where_set('notify', ['general'], general)}: {exc}", markup=False)
        return 2
    from .app import make_app

    # the forms start from the user's environment and config file (else their own defaults)
    resolved = resolve(sections(), config=config)
    defaults = {name: item.value for name, item in resolved.items() if item.origin != "default"}
    defaults["general.notify"] = notify  # parsed, and a flag's value too (the screens ring endings)
    app = make_app(runs_dir=Path(args.out), data_dir=args.data_dir, logs_dir=Path(args.logs), defaults=defaults,
                   warnings=unknown_variable_warnings(), premount_screens=True)
    with native_stderr_to(Path(args.logs) / "fmnist-tui.log"):
        app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
