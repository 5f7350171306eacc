"""The TUI tests' shared fixture: an app on the test's own directories (helpers: pilot_helpers.py)."""

from __future__ import annotations

import pytest

from fmnist_tui.tui.app import make_app


@pytest.fixture
def app(tmp_path, small_npz):
    """The app on small data, its runs and logs in the test's directory, no spare worker."""
    return make_app(runs_dir=tmp_path / "runs", logs_dir=tmp_path / "logs", data_dir=small_npz,
                    describe_environment=False)
