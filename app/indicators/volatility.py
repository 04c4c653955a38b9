"""Volatility and channels: Bollinger Bands, ATR, Donchian channel.

* Bollinger's middle band is TA-Lib's SMA, computed with its running total;
  the deviation is the population standard deviation of the window. A running
  sum of squares loses digits to cancellation at high prices (E[x²] − mean²
  of numbers near 40,000), so the sums are kept relative to a recent close and
  rebuilt from the window every ``period`` bars: amortised O(1), and no drift
  however long the feed runs.
* ATR follows TA-Lib: the true range needs the previous close, so the first
  ATR (the plain mean of ``period`` true ranges) is at index ``period``;
  afterwards Wilder's smoothing ``(atr * (period - 1) + tr) / period``.
* Donchian is TA-Lib's MAX(high) and MIN(low) over the window, kept with
  monotonic deques (:mod:`app.indicators.rolling`), and their midpoint.
"""

from __future__ import annotations

import math

from app.indicators import talib_batch
from app.indicators.base import NAN, FloatArray, Indicator, Placement, recursive_tail
from app.indicators.params import MAX_PERIOD, IndicatorParams, param
from app.indicators.rolling import RollingMax, RollingMin

__all__ = ["ATR", "BollingerBands", "DonchianChannel"]


class BollingerParams(IndicatorParams):
    indicator = "Bollinger Bands"

    period: int = param(20, ge=2, le=MAX_PERIOD, step=1, title="Period")
    dev_up: float = param(2.0, ge=0.0, le=100.0, step=0.1, title="Deviations up")
    dev_down: float = param(2.0, ge=0.0, le=100.0, step=0.1, title="Deviations down")


class BollingerBands(Indicator):
    """SMA of the close ± a multiple of the window's (population) standard deviation."""

    name = "bollinger"
    title = "Bollinger Bands"
    short = "BB"
    inputs = ("close",)
    outputs = ("upper", "middle", "lower")
    placement = Placement.OVERLAY
    Params = BollingerParams

    __slots__ = (
        "_down",
        "_i",
        "_n",
        "_period",
        "_ring",
        "_shift",
        "_since_rebase",
        "_sum",
        "_sum_sq",
        "_total",
        "_up",
    )

    def _configure(self) -> None:
        params: BollingerParams = self.params  # type: ignore[assignment]
        self._period = params.period
        self._up = params.dev_up
        self._down = params.dev_down

    def reset(self) -> None:
        self._ring = [0.0] * (self._period - 1)
        self._i = 0
        self._n = 0
        self._total = 0.0  # TA-Lib's SMA running total, for the middle band
        self._shift = 0.0  # the deviation sums are of (close - shift)
        self._sum = 0.0
        self._sum_sq = 0.0
        self._since_rebase = 0

    @property
    def lookbacks(self) -> tuple[int, ...]:
        lookback = self._period - 1
        return (lookback, lookback, lookback)

    def push(self, close: float) -> tuple[float, float, float]:
        ring = self._ring
        n = self._n
        total = self._total + close
        if n < len(ring):
            if n == 0:
                self._shift = close
            d = close - self._shift
            self._sum += d
            self._sum_sq += d * d
            ring[n] = close
            self._n = n + 1
            self._total = total
            return NAN, NAN, NAN
        period = self._period
        shift = self._shift
        d = close - shift
        s = self._sum + d
        sq = self._sum_sq + d * d
        mean = s / period
        variance = sq / period - mean * mean
        std = math.sqrt(variance) if variance > 0.0 else 0.0
        middle = total / period
        i = self._i
        old = ring[i]
        self._total = total - old
        ring[i] = close
        i += 1
        self._i = 0 if i == len(ring) else i
        since = self._since_rebase + 1
        if since >= period:
            self._rebase(close)
        else:
            self._since_rebase = since
            d = old - shift
            self._sum = s - d
            self._sum_sq = sq - d * d
        return middle + std * self._up, middle, middle - std * self._down

    def _rebase(self, shift: float) -> None:
        """Rebuild the deviation sums of the ring around ``shift`` (every ``period`` bars)."""
        self._shift = shift
        s = sq = 0.0
        for value in self._ring:
            d = value - shift
            s += d
            sq += d * d
        self._sum = s
        self._sum_sq = sq
        self._since_rebase = 0

    def peek(self, close: float) -> tuple[float, float, float]:
        if self._n < len(self._ring):
            return NAN, NAN, NAN
        period = self._period
        d = close - self._shift
        mean = (self._sum + d) / period
        variance = (self._sum_sq + d * d) / period - mean * mean
        std = math.sqrt(variance) if variance > 0.0 else 0.0
        middle = (self._total + close) / period
        return middle + std * self._up, middle, middle - std * self._down

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        (close,) = arrays
        return talib_batch.bbands(close, self._period, self._up, self._down)


