"""Commands: what clients ask the engine to do.

Every client (ticket, chart, tables, Telegram, strategies) sends these through the
bus; only the engine acts on them, so every order takes the same road.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass

from app.domain.enums import OrderSource
from app.domain.events import OrderRequest
from app.domain.timeframes import Timeframe

_counter = itertools.count(1)
_session = f"{int(time.time()) % 100000:05d}{os.getpid() % 1000:03d}"


def new_client_id() -> str:
    """A client order id unique across runs: short enough for MT5's 31-char comment."""
    return f"tt-{_session}-{next(_counter)}"


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
class RequestHistory:
    """Ask for the bars of ``symbol``; the engine answers with a ``BarHistory``."""

    symbol: str
    timeframe: Timeframe = Timeframe.M1


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


Command = (
    SubmitOrder
    | ClosePosition
    | CancelOrder
    | RequestHistory
    | CloseAll
    | CancelAll
    | Halt
    | Resume
)
