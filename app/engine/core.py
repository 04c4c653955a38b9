"""TradingCore: the engine's logic in plain Python, driven by the engine thread.

Everything that decides something lives here or in the modules it drives:
connecting and reconnecting, turning broker events into facts and state, the
order road (``order_road.py``), the risk gate (``risk_gate.py``) and the
engine's clients (``clients.py``). The Qt ``Engine`` (``thread.py``) only gives
it a thread, timers and a bus to speak on, so the core is tested without a
QApplication.

**A turn.** The engine works in turns: a poll of the broker, or one command.
A poll first applies every tick to the book and the bars, then journals and
publishes the broker's fills and order updates, then lets the clients react
(ticks, closed bars, their orders' updates and fills, timers). Commands the
clients send are queued and run at the end of the turn, each through the one
order road — never in the middle of a poll.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np

from app.brokers.base import Broker, BrokerError, BrokerInfo, TransientBrokerError
from app.domain.commands import (
    CancelAll,
    CancelOrder,
    CloseAll,
    CloseBy,
    ClosePosition,
    Command,
    Halt,
    ModifyOrder,
    ModifyPosition,
    RequestHistory,
    RequestTradeHistory,
    Resume,
    ReversePosition,
    SubmitOrder,
    UpdateRiskLimits,
    WatchBars,
)
from app.domain.enums import ConnectionStatus, LogLevel, OrderSource, OrderStatus, TradingState
from app.domain.frame import MarketFrame
from app.domain.market import RATES_DTYPE, BarHistory, Tick
from app.domain.notices import CLOSED_LINE, FILLED_LINE, ConnectionState, LogEvent
from app.domain.risk_facts import RiskSnapshot
from app.domain.risk_limits import RiskLimits
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import (
    BROKER_CLOSE_REASONS,
    ELSEWHERE_CLOSE_REASONS,
    MANUAL,
    AccountState,
    Fill,
    OrderUpdate,
    Position,
    TradeHistory,
    WorkingOrder,
)
from app.engine.budgets import Budgets
from app.engine.clients import ClientHost
from app.engine.comments import TraderComments
from app.engine.conflation import FrameBuilder
from app.engine.extensions import HistorySource
from app.engine.journal_tap import JournalTap
from app.engine.market_data import TIMEFRAMES, MarketData
from app.engine.order_road import OrderRoad
from app.engine.portfolio import Portfolio
from app.engine.reconnect import ReconnectSchedule
from app.engine.recovery import reconcile, reconcile_deals
from app.engine.risk_gate import Book, Clock, RiskContext, RiskGate
from app.storage.errors import StorageError

if TYPE_CHECKING:  # the journal (SQLAlchemy) loads in the engine thread, after the window
    from app.storage.journal import Journal

log = logging.getLogger(__name__)

#: How a halt kept across a restart begins its reason.
_STILL_HALTED = "still halted from before the restart: "

HISTORY_BARS = 100_000  # bars asked of the broker per chart history request
#: Seconds between risk-panel refreshes driven by ticks alone (a human reads it).
RISK_REFRESH_S = 0.1
#: Rounds of client commands run at the end of one turn; more wait for the next turn.
MAX_COMMAND_ROUNDS = 20
#: Seconds between two event-log lines about refused quotes (they are counted meanwhile).
BAD_QUOTE_LOG_S = 10.0
# Strategy orders whose log lines keep their instance's name: the newest this many (a
# session sends tens; a tester run thousands, whose log lines come at once).
OWNED_ORDERS_KEPT = 10_000
_INF = math.inf


class Publisher(Protocol):
    """Where the core's facts go: ``EventBus.publish`` in the app, a list in tests."""

    def publish(self, fact: object) -> None: ...


