"""TradingCore: the engine's logic in plain Python, driven by the engine thread.

Everything that decides something lives here: connecting, turning broker events
into facts and state, and taking each order down its one road (command → checks
→ broker → result → events). The Qt ``Engine`` only gives it a thread, timers
and a bus to speak on, so the core is tested without a QApplication.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

import numpy as np

from app.brokers.base import Broker, BrokerError, BrokerInfo, ExecutionReport
from app.domain.bars import BarBuilder
from app.domain.commands import (
    CancelOrder,
    ClosePosition,
    Command,
    RequestHistory,
    SubmitOrder,
    new_client_id,
)
from app.domain.enums import ConnectionStatus, LogLevel, OrderSource, OrderStatus, OrderType
from app.domain.events import (
    Bar,
    BarHistory,
    ConnectionState,
    Fill,
    LogEvent,
    MarketFrame,
    OrderRequest,
    OrderUpdate,
)
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.validation import order_problems
from app.engine.conflation import FrameBuilder
from app.engine.portfolio import Portfolio

log = logging.getLogger(__name__)

HISTORY_BARS = 100_000  # bars asked of the broker per chart history request


class Publisher(Protocol):
    """Where the core's facts go; the Qt engine forwards each to a bus signal."""

    def order(self, update: OrderUpdate) -> None: ...
    def fill(self, fill: Fill) -> None: ...
    def log(self, event: LogEvent) -> None: ...
    def connection(self, state: ConnectionState) -> None: ...
    def history(self, history: BarHistory) -> None: ...
    def symbols(self, specs: tuple[SymbolSpec, ...]) -> None: ...


