"""Oscillators in their own pane: RSI, MACD, Stochastic, CCI.

TA-Lib's conventions, reproduced here bar by bar:

* RSI: Wilder's averages of gains and losses, seeded with their plain means
  over the first ``period`` changes (first value at index ``period``), then
  ``avg = (avg * (period - 1) + change) / period``; a window with no change
  at all reads 0.
* MACD: *both* EMAs start on the slow one's first bar. The slow EMA is seeded
  with the SMA of closes ``0 .. slow-1``, the fast one with the SMA of the
  ``fast`` closes ending there (not of the first ``fast`` closes, as a plain
  EMA would be). The signal is an EMA of the MACD line seeded the same way,
  and TA-Lib shows all three lines only from the signal's first value
  (index ``slow + signal - 2``).
* Stochastic (slow): %K is the SMA over ``slowing`` bars of the fast %K
  ``100 * (close - lowest low) / (highest high - lowest low)``, %D the SMA of
  %K; both lines start at the same bar, as in TA-Lib. A flat window (range
  within ~90 ulps of the prices) reads 0.
* CCI: (typical price − its SMA) / (0.015 × mean absolute deviation). The mean
  deviation around a *moving* mean has no O(1) update, so each bar sums it over
  the window, O(period), as TA-Lib does too; a flat window reads 0.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Self

from pydantic import model_validator

from app.indicators import talib_batch
from app.indicators.base import NAN, FloatArray, Indicator, Placement, recursive_tail
from app.indicators.params import MAX_PERIOD, IndicatorParams, cross_field, param
from app.indicators.rolling import RollingMax, RollingMin

__all__ = ["CCI", "MACD", "RSI", "Stochastic"]

_FLAT = 1e-14
"""TA-Lib's scaled flatness test: a range within this fraction of the prices is zero."""


class RSIParams(IndicatorParams):
    indicator = "RSI"

    period: int = param(14, ge=2, le=MAX_PERIOD, step=1, title="Period")


class RSI(Indicator):
    """Relative Strength Index, 0..100, Wilder's smoothing."""

    name = "rsi"
    title = "Relative Strength Index"
    short = "RSI"
    inputs = ("close",)
    outputs = ("rsi",)
    placement = Placement.PANE
    Params = RSIParams
    levels = (30.0, 70.0)
    value_range = (0.0, 100.0)

    __slots__ = ("_gain", "_loss", "_n", "_period", "_prev")

    def _configure(self) -> None:
        self._period: int = self.params.period  # type: ignore[attr-defined]

    def reset(self) -> None:
        self._n = -1  # changes seen: -1 before the first close; period once seeded
        self._prev = NAN
        self._gain = 0.0
        self._loss = 0.0

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return (self._period,)

    def warm_bars(self) -> int | None:
        return recursive_tail(self._period, 1.0 / self._period)

    def push(self, close: float) -> float:
        change = close - self._prev
        self._prev = close
        n = self._n
        period = self._period
        if n == period:
            keep = period - 1
            gain = self._gain * keep
            loss = self._loss * keep
            if change < 0.0:
                loss -= change
            else:
                gain += change
            gain /= period
            loss /= period
        else:
            self._n = n = n + 1
            if n == 0:
                return NAN
            if change < 0.0:
                self._loss -= change
            else:
                self._gain += change
            if n < period:
                return NAN
            gain = self._gain / period
            loss = self._loss / period
        self._gain = gain
        self._loss = loss
        total = gain + loss
        return 100.0 * (gain / total) if total != 0.0 else 0.0

    def peek(self, close: float) -> float:
        n = self._n
        period = self._period
        change = close - self._prev
        if n == period:
            keep = period - 1
            gain = self._gain * keep
            loss = self._loss * keep
        elif n == period - 1:
            gain = self._gain
            loss = self._loss
        else:
            return NAN
        if change < 0.0:
            loss -= change
        else:
            gain += change
        gain /= period
        loss /= period
        total = gain + loss
        return 100.0 * (gain / total) if total != 0.0 else 0.0

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        (close,) = arrays
        return (talib_batch.rsi(close, self._period),)


