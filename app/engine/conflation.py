"""Conflation of market state into frames, with at most one frame in flight.

The engine sees every tick; the GUI needs only the latest state once per frame.
``FrameBuilder`` keeps the newest quote and bar per symbol (a dict, so memory is
bounded by the number of symbols) and hands out a frame only after the previous
one was consumed. Under overload the GUI therefore shows fewer frames, never
older data, and no queue can grow.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.frame import MarketFrame
from app.domain.market import Bar, Tick
from app.domain.risk_facts import RiskSnapshot
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Position, WorkingOrder


class FrameBuilder:
    """Plain Python, used from the engine thread only."""

    def __init__(self) -> None:
        self._quotes: dict[str, Tick] = {}
        self._bars: dict[tuple[str, Timeframe], Bar] = {}
        self._tick_count = 0
        self._positions: tuple[Position, ...] | None = None
        self._orders: tuple[WorkingOrder, ...] | None = None
        self._account: AccountState | None = None
        self._risk: RiskSnapshot | None = None
        self._seq = 0
        self._in_flight: int | None = None

    def add_tick(self, tick: Tick) -> None:
        self._quotes[tick.symbol] = tick
        self._tick_count += 1

    def add_ticks(self, ticks: Sequence[Tick]) -> None:
        """``add_tick`` for a poll's ticks, in order."""
        quotes = self._quotes
        for tick in ticks:
            quotes[tick.symbol] = tick
        self._tick_count += len(ticks)

    def add_quote(self, tick: Tick) -> None:
        """A known quote that is not a new tick (e.g. the broker's last one at connect)."""
        self._quotes[tick.symbol] = tick

    def add_bar(self, bar: Bar) -> None:
        self._bars[(bar.symbol, bar.timeframe)] = bar

    def set_portfolio(
        self,
        account: AccountState,
        positions: tuple[Position, ...],
        orders: tuple[WorkingOrder, ...] | None = None,
    ) -> None:
        self._account = account
        self._positions = positions
        if orders is not None:
            self._orders = orders

    def set_risk(self, snapshot: RiskSnapshot) -> None:
        self._risk = snapshot

    @property
    def dirty(self) -> bool:
        return bool(
            self._quotes
            or self._bars
            or self._account is not None
            or self._positions is not None
            or self._orders is not None
            or self._risk is not None
        )

    @property
    def in_flight(self) -> bool:
        return self._in_flight is not None

    def take(self) -> MarketFrame | None:
        """The next frame, or ``None`` if nothing changed or a frame is still in flight."""
        if self._in_flight is not None or not self.dirty:
            return None
        self._seq += 1
        frame = MarketFrame(
            seq=self._seq,
            quotes=self._quotes,
            bars=self._bars,
            tick_count=self._tick_count,
            positions=self._positions,
            orders=self._orders,
            account=self._account,
            risk=self._risk,
        )
        self._quotes, self._bars, self._tick_count = {}, {}, 0
        self._positions = self._orders = None
        self._account = None
        self._risk = None
        self._in_flight = self._seq
        return frame

    def consumed(self, seq: int) -> None:
        """The client finished frame ``seq``; the next one may go."""
        if self._in_flight == seq:
            self._in_flight = None
