"""The conflated market frame: everything that changed since the last UI frame.

Facts (order updates, fills, log lines) must all arrive, in order, each as its
own event. State, where only the latest value matters (quotes, forming bars,
positions, the account, the risk gate's snapshot), is conflated into one
``MarketFrame`` per UI frame, so a burst of ticks never builds a backlog in the GUI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.market import Bar, Tick
from app.domain.risk_facts import RiskSnapshot
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Position, WorkingOrder


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
