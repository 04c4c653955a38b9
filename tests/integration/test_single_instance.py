"""Two launches never make two broker connections: the second wakes the first and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.ui.runtime.single_instance import SingleInstance

ROOT = Path(__file__).resolve().parents[2]


def test_second_instance_is_refused_and_wakes_the_first(qtbot: QtBot, tmp_path: Path) -> None:
    first = SingleInstance(tmp_path)
    assert first.acquire()
    woken: list[bool] = []
    first.activation_requested.connect(lambda: woken.append(True))

    # The second launch is a real separate process, as when the user double-clicks again.
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from PySide6.QtCore import QCoreApplication
        from app.ui.runtime.single_instance import SingleInstance
        app = QCoreApplication([])
        sys.exit(0 if not SingleInstance(Path({str(tmp_path)!r})).acquire() else 3)
        """
    )
    second = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env={**os.environ})
    qtbot.waitUntil(lambda: second.poll() is not None, timeout=15_000)
    assert second.returncode == 0, "the second instance must see the first and stand down"
    qtbot.waitUntil(lambda: bool(woken), timeout=5_000)
    first.release()


def test_lock_is_free_again_after_release(tmp_path: Path, qtbot: QtBot) -> None:
    first = SingleInstance(tmp_path)
    assert first.acquire()
    first.release()
    again = SingleInstance(tmp_path)
    assert again.acquire()
    again.release()


def test_a_crashed_instance_does_not_block_the_next_start(tmp_path: Path, qtbot: QtBot) -> None:
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from PySide6.QtCore import QCoreApplication
        from app.ui.runtime.single_instance import SingleInstance
        app = QCoreApplication([])
        assert SingleInstance(Path({str(tmp_path)!r})).acquire()
        os._exit(9)  # dies holding the lock, like a killed process
        """
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=False, timeout=30)
    survivor = SingleInstance(tmp_path)
    assert survivor.acquire()
    survivor.release()


def test_the_app_itself_refuses_a_second_launch(tmp_path: Path) -> None:
    """The real entry point: with the lock held, a second ``tradeterm`` exits at once."""
    home = tmp_path / "home"
    holder = SingleInstance(home / "data")
    assert holder.acquire()
    env = {**os.environ, "TRADETERM_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    holder.release()
    assert result.returncode == 0
    assert "already running" in result.stderr
