"""The engine thread: gives ``TradingCore`` a ``QThread``, timers and the bus.

Only this thread touches the broker. The broker is created inside the thread
(``start`` runs there) because MetaTrader 5's connection belongs to the thread
that opened it. Commands arrive as queued signals; facts leave as bus signals.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from app.brokers.base import BrokerFactory
from app.domain.commands import Halt
from app.domain.enums import ConnectionStatus, LogLevel, OrderSource
from app.domain.notices import ConnectionState, LogEvent
from app.domain.risk_limits import RiskLimits
from app.engine.bus import EventBus
from app.engine.core import TradingCore
from app.storage.errors import StorageError

if TYPE_CHECKING:
    from app.storage.journal import Journal

log = logging.getLogger(__name__)

JournalFactory = Callable[[], "Journal"]
"""Opens the trade journal; called once, inside the engine thread, before connecting."""


#: Longest time between two broker polls while the window is painting a frame
#: (the default poll interval: a busy window never makes the risk gate see ticks later).
BUSY_POLL_MS = 20


class Engine(QObject):
    """Lives in the engine thread after ``EngineHost`` moves it there."""

    stopped = Signal()

    def __init__(
        self,
        bus: EventBus,
        broker_factory: BrokerFactory,
        *,
        poll_interval_ms: int = 20,
        refresh_hz: int = 60,
        risk_limits: RiskLimits | None = None,
        journal_factory: JournalFactory | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``clock``: the engine's time in epoch seconds (default the wall clock)."""
        super().__init__()
        self._bus = bus
        self._journal_factory = journal_factory
        self.core = TradingCore(broker_factory, bus, risk_limits=risk_limits, clock=clock)
        self._poll_interval_ms = poll_interval_ms
        self._frame_interval_ms = max(1, round(1000 / refresh_hz))
        self._poll_timer: QTimer | None = None
        self._frame_timer: QTimer | None = None
        self._last_poll = 0.0  # monotonic seconds

    @Slot()
    def start(self) -> None:
        threading.current_thread().name = "engine"  # so logs and crash reports say where
        self._poll_timer = QTimer(self)
        self._poll_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._poll_timer.timeout.connect(self._poll)
        self._frame_timer = QTimer(self)
        self._frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._frame_timer.timeout.connect(self._publish_frame)
        if not self._open_journal():
            return
        if self._guard(self.core.connect):
            self._poll_timer.start(self._poll_interval_ms)
            self._frame_timer.start(self._frame_interval_ms)

    @Slot()
    def stop(self) -> None:
        """Stop timers, close the broker and end the thread's event loop."""
        for timer in (self._poll_timer, self._frame_timer):
            if timer is not None:
                timer.stop()
        self._guard(self.core.disconnect)
        if self.core.journal is not None:
            self._guard(self.core.journal.close)  # writes what is still batched
        self.stopped.emit()
        thread = self.thread()
        if thread is not QThread.currentThread():  # pragma: no cover - defensive
            return
        thread.quit()

    def _open_journal(self) -> bool:
        """Open the journal before the broker: no journal, no trading (fail safe)."""
        if self._journal_factory is None:
            return True
        try:
            self.core.journal = self._journal_factory()
        except StorageError as exc:
            self._bus.log.emit(LogEvent(LogLevel.ERROR, "journal", str(exc)))
            self._bus.connection.emit(
                ConnectionState(ConnectionStatus.DISCONNECTED, "", f"no trade journal: {exc}")
            )
            return False
        return True

    @Slot(object)
    def on_command(self, command: object) -> None:
        self._guard(lambda: self.core.handle(command))  # type: ignore[arg-type]
        self._publish_frame()

    @Slot(int)
    def on_frame_consumed(self, seq: int) -> None:
        """The window has painted the last frame: poll now if one is due, so the next is fresh.

        Never sooner than ``poll_interval_ms`` after the last poll: a fast
        window must not make the engine poll the broker more often than set.
        """
        self.core.frame_consumed(seq)
        since_ms = (time.monotonic() - self._last_poll) * 1000
        if since_ms >= self._poll_interval_ms:
            self._poll()
            return
        self._publish_frame()
        timer = self._poll_timer
        if timer is not None and timer.isActive():  # the next poll, when it is due
            timer.start(max(1, math.ceil(self._poll_interval_ms - since_ms)))

    @Slot()
    def _poll(self) -> None:
        self._last_poll = time.monotonic()
        self._guard(self.core.poll)
        self._publish_frame()
        self._pace_polls()

    def _pace_polls(self) -> None:
        """Poll at the set interval while the window waits, more slowly while it paints.

        Ticks polled while a frame is in flight cannot reach the screen before
        the window acknowledges it (which polls at once), but every poll costs
        the Python lock the window needs to paint. Polling continues at least
        every ``BUSY_POLL_MS`` so the risk gate sees the equity move even if
        the window stalls.
        """
        timer = self._poll_timer
        if timer is None or not timer.isActive():
            return
        if self.core.frames.in_flight:
            # Counted from this poll: while the window keeps acknowledging within
            # BUSY_POLL_MS, every poll happens at an acknowledgement, none mid-paint.
            timer.start(max(self._poll_interval_ms, BUSY_POLL_MS))
        elif timer.interval() != self._poll_interval_ms:
            timer.start(self._poll_interval_ms)

    @Slot()
    def _publish_frame(self) -> None:
        """Send what changed now, unless a frame is still in flight.

        Frames go out as soon as there is news and the GUI has taken the last
        one, not on a fixed clock: a quiet market gets each tick to the GUI in
        well under a millisecond, while under a burst the one-frame-in-flight
        rule batches ticks into as many frames as the GUI can draw, never more.
        The frame timer only retries, e.g. after a frame was acknowledged.
        """
        frame = self.core.next_frame()
        if frame is not None:
            self._bus.frame.emit(frame)

    def _guard(self, action: Callable[[], object]) -> bool:
        """Run ``action``; an unexpected error halts trading and is reported, never kills the thread.

        The engine halts itself first (only closes and cancels pass until the
        trader resumes), because after an error it did not expect it cannot
        vouch for its own state; then the GUI is told, to show the log's path.
        """
        try:
            result = action()
        except (Exception, SystemExit) as exc:  # a stray sys.exit() must not end the engine
            log.exception("engine error")
            self._bus.log.emit(
                LogEvent(
                    LogLevel.ERROR, "engine", f"Internal error: {exc.__class__.__name__}: {exc}"
                )
            )
            try:
                self.core.halt(Halt("engine error: see the log", source=OrderSource.SYSTEM))
            except Exception:
                log.exception("could not halt trading after an engine error")
            self._bus.engine_failed.emit("".join(traceback.format_exception(exc)))
            return False
        return result is not False


class EngineHost:
    """Starts and stops the engine thread; the GUI owns one of these."""

    def __init__(self, engine: Engine, bus: EventBus) -> None:
        self.engine = engine
        self.thread = QThread()
        self.thread.setObjectName("engine")
        engine.moveToThread(self.thread)
        self.thread.started.connect(engine.start)
        bus.command.connect(engine.on_command, Qt.ConnectionType.QueuedConnection)
        bus.frame_consumed.connect(engine.on_frame_consumed, Qt.ConnectionType.QueuedConnection)
        self._bus = bus

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Ask the engine to stop in its own thread and wait for the thread to end."""
        if not self.thread.isRunning():
            return True
        from PySide6.QtCore import QMetaObject

        QMetaObject.invokeMethod(self.engine, "stop", Qt.ConnectionType.QueuedConnection)
        finished = self.thread.wait(timeout_ms)
        if finished:
            self._bus.command.disconnect(self.engine.on_command)
            self._bus.frame_consumed.disconnect(self.engine.on_frame_consumed)
        return bool(finished)
