"""Building candles from ticks, one symbol and timeframe at a time."""

from __future__ import annotations

import numpy as np

from app.domain.events import Bar, Tick
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


def aggregate_rates(rates: np.ndarray, timeframe: Timeframe) -> np.ndarray:
    """Resample an array of finer bars (``RATES``-like dtype) into ``timeframe`` bars.

    Vectorised: one pass of ``np.unique`` and ``reduceat`` over the input.
    """
    if len(rates) == 0:
        return rates.copy()
    buckets = rates["time"] // timeframe.seconds * timeframe.seconds
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    out = np.empty(len(starts), dtype=rates.dtype)
    out["time"] = buckets[starts]
    out["open"] = rates["open"][starts]
    out["high"] = np.maximum.reduceat(rates["high"], starts)
    out["low"] = np.minimum.reduceat(rates["low"], starts)
    ends = np.r_[starts[1:] - 1, len(rates) - 1]
    out["close"] = rates["close"][ends]
    for name in rates.dtype.names or ():
        if name not in ("time", "open", "high", "low", "close"):
            out[name] = (
                np.add.reduceat(rates[name], starts) if "volume" in name else rates[name][ends]
            )
    return out