class MACDParams(IndicatorParams):
    indicator = "MACD"

    fast: int = param(12, ge=2, le=MAX_PERIOD, step=1, title="Fast EMA")
    slow: int = param(26, ge=2, le=MAX_PERIOD, step=1, title="Slow EMA")
    signal: int = param(9, ge=1, le=MAX_PERIOD, step=1, title="Signal EMA")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> Self:
        if self.fast >= self.slow:
            raise cross_field("slow", f"must be greater than fast ({self.fast}) (got {self.slow})")
        return self


class MACD(Indicator):
    """MACD line (fast EMA − slow EMA), its signal EMA and the histogram."""

    name = "macd"
    title = "MACD"
    short = "MACD"
    inputs = ("close",)
    outputs = ("macd", "signal", "histogram")
    placement = Placement.PANE
    Params = MACDParams
    levels = (0.0,)

    __slots__ = (
        "_fast",
        "_fast_k",
        "_fast_sum",
        "_fast_value",
        "_n",
        "_signal",
        "_signal_k",
        "_signal_sum",
        "_signal_value",
        "_slow",
        "_slow_k",
        "_slow_sum",
        "_slow_value",
    )

    def _configure(self) -> None:
        params: MACDParams = self.params  # type: ignore[assignment]
        self._fast = params.fast
        self._slow = params.slow
        self._signal = params.signal
        self._fast_k = 2.0 / (params.fast + 1)
        self._slow_k = 2.0 / (params.slow + 1)
        self._signal_k = 2.0 / (params.signal + 1)

    def reset(self) -> None:
        self._n = 0  # closes seen, capped once the signal is seeded
        self._fast_sum = self._slow_sum = self._signal_sum = 0.0
        self._fast_value = self._slow_value = self._signal_value = NAN

    @property
    def lookbacks(self) -> tuple[int, ...]:
        lookback = self._slow + self._signal - 2
        return (lookback, lookback, lookback)

    def warm_bars(self) -> int | None:
        return recursive_tail(self.lookback, self._slow_k, self._fast_k, self._signal_k)

    def push(self, close: float) -> tuple[float, float, float]:
        n = self._n
        slow = self._slow
        if n >= slow:  # both EMAs running
            fast_value = self._fast_value
            fast_value = (close - fast_value) * self._fast_k + fast_value
            slow_value = self._slow_value
            slow_value = (close - slow_value) * self._slow_k + slow_value
            self._fast_value = fast_value
            self._slow_value = slow_value
            line = fast_value - slow_value
            if n == slow + self._signal - 1:  # signal running
                signal = self._signal_value
                signal = (line - signal) * self._signal_k + signal
                self._signal_value = signal
                return line, signal, line - signal
            self._n = n + 1
            return self._seed_signal(line, n - slow + 2)
        # Seeding both EMAs on the same bar, slow - 1.
        self._slow_sum += close
        if n >= slow - self._fast:
            self._fast_sum += close
        self._n = n + 1
        if n < slow - 1:
            return NAN, NAN, NAN
        self._fast_value = self._fast_sum / self._fast
        self._slow_value = self._slow_sum / slow
        return self._seed_signal(self._fast_value - self._slow_value, 1)

    def _seed_signal(self, line: float, count: int) -> tuple[float, float, float]:
        """Add MACD value number ``count`` to the signal's seed; the seed is their SMA."""
        total = self._signal_sum + line
        self._signal_sum = total
        if count < self._signal:
            return NAN, NAN, NAN
        signal = total / self._signal
        self._signal_value = signal
        return line, signal, line - signal

    def peek(self, close: float) -> tuple[float, float, float]:
        n = self._n
        slow = self._slow
        signal_period = self._signal
        if n < slow - 1:
            return NAN, NAN, NAN
        if n == slow - 1:
            if signal_period > 1:
                return NAN, NAN, NAN
            line = (self._fast_sum + close) / self._fast - (self._slow_sum + close) / slow
            return line, line, 0.0
        fast_value = self._fast_value
        slow_value = self._slow_value
        line = ((close - fast_value) * self._fast_k + fast_value) - (
            (close - slow_value) * self._slow_k + slow_value
        )
        if n == slow + signal_period - 1:
            signal = self._signal_value
            signal = (line - signal) * self._signal_k + signal
        elif n - slow + 2 == signal_period:
            signal = (self._signal_sum + line) / signal_period
        else:
            return NAN, NAN, NAN
        return line, signal, line - signal

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        (close,) = arrays
        return talib_batch.macd(close, self._fast, self._slow, self._signal)


