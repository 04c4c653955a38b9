"""A reference bar builder for tests: one symbol and timeframe, one bar at a time.

The engine builds every timeframe at once (``app/engine/market_data.py``); this
plain builder is the independent oracle its tests compare against.
"""

from __future__ import annotations

from app.domain.market import Bar, Tick
from app.domain.timeframes import Timeframe


class BarBuilder:
    """Folds ticks into bars on the bid, like MetaTrader's own charts.

    ``on_tick`` is O(1): it touches only the forming bar.
    """

    def __init__(self, symbol: str, timeframe: Timeframe, last_bar: Bar | None = None) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.current: Bar | None = last_bar

    def on_tick(self, tick: Tick) -> tuple[Bar, bool]:
        """Apply one tick; returns the forming bar and whether it is a new bar."""
        price = tick.bid
        open_time = self.timeframe.bar_open(tick.time_msc / 1000)
        bar = self.current
        if bar is None or open_time > bar.time:
            new = Bar(self.symbol, self.timeframe, open_time, price, price, price, price, 1.0)
            self.current = new
            return new, True
        if open_time < bar.time:  # a late tick for a closed bar: the record keeps it, the chart not
            return bar, False
        updated = Bar(
            self.symbol,
            self.timeframe,
            bar.time,
            bar.open,
            max(bar.high, price),
            min(bar.low, price),
            price,
            bar.volume + 1.0,
        )
        self.current = updated
        return updated, False