class ATRParams(IndicatorParams):
    indicator = "ATR"

    period: int = param(14, ge=1, le=MAX_PERIOD, step=1, title="Period")


class ATR(Indicator):
    """Average true range, Wilder-smoothed, seeded with the mean of the first ``period`` ranges."""

    name = "atr"
    title = "Average True Range"
    short = "ATR"
    inputs = ("high", "low", "close")
    outputs = ("atr",)
    placement = Placement.PANE
    Params = ATRParams

    __slots__ = ("_n", "_period", "_prev_close", "_value")

    def _configure(self) -> None:
        self._period: int = self.params.period  # type: ignore[attr-defined]

    def reset(self) -> None:
        self._n = 0  # bars seen until seeded; period + 1 afterwards
        self._prev_close = NAN
        self._value = 0.0  # sum of true ranges until seeded, then the ATR

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return (self._period,)

    def warm_bars(self) -> int | None:
        return recursive_tail(self._period, 1.0 / self._period)

    def push(self, high: float, low: float, close: float) -> float:
        prev = self._prev_close
        self._prev_close = close
        n = self._n
        if n == 0:
            self._n = 1
            return NAN
        tr = high - low
        up = abs(high - prev)
        if up > tr:
            tr = up
        down = abs(low - prev)
        if down > tr:
            tr = down
        period = self._period
        if n > period:
            value = self._value * (period - 1)
            value += tr
            value /= period
            self._value = value
            return value
        self._value += tr
        self._n = n + 1
        if n < period:
            return NAN
        self._value /= period
        return self._value

    def peek(self, high: float, low: float, close: float) -> float:
        n = self._n
        if n == 0:
            return NAN
        prev = self._prev_close
        tr = max(high - low, abs(high - prev), abs(low - prev))
        period = self._period
        if n > period:
            return (self._value * (period - 1) + tr) / period
        if n < period:
            return NAN
        return (self._value + tr) / period

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        high, low, close = arrays
        return (talib_batch.atr(high, low, close, self._period),)


class DonchianParams(IndicatorParams):
    indicator = "Donchian channel"

    period: int = param(20, ge=2, le=MAX_PERIOD, step=1, title="Period")


class DonchianChannel(Indicator):
    """Highest high and lowest low of the last ``period`` bars, and their midpoint."""

    name = "donchian"
    title = "Donchian Channel"
    short = "DC"
    inputs = ("high", "low")
    outputs = ("upper", "middle", "lower")
    placement = Placement.OVERLAY
    Params = DonchianParams

    __slots__ = ("_high", "_low", "_n", "_period")

    def _configure(self) -> None:
        self._period: int = self.params.period  # type: ignore[attr-defined]

    def reset(self) -> None:
        self._high = RollingMax(self._period)
        self._low = RollingMin(self._period)
        self._n = 0

    @property
    def lookbacks(self) -> tuple[int, ...]:
        lookback = self._period - 1
        return (lookback, lookback, lookback)

    def push(self, high: float, low: float) -> tuple[float, float, float]:
        upper = self._high.push(high)
        lower = self._low.push(low)
        n = self._n
        if n < self._period - 1:
            self._n = n + 1
            return NAN, NAN, NAN
        return upper, (upper + lower) / 2.0, lower

    def peek(self, high: float, low: float) -> tuple[float, float, float]:
        if self._n < self._period - 1:
            return NAN, NAN, NAN
        upper = self._high.peek(high)
        lower = self._low.peek(low)
        return upper, (upper + lower) / 2.0, lower

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        high, low = arrays
        return talib_batch.donchian(high, low, self._period)