class StochasticParams(IndicatorParams):
    indicator = "Stochastic"

    k_period: int = param(5, ge=1, le=MAX_PERIOD, step=1, title="%K period")
    slowing: int = param(3, ge=1, le=MAX_PERIOD, step=1, title="Slowing")
    d_period: int = param(3, ge=1, le=MAX_PERIOD, step=1, title="%D period")


class _RunningMean:
    """TA-Lib's SMA (running total) over values that start arriving at some bar."""

    __slots__ = ("_i", "_n", "_period", "_ring", "_total")

    def __init__(self, period: int) -> None:
        self._period = period
        self._ring = [0.0] * (period - 1)
        self._i = 0
        self._n = 0
        self._total = 0.0

    def push(self, value: float) -> float:
        ring = self._ring
        if not ring:  # a period of 1 is the value itself
            return value
        total = self._total + value
        n = self._n
        if n < len(ring):
            ring[n] = value
            self._n = n + 1
            self._total = total
            return NAN
        i = self._i
        mean = total / self._period
        self._total = total - ring[i]
        ring[i] = value
        i += 1
        self._i = 0 if i == len(ring) else i
        return mean

    def peek(self, value: float) -> float:
        if self._n < len(self._ring):
            return NAN
        return (self._total + value) / self._period

    @property
    def ready(self) -> bool:
        """Whether the next value completes a window."""
        return self._n == len(self._ring)


class Stochastic(Indicator):
    """Slow stochastic oscillator: %K and %D, 0..100."""

    name = "stochastic"
    title = "Stochastic Oscillator"
    short = "Stoch"
    inputs = ("high", "low", "close")
    outputs = ("k", "d")
    placement = Placement.PANE
    Params = StochasticParams
    levels = (20.0, 80.0)
    value_range = (0.0, 100.0)

    __slots__ = ("_d", "_d_period", "_high", "_k", "_k_period", "_low", "_n", "_slowing")

    def _configure(self) -> None:
        params: StochasticParams = self.params  # type: ignore[assignment]
        self._k_period = params.k_period
        self._slowing = params.slowing
        self._d_period = params.d_period

    def reset(self) -> None:
        self._high = RollingMax(self._k_period)
        self._low = RollingMin(self._k_period)
        self._k = _RunningMean(self._slowing)
        self._d = _RunningMean(self._d_period)
        self._n = 0  # bars seen, capped at k_period

    @property
    def lookbacks(self) -> tuple[int, ...]:
        lookback = self._k_period + self._slowing + self._d_period - 3
        return (lookback, lookback)

    @staticmethod
    def _fast_k(close: float, highest: float, lowest: float) -> float:
        spread = highest - lowest
        if abs(spread) <= _FLAT * (abs(highest) + abs(lowest)):
            return 0.0
        return (close - lowest) / (spread / 100.0)

    def push(self, high: float, low: float, close: float) -> tuple[float, float]:
        highest = self._high.push(high)
        lowest = self._low.push(low)
        n = self._n
        if n < self._k_period - 1:
            self._n = n + 1
            return NAN, NAN
        k = self._k.push(self._fast_k(close, highest, lowest))
        if k != k:  # NaN: %K still filling
            return NAN, NAN
        d = self._d.push(k)
        if d != d:
            return NAN, NAN
        return k, d

    def peek(self, high: float, low: float, close: float) -> tuple[float, float]:
        if self._n < self._k_period - 1 or not self._k.ready or not self._d.ready:
            return NAN, NAN
        fast = self._fast_k(close, self._high.peek(high), self._low.peek(low))
        k = self._k.peek(fast)
        return k, self._d.peek(k)

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        high, low, close = arrays
        return talib_batch.stoch(high, low, close, self._k_period, self._slowing, self._d_period)


