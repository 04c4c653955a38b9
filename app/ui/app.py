"""Builds the GUI process: QApplication, asyncio on Qt (qasync), bus, engine, window."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app import __version__
from app.engine.bus import EventBus
from app.engine.engine import BrokerFactory, Engine, EngineHost
from app.settings import Settings
from app.ui.main_window import MainWindow
from app.ui.qt_messages import route_qt_messages_to_logging
from app.ui.smoke import SmokeTest


def run_gui(
    settings: Settings,
    broker_factory: BrokerFactory,
    *,
    state_dir: Path | None,
    started_at: float,
    smoke_test: bool = False,
) -> int:
    """Run the terminal until its window closes; returns the process exit code."""
    if smoke_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync

    route_qt_messages_to_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Tradeterm")
    app.setApplicationVersion(__version__)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    bus = EventBus()
    engine = Engine(
        bus,
        broker_factory,
        poll_interval_ms=settings.engine.poll_interval_ms,
        refresh_hz=settings.ui.refresh_hz,
    )
    host = EngineHost(engine, bus)
    window = MainWindow(
        bus,
        default_symbol=settings.ui.default_symbol or settings.symbols[0],
        default_volume=settings.ui.default_volume,
        one_click_trading=settings.ui.one_click_trading,
        state_file=None if smoke_test or state_dir is None else state_dir / "window.ini",
    )
    exit_code = 0
    finished = asyncio.Event()

    def finish(code: int) -> None:
        nonlocal exit_code
        exit_code = code
        window.close()

    window.closing.connect(host.stop)
    window.closing.connect(finished.set)
    if smoke_test:
        SmokeTest(window, bus, started_at, finish).start()
    window.show()
    window.raise_()
    window.activateWindow()  # keyboard focus from the first keystroke, even without a window manager
    host.start()
    with loop:
        loop.run_until_complete(finished.wait())
    host.stop()
    return exit_code
