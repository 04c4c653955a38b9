"""The contract every broker adapter honours, and the errors it raises.

The engine is the only caller, always from its own thread. Adapters return plain
domain objects; they never emit Qt signals or touch the GUI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from app.domain.enums import OrderStatus, Side
from app.domain.market import Tick
from app.domain.notices import LogEvent
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe

if TYPE_CHECKING:
    from app.settings import Settings
from app.domain.trading import AccountState, Fill, OrderRequest, OrderUpdate, Position, WorkingOrder

BrokerFactory = Callable[[], "Broker"]
"""Builds the broker; called once, inside the engine thread."""


class BrokerUnavailable(Exception):
    """The configured broker cannot run here; ``str()`` is one line for the user."""


@dataclass(frozen=True, slots=True)
class BrokerKind:
    """One kind of broker, as a broker package declares it for the registry."""

    name: str  # the value of ``[broker] kind``
    title: str  # one line a trader reads in the settings
    section: str  # the settings section it reads (``[sim]``, ``[mt5]``)
    build: Callable[[Settings], BrokerFactory]  # may raise BrokerUnavailable
    # What it can tell about the settings before it runs (``key: problem``), for the
    # start and the settings dialog alike.
    problem: Callable[[Settings], str | None] = lambda _settings: None
    # Its local files checked before the window opens: ``(notice, problem)``;
    # the flag asks for a fresh start (``--fresh-paper-account``).
    prepare: Callable[[Settings, bool], tuple[str | None, str | None]] = lambda _settings, _fresh: (
        None,
        None,
    )


class BrokerError(Exception):
    """A broker call failed; ``str(error)`` is a sentence for the trader."""


class TransientBrokerError(BrokerError):
    """Worth retrying after a pause: a timeout, a requote, a lost connection.

    On the order path it promises that the request was **not** executed (it never
    reached the broker). After the broker may have acted, raise
    ``OutcomeUnknownError`` instead, or report what is known (a DONE answer is
    FILLED even if the deal's details could not be read yet).
    """


class PermanentBrokerError(BrokerError):
    """Retrying will not help: the broker refused the request for a stated reason."""


class OutcomeUnknownError(TransientBrokerError):
    """A request was sent but its answer was lost with the connection: it may have
    executed. Ask ``order_outcome(client_id)`` after reconnecting; never resend blindly."""

    def __init__(self, message: str, client_id: str) -> None:
        super().__init__(message)
        self.client_id = client_id


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    name: str
    account: str
    server: str
    currency: str
    leverage: int
    hedging: bool
    # What the event log should say about the connection: facts (versions, the
    # account) and warnings the trader must act on (algo trading switched off).
    facts: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """The broker's answer to one request."""

    status: OrderStatus
    broker_ticket: int | None = None
    filled_volume: float = 0.0
    price: float | None = None
    reason: str = ""
    fills: tuple[Fill, ...] = ()


@dataclass(slots=True)
class BrokerEvents:
    """What happened at the broker on its own since the last poll (SL/TP, triggers)."""

    ticks: list[Tick] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    order_updates: list[OrderUpdate] = field(default_factory=list)
    # Positions or orders changed without a fill or order update we can name (an SL
    # moved in the MT5 terminal, an order placed from the phone): re-read the state.
    state_changed: bool = False
    # Sentences for the event log (requotes retried, trades made outside Tradeterm).
    notices: list[LogEvent] = field(default_factory=list)


@runtime_checkable
class Broker(Protocol):
    name: str

    def connect(self) -> BrokerInfo: ...

    def disconnect(self) -> None: ...

    def symbols(self) -> Sequence[SymbolSpec]: ...

    def history(self, symbol: str, timeframe: Timeframe, count: int) -> np.ndarray:
        """The last ``count`` bars, oldest first, as an array of ``RATES_DTYPE``."""
        ...

    def last_tick(self, symbol: str) -> Tick | None:
        """The latest quote of ``symbol``, or ``None`` if the broker has none yet."""
        ...

    def poll(self) -> BrokerEvents:
        """New ticks (every one, in order) and trade events since the previous poll."""
        ...

    def submit(self, request: OrderRequest) -> ExecutionReport: ...

    def close_position(
        self, ticket: int, volume: float | None, client_id: str
    ) -> ExecutionReport: ...

    def cancel_order(self, ticket: int) -> ExecutionReport: ...

    def modify_position(self, ticket: int, sl: float | None, tp: float | None) -> ExecutionReport:
        """Set (``None`` removes) a position's stop loss and take profit."""
        ...

    def modify_order(
        self, ticket: int, price: float, sl: float | None, tp: float | None
    ) -> ExecutionReport:
        """Move a working order's price, stop loss and take profit."""
        ...

    def close_by(self, ticket: int, opposite_ticket: int, client_id: str) -> ExecutionReport:
        """Close a position with an opposite one of the same symbol (hedging accounts)."""
        ...

    def order_outcome(self, client_id: str) -> ExecutionReport | None:
        """What became of the order sent with ``client_id``, asked of the broker itself;
        ``None`` if the broker never saw it. Used before anything is sent again after a
        request whose answer was lost."""
        ...

    def positions(self) -> Sequence[Position]: ...

    def working_orders(self) -> Sequence[WorkingOrder]: ...

    def account(self) -> AccountState: ...

    # -- optional capabilities: every adapter has these methods; an adapter that
    # cannot answer returns None (the engine then falls back, as each says) --------
    def order_margin(self, symbol: str, side: Side, volume: float, price: float) -> float | None:
        """The broker's own margin for an order, or ``None``: the gate uses the leverage formula."""
        ...

    def deals_since(self, time_msc: int) -> Sequence[Fill] | None:
        """Every deal of the account from ``time_msc`` on, oldest first; ``None`` if the broker
        keeps no deal history. At each start the engine records those its journal missed."""
        ...

    def rates_range(
        self, symbol: str, timeframe: Timeframe, start: int, end: int
    ) -> np.ndarray | None:
        """Bars with open times in ``[start, end]`` (epoch seconds, the broker's clock), oldest
        first, as ``RATES_DTYPE``; ``None`` if the broker keeps no history to download."""
        ...

    def ticks_range(self, symbol: str, start_msc: int, end_msc: int) -> np.ndarray | None:
        """Every tick in ``[start_msc, end_msc]``, oldest first, as ``TICKS_DTYPE``; ``None``
        if the broker keeps no tick history. The engine's downloads use these two."""
        ...