class CCIParams(IndicatorParams):
    indicator = "CCI"

    period: int = param(14, ge=2, le=MAX_PERIOD, step=1, title="Period")


class CCI(Indicator):
    """Commodity Channel Index of the typical price (high + low + close) / 3.

    The window is kept twice: in TA-Lib's circular order (bar ``t`` in slot
    ``t % period``), so the average is summed in TA-Lib's order, and sorted, so
    the mean absolute deviation is two slice sums either side of the average
    (C loops) instead of a Python loop over the window. The sorted copy holds
    ``typical - reference`` with a reference rebuilt every ``period`` bars, so
    the slice sums are of deviations, not of prices, and lose no digits.
    """

    name = "cci"
    title = "Commodity Channel Index"
    short = "CCI"
    inputs = ("high", "low", "close")
    outputs = ("cci",)
    placement = Placement.PANE
    Params = CCIParams
    levels = (-100.0, 100.0)

    __slots__ = ("_i", "_n", "_period", "_reference", "_ring", "_since_rebase", "_sorted")

    def _configure(self) -> None:
        self._period: int = self.params.period  # type: ignore[attr-defined]

    def reset(self) -> None:
        self._ring = [0.0] * self._period
        self._i = 0
        self._n = 0  # bars seen, capped at period
        self._sorted: list[float] = []  # committed window minus the reference, ascending
        self._reference = 0.0
        self._since_rebase = 0

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return (self._period - 1,)

    def push(self, high: float, low: float, close: float) -> float:
        typical = (high + low + close) / 3
        n = self._n
        period = self._period
        ring = self._ring
        i = self._i
        old = ring[i]
        ring[i] = typical
        srt = self._sorted
        if n < period - 1:
            if n == 0:
                self._reference = typical
            insort(srt, typical - self._reference)
            self._n = n + 1
            self._i = i + 1
            return NAN
        value = self._cci(ring, srt, typical, old if n == period else None)
        reference = self._reference
        if n == period:
            del srt[bisect_left(srt, old - reference)]
        else:
            self._n = period
        insort(srt, typical - reference)
        i += 1
        self._i = 0 if i == period else i
        since = self._since_rebase + 1
        if since >= period:
            self._reference = typical
            self._sorted = sorted([slot - typical for slot in ring])
            since = 0
        self._since_rebase = since
        return value

    def peek(self, high: float, low: float, close: float) -> float:
        n = self._n
        if n < self._period - 1:
            return NAN
        typical = (high + low + close) / 3
        ring = self._ring
        i = self._i
        old = ring[i]
        ring[i] = typical  # the forming bar's window, for the average; restored below
        value = self._cci(ring, self._sorted, typical, old if n == self._period else None)
        ring[i] = old
        return value

    def _cci(self, ring: list[float], srt: list[float], typical: float, old: float | None) -> float:
        """CCI of ``ring``; ``srt`` is the committed window, which still has ``old`` in it."""
        period = self._period
        average = sum(ring, 0.0) / period
        reference = self._reference
        centre = average - reference
        k = bisect_left(srt, centre)
        above = sum(srt[k:], 0.0) - (len(srt) - k) * centre
        below = k * centre - sum(srt[:k], 0.0)
        deviation = above + below + abs(typical - reference - centre)
        if old is not None:
            deviation -= abs(old - reference - centre)
        deviation /= period
        distance = typical - average
        scale = _FLAT * abs(average)
        if abs(distance) <= scale or deviation <= scale:
            return 0.0
        return distance / (0.015 * deviation)

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        high, low, close = arrays
        return (talib_batch.cci(high, low, close, self._period),)
