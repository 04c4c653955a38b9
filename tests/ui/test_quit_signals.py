"""The quit-signal handler inside one process: a real signal reaches the Qt side."""

from __future__ import annotations

import signal

from pytestqt.qtbot import QtBot

from app.ui.runtime.quit_signals import QuitOnSignal, quit_signals


def test_a_real_sigint_quits_through_the_event_loop_and_uninstall_restores_it(
    qtbot: QtBot,
) -> None:
    assert signal.SIGINT in quit_signals() and signal.SIGTERM in quit_signals()
    before = signal.getsignal(signal.SIGINT)
    quits: list[str] = []
    quitter = QuitOnSignal(lambda: quits.append("quit"))
    quitter.install()
    try:
        assert signal.getsignal(signal.SIGINT) != before
        signal.raise_signal(signal.SIGINT)  # no KeyboardInterrupt: the handler takes it
        assert quits == []  # the handler only schedules the quit, outside itself
        qtbot.waitUntil(lambda: quits == ["quit"], timeout=2000)
        assert quitter.received is signal.SIGINT
    finally:
        quitter.uninstall()
    assert signal.getsignal(signal.SIGINT) == before
