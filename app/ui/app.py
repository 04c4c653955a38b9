"""Builds the GUI process: QApplication, asyncio on Qt (qasync), bus, engine, window."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app import __version__
from app.diagnostics import install_exception_hooks
from app.engine.bus import EventBus
from app.engine.thread import BrokerFactory, Engine, EngineHost, JournalFactory
from app.paths import resource_path
from app.settings import Settings, user_settings_path
from app.ui.dialogs.crash import CrashReporter, report_engine_failures
from app.ui.dialogs.settings import SettingsCheck
from app.ui.dialogs.telegram import TelegramBackend
from app.ui.first_run import Preferences, is_first_run, show_welcome
from app.ui.main_window import MainWindow
from app.ui.runtime.gc_guard import GuiThreadGarbageCollector
from app.ui.runtime.platform_check import platform_problem
from app.ui.runtime.qt_messages import route_qt_messages_to_logging
from app.ui.runtime.quit_signals import QuitOnSignal
from app.ui.runtime.single_instance import SingleInstance
from app.ui.smoke import SmokeTest
from app.ui.widgets.theme import apply_theme

if TYPE_CHECKING:
    from app.engine.extensions import EngineServices


class TelegramCompanion(Protocol):
    """The Telegram service as the GUI sees it (``app.ui`` may not import ``app.notify``)."""

    status_changed: Any  # Signal(state, detail, merged, dropped)

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class TelegramHooks(TelegramBackend, Protocol):
    """Handed in by ``app.cli``: makes the service (or says why not) and backs the dialog."""

    def create_service(self, bus: EventBus) -> tuple[TelegramCompanion | None, str]: ...


def run_gui(
    settings: Settings,
    broker_factory: BrokerFactory,
    *,
    state_dir: Path | None,
    lock_dir: Path,
    log_file: Path,
    started_at: float,
    smoke_test: bool = False,
    telegram: TelegramHooks | None = None,
    journal_factory: JournalFactory | None = None,
    extend_engine: Callable[[EngineServices], object] | None = None,
    settings_check: SettingsCheck | None = None,
    next_start: Callable[[], Settings] | None = None,
) -> int:
    """Run the terminal until its window closes; returns the process exit code.

    ``settings_check`` lets the settings dialog refuse what only the broker side
    knows (the paper broker's symbols and volume steps), as the start does.
    """
    if smoke_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    problem = platform_problem()
    if problem is not None and QApplication.instance() is None:
        print(problem, file=sys.stderr)  # Qt would abort with a generic line instead
        return 2
    import qasync

    route_qt_messages_to_logging()
    if QApplication.instance() is None:
        # Crisp at 125 % / 150 % screen scaling: no rounding of the scale factor.
        QApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Tradeterm")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource_path("app.png"))))
    apply_theme(app, settings.ui.theme)
    collector = GuiThreadGarbageCollector(parent=app)  # cycles die on this thread only
    instance = SingleInstance(lock_dir)
    if not instance.acquire():
        # Never a second broker connection: the running copy comes to the front instead.
        message = "Tradeterm is already running: its window was brought to the front."
        if smoke_test:
            print(f"smoke test FAILED: {message}", file=sys.stderr)
            return 1
        print(message, file=sys.stderr)
        return 0
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    bus = EventBus()
    engine = Engine(
        bus,
        broker_factory,
        poll_interval_ms=settings.engine.poll_interval_ms,
        refresh_hz=settings.ui.refresh_hz,
        risk_limits=settings.risk.to_limits(),
        journal_factory=journal_factory,
    )
    if extend_engine is not None:
        extend_engine(engine.core)  # e.g. the strategy host, before the thread starts
    host = EngineHost(engine, bus)
    window = MainWindow(
        bus,
        default_symbol=settings.ui.default_symbol or settings.symbols[0],
        default_volume=settings.ui.default_volume,
        one_click_trading=settings.ui.one_click_trading,
        state_file=None if smoke_test or state_dir is None else state_dir / "window.ini",
        log_file=log_file,
    )
    reporter = CrashReporter(log_file, window)
    install_exception_hooks(reporter.report)
    instance.activation_requested.connect(window.bring_to_front)

    report_engine_failures(bus, reporter)
    companion: TelegramCompanion | None = None
    if telegram is not None and not smoke_test:
        window.set_telegram_backend(telegram)
        companion, problem = telegram.create_service(bus)
        if companion is not None:
            companion.status_changed.connect(window.set_telegram_status)
        elif problem:
            window.set_telegram_status("off", problem, 0, 0)
    exit_code = 0
    finished = asyncio.Event()

    def finish(code: int) -> None:
        nonlocal exit_code
        exit_code = code
        window.close()

    window.closing.connect(host.stop)
    window.closing.connect(finished.set)
    quitter = QuitOnSignal(window.close, parent=app)  # SIGTERM, Ctrl+C: as Ctrl+Q does
    quitter.install()
    if smoke_test:
        SmokeTest(window, bus, started_at, finish).start()
    preferences = Preferences(
        window, settings, user_settings_path(), settings_check, next_start=next_start
    )
    window.show()
    window.raise_()
    window.activateWindow()  # keyboard focus from the first keystroke, even without a window manager
    if not smoke_test and state_dir is not None:
        store = QSettings(str(state_dir / "window.ini"), QSettings.Format.IniFormat)
        if is_first_run(preferences.user_file, store):
            show_welcome(preferences, store)  # after raising the window, so it stays on top
    host.start()

    def settle_heap() -> None:
        """Once the chart has drawn its first history, start-up is over: what exists lives on."""
        window.chart.painted.disconnect(settle_heap)
        QTimer.singleShot(0, collector.settle)  # after the first frame reached the screen

    window.chart.painted.connect(settle_heap)

    async def main() -> None:
        # The bot starts and stops inside the one running loop: qasync runs a last
        # round of Qt events after run_until_complete with no loop set, where httpx breaks.
        if companion is not None:
            await companion.start()
        await finished.wait()
        if companion is not None:
            await companion.stop()  # updater.stop, stop, shutdown

    with loop:
        loop.run_until_complete(main())
    quitter.uninstall()
    host.stop()
    collector.stop()
    instance.release()
    return exit_code
