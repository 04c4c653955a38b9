"""Events: immutable facts the engine publishes about the market and the account.

Two kinds travel from the engine to its clients:

* **Facts** that must all arrive, in order (order updates, fills, log lines,
  connection changes). Each is its own event.
* **State** where only the latest value matters (quotes, the forming bar,
  positions, the account). It is conflated into one ``MarketFrame`` per UI frame,
  so a burst of ticks can never build a backlog in the GUI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from app.domain.enums import (
    ConnectionStatus,
    LogLevel,
    OrderSource,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from app.domain.risk import RiskSnapshot
from app.domain.timeframes import Timeframe


def utc_from_msc(time_msc: int) -> datetime:
    return datetime.fromtimestamp(time_msc / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class Tick:
    """One quote change. ``time_msc`` is milliseconds since the epoch, UTC."""

    symbol: str
    time_msc: int
    bid: float
    ask: float
    last: float = 0.0
    volume: float = 0.0

    @property
    def time(self) -> datetime:
        return utc_from_msc(self.time_msc)

    @property
    def spread(self) -> float:
        return self.ask - self.bid

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class Bar:
    """One candle. ``time`` is the bar's open time in epoch seconds, UTC."""

    symbol: str
    timeframe: Timeframe
    time: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a client asks the engine to send. ``client_id`` is unique per command."""

    client_id: str
    symbol: str
    side: Side
    volume: float
    order_type: OrderType = OrderType.MARKET
    price: float | None = None  # entry price of a pending order
    stop_limit: float | None = None  # limit price of a stop-limit order
    sl: float | None = None
    tp: float | None = None
    comment: str = ""
    source: OrderSource = OrderSource.TICKET
    time_in_force: TimeInForce = TimeInForce.GTC  # pending orders only
    expiration_msc: int | None = None  # with TimeInForce.SPECIFIED: epoch ms, UTC


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A change in one client order's life; every one carries the ``client_id``."""

    client_id: str
    status: OrderStatus
    symbol: str
    side: Side
    volume: float
    order_type: OrderType = OrderType.MARKET
    filled_volume: float = 0.0
    price: float | None = None
    broker_ticket: int | None = None
    reason: str = ""
    source: OrderSource = OrderSource.TICKET

    @classmethod
    def of_request(
        cls,
        request: OrderRequest,
        status: OrderStatus,
        *,
        filled: float = 0.0,
        price: float | None = None,
        ticket: int | None = None,
        reason: str = "",
    ) -> OrderUpdate:
        """The next step in the life of ``request``: brokers and the engine build them alike."""
        return cls(
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

    @classmethod
    def of_order(
        cls,
        order: WorkingOrder,
        status: OrderStatus,
        *,
        source: OrderSource,
        filled: float = 0.0,
        price: float | None = None,
        reason: str = "",
    ) -> OrderUpdate:
        """The next step in the life of a working order (triggered, cancelled, expired)."""
        return cls(
            client_id=order.client_id,
            status=status,
            symbol=order.symbol,
            side=order.side,
            volume=order.volume,
            order_type=order.order_type,
            filled_volume=filled,
            price=price,
            broker_ticket=order.ticket,
            reason=reason,
            source=source,
        )


@dataclass(frozen=True, slots=True)
class Fill:
    """A deal: volume that changed hands at a price.

    ``realized_pnl`` is non-zero only for deals that close (part of) a position.
    """

    client_id: str
    deal_ticket: int
    position_ticket: int
    symbol: str
    side: Side
    volume: float
    price: float
    time_msc: int
    closes_position: bool = False
    realized_pnl: float = 0.0
    reason: str = ""  # e.g. "stop loss", "take profit", "client"


@dataclass(frozen=True, slots=True)
class Position:
    ticket: int
    symbol: str
    side: Side
    volume: float
    price_open: float
    price_current: float
    profit: float
    time_msc: int
    sl: float | None = None
    tp: float | None = None
    swap: float = 0.0
    comment: str = ""


@dataclass(frozen=True, slots=True)
class WorkingOrder:
    """A pending order resting at the broker."""

    ticket: int
    client_id: str
    symbol: str
    side: Side
    order_type: OrderType
    volume: float
    price: float
    time_msc: int
    sl: float | None = None
    tp: float | None = None
    stop_limit: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expiration_msc: int | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class AccountState:
    currency: str
    balance: float
    equity: float
    margin: float
    free_margin: float
    floating_pnl: float
    day_pnl: float
    leverage: int

    @property
    def margin_level(self) -> float | None:
        """Equity as a percentage of used margin; ``None`` with no margin in use."""
        return self.equity / self.margin * 100 if self.margin > 0 else None


@dataclass(frozen=True, slots=True)
class ConnectionState:
    status: ConnectionStatus
    broker: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LogEvent:
    level: LogLevel
    source: str
    message: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class BarHistory:
    """Closed and forming bars of one symbol, oldest first, as parallel columns.

    Columns are numpy arrays (time int64, open/high/low/close/volume float64);
    typed loosely here so the domain does not depend on numpy's typing.
    """

    symbol: str
    timeframe: Timeframe
    time: object
    open: object
    high: object
    low: object
    close: object
    volume: object


@dataclass(frozen=True, slots=True)
class MarketFrame:
    """Everything that changed since the last frame, latest value only.

    ``quotes`` and ``bars`` hold only symbols that changed; ``bars`` is keyed by
    ``(symbol, timeframe)`` and holds only the pairs clients watch (see
    ``RequestHistory`` and ``WatchBars``); ``positions``,
    ``orders``, ``account`` and ``risk`` are ``None`` when unchanged, else a full snapshot.
    ``tick_count`` counts every tick the engine saw since the previous frame.
    """

    seq: int
    quotes: Mapping[str, Tick]
    bars: Mapping[tuple[str, Timeframe], Bar]
    tick_count: int
    positions: tuple[Position, ...] | None = None
    orders: tuple[WorkingOrder, ...] | None = None
    account: AccountState | None = None
    risk: RiskSnapshot | None = None  # the risk gate's state and rule usage


@dataclass(frozen=True, slots=True)
class HistoryOrder:
    """One journaled order, as the trade history shows it."""

    client_id: str
    created: datetime
    symbol: str
    side: Side
    order_type: OrderType
    volume: float
    status: OrderStatus
    source: OrderSource
    action: str = "open"  # "open" a new order or "close" a position
    broker_ticket: int | None = None
    price: float | None = None
    sl: float | None = None
    tp: float | None = None
    filled_volume: float = 0.0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TradeHistory:
    """The engine's answer to ``RequestTradeHistory``: journaled orders and deals.

    ``start``/``end`` are UTC dates, both included. ``error`` is a sentence for the
    user when the journal could not answer (then the tuples are empty).
    """

    start: date
    end: date
    symbol: str | None
    orders: tuple[HistoryOrder, ...] = ()
    deals: tuple[Fill, ...] = ()
    error: str = ""
