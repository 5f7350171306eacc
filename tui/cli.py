"""The `fmnist-tui` command: opens the TUI, or runs a task headless with `run TASK`.

Nothing here imports TensorFlow or Textual at module level, so `--help` is instant.
"""

from __future__ import annotations

import argparse
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
  fmnist-tui run train --help         every option of a task

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

    parser = argparse.ArgumentParser(
        prog="fmnist-tui", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fmnist-tui {_version()}")
    parser.add_argument("--out", default="runs", metavar="DIR", help="where run summaries go (default ./runs)")
    parser.add_argument("--data-dir", default=None, metavar="DIR", help="directory with the four Fashion-MNIST .gz files")
    parser.add_argument("--logs", default="logs", metavar="DIR", help="TensorBoard and diagnostic logs (default ./logs)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run a task headless (no TUI)", description="Run one task without the TUI.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tasks = run.add_subparsers(dest="task", metavar="TASK", required=True)
    for module in load_commands():
        sub = tasks.add_parser(
            module.NAME, help=module.HELP, description=module.HELP[0].upper() + module.HELP[1:] + ".",
            epilog=module.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.add_argument("--out", default=argparse.SUPPRESS, metavar="DIR", help="where run summaries go (default ./runs)")
        sub.set_defaults(command_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return run_app(args)
    return run_task(args)


def run_task(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fmnist_tui.engine.errors import ConfigError, FmnistError
    from fmnist_tui.engine.runner import check_output_dir

    from .headless import EXIT_FAILED, EXIT_USAGE, run_headless
    from .native_stderr import native_stderr_to

    module = args.command_module
    error_console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        task = module.build_task(args)
        runs_dir = check_output_dir(Path(args.out))
    except ConfigError as exc:
        option = getattr(module, "ARGUMENT_OF_FIELD", {}).get(exc.field, f"--{exc.field.replace('_', '-')}")
        error_console.print(f"fmnist-tui run {module.NAME}: error: {option}: {exc}")
        return EXIT_USAGE
    except FmnistError as exc:
        error_console.print(f"fmnist-tui run {module.NAME}: error: {exc}")
        return EXIT_FAILED
    with native_stderr_to(Path(args.logs) / "fmnist-tui.log") as real_stderr:
        console = Console(highlight=False, soft_wrap=True)
        renderer = module.Renderer(console, Console(file=real_stderr, highlight=False, soft_wrap=True))
        return run_headless(task, runs_dir, renderer)


def run_app(args: argparse.Namespace) -> int:
    from .native_stderr import native_stderr_to

    from fmnist_tui.engine._tf import quieten_tensorflow_logs

    quieten_tensorflow_logs()
    from .app import make_app

    app = make_app(runs_dir=Path(args.out), data_dir=args.data_dir, logs_dir=Path(args.logs))
    with native_stderr_to(Path(args.logs) / "fmnist-tui.log"):
        app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
