"""SIGTERM (and Ctrl+C or Ctrl+Break in a console) quit the terminal as its Quit command does.

A real process: the terminal on paper, offscreen, in its own TRADETERM_HOME. It
is asked to stop the way a service manager, a shutdown or a console asks, and
must close like Ctrl+Q: the layout saved, the journal closed (its batched
event-log rows written and the WAL folded back), exit code 0.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.platforms import UNDER_WINE, WINDOWS

REPO = Path(__file__).resolve().parents[2]


def _start(home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADETERM_HOME": str(home)}
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.toml").write_text("# no welcome dialog\n")
    flags = subprocess.CREATE_NEW_PROCESS_GROUP if WINDOWS else 0  # type: ignore[attr-defined]
    return subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        creationflags=flags,
    )


def _logged(journal: Path, words: str) -> int:
    """Event-log rows containing ``words`` (0 while the journal is not there yet)."""
    if not journal.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return 0
    try:  # closed at once: an open reader would keep the terminal from folding its WAL back
        query = "SELECT COUNT(*) FROM event_log WHERE message LIKE ?"
        return int(db.execute(query, (f"%{words}%",)).fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def _wait_until_trading(process: subprocess.Popen[str], journal: Path) -> None:
    deadline = time.monotonic() + 90
    while _logged(journal, "Connected to Paper trading") == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the terminal did not start"
        time.sleep(0.2)


def _ask_to_stop(process: subprocess.Popen[str], how: str) -> None:
    if how == "console-interrupt":
        if WINDOWS:  # Ctrl+Break reaches a process group; Ctrl+C cannot be aimed at one
            os.kill(process.pid, signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        else:
            os.kill(process.pid, signal.SIGINT)
    else:
        process.terminate()  # SIGTERM on POSIX; on Windows TerminateProcess, not catchable


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(
            "terminate",
            marks=pytest.mark.skipif(WINDOWS, reason="Windows cannot catch TerminateProcess"),
        ),
        pytest.param(
            "console-interrupt",
            marks=pytest.mark.skipif(
                UNDER_WINE, reason="Wine sends no console events to a process group"
            ),
        ),
    ],
)
def test_asked_to_stop_the_terminal_quits_cleanly(tmp_path: Path, how: str) -> None:
    home = tmp_path / "home"
    process = _start(home)
    journal = home / "data" / "journal.sqlite"
    try:
        _wait_until_trading(process, journal)
        _ask_to_stop(process, how)
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert (home / "config" / "window.ini").exists()  # the layout was saved, as on Ctrl+Q
    assert not Path(f"{journal}-wal").exists()  # the journal was closed, its WAL written back
    log_text = "".join(f.read_text("utf-8") for f in (home / "logs").glob("*.log*"))
    assert "asked to stop by signal" in log_text