class TradingCore:
    """Owns the broker. Every method runs on the engine thread."""

    def __init__(
        self,
        broker_factory: Callable[[], Broker],
        publisher: Publisher,
        *,
        risk_limits: RiskLimits | None = None,
        clock: Clock | None = None,
        journal: Journal | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._broker_factory = broker_factory
        self._monotonic = monotonic  # paces the risk panel's refreshes
        self.clock: Clock = clock or time.time  # the engine's time (the tester's replayed time)
        self.journal = journal  # None: no journal (tests); the Engine opens it in its thread
        self.gate = RiskGate(risk_limits, clock=self.clock)
        self.risk: RiskContext | None = None
        # Client id -> strategy instance number, for the event log's source column.
        self._client_owners: dict[str, int] = {}
        #: Each order's own comment, shown where the broker keeps its client id.
        self.comments = TraderComments(self._journaled_comment)
        self._last_risk: RiskSnapshot | None = None
        # The risk panel's figures: due at once after anything a trader did or any
        # state change, else refreshed at RISK_REFRESH_S (monotonic seconds).
        self._risk_due = True
        self._risk_refresh_at = 0.0
        # Log lines and risk facts are journaled on their way out (see JournalTap).
        self._out = JournalTap(publisher, lambda: self.journal)
        self.broker: Broker | None = None
        self.info: BrokerInfo | None = None
        self.specs: dict[str, SymbolSpec] = {}
        self.portfolio: Portfolio | None = None
        self.frames = FrameBuilder()
        self.market_data = MarketData()  # bars of every symbol in M1…D1
        self.orders = OrderRoad(self)
        self.clients = ClientHost(self)
        #: Commands owned by a package above the engine (the strategy host's): type -> handler.
        self.command_handlers: dict[type, Callable[[Any], None]] = {}
        # Facts of this turn for the clients, and the commands they sent (see _end_turn).
        self._inbox: list[object] = []
        self._queued: list[Command] = []
        # Connection loss: why the link is down (None while up) and when to retry.
        self.reconnect = ReconnectSchedule()
        self._down_reason: str | None = None
        self._last_problem = ""
        # Quotes refused at the door (non-finite, non-positive, bid above ask).
        self.bad_quotes = 0
        self._bad_quotes_unsaid = 0
        self._bad_quote_said_at = -_INF

    @property
    def connected(self) -> bool:
        return self.broker is not None and self.portfolio is not None

    def link_problem(self) -> str | None:
        """Why orders cannot go to the broker now, in words; ``None`` if they can."""
        if self._down_reason is not None:
            return f"Not connected to the broker: {self._down_reason}"
        if self.broker is None or self.portfolio is None:
            return "Not connected to the broker"
        return None

    # -- connection -----------------------------------------------------------------
    def connect(self) -> bool:
        self.publish(ConnectionState(ConnectionStatus.CONNECTING, "…"))
        try:
            broker = self._broker_factory()
            info = broker.connect()
            specs = {s.name: s for s in broker.symbols()}
        except TransientBrokerError as exc:
            self.say(LogLevel.WARNING, f"Could not connect to the broker: {exc}")
            self.connection_lost(str(exc))
            return True  # the poll timer keeps trying, with backoff
        except (BrokerError, ValueError) as exc:
            self.say(LogLevel.ERROR, f"Could not connect to the broker: {exc}")
            self.publish(ConnectionState(ConnectionStatus.DISCONNECTED, "", str(exc)))
            return False
        self.broker, self.info, self.specs = broker, info, specs
        self._down_reason = None
        self.reconnect.reset()
        self.portfolio = Portfolio(specs, info.currency, info.leverage, clock=self.clock)
        self.risk = RiskContext(specs, self.portfolio.quotes, info.currency, info.leverage)
        self.gate.margin_calculator = broker.order_margin
        for name in specs:
            self.market_data.seed_rates(
                name, {tf: broker.history(name, tf, 1) for tf in TIMEFRAMES}
            )
            tick = broker.last_tick(name)
            if tick is not None and _good_quote(tick):
                self.portfolio.on_tick(tick)
                self.frames.add_quote(tick)
        self._recover(broker, info)
        self._restore_halt()  # whatever recovery could not do: a halt is never lost
        self.sync_portfolio()
        for order in self.portfolio.orders:  # an earlier session's: their lines name them
            self.note_owner(order.client_id, order.owner)
        self.publish(tuple(specs.values()))
        mode = "hedging" if info.hedging else "netting"
        self.say(
            LogLevel.INFO,
            f"Connected to {info.name} ({info.server}), account {info.account}, "
            f"{info.currency}, leverage 1:{info.leverage}, {mode}",
        )
        self._report_broker_notes(info)
        self.publish(ConnectionState(ConnectionStatus.CONNECTED, info.name, info.server))
        self.clients.start()
        self._end_turn()
        return True

    def disconnect(self) -> None:
        self.clients.stop()
        if self.broker is not None:
            try:
                self.broker.disconnect()
            except BrokerError as exc:
                log.warning("broker disconnect failed: %s", exc)
            name = self.info.name if self.info else ""
            self.broker = None
            self.publish(ConnectionState(ConnectionStatus.DISCONNECTED, name, "stopped"))

    # -- market data ----------------------------------------------------------------
    def poll(self) -> int:
        """Take everything new from the broker; returns the number of ticks seen."""
        if self._down_reason is not None:
            self._try_reconnect()
            self._end_turn()
            return 0
        if self.broker is None or self.portfolio is None:
            return 0
        try:
            events = self.broker.poll()
        except TransientBrokerError as exc:
            self.connection_lost(str(exc))
            return 0
        except BrokerError as exc:
            self._broker_problem(str(exc))
            return 0
        for notice in events.notices:
            self.publish(notice)
        ticks = self._at_the_door(events.ticks)
        portfolio, frames, market_data = self.portfolio, self.frames, self.market_data
        self.gate.on_ticks(ticks, self.specs)
        # Each in one pass over the poll (a call per tick each cost more than the work):
        # the portfolio and the frames keep only each symbol's latest quote, and the
        # bars say after which tick each bar closed.
        portfolio.on_ticks(ticks)
        frames.add_ticks(ticks)
        marks = market_data.on_ticks(ticks)
        # The record and the screen get the poll's facts before any client runs.
        for update in events.order_updates:
            self.journal_write(lambda j: j.record_order_update(update))  # noqa: B023 - at once
            self.publish(update)
            self._log_update(update)
        for fill in events.fills:
            self.journal_write(lambda j: j.record_fill(fill))  # noqa: B023 - runs at once
            self.publish_fill(fill)
        if events.order_updates or events.fills or events.state_changed:
            self.sync_portfolio()
        elif ticks:
            self._watch_equity()
        self.orders.resolve_unknown(self._monotonic())
        self.clients.ticks(ticks, marks)
        self._end_turn()
        return len(ticks)

    def _at_the_door(self, ticks: list[Tick]) -> list[Tick]:
        """Every tick, except quotes no price can be trusted from (counted and logged).

        A NaN, zero or negative price, or a bid above the ask, would poison the
        book, the bars and every risk rule that reads the quote; it is never stored.
        """
        for tick in ticks:
            if not (0.0 < tick.bid <= tick.ask < _INF):
                break
        else:
            return ticks  # the common case: one comparison chain per tick, no copy
        good = [t for t in ticks if 0.0 < t.bid <= t.ask < _INF]
        refused = [t for t in ticks if not (0.0 < t.bid <= t.ask < _INF)]
        self.bad_quotes += len(refused)
        self._bad_quotes_unsaid += len(refused)
        now = self._monotonic()
        if now - self._bad_quote_said_at >= BAD_QUOTE_LOG_S:
            self._bad_quote_said_at = now
            example = refused[-1]
            self.say(
                LogLevel.WARNING,
                f"Refused {self._bad_quotes_unsaid} bad quote(s) from the broker "
                f"(e.g. {example.symbol} bid {example.bid} ask {example.ask}): "
                "not a usable price, so not stored and not traded on",
            )
            self._bad_quotes_unsaid = 0
        return good

    def next_frame(self) -> MarketFrame | None:
        """The conflated state since the last frame, if the previous one was consumed."""
        portfolio = self.portfolio
        if portfolio is not None and not self.frames.in_flight and portfolio.changed:
            comments = self.comments
            orders = comments.rows(portfolio.orders) if portfolio.orders_changed else None
            self.frames.set_portfolio(
                portfolio.account(), comments.rows(portfolio.positions), orders
            )
            portfolio.changed = portfolio.orders_changed = False
        if self.risk is not None and not self.frames.in_flight and self._risk_snapshot_due():
            snapshot = self.gate.snapshot(self.risk_context())
            if snapshot != self._last_risk:
                self._last_risk = snapshot
                self.frames.set_risk(snapshot)
        if not self.frames.in_flight:
            for bar in self.market_data.take_watched_bars():  # built per frame, not per tick
                self.frames.add_bar(bar)
        return self.frames.take()

    def frame_consumed(self, seq: int) -> None:
        self.frames.consumed(seq)

    def _risk_snapshot_due(self) -> bool:
        """Whether the next frame should carry fresh risk figures.

        Building the snapshot walks every rule and the whole book; doing it for
        every frame cost a quarter of the engine thread at 1,000 ticks/s, and
        its labels then repainted in every frame. Ticks move the figures (the
        day's loss, exposure) only at RISK_REFRESH_S; commands, fills, order
        changes and trading-state changes make them due at once.
        """
        now = self._monotonic()
        last = self._last_risk
        if not (
            self._risk_due
            or now >= self._risk_refresh_at
            or last is None
            or last.state is not self.gate.state
        ):
            return False
        self._risk_due = False
        self._risk_refresh_at = now + RISK_REFRESH_S
        return True

    # -- commands -------------------------------------------------------------------
    def handle(self, command: Command) -> None:
        """One command from the GUI or Telegram: a turn of its own."""
        self._run(command)
        self._end_turn()

    def _run(self, command: Command) -> None:
        self._risk_due = True  # whatever the trader did shows on the panel in this frame
        match command:
            case SubmitOrder(request=request):
                self.orders.submit(request)
            case ClosePosition():
                self.orders.close_position(command)
            case CancelOrder():
                self.orders.cancel(command)
            case ModifyPosition():
                self.orders.modify_position(command)
            case ModifyOrder():
                self.orders.modify_order(command)
            case ReversePosition():
                self.orders.reverse(command)
            case CloseBy():
                self.orders.close_by(command)
            case RequestHistory(symbol=symbol, timeframe=timeframe, watcher=watcher):
                self.send_history(symbol, timeframe, watcher)
            case WatchBars(watcher=watcher, pairs=pairs):
                self.market_data.watch(watcher, (p for p in pairs if p[0] in self.specs))
            case Halt():
                self.halt(command)
            case Resume(source=source):
                self.resume(source)
            case CloseAll(symbol=symbol, source=source):
                self.close_all(symbol, source)
            case CancelAll(symbol=symbol, source=source):
                self.cancel_all(symbol, source)
            case UpdateRiskLimits():
                self.update_risk_limits(command)
            case RequestTradeHistory():
                self.send_trade_history(command)
            case _:
                handler = self.command_handlers.get(type(command))
                if handler is None:
                    self.say(LogLevel.ERROR, f"Unknown command {command!r} ignored")
                else:
                    handler(command)

    def _end_turn(self) -> None:
        """Clients get the turn's order facts and timers; then what they queued runs.

        Each queued command is a turn step of its own through the order road; the
        facts it makes reach the clients before the next round. A client that keeps
        answering its own updates with new commands is cut off after
        ``MAX_COMMAND_ROUNDS`` rounds: the rest waits for the next turn, nothing is lost.
        """
        self._deliver()
        self.clients.clock(self.now_msc())
        for _ in range(MAX_COMMAND_ROUNDS):
            if not self._queued:
                return
            batch, self._queued = self._queued, []
            for index, command in enumerate(batch):
                try:
                    self._run(command)
                except BaseException:
                    # The engine's own error: what was queued after it is not dropped
                    # unseen; it runs next turn (through the gate, which says why if
                    # the error halted trading).
                    self._queued[:0] = batch[index + 1 :]
                    raise
            self._deliver()
        if self._queued:
            self.say(
                LogLevel.WARNING,
                f"{len(self._queued)} command(s) from engine clients wait for the next turn",
            )

    def _deliver(self) -> None:
        while self._inbox:
            inbox, self._inbox = self._inbox, []
            for fact in inbox:
                if isinstance(fact, OrderUpdate):
                    self.clients.order(fact)
                elif isinstance(fact, Fill):
                    self.clients.fill(fact)
                else:
                    self.clients.fact(fact)

    def send_history(self, symbol: str, timeframe: Timeframe, watcher: str = "") -> None:
        """The broker's bars plus those built live, ending with the forming bar.

        With a ``watcher`` (a chart), frames then carry this pair's forming bar.
        """
        if self.broker is None or symbol not in self.specs:
            self.say(LogLevel.WARNING, f"No chart history for {symbol}: unknown symbol")
            return
        rates = self.broker.history(symbol, timeframe, HISTORY_BARS)
        self.publish(self.market_data.history(symbol, timeframe, rates))
        if watcher:
            self.market_data.watch(watcher, [(symbol, timeframe)])

    # -- what the engine's clients read (the EngineView of clients.py) ----------------
    def now_msc(self) -> int:
        return int(self.clock() * 1000)

    def quote(self, symbol: str) -> Tick | None:
        return self.portfolio.quotes.get(symbol) if self.portfolio is not None else None

    def spec(self, symbol: str) -> SymbolSpec | None:
        return self.specs.get(symbol)

    def closed_bars(self, symbol: str, timeframe: Timeframe, count: int) -> BarHistory:
        """The newest ``count`` closed bars: the broker's history and those built here.

        The forming bar is left out, so a strategy's warm-up and its live bars
        never see one bar twice or a bar before it closed.
        """
        rates = (
            self.broker.history(symbol, timeframe, count + 2)
            if self.broker is not None and symbol in self.specs
            else np.zeros(0, dtype=RATES_DTYPE)
        )
        bars = self.market_data.history(symbol, timeframe, rates)
        times = cast(np.ndarray, bars.time)
        end = len(times)
        forming = self.market_data.forming(symbol, timeframe)
        if end and forming is not None and int(times[-1]) >= forming.time:
            end -= 1
        start = max(0, end - count)
        return BarHistory(
            symbol,
            timeframe,
            *(cast(np.ndarray, column)[start:end] for column in _columns(bars)),
        )

    def positions(self) -> Sequence[Position]:
        return self.portfolio.positions if self.portfolio is not None else ()

    def history_source(self) -> HistorySource | None:
        """The broker's bar and tick history, read-only, while connected (for downloads)."""
        broker = self.broker
        if broker is None or self._down_reason is not None:
            return None
        return HistorySource(broker.rates_range, broker.ticks_range)

    @property
    def budgets(self) -> Budgets:
        """Each strategy instance's budget in the risk gate."""
        return self.gate.budgets

    def trading_day_start(self) -> datetime:
        """When the current trading day began, by the risk limits' reset time."""
        return self.gate.watch.day_start(self.gate.limits)

    def working_orders(self) -> Sequence[WorkingOrder]:
        return self.portfolio.orders if self.portfolio is not None else ()

    def trading_state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED: the account-wide state of the risk gate."""
        return self.gate.state

    def account(self) -> AccountState | None:
        return self.portfolio.account() if self.portfolio is not None else None

    def queue(self, command: Command) -> None:
        self._queued.append(command)

    # -- publishing -----------------------------------------------------------------
    def publish(self, fact: object) -> None:
        """Every fact leaves the core here: to the bus (journaled on the way) and the clients."""
        self._out.publish(fact)
        if type(fact) is OrderUpdate:
            self.gate.budgets.on_update(fact)  # what an instance's orders still have to fill
        if isinstance(fact, OrderUpdate | Fill) or self.clients.wants(fact):
            self._inbox.append(fact)

    def publish_fill(self, fill: Fill) -> None:
        if self.portfolio is not None:
            self.portfolio.on_fill(fill)
        self.gate.budgets.on_fill(fill)
        self.publish(fill)
        spec = self.specs.get(fill.symbol)
        price = spec.format_price(fill.price) if spec else f"{fill.price:g}"
        volume = spec.format_volume(fill.volume) if spec else f"{fill.volume:g}"
        if fill.closes_position:
            why = f" by {fill.reason}" if fill.reason not in ("", "client") else ""
            currency = self.info.currency if self.info else ""
            text = (
                f"{CLOSED_LINE}{why}: position #{fill.position_ticket} {volume} {fill.symbol} at {price}, "
                f"P&L {fill.realized_pnl:+,.2f} {currency}"
            )
        else:
            text = (
                f"{FILLED_LINE}{fill.side} {volume} {fill.symbol} at {price} "
                f"(position #{fill.position_ticket})"
            )
        # A close the broker made on its own (stop loss, take profit, stop-out) is the
        # position's owner's; one the trader made in MT5's own apps is the trader's; any
        # other deal is its command's sender's (the trader's Close By of a strategy's
        # position too).
        owner: int | None = None
        if fill.closes_position and fill.reason in BROKER_CLOSE_REASONS:
            owner = fill.owner
        elif fill.closes_position and fill.reason in ELSEWHERE_CLOSE_REASONS:
            owner = MANUAL
        self.say(LogLevel.INFO, text, fill.client_id or None, owner=owner)

    def say(
        self,
        level: LogLevel,
        message: str,
        client_id: str | None = None,
        *,
        source: str = "engine",
        owner: int | None = None,
    ) -> None:
        """One event-log line. The engine's line about a strategy instance's order (its
        ``client_id`` was noted) names the instance; ``owner``, when given, says whose
        it is instead (a close the broker made, or the trader elsewhere)."""
        if source == "engine":
            if owner is None and client_id is not None:
                owner = self._client_owners.get(client_id)
            if owner is not None and owner > 0:  # a strategy's: the log says which instance
                source = self.gate.budgets.name_of(owner) or f"strategy #{owner}"
        self.publish(LogEvent(level=level, source=source, message=message, client_id=client_id))

    def _journaled_comment(self, client_id: str) -> str | None:
        """The comment the journal kept with order ``client_id`` (``None``: not there)."""
        journal = self.journal
        if journal is None:
            return None
        try:
            order = journal.order(client_id)
        except StorageError:
            return None  # shown without it; the journal's own trouble is reported elsewhere
        return order.comment if order is not None else None

    def note_owner(self, client_id: str, owner: int) -> None:
        """``client_id`` is an order of strategy instance ``owner`` (its log lines say so)."""
        if owner > 0 and client_id:
            self._client_owners[client_id] = owner
            if len(self._client_owners) > OWNED_ORDERS_KEPT:  # the oldest goes
                del self._client_owners[next(iter(self._client_owners))]

    def _log_update(self, update: OrderUpdate) -> None:
        level = LogLevel.WARNING if update.status is OrderStatus.REJECTED else LogLevel.INFO
        ticket = f"#{update.broker_ticket} " if update.broker_ticket else ""
        self.say(
            level,
            f"Order {ticket}{update.status.replace('_', ' ')}: {update.reason}",
            update.client_id,
        )

    # -- the book -------------------------------------------------------------------
    def sync_portfolio(self) -> None:
        """Re-read positions, orders and the account from the broker."""
        if self.broker is None or self.portfolio is None:
            return
        broker = self.broker
        try:
            account = broker.account()
            positions, orders = broker.positions(), broker.working_orders()
        except TransientBrokerError as exc:
            self.connection_lost(str(exc))
            return
        except BrokerError as exc:
            self._broker_problem(str(exc))
            return
        self.portfolio.sync(account, positions, orders)
        self._risk_due = True
        if self.journal is not None:
            self.journal.snapshot_account(account)  # batched, off the order path
        if self.risk is not None:
            self.risk.book = Book.build(self.portfolio.positions, self.portfolio.orders)
            self.risk.positions, self.risk.orders = self.portfolio.positions, self.portfolio.orders
        self._watch_equity()

    # -- connection loss and reconnect ----------------------------------------------
    def connection_lost(self, reason: str) -> None:
        """A broker call found the link gone: say so, refuse orders, schedule a retry."""
        first = self._down_reason is None
        self._down_reason = reason
        delay = self.reconnect.failed()
        name = self.info.name if self.info else ""
        self.publish(ConnectionState(ConnectionStatus.DISCONNECTED, name, reason))
        if first:
            self.say(
                LogLevel.WARNING,
                f"Connection to the broker lost: {reason}. New orders are refused until it "
                f"is back; reconnecting in {delay:.1f} s",
            )
        else:
            self.say(
                LogLevel.INFO,
                f"Reconnect attempt {self.reconnect.attempts - 1} failed: {reason}; "
                f"next try in {delay:.1f} s",
            )

    def _try_reconnect(self) -> None:
        """Called by the poll timer while down; reconnects when the backoff says so."""
        if not self.reconnect.due():
            return
        self.reconnect.next_at = None
        attempt = self.reconnect.attempts
        if self.broker is None:  # never connected yet: the whole first connect again
            self.connect()
            return
        name = self.info.name if self.info else ""
        self.publish(
            ConnectionState(ConnectionStatus.CONNECTING, name, f"reconnecting, attempt {attempt}")
        )
        try:
            info = self.broker.connect()
        except BrokerError as exc:
            self.connection_lost(str(exc))
            return
        self._down_reason = None
        self.reconnect.reset()
        self.info = info
        self.say(
            LogLevel.INFO,
            f"Reconnected to {info.name} ({info.server}) after {attempt} attempt(s); "
            "positions, orders and the account re-read",
        )
        self._report_broker_notes(info)
        self.orders.resolve_unknown()
        self.sync_portfolio()
        if self._down_reason is None:
            self.publish(ConnectionState(ConnectionStatus.CONNECTED, info.name, info.server))

    def _report_broker_notes(self, info: BrokerInfo) -> None:
        for fact in info.facts:
            self.say(LogLevel.INFO, fact)
        for warning in info.warnings:
            self.say(LogLevel.WARNING, warning)

    def _broker_problem(self, message: str) -> None:
        """A broker error that is not a lost link; said once, not on every poll."""
        if message != self._last_problem:
            self._last_problem = message
            self.say(LogLevel.WARNING, message)

    # -- risk: trading states, the kill switch, limits -------------------------------
    def halt(self, command: Halt) -> None:
        """The kill switch: HALTED at once; with ``flatten``, cancel and close everything."""
        reason = command.reason or "kill switch"
        changed = self.gate.halt(reason, command.source)
        if changed is not None:
            self.publish(changed)
        if command.flatten:
            self.cancel_all(None, command.source)
            self.close_all(None, command.source)

    def resume(self, source: OrderSource) -> None:
        changed = self.gate.resume(source)
        if changed is None:
            self.say(LogLevel.INFO, "Trading is already ACTIVE", source="risk")
            return
        self.publish(changed)

    def close_all(self, symbol: str | None, source: OrderSource) -> None:
        positions = self.portfolio.positions if self.portfolio else ()
        chosen = [p for p in positions if symbol is None or p.symbol == symbol]
        if not chosen:
            where = f" in {symbol}" if symbol else ""
            self.say(LogLevel.INFO, f"Close all: no open positions{where}")
            return
        for position in chosen:
            self.orders.close_position(ClosePosition(position.ticket, source=source))

    def cancel_all(self, symbol: str | None, source: OrderSource) -> None:
        orders = self.portfolio.orders if self.portfolio else ()
        for order in orders:
            if symbol is None or order.symbol == symbol:
                self.orders.cancel(CancelOrder(order.ticket, source=source))

    def update_risk_limits(self, command: UpdateRiskLimits) -> None:
        """Audited change of the limits; loosening is refused while HALTED."""
        old, new = self.gate.limits, command.limits
        problems = new.problems() + (new.unknown_symbols(self.specs) if self.specs else [])
        if problems:
            self.say(
                LogLevel.WARNING, f"Risk limits not changed: {'; '.join(problems)}", source="risk"
            )
            return
        if self.gate.state is TradingState.HALTED:
            looser = old.loosened(new)
            if looser:
                self.say(
                    LogLevel.WARNING,
                    f"Risk limits not changed: trading is HALTED, and this would loosen "
                    f"{', '.join(looser)}; resume trading first",
                    source="risk",
                )
                return
        changes = old.changes(new)
        if not changes:
            self.say(LogLevel.INFO, "Risk limits unchanged", source="risk")
            return
        self.gate.set_limits(new)
        self.say(
            LogLevel.WARNING,
            f"Risk limits changed by {command.source}: {'; '.join(changes)}",
            source="risk",
        )

    def risk_context(self) -> RiskContext:
        """What the risk rules read, with the account as it stands now."""
        assert self.risk is not None and self.portfolio is not None
        self.risk.account = self.portfolio.account()
        return self.risk

    def _watch_equity(self) -> None:
        """Daily loss and drawdown against the latest equity; may halt trading."""
        if self.portfolio is None or self.risk is None:
            return
        # The equity alone: the account's other figures are built when an order's
        # check or the risk panel reads them (``risk_context``), not on every tick.
        for fact in self.gate.on_equity(self.portfolio.equity()):
            self._risk_due = True
            self.publish(fact)
        limits = self.gate.limits
        warning = limits.warning_fraction if limits.reduce_on_warning else None
        for budget_fact in self.gate.budgets.on_positions(self.portfolio.positions, warning):
            self.publish(budget_fact)  # a budget's halt or its REDUCING

    # -- the journal ------------------------------------------------------------------
    def journal_write(self, action: Callable[[Journal], object]) -> None:
        """Record a fact with ``action(journal)``; a failure is shown, never raised."""
        if self.journal is None:
            return
        try:
            action(self.journal)
        except StorageError as exc:
            self.say(LogLevel.ERROR, str(exc))

    def _recover(self, broker: Broker, info: BrokerInfo) -> None:
        """Settle what the journal left unfinished or missed (see ``recovery``); never resends."""
        if self.journal is None:
            return
        self.journal.account = f"{info.server}/{info.account}"

        def say(level: LogLevel, message: str, client_id: str | None) -> None:
            self.say(level, message, client_id)

        try:
            result = reconcile(self.journal, broker, say)
            missed = reconcile_deals(self.journal, broker, say)
        except StorageError as exc:
            self.say(LogLevel.ERROR, f"Recovery could not finish: {exc}")
            return
        level = LogLevel.WARNING if result.unknown else LogLevel.INFO
        self.say(level, result.summary())
        if missed:
            self.say(
                LogLevel.WARNING,
                f"Journal reconciled with the broker's deals: {missed} deal(s) the journal "
                "had missed are now on record, with the broker's times and prices",
            )
        self._restore_equity_marks()

    def _restore_halt(self) -> None:
        """A halt holds across a restart: trading that was HALTED when Tradeterm stopped
        (the kill switch, a loss limit) starts HALTED, before any strategy could start
        by itself, until the trader resumes it."""
        if self.journal is None:
            return
        try:
            last = self.journal.last_trading_state()
        except StorageError as exc:
            # Not knowing whether it was halted, it starts halted: the trader resumes.
            last = (str(TradingState.HALTED), f"? → halted: the journal cannot say ({exc})")
        if last is None or last[0] != str(TradingState.HALTED):
            return
        why = last[1].partition(": ")[2].removeprefix(_STILL_HALTED) or "halted"
        changed = self.gate.halt(f"{_STILL_HALTED}{why}", OrderSource.SYSTEM)
        if changed is not None:
            self.publish(changed)
            self.say(
                LogLevel.WARNING,
                f"Trading is HALTED, as it was when Tradeterm stopped ({why}); "
                "resume trading to send orders",
                source="risk",
            )

    def _restore_equity_marks(self) -> None:
        """Today's starting equity and the equity peak come back from the journal."""
        assert self.journal is not None
        watch, limits = self.gate.watch, self.gate.limits
        try:
            day_start_equity, peak = self.journal.equity_marks(watch.day_start(limits))
        except StorageError as exc:
            self.say(LogLevel.ERROR, f"Could not restore today's starting equity: {exc}")
            return
        watch.restore(day_start_equity, peak, limits)
        if day_start_equity is not None:
            currency = self.info.currency if self.info else ""
            self.say(
                LogLevel.INFO,
                f"Daily loss counted from today's starting equity {day_start_equity:,.2f} {currency}"
                + (f"; equity peak {peak:,.2f}" if peak is not None else ""),
            )

    def send_trade_history(self, command: RequestTradeHistory) -> None:
        """Answer the history window from the journal (a read on the engine thread)."""
        start, end, symbol = command.start, command.end, command.symbol
        if self.journal is None:
            history = TradeHistory(start, end, symbol, error="No trade journal is open")
        else:
            try:
                history = self.journal.trade_history(start, end, symbol)
            except StorageError as exc:
                history = TradeHistory(start, end, symbol, error=str(exc))
        self.publish(history)


def _good_quote(tick: Tick) -> bool:
    return 0.0 < tick.bid <= tick.ask < _INF


def _columns(bars: BarHistory) -> tuple[object, ...]:
    return (bars.time, bars.open, bars.high, bars.low, bars.close, bars.volume)
