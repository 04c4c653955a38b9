"""TradingCore: the engine's logic in plain Python, driven by the engine thread.

Everything that decides something lives here: connecting, turning broker events
into facts and state, and taking each order down its one road (command → checks
→ broker → result → events). The Qt ``Engine`` only gives it a thread, timers
and a bus to speak on, so the core is tested without a QApplication.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, cast

from app.brokers.base import (
    Broker,
    BrokerError,
    BrokerInfo,
    ExecutionReport,
    OutcomeUnknownError,
    TransientBrokerError,
)
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
    new_client_id,
)
from app.domain.enums import (
    ConnectionStatus,
    LogLevel,
    OrderSource,
    OrderStatus,
    OrderType,
    TradingState,
)
from app.domain.frame import MarketFrame
from app.domain.market import BarHistory
from app.domain.notices import ConnectionState, LogEvent
from app.domain.risk_facts import RiskBreach, RiskFact, RiskSnapshot
from app.domain.risk_limits import RiskLimits, RiskRule
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import Fill, OrderRequest, OrderUpdate, TradeHistory, WorkingOrder
from app.domain.validation import order_problems
from app.engine.conflation import FrameBuilder
from app.engine.journal_tap import JournalTap
from app.engine.market_data import TIMEFRAMES, MarketData
from app.engine.portfolio import Portfolio
from app.engine.reconnect import ReconnectSchedule
from app.engine.recovery import reconcile, record_report
from app.engine.risk_gate import Book, Clock, RiskContext, RiskGate
from app.storage.errors import StorageError

if TYPE_CHECKING:  # the journal (SQLAlchemy) loads in the engine thread, after the window
    from app.storage.journal import Journal

log = logging.getLogger(__name__)

HISTORY_BARS = 100_000  # bars asked of the broker per chart history request
#: Seconds between risk-panel refreshes driven by ticks alone (a human reads it).
RISK_REFRESH_S = 0.1


class Publisher(Protocol):
    """Where the core's facts go; the Qt engine forwards each to a bus signal."""

    def order(self, update: OrderUpdate) -> None: ...
    def fill(self, fill: Fill) -> None: ...
    def log(self, event: LogEvent) -> None: ...
    def connection(self, state: ConnectionState) -> None: ...
    def history(self, history: BarHistory) -> None: ...
    def symbols(self, specs: tuple[SymbolSpec, ...]) -> None: ...
    def risk(self, fact: RiskFact) -> None: ...
    def trade_history(self, history: TradeHistory) -> None: ...


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
        self.journal = journal  # None: no journal (tests); the Engine opens it in its thread
        self.gate = RiskGate(risk_limits, clock=clock) if clock else RiskGate(risk_limits)
        self._risk: RiskContext | None = None
        self._last_risk: RiskSnapshot | None = None
        # The risk panel's figures: due at once after anything a trader did or any
        # state change, else refreshed at RISK_REFRESH_S (monotonic seconds).
        self._risk_due = True
        self._risk_refresh_at = 0.0
        # Log lines and risk facts are journaled on their way out (see JournalTap).
        self._out = cast(Publisher, JournalTap(publisher, lambda: self.journal))
        self._broker: Broker | None = None
        self.info: BrokerInfo | None = None
        self.specs: dict[str, SymbolSpec] = {}
        self.portfolio: Portfolio | None = None
        self.frames = FrameBuilder()
        self.market_data = MarketData()  # bars of every symbol in M1…D1
        self.tick_listeners: list[Callable[[object], None]] = []
        # Connection loss: why the link is down (None while up), when to retry, and
        # orders whose answer was lost with it (asked of the broker before anything else).
        self.reconnect = ReconnectSchedule()
        self._down_reason: str | None = None
        self._unknown: dict[str, OrderRequest] = {}
        self._last_problem = ""

    @property
    def connected(self) -> bool:
        return self._broker is not None and self.portfolio is not None

    # -- connection -----------------------------------------------------------------
    def connect(self) -> bool:
        self._out.connection(ConnectionState(ConnectionStatus.CONNECTING, "…"))
        try:
            broker = self._broker_factory()
            info = broker.connect()
            specs = {s.name: s for s in broker.symbols()}
        except TransientBrokerError as exc:
            self._say(LogLevel.WARNING, f"Could not connect to the broker: {exc}")
            self._connection_lost(str(exc))
            return True  # the poll timer keeps trying, with backoff
        except (BrokerError, ValueError) as exc:
            self._say(LogLevel.ERROR, f"Could not connect to the broker: {exc}")
            self._out.connection(ConnectionState(ConnectionStatus.DISCONNECTED, "", str(exc)))
            return False
        self._broker, self.info, self.specs = broker, info, specs
        self._down_reason = None
        self.reconnect.reset()
        self.portfolio = Portfolio(specs, info.currency, info.leverage)
        self._risk = RiskContext(specs, self.portfolio.quotes, info.currency, info.leverage)
        # The seam for a broker's own margin calculation (MT5: order_calc_margin).
        self.gate.margin_calculator = getattr(broker, "order_margin", None)
        for name in specs:
            self.market_data.seed_rates(
                name, {tf: broker.history(name, tf, 1) for tf in TIMEFRAMES}
            )
            tick = broker.last_tick(name)
            if tick is not None:
                self.portfolio.on_tick(tick)
                self.frames.add_quote(tick)
        self._recover(broker, info)
        self._sync_portfolio()
        self._out.symbols(tuple(specs.values()))
        mode = "hedging" if info.hedging else "netting"
        self._say(
            LogLevel.INFO,
            f"Connected to {info.name} ({info.server}), account {info.account}, "
            f"{info.currency}, leverage 1:{info.leverage}, {mode}",
        )
        self._report_broker_notes(info)
        self._out.connection(ConnectionState(ConnectionStatus.CONNECTED, info.name, info.server))
        return True

    def disconnect(self) -> None:
        if self._broker is not None:
            try:
                self._broker.disconnect()
            except BrokerError as exc:
                log.warning("broker disconnect failed: %s", exc)
            name = self.info.name if self.info else ""
            self._broker = None
            self._out.connection(ConnectionState(ConnectionStatus.DISCONNECTED, name, "stopped"))

    # -- market data ----------------------------------------------------------------
    def poll(self) -> int:
        """Take everything new from the broker; returns the number of ticks seen."""
        if self._down_reason is not None:
            self._try_reconnect()
            return 0
        if self._broker is None or self.portfolio is None:
            return 0
        try:
            events = self._broker.poll()
        except TransientBrokerError as exc:
            self._connection_lost(str(exc))
            return 0
        except BrokerError as exc:
            self._broker_problem(str(exc))
            return 0
        for notice in events.notices:
            self._out.log(notice)
        portfolio, frames, gate, specs = self.portfolio, self.frames, self.gate, self.specs
        market_data = self.market_data
        for tick in events.ticks:
            portfolio.on_tick(tick)
            spec = specs.get(tick.symbol)
            if spec is not None:
                gate.on_tick(tick, spec)
            frames.add_tick(tick)
            market_data.on_tick(tick)
            for listener in self.tick_listeners:
                listener(tick)
        for update in events.order_updates:
            self._journal(lambda j: j.record_order_update(update))  # noqa: B023 - runs at once
            self._out.order(update)
            self._log_update(update)
        for fill in events.fills:
            self._journal(lambda j: j.record_fill(fill))  # noqa: B023 - runs at once
            self._publish_fill(fill)
        if events.order_updates or events.fills or events.state_changed:
            self._sync_portfolio()
        elif events.ticks:
            self._watch_equity()
        return len(events.ticks)

    def next_frame(self) -> MarketFrame | None:
        """The conflated state since the last frame, if the previous one was consumed."""
        portfolio = self.portfolio
        if portfolio is not None and not self.frames.in_flight and portfolio.changed:
            orders = portfolio.orders if portfolio.orders_changed else None
            self.frames.set_portfolio(portfolio.account(), portfolio.positions, orders)
            portfolio.changed = portfolio.orders_changed = False
        if self._risk is not None and not self.frames.in_flight and self._risk_snapshot_due():
            snapshot = self.gate.snapshot(self._risk)
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
        self._risk_due = True  # whatever the trader did shows on the panel in this frame
        match command:
            case SubmitOrder(request=request):
                self.submit(request)
            case ClosePosition():
                self.close_position(command)
            case CancelOrder():
                self.cancel_order(command)
            case ModifyPosition():
                self.modify_position(command)
            case ModifyOrder():
                self.modify_order(command)
            case ReversePosition():
                self.reverse_position(command)
            case CloseBy():
                self.close_by(command)
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
                self._say(LogLevel.ERROR, f"Unknown command {command!r} ignored")

    def submit(self, request: OrderRequest) -> None:
        self._update(request, OrderStatus.PENDING_NEW)
        self._say(LogLevel.INFO, f"Order {_describe(request, self.specs)} sent", request.client_id)
        if self._down_reason is not None:
            self._reject(request, f"Not connected to the broker: {self._down_reason}")
            return
        reason = self._pre_trade_problem(request)
        if reason is not None:
            self._reject(request, reason)
            return
        assert self._broker is not None
        if not self._journal_intent(request):
            return
        broker = self._broker
        self._execute(request, lambda: broker.submit(request))

    def _execute(self, request: OrderRequest, call: Callable[[], ExecutionReport]) -> None:
        """Make one broker call for ``request`` and settle the order from what happens.

        The one place where broker errors become outcomes: a lost answer stays
        unknown until the broker is asked, a transient error refuses and marks the
        link down, a broker refusal is a rejection in its words, and anything
        unexpected may have reached the broker, so it is journaled as unknown.
        """
        try:
            report = call()
        except OutcomeUnknownError as exc:
            self._outcome_unknown(request, str(exc))
            return
        except TransientBrokerError as exc:
            self._reject(request, f"Not sent: {exc}")
            self._connection_lost(str(exc))
            return
        except BrokerError as exc:
            self._reject(request, str(exc))
            return
        except Exception as exc:
            log.exception("broker call failed for %s", request.client_id)
            self._reject(
                request, f"internal error while sending ({exc}); check positions before retrying"
            )
            why = f"internal error: {exc}"  # the next start asks the broker what became of it
            self._journal(lambda j: j.mark_unknown(request.client_id, why))
            self._sync_portfolio()
            return
        self._apply(request, report)

    def close_position(self, command: ClosePosition) -> None:
        client_id = command.client_id or new_client_id()
        if self._down_reason is not None:
            self._say(
                LogLevel.WARNING,
                f"Close #{command.ticket} refused: Not connected to the broker: "
                f"{self._down_reason}",
                client_id,
            )
            return
        position = self.portfolio.position(command.ticket) if self.portfolio else None
        if position is None or self._broker is None:
            self._say(
                LogLevel.WARNING,
                f"Close #{command.ticket} refused: no such open position",
                client_id,
            )
            return
        request = OrderRequest(
            client_id=client_id,
            symbol=position.symbol,
            side=position.side.opposite,
            volume=command.volume if command.volume is not None else position.volume,
            comment=f"close #{position.ticket}",
            source=command.source,
        )
        self._update(request, OrderStatus.PENDING_NEW)
        self._say(
            LogLevel.INFO,
            f"Close position #{position.ticket} ({request.volume:g} lots) sent",
            client_id,
        )
        refused = self.gate.check_close(position, command.volume)
        if refused is not None:
            self._reject(request, refused.message)
            return
        if not self._journal_intent(request, "close", position.ticket):
            return
        broker = self._broker
        self._execute(
            request, lambda: broker.close_position(command.ticket, command.volume, client_id)
        )

    def cancel_order(self, command: CancelOrder) -> None:
        client_id = command.client_id or new_client_id()
        if self._broker is None or self._down_reason is not None:
            why = f": {self._down_reason}" if self._down_reason else ""
            self._say(
                LogLevel.WARNING,
                f"Cancel #{command.ticket} refused: Not connected to the broker{why}",
                client_id,
            )
            return
        orders = self.portfolio.orders if self.portfolio else ()
        order = next((o for o in orders if o.ticket == command.ticket), None)
        try:
            report = self._broker.cancel_order(command.ticket)
        except TransientBrokerError as exc:
            self._say(LogLevel.WARNING, f"Cancel #{command.ticket} failed: {exc}", client_id)
            self._connection_lost(str(exc))
            return
        except BrokerError as exc:
            self._say(LogLevel.WARNING, f"Cancel #{command.ticket} failed: {exc}", client_id)
            return
        if report.status is OrderStatus.CANCELLED:
            self._journal(lambda j: j.record_cancelled(command.ticket))
            self._say(LogLevel.INFO, f"Order #{command.ticket} cancelled", client_id)
            if order is not None:  # the order's own story ends under its own client id
                self._out.order(_order_update(order, OrderStatus.CANCELLED, command.source))
        else:
            self._say(
                LogLevel.WARNING, f"Cancel #{command.ticket} refused: {report.reason}", client_id
            )
        self._sync_portfolio()

    def send_history(self, symbol: str, timeframe: Timeframe, watcher: str = "") -> None:
        """The broker's bars plus those built live, ending with the forming bar.

        With a ``watcher`` (a chart), frames then carry this pair's forming bar.
        """
        if self._broker is None or symbol not in self.specs:
            self._say(LogLevel.WARNING, f"No chart history for {symbol}: unknown symbol")
            return
        rates = self._broker.history(symbol, timeframe, HISTORY_BARS)
        self._out.history(self.market_data.history(symbol, timeframe, rates))
        if watcher:
            self.market_data.watch(watcher, [(symbol, timeframe)])

    # -- the order road -------------------------------------------------------------
    def _pre_trade_problem(self, request: OrderRequest) -> str | None:
        if self._broker is None or self.portfolio is None:
            return "Not connected to the broker"
        spec = self.specs.get(request.symbol)
        if spec is None:
            return f"Unknown symbol {request.symbol}"
        problems = order_problems(request, spec, self.portfolio.quotes.get(request.symbol))
        if problems:
            return "; ".join(problems)
        assert self._risk is not None
        refused = self.gate.admit(request, self._risk)
        if refused is None:
            return None
        if refused.rule is not RiskRule.TRADING_STATE:
            self._out.risk(
                RiskBreach(refused.rule, refused.message, request.symbol, False, request.client_id)
            )
        return refused.message

    def _apply(self, request: OrderRequest, report: ExecutionReport) -> None:
        if report.status is OrderStatus.REJECTED:
            self._reject(request, report.reason or "rejected by the broker")
            return
        self._journal_result(request, report)
        self._update(
            request,
            report.status,
            filled=report.filled_volume,
            price=report.price,
            ticket=report.broker_ticket,
            reason=report.reason,
        )
        if report.status is OrderStatus.WORKING:
            spec = self.specs.get(request.symbol)
            price = spec.format_price(report.price) if spec and report.price else "?"
            self._say(
                LogLevel.INFO,
                f"Order #{report.broker_ticket} {request.side} {request.order_type} "
                f"placed at {price}",
                request.client_id,
            )
        for fill in report.fills:
            self._publish_fill(fill)
        self._sync_portfolio()

    def _reject(self, request: OrderRequest, reason: str) -> None:
        self._journal(lambda j: j.record_rejection(request, reason))
        self._update(request, OrderStatus.REJECTED, reason=reason)
        self._say(LogLevel.WARNING, f"Rejected: {reason}", request.client_id)

    def _publish_fill(self, fill: Fill) -> None:
        if self.portfolio is not None:
            self.portfolio.on_fill(fill)
        self._out.fill(fill)
        spec = self.specs.get(fill.symbol)
        price = spec.format_price(fill.price) if spec else f"{fill.price:g}"
        volume = spec.format_volume(fill.volume) if spec else f"{fill.volume:g}"
        if fill.closes_position:
            why = f" by {fill.reason}" if fill.reason not in ("", "client") else ""
            currency = self.info.currency if self.info else ""
            text = (
                f"Closed{why}: position #{fill.position_ticket} {volume} {fill.symbol} at {price}, "
                f"P&L {fill.realized_pnl:+,.2f} {currency}"
            )
        else:
            text = (
                f"Filled: {fill.side} {volume} {fill.symbol} at {price} "
                f"(position #{fill.position_ticket})"
            )
        self._say(LogLevel.INFO, text, fill.client_id or None)

    def _update(
        self,
        request: OrderRequest,
        status: OrderStatus,
        *,
        filled: float = 0.0,
        price: float | None = None,
        ticket: int | None = None,
        reason: str = "",
    ) -> None:
        self._out.order(
            OrderUpdate.of_request(
                request, status, filled=filled, price=price, ticket=ticket, reason=reason
            )
        )

    def _log_update(self, update: OrderUpdate) -> None:
        level = LogLevel.WARNING if update.status is OrderStatus.REJECTED else LogLevel.INFO
        ticket = f"#{update.broker_ticket} " if update.broker_ticket else ""
        self._say(
            level,
            f"Order {ticket}{update.status.replace('_', ' ')}: {update.reason}",
            update.client_id,
        )

    def _sync_portfolio(self) -> None:
        if self._broker is None or self.portfolio is None:
            return
        broker = self._broker
        try:
            account = broker.account()
            positions, orders = broker.positions(), broker.working_orders()
        except TransientBrokerError as exc:
            self._connection_lost(str(exc))
            return
        except BrokerError as exc:
            self._broker_problem(str(exc))
            return
        self.portfolio.sync(account, positions, orders)
        self._risk_due = True
        if self.journal is not None:
            self.journal.snapshot_account(account)  # batched, off the order path
        if self._risk is not None:
            self._risk.book = Book.build(self.portfolio.positions, self.portfolio.orders)
        self._watch_equity()

    # -- reverse and close-by --------------------------------------------------------
    def reverse_position(self, command: ReversePosition) -> None:
        """Close a position, then open the opposite side with its volume: one story.

        Every event of both legs carries the command's client id. The opening leg is
        checked (validation, risk) before the closing leg is sent, so a reverse that
        would be refused leaves the position as it was. At the broker and in the
        journal the closing leg has its own id (the command's id + "-x"), because
        crash recovery looks each broker order up by its id.
        """
        client_id = command.client_id or new_client_id()
        position = self.portfolio.position(command.ticket) if self.portfolio else None
        if position is None or self._broker is None:
            self._say(
                LogLevel.WARNING,
                f"Reverse #{command.ticket} refused: no such open position",
                client_id,
            )
            return
        ticket = position.ticket
        request = OrderRequest(
            client_id=client_id,
            symbol=position.symbol,
            side=position.side.opposite,
            volume=position.volume,
            comment=f"reverse #{ticket}",
            source=command.source,
        )
        self._update(request, OrderStatus.PENDING_NEW)
        self._say(
            LogLevel.INFO,
            f"Reverse position #{ticket} sent: close it, then {_describe(request, self.specs)}",
            client_id,
        )
        if self._down_reason is not None:
            self._reject(request, f"Not connected to the broker: {self._down_reason}")
            return
        refused = self.gate.check_close(position, None)
        problem = refused.message if refused else self._pre_trade_problem(request)
        if problem is not None:
            self._reject(request, f"Reverse refused, position #{ticket} kept: {problem}")
            return
        close_request = replace(request, client_id=f"{client_id}-x", comment=f"close #{ticket}")
        if not self._journal_intent(close_request, "close", ticket):
            self._reject(request, "Reverse refused: the journal could not record it")
            return
        try:
            closed = self._broker.close_position(ticket, None, close_request.client_id)
        except OutcomeUnknownError as exc:
            self._outcome_unknown(close_request, str(exc))
            self._reject(request, f"Reverse stopped: the close of #{ticket} is unconfirmed")
            return
        except BrokerError as exc:
            refusal = str(exc)
            self._journal(lambda j: j.record_rejection(close_request, refusal))
            self._reject(request, f"Reverse refused, position #{ticket} kept: {exc}")
            if isinstance(exc, TransientBrokerError):
                self._connection_lost(str(exc))
            return
        if closed.status is OrderStatus.REJECTED:
            reason = closed.reason or "rejected by the broker"
            self._journal(lambda j: j.record_rejection(close_request, reason))
            self._reject(request, f"Reverse refused, position #{ticket} kept: {reason}")
            return
        self._journal_result(close_request, closed)
        for fill in closed.fills:
            self._publish_fill(replace(fill, client_id=client_id))
        self._sync_portfolio()
        self._send_opening_leg(request, ticket)

    def _send_opening_leg(self, request: OrderRequest, closed_ticket: int) -> None:
        assert self._broker is not None
        prefix = f"Position #{closed_ticket} closed, but the opposite order failed"
        if not self._journal_intent(request):
            return
        try:
            report = self._broker.submit(request)
        except OutcomeUnknownError as exc:
            self._outcome_unknown(request, str(exc))
            return
        except BrokerError as exc:
            self._reject(request, f"{prefix}: {exc}")
            return
        if report.status is OrderStatus.REJECTED:
            self._reject(request, f"{prefix}: {report.reason or 'rejected by the broker'}")
            self._sync_portfolio()
            return
        self._apply(request, report)

    def close_by(self, command: CloseBy) -> None:
        """Close a position against an opposite one of the same symbol (hedging)."""
        client_id = command.client_id or new_client_id()
        what = f"Close #{command.ticket} by #{command.opposite_ticket}"
        portfolio = self.portfolio
        first = portfolio.position(command.ticket) if portfolio else None
        other = portfolio.position(command.opposite_ticket) if portfolio else None
        if first is None or other is None or self._broker is None:
            self._say(LogLevel.WARNING, f"{what} refused: no such open positions", client_id)
            return
        request = OrderRequest(
            client_id=client_id,
            symbol=first.symbol,
            side=first.side.opposite,
            volume=min(first.volume, other.volume),
            comment=f"close #{first.ticket} by #{other.ticket}",
            source=command.source,
        )
        self._update(request, OrderStatus.PENDING_NEW)
        self._say(LogLevel.INFO, f"{what} sent", client_id)
        if self._down_reason is not None:
            self._reject(request, f"Not connected to the broker: {self._down_reason}")
            return
        if first.symbol != other.symbol or first.side is other.side:
            self._reject(request, f"#{other.ticket} is not an opposite {first.symbol} position")
            return
        if not self._journal_intent(request, "close", first.ticket):
            return
        broker = self._broker
        self._execute(request, lambda: broker.close_by(first.ticket, other.ticket, client_id))

    # -- modifying positions and orders ---------------------------------------------
    def modify_position(self, command: ModifyPosition) -> None:
        client_id = command.client_id or new_client_id()
        what = f"Modify position #{command.ticket}"
        position = self.portfolio.position(command.ticket) if self.portfolio else None
        if position is None:
            self._say(LogLevel.WARNING, f"{what} refused: no such open position", client_id)
            return
        probe = OrderRequest(
            client_id,
            position.symbol,
            position.side,
            position.volume,
            sl=command.sl,
            tp=command.tp,
            source=command.source,
        )
        report = self._modify(
            what, probe, lambda b: b.modify_position(command.ticket, command.sl, command.tp)
        )
        if report is not None:
            self._say(
                LogLevel.INFO,
                f"Position #{command.ticket}: {_levels(probe, self.specs)}",
                client_id,
            )

    def modify_order(self, command: ModifyOrder) -> None:
        client_id = command.client_id or new_client_id()
        what = f"Modify order #{command.ticket}"
        orders = self.portfolio.orders if self.portfolio else ()
        order = next((o for o in orders if o.ticket == command.ticket), None)
        if order is None:
            self._say(LogLevel.WARNING, f"{what} refused: no such working order", client_id)
            return
        probe = OrderRequest(
            client_id,
            order.symbol,
            order.side,
            order.volume,
            order.order_type,
            price=command.price,
            stop_limit=order.stop_limit,
            sl=command.sl,
            tp=command.tp,
            source=command.source,
        )
        report = self._modify(
            what,
            probe,
            lambda b: b.modify_order(command.ticket, command.price, command.sl, command.tp),
        )
        if report is not None:
            self._say(
                LogLevel.INFO, f"Order #{command.ticket}: {_levels(probe, self.specs)}", client_id
            )

    def _modify(
        self, what: str, probe: OrderRequest, call: Callable[[Broker], ExecutionReport]
    ) -> ExecutionReport | None:
        """Check the new levels like an order's, then ask the broker; ``None`` if refused."""
        problem = None
        if self._down_reason is not None:
            problem = f"Not connected to the broker: {self._down_reason}"
        elif self._broker is None:
            problem = "Not connected to the broker"
        else:
            spec = self.specs.get(probe.symbol)
            quote = self.portfolio.quotes.get(probe.symbol) if self.portfolio else None
            found = order_problems(probe, spec, quote) if spec else [f"Unknown {probe.symbol}"]
            problem = "; ".join(found) or None
        if problem is None and self._broker is not None:
            try:
                report = call(self._broker)
            except TransientBrokerError as exc:
                problem = str(exc)
                self._connection_lost(problem)
            except BrokerError as exc:
                problem = str(exc)
            else:
                self._sync_portfolio()
                if report.status is not OrderStatus.REJECTED:
                    return report
                problem = report.reason or "rejected by the broker"
        self._say(LogLevel.WARNING, f"{what} refused: {problem}", probe.client_id)
        return None

    # -- connection loss and reconnect ----------------------------------------------
    def _connection_lost(self, reason: str) -> None:
        """A broker call found the link gone: say so, refuse orders, schedule a retry."""
        first = self._down_reason is None
        self._down_reason = reason
        delay = self.reconnect.failed()
        name = self.info.name if self.info else ""
        self._out.connection(ConnectionState(ConnectionStatus.DISCONNECTED, name, reason))
        if first:
            self._say(
                LogLevel.WARNING,
                f"Connection to the broker lost: {reason}. New orders are refused until it "
                f"is back; reconnecting in {delay:.1f} s",
            )
        else:
            self._say(
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
        if self._broker is None:  # never connected yet: the whole first connect again
            self.connect()
            return
        name = self.info.name if self.info else ""
        self._out.connection(
            ConnectionState(ConnectionStatus.CONNECTING, name, f"reconnecting, attempt {attempt}")
        )
        try:
            info = self._broker.connect()
        except BrokerError as exc:
            self._connection_lost(str(exc))
            return
        self._down_reason = None
        self.reconnect.reset()
        self.info = info
        self._say(
            LogLevel.INFO,
            f"Reconnected to {info.name} ({info.server}) after {attempt} attempt(s); "
            "positions, orders and the account re-read",
        )
        self._report_broker_notes(info)
        self._resolve_unknown()
        self._sync_portfolio()
        if self._down_reason is None:
            self._out.connection(
                ConnectionState(ConnectionStatus.CONNECTED, info.name, info.server)
            )

    def _outcome_unknown(self, request: OrderRequest, reason: str) -> None:
        """Sent, but the answer was lost: keep it open, and ask before anything else."""
        self._unknown[request.client_id] = request
        self._journal(lambda j: j.mark_unknown(request.client_id, reason))
        self._say(LogLevel.WARNING, f"Outcome unknown: {reason}", request.client_id)
        self._connection_lost("the terminal stopped answering")

    def _resolve_unknown(self) -> None:
        """After reconnecting, learn from the broker what became of lost-answer orders."""
        for client_id, request in list(self._unknown.items()):
            assert self._broker is not None
            try:
                report = self._broker.order_outcome(client_id)
            except BrokerError as exc:
                self._say(LogLevel.WARNING, f"Still unknown: {exc}", client_id)
                continue
            del self._unknown[client_id]
            if report is None:
                self._reject(request, "Not executed: the broker has no trace of it")
                continue
            self._say(
                LogLevel.INFO,
                f"Checked with the broker: the order was {report.status.replace('_', ' ')}",
                client_id,
            )
            self._apply(request, report)

    def _report_broker_notes(self, info: BrokerInfo) -> None:
        for fact in info.facts:
            self._say(LogLevel.INFO, fact)
        for warning in info.warnings:
            self._say(LogLevel.WARNING, warning)

    def _broker_problem(self, message: str) -> None:
        """A broker error that is not a lost link; said once, not on every poll."""
        if message != self._last_problem:
            self._last_problem = message
            self._say(LogLevel.WARNING, message)

    # -- risk: trading states, the kill switch, limits -------------------------------
    def halt(self, command: Halt) -> None:
        """The kill switch: HALTED at once; with ``flatten``, cancel and close everything."""
        reason = command.reason or "kill switch"
        changed = self.gate.halt(reason, command.source)
        if changed is not None:
            self._out.risk(changed)
        if command.flatten:
            self.cancel_all(None, command.source)
            self.close_all(None, command.source)

    def resume(self, source: OrderSource) -> None:
        changed = self.gate.resume(source)
        if changed is None:
            self._say(LogLevel.INFO, "Trading is already ACTIVE", source="risk")
            return
        self._out.risk(changed)

    def close_all(self, symbol: str | None, source: OrderSource) -> None:
        positions = self.portfolio.positions if self.portfolio else ()
        chosen = [p for p in positions if symbol is None or p.symbol == symbol]
        if not chosen:
            where = f" in {symbol}" if symbol else ""
            self._say(LogLevel.INFO, f"Close all: no open positions{where}")
            return
        for position in chosen:
            self.close_position(ClosePosition(position.ticket, source=source))

    def cancel_all(self, symbol: str | None, source: OrderSource) -> None:
        orders = self.portfolio.orders if self.portfolio else ()
        for order in orders:
            if symbol is None or order.symbol == symbol:
                self.cancel_order(CancelOrder(order.ticket, source=source))

    def update_risk_limits(self, command: UpdateRiskLimits) -> None:
        """Audited change of the limits; loosening is refused while HALTED."""
        old, new = self.gate.limits, command.limits
        problems = new.problems()
        if problems:
            self._say(
                LogLevel.WARNING, f"Risk limits not changed: {'; '.join(problems)}", source="risk"
            )
            return
        if self.gate.state is TradingState.HALTED:
            looser = old.loosened(new)
            if looser:
                self._say(
                    LogLevel.WARNING,
                    f"Risk limits not changed: trading is HALTED, and this would loosen "
                    f"{', '.join(looser)}; resume trading first",
                    source="risk",
                )
                return
        changes = old.changes(new)
        if not changes:
            self._say(LogLevel.INFO, "Risk limits unchanged", source="risk")
            return
        self.gate.set_limits(new)
        self._say(
            LogLevel.WARNING,
            f"Risk limits changed by {command.source}: {'; '.join(changes)}",
            source="risk",
        )

    def _watch_equity(self) -> None:
        """Daily loss and drawdown against the latest equity; may halt trading."""
        if self.portfolio is None or self._risk is None:
            return
        account = self.portfolio.account()
        self._risk.account = account
        for fact in self.gate.on_equity(account.equity):
            self._risk_due = True
            self._out.risk(fact)

    # -- the journal: intent before the broker, outcome after ------------------------
    def _journal_intent(
        self, request: OrderRequest, action: str = "open", position_ticket: int | None = None
    ) -> bool:
        """Durably record that ``request`` is about to be sent; ``False`` refuses the order."""
        if self.journal is None:
            return True
        try:
            self.journal.record_intent(request, action=action, position_ticket=position_ticket)
        except StorageError as exc:
            self._update(request, OrderStatus.REJECTED, reason=str(exc))
            self._say(LogLevel.ERROR, f"Order not sent: {exc}", request.client_id)
            return False
        return True

    def _journal_result(self, request: OrderRequest, report: ExecutionReport) -> None:
        if self.journal is None:
            return
        try:
            record_report(self.journal, request.client_id, report)
        except StorageError as exc:
            self._say(
                LogLevel.ERROR,
                f"{exc}; the order is on record as sent and will be reconciled with the "
                f"broker at the next start",
                request.client_id,
            )

    def _journal(self, action: Callable[[Journal], object]) -> None:
        """Record a fact with ``action(journal)``; a failure is shown, never raised."""
        if self.journal is None:
            return
        try:
            action(self.journal)
        except StorageError as exc:
            self._say(LogLevel.ERROR, str(exc))

    def _recover(self, broker: Broker, info: BrokerInfo) -> None:
        """Settle orders the journal left unfinished (see ``recovery``); never resends."""
        if self.journal is None:
            return
        self.journal.account = f"{info.server}/{info.account}"
        try:
            result = reconcile(self.journal, broker, lambda lvl, msg, cid: self._say(lvl, msg, cid))
        except StorageError as exc:
            self._say(LogLevel.ERROR, f"Recovery could not finish: {exc}")
            return
        level = LogLevel.WARNING if result.unknown else LogLevel.INFO
        self._say(level, result.summary())
        self._restore_equity_marks()

    def _restore_equity_marks(self) -> None:
        """Today's starting equity and the equity peak come back from the journal."""
        assert self.journal is not None
        watch, limits = self.gate.watch, self.gate.limits
        try:
            day_start_equity, peak = self.journal.equity_marks(watch.day_start(limits))
        except StorageError as exc:
            self._say(LogLevel.ERROR, f"Could not restore today's starting equity: {exc}")
            return
        watch.restore(day_start_equity, peak, limits)
        if day_start_equity is not None:
            currency = self.info.currency if self.info else ""
            self._say(
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
        self._out.trade_history(history)

    def _say(
        self,
        level: LogLevel,
        message: str,
        client_id: str | None = None,
        *,
        source: str = "engine",
    ) -> None:
        self._out.log(LogEvent(level=level, source=source, message=message, client_id=client_id))


def _order_update(order: WorkingOrder, status: OrderStatus, source: OrderSource) -> OrderUpdate:
    """A working order's end (cancelled), told under the client id it was sent with."""
    return OrderUpdate.of_order(
        order, status, source=source, price=order.price, reason=f"{status} by {source}"
    )


def _describe(request: OrderRequest, specs: dict[str, SymbolSpec]) -> str:
    spec = specs.get(request.symbol)
    fmt = spec.format_price if spec else (lambda p: f"{p:g}")
    parts = [str(request.side), f"{request.volume:g}", request.symbol]
    if request.order_type is not OrderType.MARKET and request.price is not None:
        parts += [str(request.order_type), fmt(request.price)]
    if request.sl is not None:
        parts += ["sl", fmt(request.sl)]
    if request.tp is not None:
        parts += ["tp", fmt(request.tp)]
    if request.source is not OrderSource.TICKET:
        parts.append(f"(from {request.source})")
    return " ".join(parts)


def _levels(request: OrderRequest, specs: dict[str, SymbolSpec]) -> str:
    """'price 1.08000, stop loss 1.07000, take profit none' for the event log."""
    spec = specs.get(request.symbol)
    fmt = spec.format_price if spec else (lambda p: f"{p:g}")
    price = request.price if request.order_type.is_pending else None
    parts = [f"price {fmt(price)}"] if price else []
    parts.append(f"stop loss {fmt(request.sl) if request.sl else 'none'}")
    parts.append(f"take profit {fmt(request.tp) if request.tp else 'none'}")
    return ", ".join(parts)
