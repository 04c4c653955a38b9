"""Moving averages of the close: SMA, EMA, WMA.

Each ``push`` repeats TA-Lib's own arithmetic in the same order, so the live
value is the batch value to the last bit or within a few ulps:

* SMA keeps TA-Lib's running total: add the new close, divide, drop the oldest;
* EMA is seeded, as TA-Lib does, with the SMA of the first ``period`` closes
  (first value at index ``period - 1``), then ``(x - ema) * k + ema`` with
  ``k = 2 / (period + 1)``;
* WMA keeps two running sums (weighted and plain) and shifts every weight
  down by one with a single subtraction per bar; that subtraction of a large
  sum drifts (3e-9 after 30,000 bars at price 100, where TA-Lib stays within
  1e-12), so the sums are rebuilt from the window every ``period`` bars:
  amortised O(1), no drift.

The window is a fixed-size list used as a ring, so a bar allocates nothing.
"""

from __future__ import annotations

from app.indicators import talib_batch
from app.indicators.base import NAN, FloatArray, Indicator, Placement, recursive_tail
from app.indicators.params import MAX_PERIOD, IndicatorParams, param

__all__ = ["EMA", "SMA", "WMA", "MovingAverageParams"]


class MovingAverageParams(IndicatorParams):
    period: int = param(20, ge=2, le=MAX_PERIOD, step=1, title="Period")


class SMAParams(MovingAverageParams):
    indicator = "SMA"


class EMAParams(MovingAverageParams):
    indicator = "EMA"


class WMAParams(MovingAverageParams):
    indicator = "WMA"


class SMA(Indicator):
    """Simple moving average: the mean of the last ``period`` closes."""

    name = "sma"
    title = "Simple Moving Average"
    short = "SMA"
    inputs = ("close",)
    outputs = ("sma",)
    placement = Placement.OVERLAY
    Params = SMAParams

    __slots__ = ("_i", "_n", "_period", "_ring", "_total")

    def _configure(self) -> None:
        self._period: int = self.params.period  # type: ignore[attr-defined]

    def reset(self) -> None:
        self._ring = [0.0] * (self._period - 1)  # the last period-1 closes
        self._i = 0  # ring slot of the oldest close once full
        self._n = 0  # closes seen while filling
        self._total = 0.0  # sum of the ring

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return (self._period - 1,)

    def push(self, close: float) -> float:
        total = self._total + close
        ring = self._ring
        n = self._n
        if n < len(ring):
            ring[n] = close
            self._n = n + 1
            self._total = total
            return NAN
        i = self._i
        value = total / self._period
        self._total = total - ring[i]
        ring[i] = close
        i += 1
        self._i = 0 if i == len(ring) else i
        return value

    def peek(self, close: float) -> float:
        if self._n < len(self._ring):
            return NAN
        return (self._total + close) / self._period

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        (close,) = arrays
        return (talib_batch.sma(close, self._period),)


class EMA(Indicator):
    """Exponential moving average, seeded with the SMA of the first ``period`` closes."""

    name = "ema"
    title = "Exponential Moving Average"
    short = "EMA"
    inputs = ("close",)
    outputs = ("ema",)
    placement = Placement.OVERLAY
    Params = EMAParams

    __slots__ = ("_k", "_n", "_period", "_total", "_value")

    def _configure(self) -> None:
        self._period: int = self.params.period  # type: ignore[attr-defined]
        self._k = 2.0 / (self._period + 1)

    def reset(self) -> None:
        self._n = 0  # closes summed for the seed; == period once seeded
        self._total = 0.0
        self._value = NAN

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return (self._period - 1,)

    def warm_bars(self) -> int | None:
        return recursive_tail(self._period - 1, self._k)

    def push(self, close: float) -> float:
        n = self._n
        period = self._period
        if n == period:
            value = self._value
            value = (close - value) * self._k + value
            self._value = value
            return value
        total = self._total + close
        self._total = total
        n += 1
        self._n = n
        if n < period:
            return NAN
        self._value = total / period
        return self._value

    def peek(self, close: float) -> float:
        n = self._n
        if n == self._period:
            value = self._value
            return (close - value) * self._k + value
        if n == self._period - 1:
            return (self._total + close) / self._period
        return NAN

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        (close,) = arrays
        return (talib_batch.ema(close, self._period),)


class WMA(Indicator):
    """Linearly weighted moving average: the newest close weighs ``period``, the oldest 1."""

    name = "wma"
    title = "Weighted Moving Average"
    short = "WMA"
    inputs = ("close",)
    outputs = ("wma",)
    placement = Placement.OVERLAY
    Params = WMAParams

    __slots__ = (
        "_divider",
        "_i",
        "_n",
        "_period",
        "_plain",
        "_ring",
        "_since_rebuild",
        "_trailing",
        "_weighted",
    )

    def _configure(self) -> None:
        self._period: int = self.params.period  # type: ignore[attr-defined]
        self._divider = float(self._period * (self._period + 1) >> 1)

    def reset(self) -> None:
        self._ring = [0.0] * (self._period - 1)
        self._i = 0
        self._n = 0
        self._plain = 0.0  # sum of the window's closes
        self._weighted = 0.0  # weighted sum, weights already shifted for the next close
        self._trailing = 0.0  # the close that leaves the plain sum on the next push
        self._since_rebuild = 0

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return (self._period - 1,)

    def push(self, close: float) -> float:
        ring = self._ring
        n = self._n
        if n < len(ring):
            ring[n] = close
            self._n = n + 1
            self._plain += close
            self._weighted += close * (n + 1)
            return NAN
        plain = self._plain + close - self._trailing
        weighted = self._weighted + close * self._period
        i = self._i
        self._trailing = ring[i]
        ring[i] = close
        i += 1
        self._i = 0 if i == len(ring) else i
        value = weighted / self._divider
        since = self._since_rebuild + 1
        if since >= self._period:
            self._rebuild()
        else:
            self._since_rebuild = since
            self._weighted = weighted - plain
            self._plain = plain
        return value

    def _rebuild(self) -> None:
        """Sum the window afresh (every ``period`` bars): the running sums do not drift."""
        ring = self._ring
        size = len(ring)
        i = self._i
        weighted = plain = 0.0
        for weight in range(1, size + 1):
            value = ring[i]
            weighted += value * weight
            plain += value
            i += 1
            if i == size:
                i = 0
        self._weighted = weighted
        self._plain = plain + self._trailing
        self._since_rebuild = 0

    def peek(self, close: float) -> float:
        if self._n < len(self._ring):
            return NAN
        return (self._weighted + close * self._period) / self._divider

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        (close,) = arrays
        return (talib_batch.wma(close, self._period),)
