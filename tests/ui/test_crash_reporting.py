"""Errors never vanish: they reach the log file and the user, and an engine error halts trading."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.brokers.base import BrokerEvents
from app.brokers.sim.broker import SimBroker
from app.diagnostics import install_exception_hooks, setup_logging
from app.domain.commands import SubmitOrder, new_client_id
from app.domain.enums import ConnectionStatus, OrderStatus, Side
from app.domain.trading import OrderRequest, OrderUpdate
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.ui.dialogs.crash import CrashReporter, report_engine_failures


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    saved = (sys.excepthook, threading.excepthook, list(logging.getLogger().handlers))
    path = setup_logging(tmp_path / "logs")
    yield path
    sys.excepthook, threading.excepthook = saved[0], saved[1]
    root = logging.getLogger()
    for handler in list(root.handlers):
        handler.close()
        root.removeHandler(handler)
    for handler in saved[2]:
        root.addHandler(handler)


def test_exception_in_a_worker_thread_is_logged_and_reported(log_file: Path) -> None:
    reports: list[str] = []
    install_exception_hooks(lambda summary, details: reports.append(summary))

    def work() -> None:
        raise ValueError("bad tick from nowhere")

    worker = threading.Thread(target=work, name="journal-writer")
    worker.start()
    worker.join()
    assert reports == ["in journal-writer: ValueError: bad tick from nowhere"]
    text = log_file.read_text()
    assert "uncaught exception in thread journal-writer" in text
    assert "ValueError: bad tick from nowhere" in text and "Traceback" in text


def test_reporter_shows_one_dialog_with_the_log_path(qtbot: QtBot, tmp_path: Path) -> None:
    reporter = CrashReporter(tmp_path / "tradeterm.log")
    threading.Thread(target=lambda: reporter.report("in worker: boom", "trace 1")).start()
    qtbot.waitUntil(
        lambda: reporter.dialog is not None and reporter.dialog.isVisible(), timeout=5000
    )
    reporter.report("in worker: boom again", "trace 2")
    qtbot.waitUntil(lambda: reporter.count == 2, timeout=5000)
    dialog = reporter.dialog
    assert isinstance(dialog, QMessageBox)
    assert str(tmp_path / "tradeterm.log") in dialog.informativeText()
    assert "2 errors so far" in dialog.informativeText()
    assert dialog.text() == "Something went wrong in worker: boom again"
    dialog.close()


class _BrokerThatBreaks(SimBroker):
    """Works, then raises an unexpected error from one poll, like a bug in an adapter."""

    armed = False

    def poll(self) -> BrokerEvents:
        if _BrokerThatBreaks.armed:
            _BrokerThatBreaks.armed = False
            raise RuntimeError("adapter bug: index out of range")
        return super().poll()


def test_engine_error_halts_trading_tells_the_user_and_logs(qtbot: QtBot, log_file: Path) -> None:
    bus = EventBus()
    host = EngineHost(Engine(bus, lambda: _BrokerThatBreaks(ticks_per_second=30)), bus)
    reporter = CrashReporter(log_file)
    report_engine_failures(bus, reporter)
    updates: list[OrderUpdate] = []
    bus.order.connect(updates.append)
    bus.frame.connect(lambda frame: bus.frame_consumed.emit(frame.seq))
    states: list[ConnectionStatus] = []
    bus.connection.connect(lambda state: states.append(state.status))
    host.start()
    try:
        qtbot.waitUntil(lambda: ConnectionStatus.CONNECTED in states, timeout=5000)
        _BrokerThatBreaks.armed = True
        qtbot.waitUntil(
            lambda: reporter.dialog is not None and reporter.dialog.isVisible(), timeout=5000
        )
        assert "trading is halted" in reporter.dialog.text()  # type: ignore[union-attr]
        assert str(log_file) in reporter.dialog.informativeText()  # type: ignore[union-attr]

        request = OrderRequest(new_client_id(), "EURUSD", Side.BUY, 0.1)
        bus.command.emit(SubmitOrder(request))
        qtbot.waitUntil(
            lambda: any(u.client_id == request.client_id and u.status.is_final for u in updates),
            timeout=5000,
        )
        final = [u for u in updates if u.client_id == request.client_id][-1]
        assert final.status is OrderStatus.REJECTED
        assert "halt" in final.reason.lower()
        text = log_file.read_text()
        assert "adapter bug: index out of range" in text and "[engine]" in text
    finally:
        reporter.dialog and reporter.dialog.close()
        assert host.stop()