class TradingCore:
    """Owns the broker. Every method runs on the engine thread."""

    def __init__(self, broker_factory: Callable[[], Broker], publisher: Publisher) -> None:
        self._broker_factory = broker_factory
        self._out = publisher
        self._broker: Broker | None = None
        self.info: BrokerInfo | None = None
        self.specs: dict[str, SymbolSpec] = {}
        self.portfolio: Portfolio | None = None
        self.frames = FrameBuilder()
        self._bars: dict[str, BarBuilder] = {}
        self.tick_listeners: list[Callable[[object], None]] = []

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
        except (BrokerError, ValueError) as exc:
            self._say(LogLevel.ERROR, f"Could not connect to the broker: {exc}")
            self._out.connection(ConnectionState(ConnectionStatus.DISCONNECTED, "", str(exc)))
            return False
        self._broker, self.info, self.specs = broker, info, specs
        self.portfolio = Portfolio(specs, info.currency, info.leverage)
        for name in specs:
            self._bars[name] = BarBuilder(name, Timeframe.M1, self._last_history_bar(name))
            tick = broker.last_tick(name)
            if tick is not None:
                self.portfolio.on_tick(tick)
                self.frames.add_quote(tick)
        self._sync_portfolio()
        self._out.symbols(tuple(specs.values()))
        mode = "hedging" if info.hedging else "netting"
        self._say(
            LogLevel.INFO,
            f"Connected to {info.name} ({info.server}), account {info.account}, "
            f"{info.currency}, leverage 1:{info.leverage}, {mode}",
        )
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

    def _last_history_bar(self, symbol: str) -> Bar | None:
        assert self._broker is not None
        rates = self._broker.history(symbol, Timeframe.M1, 1)
        if len(rates) == 0:
            return None
        r = rates[-1]
        return Bar(
            symbol,
            Timeframe.M1,
            int(r["time"]),
            float(r["open"]),
            float(r["high"]),
            float(r["low"]),
            float(r["close"]),
            float(r["tick_volume"]),
        )

    # -- market data ----------------------------------------------------------------
    def poll(self) -> int:
        """Take everything new from the broker; returns the number of ticks seen."""
        if self._broker is None or self.portfolio is None:
            return 0
        events = self._broker.poll()
        portfolio, frames = self.portfolio, self.frames
        for tick in events.ticks:
            portfolio.on_tick(tick)
            frames.add_tick(tick)
            builder = self._bars.get(tick.symbol)
            if builder is not None:
                frames.add_bar(builder.on_tick(tick)[0])
            for listener in self.tick_listeners:
                listener(tick)
        for update in events.order_updates:
            self._out.order(update)
            self._log_update(update)
        for fill in events.fills:
            self._publish_fill(fill)
        if events.order_updates or events.fills:
            self._sync_portfolio()
        return len(events.ticks)

    def next_frame(self) -> MarketFrame | None:
        """The conflated state since the last frame, if the previous one was consumed."""
        portfolio = self.portfolio
        if portfolio is not None and not self.frames.in_flight and portfolio.changed:
            orders = portfolio.orders if portfolio.orders_changed else None
            self.frames.set_portfolio(portfolio.account(), portfolio.positions, orders)
            portfolio.changed = portfolio.orders_changed = False
        return self.frames.take()

    def frame_consumed(self, seq: int) -> None:
        self.frames.consumed(seq)

    # -- commands -------------------------------------------------------------------
    def handle(self, command: Command) -> None:
        match command:
            case SubmitOrder(request=request):
                self.submit(request)
            case ClosePosition():
                self.close_position(command)
            case CancelOrder():
                self.cancel_order(command)
            case RequestHistory(symbol=symbol, timeframe=timeframe):
                self.send_history(symbol, timeframe)
            case _:
                self._say(LogLevel.ERROR, f"Unknown command {command!r} ignored")

    def submit(self, request: OrderRequest) -> None:
        self._update(request, OrderStatus.PENDING_NEW)
        self._say(LogLevel.INFO, f"Order {_describe(request, self.specs)} sent", request.client_id)
        reason = self._pre_trade_problem(request)
        if reason is not None:
            self._reject(request, reason)
            return
        assert self._broker is not None
        try:
            report = self._broker.submit(request)
        except BrokerError as exc:
            self._reject(request, str(exc))
            return
        except Exception as exc:
            log.exception("broker.submit failed for %s", request.client_id)
            self._reject(
                request, f"internal error while sending ({exc}); check positions before retrying"
            )
            self._sync_portfolio()
            return
        self._apply(request, report)

    def close_position(self, command: ClosePosition) -> None:
        client_id = command.client_id or new_client_id()
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
        try:
            report = self._broker.close_position(command.ticket, command.volume, client_id)
        except BrokerError as exc:
            self._reject(request, str(exc))
            return
        self._apply(request, report)

    def cancel_order(self, command: CancelOrder) -> None:
        client_id = command.client_id or new_client_id()
        if self._broker is None:
            self._say(
                LogLevel.WARNING, f"Cancel #{command.ticket} refused: not connected", client_id
            )
            return
        try:
            report = self._broker.cancel_order(command.ticket)
        except BrokerError as exc:
            self._say(LogLevel.WARNING, f"Cancel #{command.ticket} failed: {exc}", client_id)
            return
        if report.status is OrderStatus.CANCELLED:
            self._say(LogLevel.INFO, f"Order #{command.ticket} cancelled", client_id)
        else:
            self._say(
                LogLevel.WARNING, f"Cancel #{command.ticket} refused: {report.reason}", client_id
            )
        self._sync_portfolio()

    def send_history(self, symbol: str, timeframe: Timeframe) -> None:
        if self._broker is None or symbol not in self.specs:
            self._say(LogLevel.WARNING, f"No chart history for {symbol}: unknown symbol")
            return
        rates = self._broker.history(symbol, timeframe, HISTORY_BARS)
        time = rates["time"].astype(np.int64)
        columns = [
            rates[c].astype(np.float64) for c in ("open", "high", "low", "close", "tick_volume")
        ]
        forming = self._bars.get(symbol)
        if timeframe is Timeframe.M1 and forming is not None and forming.current is not None:
            time, columns = _with_forming_bar(time, columns, forming.current)
        self._out.history(BarHistory(symbol, timeframe, time, *columns))

    # -- the order road -------------------------------------------------------------
    def _pre_trade_problem(self, request: OrderRequest) -> str | None:
        if self._broker is None or self.portfolio is None:
            return "Not connected to the broker"
        spec = self.specs.get(request.symbol)
        if spec is None:
            return f"Unknown symbol {request.symbol}"
        problems = order_problems(request, spec, self.portfolio.quotes.get(request.symbol))
        return "; ".join(problems) if problems else None

    def _apply(self, request: OrderRequest, report: ExecutionReport) -> None:
        if report.status is OrderStatus.REJECTED:
            self._reject(request, report.reason or "rejected by the broker")
            return
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
            OrderUpdate(
                client_id=request.client_id,
                status=status,
                symbol=request.symbol,
                side=request.side,
                volume=request.volume,
                order_type=request.order_type,
                filled_volume=filled,
                price=price,
                broker_ticket=ticket,
                reason=reason,
                source=request.source,
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
        self.portfolio.sync(broker.account(), broker.positions(), broker.working_orders())

    def _say(self, level: LogLevel, message: str, client_id: str | None = None) -> None:
        self._out.log(LogEvent(level=level, source="engine", message=message, client_id=client_id))


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


def _with_forming_bar(
    time: np.ndarray, columns: list[np.ndarray], bar: Bar
) -> tuple[np.ndarray, list[np.ndarray]]:
    """History with the engine's forming bar as its newest element."""
    values = (bar.open, bar.high, bar.low, bar.close, bar.volume)
    if len(time) and time[-1] == bar.time:
        columns = [c.copy() for c in columns]
        for column, value in zip(columns, values, strict=True):
            column[-1] = value
        return time, columns
    if len(time) and time[-1] > bar.time:
        return time, columns
    return np.append(time, bar.time), [
        np.append(c, v) for c, v in zip(columns, values, strict=True)
    ]
