"""The engine's bars in a bar-model test: closed when the live engine closes them,
with the stored values.

In the bar models the prices are made from bars, so the bars are known: the
open-prices model offers one price per bar, and a bar built from that one tick
would have its open as its high, low and close. ``ReplayBars`` takes the
engine's place for bars (``TradingCore.market_data``) and keeps its rules — a
bar closes at the first tick of the next period, is told once, in time order,
and the forming bar is never in the closed ones — but a closed bar carries the
stored bar's open, high, low, close and tick volume, exactly what the live
engine would have built from the market's full tick stream. Only the tested
symbol's subscribed timeframes are built (the broker's history answers the
others, up to the clock), which is also why it is fast: one comparison per tick
and timeframe.

The real-ticks model does not use it: there the engine's own ``MarketData``
builds every bar from the ticks, as live.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from app.domain.market import Bar, Tick
from app.domain.timeframes import Timeframe
from app.engine.market_data import KEEP_BARS, MarketData, newest_bar


class _Frame:
    """One timeframe: its forming candle, its closed bars and the stored bars to close with."""

    __slots__ = (
        "close",
        "closed",
        "high",
        "low",
        "next",
        "open",
        "seconds",
        "start",
        "stored",
        "timeframe",
        "volume",
    )

    def __init__(self, timeframe: Timeframe, stored: np.ndarray | None, keep: int) -> None:
        self.timeframe = timeframe
        self.seconds = timeframe.seconds
        self.closed: deque[Bar] = deque(maxlen=keep)
        # The stored bars as plain lists: a closed bar is read from them once.
        rows: Any = stored
        self.stored: tuple[
            list[int], list[float], list[float], list[float], list[float], list[float]
        ] = (
            (
                rows["time"].tolist(),
                rows["open"].tolist(),
                rows["high"].tolist(),
                rows["low"].tolist(),
                rows["close"].tolist(),
                rows["tick_volume"].astype(np.float64).tolist(),
            )
            if stored is not None
            else ([], [], [], [], [], [])
        )
        self.next = 0  # the first stored bar not yet reached
        self.start: int | None = None  # the forming candle's open time (None: none yet)
        self.open = self.high = self.low = self.close = self.volume = 0.0


class ReplayBars(MarketData):
    """``MarketData`` for one symbol's subscribed timeframes, closing with stored bars."""

    def __init__(
        self,
        symbol: str,
        timeframes: Iterable[Timeframe],
        stored: Mapping[Timeframe, np.ndarray],
        keep: int = KEEP_BARS,
    ) -> None:
        super().__init__(keep)
        self._symbol = symbol
        self._frames = {
            tf: _Frame(tf, stored.get(tf), keep)
            for tf in sorted(set(timeframes), key=lambda t: t.seconds)
        }
        self._order: list[_Frame] = list(self._frames.values())  # shortest first

    def seed_rates(self, symbol: str, newest: Mapping[Timeframe, np.ndarray]) -> None:
        """The broker's newest bar of each timeframe is the forming one, as live."""
        if symbol != self._symbol:
            return
        for tf, frame in self._frames.items():
            rates = newest.get(tf)
            bar = newest_bar(symbol, tf, rates) if rates is not None else None
            if bar is None:
                continue
            frame.start = bar.time
            frame.open, frame.high, frame.low, frame.close = bar.open, bar.high, bar.low, bar.close
            frame.volume = bar.volume

    def seed(self, symbol: str, newest: Mapping[Timeframe, Bar]) -> None:
        for tf, frame in self._frames.items():
            bar = newest.get(tf)
            if symbol == self._symbol and bar is not None:
                frame.start, frame.volume = bar.time, bar.volume
                frame.open, frame.high, frame.low, frame.close = (
                    bar.open,
                    bar.high,
                    bar.low,
                    bar.close,
                )

    def on_ticks(self, ticks: Sequence[Tick]) -> list[tuple[int, tuple[Bar, ...]]]:
        closed = self.just_closed
        marks: list[tuple[int, tuple[Bar, ...]]] = []
        on_tick = self.on_tick
        for index, tick in enumerate(ticks):
            on_tick(tick)
            if closed:
                marks.append((index, tuple(closed)))
                closed.clear()
        return marks

    def on_tick(self, tick: Tick) -> None:
        if tick.symbol != self._symbol:
            return
        seconds = tick.time_msc // 1000
        price = tick.bid
        for frame in self._order:
            start = frame.start
            if start is not None:
                if start <= seconds < start + frame.seconds:
                    if price > frame.high:
                        frame.high = price
                    elif price < frame.low:
                        frame.low = price
                    frame.close = price
                    frame.volume += 1.0
                    continue
                if seconds < start:
                    continue  # a late tick for a closed bar: the bars keep what they had
                self._close(frame)
            frame.start = seconds - seconds % frame.seconds
            frame.open = frame.high = frame.low = frame.close = price
            frame.volume = 1.0

    def _close(self, frame: _Frame) -> None:
        start = frame.start
        assert start is not None
        times, opens, highs, lows, closes, volumes = frame.stored
        i, n = frame.next, len(times)
        while i < n and times[i] < start:
            i += 1
        frame.next = i
        symbol, tf = self._symbol, frame.timeframe
        if i < n and times[i] == start:
            bar = Bar(symbol, tf, start, opens[i], highs[i], lows[i], closes[i], volumes[i])
            frame.next = i + 1
        else:  # no stored bar at that time (a gap in the bars): what the ticks made
            bar = Bar(
                symbol, tf, start, frame.open, frame.high, frame.low, frame.close, frame.volume
            )
        frame.closed.append(bar)
        self.just_closed.append(bar)

    def forming(self, symbol: str, timeframe: Timeframe) -> Bar | None:
        frame = self._frames.get(timeframe) if symbol == self._symbol else None
        if frame is None or frame.start is None:
            return None
        return Bar(
            symbol,
            timeframe,
            frame.start,
            frame.open,
            frame.high,
            frame.low,
            frame.close,
            frame.volume,
        )

    def closed(self, symbol: str, timeframe: Timeframe) -> Sequence[Bar]:
        frame = self._frames.get(timeframe) if symbol == self._symbol else None
        return frame.closed if frame is not None else ()
