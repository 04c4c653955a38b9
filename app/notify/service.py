"""TelegramService: alerts out, a few safe commands in, on the GUI thread's asyncio loop.

It is a client of the engine like the main window: it listens to bus facts and
frames and sends engine commands, nothing else. PTB's ``Application`` runs on
the qasync loop (initialize, start, start polling — no ``run_polling``, which
would own the loop). Every network wait is an ``await``, so a slow or absent
Telegram never blocks the window, and alerts wait in the :class:`Outbox`.

Lifecycle: ``await start()`` returns at once; connecting (``getMe``) happens in
a background task that retries with backoff, so starting the terminal offline
works and the bot comes up when the network does. ``await stop()`` undoes it
in reverse order (updater.stop, stop, shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal, Slot
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
)

from app.domain.alert_facts import AlertFired, AlertList, AlertReply, AlertStatus, RequestAlerts
from app.domain.commands import Command
from app.domain.enums import LogLevel, OrderStatus
from app.domain.frame import MarketFrame
from app.domain.notices import ConnectionState, LogEvent
from app.domain.risk_facts import RiskBreach, RiskWarning, TradingStateChanged
from app.domain.strategies import RequestStrategies, StrategyState, StrategyStatus
from app.domain.symbols import SymbolSpec
from app.domain.trading import Fill, OrderUpdate
from app.engine.bus import EventBus
from app.notify.commands import CANCEL_DATA, COMMAND_NAMES, CONFIRM_DATA, RemoteCommands
from app.notify.desk import DeskState, next_summary_at
from app.notify.formatting import Formatter, is_stop
from app.notify.outbox import Outbox, Outgoing
from app.notify.secret import redact, redact_everywhere
from app.notify.strangers import StrangerLog
from app.notify.transport import POLL_TIMEOUT_S, build_application
from app.settings import TelegramSettings

log = logging.getLogger(__name__)

OFF, CONNECTING, ONLINE, OFFLINE = "off", "connecting", "online", "offline"
CONNECT_BACKOFF_MAX_S = 60.0


class TelegramService(QObject):
    """``status_changed(state, detail, merged, dropped)`` drives the status bar."""

    status_changed = Signal(str, str, int, int)

    def __init__(
        self,
        bus: EventBus,
        settings: TelegramSettings,
        token: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll_timeout_s: int = POLL_TIMEOUT_S,
    ) -> None:
        super().__init__()
        redact_everywhere(token)
        self._bus = bus
        self.settings = settings
        self._token = token
        self._now = now
        self._poll_timeout_s = poll_timeout_s
        zone = ZoneInfo(settings.time_zone)
        self.desk = DeskState(zone, now)
        self.formatter = Formatter()
        self.commands = RemoteCommands(self.desk, self.formatter, self._send_command, clock)
        self.outbox = Outbox(
            self._deliver,
            per_chat_interval=settings.per_chat_interval_s,
            max_per_second=settings.max_messages_per_second,
            queue_limit=settings.queue_limit,
            on_health=self._on_health,
            on_counters=lambda merged, dropped: self._publish_status(),
        )
        self.strangers = StrangerLog(clock)
        self._strangers_timer: asyncio.TimerHandle | None = None
        self.state = OFF
        self.detail = ""
        self._application: Application | None = None
        self._started = False  # Application.start() done (so stop() must undo it)
        self._tasks: list[asyncio.Task[None]] = []
        self._connected_to_bus = False

    @property
    def authorised(self) -> frozenset[int]:
        return frozenset(self.settings.chat_ids)

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Subscribe to the bus and start connecting in the background."""
        self._connect_bus()
        self._set_state(CONNECTING, "")
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._connect(), name="telegram-connect"))
        self._tasks.append(loop.create_task(self._daily_summaries(), name="telegram-summary"))

    async def stop(self, flush_timeout_s: float = 1.0) -> None:
        """Stop in reverse order; alerts still queued get ``flush_timeout_s`` to leave."""
        if self._strangers_timer is not None:
            self._strangers_timer.cancel()
            self._strangers_timer = None
        self._tell_about_strangers(self.strangers.flush())
        self._disconnect_bus()
        if self._started and self.state == ONLINE and self.outbox.pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.outbox.wait_idle(), flush_timeout_s)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        application = self._application
        self._application = None
        if application is not None:
            try:
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                if self._started:
                    await application.stop()
                await application.shutdown()
            except Exception as exc:  # closing must never fail the app's exit
                log.warning("Telegram did not stop cleanly: %s", redact(str(exc)))
        self._started = False
        self._set_state(OFF, "")

    def reconfigure(self, settings: TelegramSettings) -> None:
        """Apply new chat ids, categories and limits to the running bot."""
        self.settings = settings
        self.outbox.per_chat_interval = settings.per_chat_interval_s
        self.outbox.max_per_second = settings.max_messages_per_second
        self.outbox.queue_limit = settings.queue_limit

    async def _connect(self) -> None:
        backoff = 1.0
        application = build_application(self._token, self.settings.base_url, self._on_health)
        self._install_handlers(application)
        self._application = application
        while True:
            try:
                await application.initialize()  # getMe; safe to call again after a failure
            except InvalidToken:
                self._set_state(OFFLINE, "the bot token was rejected by Telegram")
                log.error("Telegram: the bot token was rejected; the bot stays off")
                return
            except (NetworkError, OSError) as exc:
                self._set_state(OFFLINE, f"{redact(str(exc))} (retrying in {backoff:.0f} s)")
                await asyncio.sleep(backoff)
                backoff = min(CONNECT_BACKOFF_MAX_S, backoff * 2)
                continue
            break
        await application.start()
        self._started = True
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=self._poll_timeout_s,
            bootstrap_retries=-1,
            allowed_updates=["message", "callback_query"],
            error_callback=self._on_polling_error,
        )
        self._on_health(True, "")
        log.info("Telegram bot @%s online", application.bot.username)
        self._tasks.append(
            asyncio.get_running_loop().create_task(self.outbox.run(), name="telegram-outbox")
        )

    # -- bus ------------------------------------------------------------------------
    def _connect_bus(self) -> None:
        if self._connected_to_bus:
            return
        bus = self._bus
        bus.fill.connect(self.on_fill)
        bus.order.connect(self.on_order)
        bus.connection.connect(self.on_connection)
        bus.log.connect(self.on_log)
        bus.frame.connect(self.on_frame)
        bus.symbols.connect(self.on_symbols)
        bus.risk.connect(self.on_risk)
        bus.strategy.connect(self.on_strategy)
        bus.alert_fired.connect(self.on_alert_fired)
        bus.alerts.connect(self.on_alerts)
        self._connected_to_bus = True
        # The lists, even if their start was missed: a bot switched on later must
        # still know the alerts and the strategies already running (/strategies, /stop).
        self._send_command(RequestAlerts())
        self._send_command(RequestStrategies())

    def _disconnect_bus(self) -> None:
        if not self._connected_to_bus:
            return
        bus = self._bus
        pairs: list[tuple[object, object]] = [
            (bus.fill, self.on_fill),
            (bus.order, self.on_order),
            (bus.connection, self.on_connection),
            (bus.log, self.on_log),
            (bus.frame, self.on_frame),
            (bus.symbols, self.on_symbols),
            (bus.risk, self.on_risk),
            (bus.strategy, self.on_strategy),
            (bus.alert_fired, self.on_alert_fired),
            (bus.alerts, self.on_alerts),
        ]
        for signal, slot in pairs:
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(slot)  # type: ignore[attr-defined]
        self._connected_to_bus = False

    def _send_command(self, command: Command) -> None:
        self._bus.command.emit(command)

    @Slot(object)
    def on_symbols(self, specs: tuple[SymbolSpec, ...]) -> None:
        self.formatter.specs = {s.name: s for s in specs}

    @Slot(object)
    def on_frame(self, frame: MarketFrame) -> None:
        self.desk.on_frame(frame)  # never acknowledges: the main window does

    @Slot(object)
    def on_fill(self, fill: Fill) -> None:
        self.desk.on_fill(fill)
        currency = self.desk.account.currency if self.desk.account else ""
        category = ("stops" if is_stop(fill) else "closes") if fill.closes_position else "fills"
        self.alert(category, self.formatter.fill(fill, currency))

    @Slot(object)
    def on_order(self, update: OrderUpdate) -> None:
        if update.status is OrderStatus.REJECTED:
            self.alert("rejections", self.formatter.rejection(update))
        elif update.status is OrderStatus.UNKNOWN:  # the trader must know at once
            self.alert("rejections", self.formatter.unknown(update))

    @Slot(object)
    def on_connection(self, state: ConnectionState) -> None:
        if self.desk.on_connection(state):
            self.alert("connection", self.formatter.connection(state))

    @Slot(object)
    def on_log(self, event: LogEvent) -> None:
        if event.level >= LogLevel.ERROR:
            self.alert("errors", self.formatter.error(event))

    @Slot(object)
    def on_strategy(self, fact: object) -> None:
        """An instance started, stopped, failed, or was made to reduce or halted by its
        budget: say so."""
        if not isinstance(fact, StrategyStatus):
            return
        before = self.desk.on_strategy(fact)
        told = (
            StrategyState.RUNNING,
            StrategyState.REDUCING,
            StrategyState.STOPPED,
            StrategyState.HALTED,
        )
        changed = before is not None and before.state is not fact.state
        if changed and (fact.state in told or fact.state is StrategyState.FAILED):
            self.alert("strategies", self.formatter.strategy_change(fact))

    @Slot(object)
    def on_alert_fired(self, fired: AlertFired) -> None:
        """A price alert fired (or reminds): to every authorised chat, if it asks for Telegram."""
        if not fired.spec.actions.telegram:
            return
        text = self.formatter.alert_fired(fired)
        for chat_id in self.settings.chat_ids:
            self.outbox.put(chat_id, text)

    @Slot(object)
    def on_alerts(self, fact: object) -> None:
        if isinstance(fact, AlertStatus | AlertList):
            self.desk.on_alerts(fact)
        elif isinstance(fact, AlertReply):
            chat_id = self.commands.pending.pop(fact.request_id, None)
            if chat_id is not None:
                self.outbox.put(chat_id, self.formatter.alert_reply(fact))

    @Slot(object)
    def on_risk(self, fact: object) -> None:
        fmt = self.formatter
        if isinstance(fact, TradingStateChanged):
            self.desk.trading_state = str(fact.new)
            self.alert(
                "trading_state", fmt.trading_state(str(fact.new), fact.reason, str(fact.source))
            )
        elif isinstance(fact, RiskBreach):
            text = fmt.risk(fact.message, fact.rule.label)
            if fact.halted:
                text += " — trading HALTED"
            self.alert("risk", text)
        elif isinstance(fact, RiskWarning):
            self.alert("risk", fmt.risk(fact.message, fact.rule.label))

    # -- alerts ---------------------------------------------------------------------
    def alert(self, category: str, text: str) -> None:
        """Queue ``text`` for every authorised chat if ``category`` is switched on."""
        if not getattr(self.settings.alerts, category, False):
            return
        for chat_id in self.settings.chat_ids:
            self.outbox.put(chat_id, text)

    def send_daily_summary(self) -> None:
        when = self._now().astimezone(self.desk.zone)
        self.alert(
            "daily_summary",
            self.formatter.daily_summary(when, self.desk.account, self.desk.trades_today),
        )

    async def _daily_summaries(self) -> None:
        while True:
            due = next_summary_at(self._now(), self.settings.daily_summary_time, self.desk.zone)
            while (left := (due - self._now()).total_seconds()) > 0:
                await asyncio.sleep(min(left, 60.0))  # re-check: the machine may have slept
            self.send_daily_summary()

    async def _deliver(self, message: Outgoing) -> None:
        application = self._application
        if application is None or not self._started:
            raise NetworkError("not connected to Telegram yet")
        markup = None
        if message.markup == "flatten":
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton("Close all", callback_data=CONFIRM_DATA),
                        InlineKeyboardButton("Cancel", callback_data=CANCEL_DATA),
                    ]
                ]
            )
        await application.bot.send_message(
            chat_id=message.chat_id,
            text=message.text,
            parse_mode=ParseMode.HTML if message.html else None,
            reply_markup=markup,
        )

    # -- incoming -------------------------------------------------------------------
    def _install_handlers(self, application: Application) -> None:
        application.add_handler(TypeHandler(Update, self._gate), group=-1)
        application.add_handler(CommandHandler(["start", *COMMAND_NAMES], self._on_command))
        application.add_handler(CallbackQueryHandler(self._on_button))
        application.add_error_handler(self._on_handler_error)

    async def _gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Let only authorised chats through; everyone else gets silence.

        Strangers are counted per chat and told at a bounded rate (``StrangerLog``):
        a flood must not push the trader's own entries out of the event log.
        """
        chat = update.effective_chat
        if chat is not None and chat.id in self.authorised:
            return
        user = update.effective_user
        report = self.strangers.record(chat.id if chat else 0, user.id if user else None)
        if report is not None:
            self._tell_about_strangers(report)
        elif self.strangers.pending and self._strangers_timer is None:
            self._report_strangers_later()
        raise ApplicationHandlerStop

    def _report_strangers_later(self) -> None:
        # A little late rather than early: a timer may fire a millisecond before its time.
        delay = self.strangers.seconds_to_report() + 0.01
        self._strangers_timer = asyncio.get_running_loop().call_later(delay, self._strangers_due)

    def _strangers_due(self) -> None:
        self._strangers_timer = None
        report = self.strangers.due()
        if report is None and self.strangers.pending:
            self._report_strangers_later()  # woken early: the count is not lost
            return
        self._tell_about_strangers(report)

    def _tell_about_strangers(self, report: str | None) -> None:
        """One log line and one event-log row per report."""
        if report is None:
            return
        log.warning("Telegram: %s", report)
        self._bus.log.emit(LogEvent(LogLevel.WARNING, "telegram", report))

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not message.text:
            return
        # The command ends at any whitespace: "/stop\nma_cross#1" is /stop of ma_cross#1.
        parts = message.text.split(maxsplit=1)
        if not parts:
            return
        word, rest = parts[0], parts[1] if len(parts) > 1 else ""
        name = word.lstrip("/").split("@", 1)[0].lower()
        log.info("Telegram command /%s from chat %s", name, chat.id)
        reply = self.commands.handle(name, chat.id, rest)
        if reply.text:
            self.outbox.put(chat.id, reply.text, markup="flatten" if reply.ask_flatten else None)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None:
            return
        if query.data == CONFIRM_DATA:
            reply = self.commands.confirm_flatten(chat.id)
        elif query.data == CANCEL_DATA:
            reply = self.commands.cancel_flatten(chat.id)
        else:
            return
        with contextlib.suppress(TelegramError):
            await query.answer()
        self.outbox.put(chat.id, reply.text)

    async def _on_handler_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.warning("Telegram handler failed: %s", redact(repr(context.error)))

    def _on_polling_error(self, error: TelegramError) -> None:
        self._on_health(False, f"{redact(str(error))} (retrying)")

    # -- status ---------------------------------------------------------------------
    def _on_health(self, online: bool, detail: str) -> None:
        if self.state == OFF:
            return
        if online:
            if self.state != ONLINE and self._started:
                self._set_state(ONLINE, "")
        else:
            self._set_state(OFFLINE, redact(detail))

    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) == (self.state, self.detail):
            return
        if state != self.state:
            log.info("Telegram %s %s", state, detail)
        self.state, self.detail = state, detail
        self._publish_status()

    def _publish_status(self) -> None:
        self.status_changed.emit(self.state, self.detail, self.outbox.merged, self.outbox.dropped)
