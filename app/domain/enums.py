"""Enumerations shared by events and commands."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: multiplies price moves into profit."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stoplimit"

    @property
    def is_pending(self) -> bool:
        return self is not OrderType.MARKET


class TimeInForce(StrEnum):
    """How long a pending order rests (MT5's ORDER_TIME_GTC / _DAY / _SPECIFIED)."""

    GTC = "gtc"  # until cancelled
    DAY = "day"  # until the end of the trading day
    SPECIFIED = "specified"  # until ``expiration_msc``


class OrderStatus(StrEnum):
    """Life of one client order, from the command to its end."""

    PENDING_NEW = "pending_new"  # accepted by the engine, not yet confirmed by the broker
    WORKING = "working"  # a pending order resting at the broker
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    # A request that changes an existing order or position (a cancel, new SL/TP or
    # price) was carried out; the order or position itself goes on.
    DONE = "done"
    # The journal has the intent but neither it nor the broker can say what became of it
    # (recovery could not look it up). Never resent automatically; shown to the user.
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
        OrderStatus.EXPIRED,
        OrderStatus.DONE,
    }
)


class OrderSource(StrEnum):
    """Where a command came from; journaled with every order.

    From the window: the ticket, a chart line, a table, a menu item, its hotkey,
    a panel's button (the risk panel's HALT) or the toolbar (its HALT).
    """

    TICKET = "ticket"
    CHART = "chart"
    TABLE = "table"
    MENU = "menu"
    HOTKEY = "hotkey"
    PANEL = "panel"
    TOOLBAR = "toolbar"
    TELEGRAM = "telegram"
    STRATEGY = "strategy"
    ALERT = "alert"  # an alert's order action (only with the trader's opt-in)
    SYSTEM = "system"


class LogLevel(IntEnum):
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40

    @property
    def label(self) -> str:
        return self.name.capitalize()


class TradingState(StrEnum):
    """What the risk gate lets through (NautilusTrader's model).

    ACTIVE: everything that passes the rules. REDUCING: only orders that reduce
    exposure. HALTED: only closes and cancels. Leaving HALTED is always explicit.
    """

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class ConnectionStatus(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
