"""Summaries are readable by the other users of a shared machine: their mode follows the umask.

`tempfile.mkstemp` creates files with mode 0600 whatever the umask; the atomic writer
must not let that mode reach the final file.
"""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap

import pytest

from fmnist_tui.engine.summaries import atomic_write_text, write_summary

WRITE_WITH_UMASK = textwrap.dedent(
    """
    import os, stat, sys
    os.umask(int(sys.argv[1], 8))
    from fmnist_tui.engine.summaries import atomic_write_text
    atomic_write_text(sys.argv[2], "hello")
    print(oct(stat.S_IMODE(os.stat(sys.argv[2]).st_mode)))
    """
)


@pytest.mark.parametrize("umask, mode", [("022", "0o644"), ("002", "0o664"), ("077", "0o600"), ("000", "0o666")])
def test_final_file_mode_follows_the_umask(tmp_path, umask, mode):
    # a fresh process per umask: the writer reads the umask once, and os.umask is process-wide
    result = subprocess.run(
        [sys.executable, "-c", WRITE_WITH_UMASK, umask, str(tmp_path / "summary.md")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == mode


def process_umask() -> int:
    """This process's umask, read without changing it (os.umask would race other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    pytest.skip("no /proc/self/status Umask line on this system")


def test_summary_files_follow_this_process_umask(tmp_path):
    expected = 0o666 & ~process_umask()
    (tmp_path / "run").mkdir()
    write_summary(tmp_path / "run", {"task": "eigen"}, "# Eigen\n")
    for name in ("summary.md", "summary.json"):
        assert stat.S_IMODE((tmp_path / "run" / name).stat().st_mode) == expected, name


def test_rewriting_keeps_the_umask_mode_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "summary.json"
    atomic_write_text(path, "{}")
    atomic_write_text(path, '{"a": 1}')
    assert path.read_text() == '{"a": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~process_umask()


def test_umask_is_still_found_without_proc(monkeypatch):
    from fmnist_tui.engine import summaries

    def no_proc(*args, **kwargs):
        raise FileNotFoundError("/proc/self/status")

    expected = process_umask()
    monkeypatch.setattr(summaries, "open", no_proc, raising=False)
    assert summaries._read_umask() == expected
