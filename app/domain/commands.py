"""Commands: what clients ask the engine to do.

Every client (ticket, chart, tables, Telegram, strategies) sends these through the
bus; only the engine acts on them, so every order takes the same road.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from dataclasses import dataclass
from datetime import date

from app.domain.alert_facts import (
    AcknowledgeAlert,
    CreateAlert,
    DeleteAlert,
    EditAlert,
    EnableAlert,
    RequestAlertHistory,
    RequestAlerts,
    WebhookChecked,
)
from app.domain.enums import OrderSource
from app.domain.history_jobs import (
    CancelDownload,
    DownloadHistory,
    StartTickRecording,
    StopTickRecording,
)
from app.domain.risk_limits import RiskLimits
from app.domain.strategies import (
    AttachStrategy,
    DetachStrategy,
    EditStrategy,
    RequestStrategies,
    StartStrategy,
    StopStrategy,
)
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderRequest

_counter = itertools.count(1)
_session = f"{int(time.time()) % 100000:05d}{os.getpid() % 1000:03d}"


def new_client_id() -> str:
    """A client order id unique across runs: short enough for MT5's 31-char comment."""
    return f"tt-{_session}-{next(_counter)}"


_CLIENT_ID = re.compile(r"tt-\d+-\d+")


def is_client_id(text: str) -> bool:
    """Whether ``text`` is a client order id as :func:`new_client_id` makes them."""
    return _CLIENT_ID.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class SubmitOrder:
    request: OrderRequest


@dataclass(frozen=True, slots=True)
class ClosePosition:
    ticket: int
    volume: float | None = None  # None closes the whole position
    client_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class CancelOrder:
    ticket: int
    client_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class ReversePosition:
    """Close a position and open the opposite side with the same volume: one story.

    Both legs carry ``client_id``; the opening leg passes every pre-trade check
    before the closing leg is sent, so a refused reverse leaves the position alone.
    """

    ticket: int
    client_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class CloseBy:
    """Close a position with an opposite one of the same symbol (hedging accounts)."""

    ticket: int
    opposite_ticket: int
    client_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class ModifyPosition:
    """Set a position's stop loss and take profit; ``None`` removes that level."""

    ticket: int
    sl: float | None
    tp: float | None
    client_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class ModifyOrder:
    """Move a working order's price, stop loss and take profit (``None`` removes one)."""

    ticket: int
    price: float
    sl: float | None
    tp: float | None
    client_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class RequestHistory:
    """Ask for the bars of ``symbol``; the engine answers with a ``BarHistory``.

    It also makes ``watcher`` (a chart) follow this symbol and timeframe: from
    then on every frame in which the symbol ticked carries its forming bar in
    this timeframe, and the pair the watcher followed before is dropped. Doing
    both in one command means no frame can carry a bar of the old timeframe
    after the new history. ``watcher=""`` asks for the bars only.
    """

    symbol: str
    timeframe: Timeframe = Timeframe.M1
    watcher: str = "chart"


@dataclass(frozen=True, slots=True)
class WatchBars:
    """``watcher`` follows exactly these ``(symbol, timeframe)`` pairs (empty: none).

    Frames carry the forming bars of watched pairs whose symbol ticked (e.g.
    the market watch follows D1 of every symbol for the daily change).
    """

    watcher: str
    pairs: tuple[tuple[str, Timeframe], ...]


@dataclass(frozen=True, slots=True)
class CloseAll:
    """Close every open position (``symbol=None``) or those of one symbol, at market."""

    symbol: str | None = None
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class CancelAll:
    """Cancel every working order (or those of one symbol)."""

    symbol: str | None = None
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class Halt:
    """The kill switch: move to HALTED at once; optionally flatten everything too."""

    reason: str
    flatten: bool = False
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class Resume:
    """Leave HALTED/REDUCING for ACTIVE. Always an explicit, logged act."""

    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class RequestTradeHistory:
    """Ask for journaled orders and deals between two UTC dates (both included).

    The engine answers with a ``TradeHistory`` event; ``symbol=None`` means all.
    """

    start: date
    end: date
    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateRiskLimits:
    """Replace the risk limits at run time; audited, and never looser while HALTED."""

    limits: RiskLimits
    source: OrderSource = OrderSource.TICKET


Command = (
    SubmitOrder
    | ClosePosition
    | CancelOrder
    | ReversePosition
    | CloseBy
    | ModifyPosition
    | ModifyOrder
    | RequestHistory
    | WatchBars
    | CloseAll
    | CancelAll
    | Halt
    | Resume
    | UpdateRiskLimits
    | RequestTradeHistory
    # owned by the strategy host (app/strategies), run by the engine like the others
    | AttachStrategy
    | EditStrategy
    | StartStrategy
    | StopStrategy
    | DetachStrategy
    | RequestStrategies
    # owned by the alert host (app/alerts)
    | CreateAlert
    | EditAlert
    | EnableAlert
    | DeleteAlert
    | AcknowledgeAlert
    | RequestAlerts
    | RequestAlertHistory
    | WebhookChecked
    # owned by the history jobs (app/engine/history_jobs.py)
    | StartTickRecording
    | StopTickRecording
    | DownloadHistory
    | CancelDownload
)
