"""Trading entities: what a client asks for and what the broker holds.

An ``OrderRequest`` is what any client (ticket, chart, Telegram, strategy) asks
the engine to send; ``OrderUpdate`` and ``Fill`` are the facts of its life;
``Position``, ``WorkingOrder`` and ``AccountState`` are the book as the broker
keeps it; ``HistoryOrder`` and ``TradeHistory`` are the journal read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.domain.enums import (
    OrderSource,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)

MANUAL = 0
"""``owner`` of what the trader did by hand (the ticket, the chart, the MT5 terminal)."""
EXTERNAL = -1
"""``owner`` of what another program placed at the broker (an MT5 Expert Advisor)."""

#: ``Fill.reason`` of a close the broker made on its own: the position's owner's doing.
BROKER_CLOSE_REASONS = frozenset({"stop loss", "take profit", "stop out", "sl", "tp"})
#: ``Fill.reason`` of a close the trader made at the broker, outside Tradeterm (MT5's
#: terminal, mobile app, web terminal): the trader's, whoever owns the position.
ELSEWHERE_CLOSE_REASONS = frozenset({"terminal", "mobile app", "web terminal"})


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
    # Who owns the order and what it opens, at the broker too (MT5: the magic
    # number): MANUAL, or the number of the strategy instance that sent it.
    owner: int = MANUAL


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
    owner: int = MANUAL

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
            owner=request.owner,
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
            owner=order.owner,
        )


@dataclass(frozen=True, slots=True)
class Fill:
    """A deal: volume that changed hands at a price.

    ``realized_pnl`` is what the deal added to the balance: the profit of a
    deal that closes (part of) a position, plus the deal's own ``commission``
    (0 or negative, account currency), as MetaTrader 5 books it per deal. An
    opening deal's ``realized_pnl`` is therefore its commission, 0 without one.
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
    owner: int = MANUAL  # the owner of the position the deal opened or closed
    commission: float = 0.0  # part of realized_pnl (see above)


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
    owner: int = MANUAL  # MANUAL, EXTERNAL, or a strategy instance's number


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
    owner: int = MANUAL


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
    owner: int = MANUAL  # MANUAL, EXTERNAL, or a strategy instance's number
    comment: str = ""  # the trader's or the strategy's own (the broker keeps the client id)


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
