"""The layering rules, proven in fresh interpreters: the engine never imports Textual, and
neither the TUI's start-up nor `--help` imports TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ENGINE_DIR = Path(__file__).resolve().parents[1] / "engine"
ENGINE_MODULES = sorted(
    "fmnist_tui.engine." + ".".join(p.relative_to(ENGINE_DIR).with_suffix("").parts)
    for p in ENGINE_DIR.rglob("*.py")
    if p.name != "__init__.py"
)


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    return set(out.split())


def test_engine_modules_are_listed():
    assert "fmnist_tui.engine.runner" in ENGINE_MODULES
    assert "fmnist_tui.engine.training.keras_trainer" in ENGINE_MODULES


def test_engine_never_imports_textual():
    imports = "\n".join(f"import {m}" for m in ENGINE_MODULES)
    # the trainers import TensorFlow lazily; make them load it, then check for textual
    code = imports + "\nfrom fmnist_tui.engine._tf import tensorflow\ntensorflow()"
    loaded = loaded_after(code)
    assert "tensorflow" in loaded
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_engine_modules_import_without_tensorflow():
    loaded = loaded_after("\n".join(f"import {m}" for m in ENGINE_MODULES))
    assert "tensorflow" not in loaded and "keras" not in loaded


@pytest.mark.parametrize(
    "code",
    [
        "import fmnist_tui.tui.app",
        "from fmnist_tui.tui.app import make_app\nmake_app()",
        "import fmnist_tui.tui.screens.home",
        "from fmnist_tui.tui.cli import build_parser\nbuild_parser()",
    ],
)
def test_tui_start_up_does_not_import_tensorflow(code):
    loaded = loaded_after(code)
    assert "tensorflow" not in loaded and "keras" not in loaded


def test_help_does_not_import_tensorflow():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fmnist_tui.tui.cli", "--help"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0 and "fmnist-tui" in result.stdout
    assert "tensorflow" not in result.stderr and "textual" not in result.stderr


APP_RUNS_A_TASK = """
import asyncio, sys
from fmnist_tui.tui.app import make_app

async def main():
    app = make_app(runs_dir="runs", logs_dir="logs", describe_environment=False)
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("s")
        for _ in range(1200):
            await pilot.pause(0.05)
            if app.screen.summary is not None:
                break
        print("status", app.screen.summary.get("status"))
        print("ui-has-tensorflow", "tensorflow" in sys.modules, "keras" in sys.modules)

asyncio.run(main())
"""


def test_the_app_runs_a_task_without_importing_tensorflow(tmp_path):
    out = subprocess.run([sys.executable, "-c", APP_RUNS_A_TASK], capture_output=True, text=True, timeout=180,
                         cwd=tmp_path, check=True).stdout
    assert "status completed" in out
    assert "ui-has-tensorflow False False" in out
