"""Trend indicators: ADX with +DI/−DI, and Parabolic SAR.

ADX follows TA-Lib (after Wilder, without his rounding):

* a bar's +DM is the rise of the high when it beats the fall of the low (and
  is positive), −DM the other way round, neither on a tie;
* +DM, −DM and the true range are *summed* over the first ``period - 1``
  changes, then smoothed as ``s - s / period + today``; +DI and −DI
  (``100 * dm / tr``) start at index ``period``;
* ADX is the mean of the first ``period`` DX values (index ``2 * period - 1``),
  then ``(adx * (period - 1) + dx) / period``; a bar whose true range or
  DI sum is zero leaves ADX where it was, as in TA-Lib.

Parabolic SAR follows TA-Lib's start: the first bar is consumed; the
direction of the second is long unless the first-to-second −DM is positive
and beats +DM; its SAR is the first bar's low (long) or high (short), its
extreme point the second bar's high (low). A reversal puts the SAR on the
prior extreme point, kept outside the last two bars' range, and restarts the
acceleration. The state is five floats, so ``peek`` is the same step on copies.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from pydantic import model_validator

from app.indicators import talib_batch
from app.indicators.base import NAN, FloatArray, Indicator, Placement, recursive_tail
from app.indicators.params import MAX_PERIOD, IndicatorParams, cross_field, param

__all__ = ["ADX", "ParabolicSAR"]


class ADXParams(IndicatorParams):
    indicator = "ADX"

    period: int = param(14, ge=2, le=MAX_PERIOD, step=1, title="Period")


class ADX(Indicator):
    """Average Directional Index with the +DI and −DI lines it is built from."""

    name = "adx"
    title = "Average Directional Index"
    short = "ADX"
    inputs = ("high", "low", "close")
    outputs = ("adx", "plus_di", "minus_di")
    placement = Placement.PANE
    Params = ADXParams
    levels = (20.0,)
    value_range = (0.0, 100.0)

    __slots__ = (
        "_adx",
        "_minus",
        "_n",
        "_period",
        "_plus",
        "_prev_close",
        "_prev_high",
        "_prev_low",
        "_tr",
    )

    def _configure(self) -> None:
        self._period: int = self.params.period  # type: ignore[attr-defined]

    def reset(self) -> None:
        self._n = 0  # bars seen, capped at 2 * period once ADX is seeded
        self._prev_high = self._prev_low = self._prev_close = NAN
        self._plus = self._minus = self._tr = 0.0  # smoothed (summed) +DM, -DM, TR
        self._adx = 0.0  # sum of DX until seeded, then ADX

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return (2 * self._period - 1, self._period, self._period)

    def warm_bars(self) -> int | None:
        alpha = 1.0 / self._period
        return recursive_tail(2 * self._period - 1, alpha, alpha)

    def push(self, high: float, low: float, close: float) -> tuple[float, float, float]:
        n = self._n
        prev_close = self._prev_close
        up = high - self._prev_high
        down = self._prev_low - low
        self._prev_high = high
        self._prev_low = low
        self._prev_close = close
        if n == 0:
            self._n = 1
            return NAN, NAN, NAN
        tr = high - low
        gap = abs(high - prev_close)
        if gap > tr:
            tr = gap
        gap = abs(low - prev_close)
        if gap > tr:
            tr = gap
        period = self._period
        plus = self._plus
        minus = self._minus
        smoothed_tr = self._tr
        if n >= period:
            plus -= plus / period
            minus -= minus / period
            smoothed_tr = smoothed_tr - smoothed_tr / period + tr
        else:
            smoothed_tr += tr
        if down > 0 and up < down:
            minus += down
        elif up > 0 and up > down:
            plus += up
        self._plus = plus
        self._minus = minus
        self._tr = smoothed_tr
        if n < period:
            self._n = n + 1
            return NAN, NAN, NAN
        if smoothed_tr != 0.0:
            plus_di = 100.0 * (plus / smoothed_tr)
            minus_di = 100.0 * (minus / smoothed_tr)
            di_sum = minus_di + plus_di
            dx = 100.0 * (abs(minus_di - plus_di) / di_sum) if di_sum != 0.0 else NAN
        else:
            plus_di = minus_di = 0.0
            dx = NAN  # no DX on a bar without range: ADX stays
        last = 2 * period - 1
        if n >= last + 1:
            adx = self._adx
            if dx == dx:
                adx = (adx * (period - 1) + dx) / period
                self._adx = adx
            return adx, plus_di, minus_di
        if dx == dx:
            self._adx += dx
        self._n = n + 1
        if n < last:
            return NAN, plus_di, minus_di
        self._adx /= period
        return self._adx, plus_di, minus_di

    def peek(self, high: float, low: float, close: float) -> tuple[float, float, float]:
        n = self._n
        period = self._period
        if n < period:
            return NAN, NAN, NAN
        prev_close = self._prev_close
        up = high - self._prev_high
        down = self._prev_low - low
        tr = max(high - low, abs(high - prev_close), abs(low - prev_close))
        plus = self._plus
        minus = self._minus
        plus -= plus / period
        minus -= minus / period
        smoothed_tr = self._tr
        smoothed_tr = smoothed_tr - smoothed_tr / period + tr
        if down > 0 and up < down:
            minus += down
        elif up > 0 and up > down:
            plus += up
        if smoothed_tr != 0.0:
            plus_di = 100.0 * (plus / smoothed_tr)
            minus_di = 100.0 * (minus / smoothed_tr)
            di_sum = minus_di + plus_di
            dx = 100.0 * (abs(minus_di - plus_di) / di_sum) if di_sum != 0.0 else NAN
        else:
            plus_di = minus_di = 0.0
            dx = NAN
        last = 2 * period - 1
        adx = self._adx
        if n >= last + 1:
            if dx == dx:
                adx = (adx * (period - 1) + dx) / period
        elif n == last:
            if dx == dx:
                adx += dx
            adx /= period
        else:
            adx = NAN
        return adx, plus_di, minus_di

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        high, low, close = arrays
        return talib_batch.adx(high, low, close, self._period)


class SARParams(IndicatorParams):
    indicator = "Parabolic SAR"

    acceleration: float = param(0.02, ge=0.0001, le=1.0, step=0.01, title="Step")
    maximum: float = param(0.2, ge=0.0001, le=1.0, step=0.01, title="Maximum")

    @model_validator(mode="after")
    def _step_within_maximum(self) -> Self:
        if self.acceleration > self.maximum:
            raise cross_field(
                "maximum",
                f"must be at least the step ({self.acceleration:g}) (got {self.maximum:g})",
            )
        return self


class ParabolicSAR(Indicator):
    """Wilder's Parabolic Stop and Reverse, with TA-Lib's start."""

    name = "sar"
    title = "Parabolic SAR"
    short = "SAR"
    inputs = ("high", "low")
    outputs = ("sar",)
    placement = Placement.OVERLAY
    Params = SARParams

    __slots__ = (
        "_af",
        "_ep",
        "_long",
        "_max",
        "_n",
        "_prev_high",
        "_prev_low",
        "_sar",
        "_step",
    )

    TAIL_BARS = 4096
    """Bars :meth:`warm` replays before checking it has joined TA-Lib's path."""

    def _configure(self) -> None:
        params: SARParams = self.params  # type: ignore[assignment]
        self._step = params.acceleration
        self._max = params.maximum

    def reset(self) -> None:
        self._n = 0  # bars seen, capped at 2
        self._long = True
        self._sar = self._ep = NAN
        self._af = self._step
        self._prev_high = self._prev_low = NAN

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return (1,)

    def push(self, high: float, low: float) -> float:
        n = self._n
        if n == 2:
            value, self._long, self._sar, self._ep, self._af = self._advance(high, low)
            self._prev_high = high
            self._prev_low = low
            return value
        if n == 0:
            self._n = 1
            self._prev_high = high
            self._prev_low = low
            return NAN
        self._start(high, low)
        value, self._long, self._sar, self._ep, self._af = self._advance(high, low)
        self._prev_high = high
        self._prev_low = low
        self._n = 2
        return value

    def peek(self, high: float, low: float) -> float:
        n = self._n
        if n == 2:
            return self._advance(high, low)[0]
        if n == 0:
            return NAN
        saved = (self._long, self._sar, self._ep, self._af, self._prev_high, self._prev_low)
        self._start(high, low)
        value = self._advance(high, low)[0]
        self._long, self._sar, self._ep, self._af, self._prev_high, self._prev_low = saved
        return value

    def _start(self, high: float, low: float) -> None:
        """Second bar: choose the direction and the first SAR from the first bar."""
        first_high = self._prev_high
        first_low = self._prev_low
        rise = high - first_high
        fall = first_low - low
        self._long = not (fall > 0 and rise < fall)
        if self._long:
            self._ep = high
            self._sar = first_low
        else:
            self._ep = low
            self._sar = first_high
        self._af = self._step
        # TA-Lib's first step sees the second bar as "yesterday" too.
        self._prev_high = high
        self._prev_low = low

    def _advance(self, high: float, low: float) -> tuple[float, bool, float, float, float]:
        """One bar: (value shown on it, long?, SAR for the next bar, extreme point, factor)."""
        prev_high = self._prev_high
        prev_low = self._prev_low
        sar = self._sar
        ep = self._ep
        af = self._af
        if self._long:
            if low <= sar:  # reverse to short
                sar = ep
                if sar < prev_high:
                    sar = prev_high
                if sar < high:
                    sar = high
                value = sar
                af = self._step
                ep = low
                sar = sar + af * (ep - sar)
                if sar < prev_high:
                    sar = prev_high
                if sar < high:
                    sar = high
                return value, False, sar, ep, af
            value = sar
            if high > ep:
                ep = high
                af += self._step
                if af > self._max:
                    af = self._max
            sar = sar + af * (ep - sar)
            if sar > prev_low:
                sar = prev_low
            if sar > low:
                sar = low
            return value, True, sar, ep, af
        if high >= sar:  # reverse to long
            sar = ep
            if sar > prev_low:
                sar = prev_low
            if sar > low:
                sar = low
            value = sar
            af = self._step
            ep = high
            sar = sar + af * (ep - sar)
            if sar > prev_low:
                sar = prev_low
            if sar > low:
                sar = low
            return value, True, sar, ep, af
        value = sar
        if low < ep:
            ep = low
            af += self._step
            if af > self._max:
                af = self._max
        sar = sar + af * (ep - sar)
        if sar < prev_high:
            sar = prev_high
        if sar < high:
            sar = high
        return value, False, sar, ep, af

    def warm(self, *arrays: FloatArray) -> None:
        """Replay a tail, and the whole history only if the tail has not joined TA-Lib's path.

        SAR never forgets the way a smoothing does, but two runs that reverse on
        the same bar are identical from then on; on real data a few thousand bars
        are plenty. The check compares the tail's last values with TA-Lib's.
        """
        high, low = (np.asarray(a, dtype=np.float64) for a in arrays)
        if len(high) <= self.TAIL_BARS:
            super().warm(high, low)
            return
        start = len(high) - self.TAIL_BARS
        self.reset()
        mine = []
        last_reversal = -1
        was_long = self._long
        for h, lo in zip(high[start:].tolist(), low[start:].tolist(), strict=True):
            mine.append(self.push(h, lo))
            if self._long != was_long:
                last_reversal = len(mine) - 1
                was_long = self._long
        # From a reversal on, the state is (direction, value, that bar's extreme,
        # the first step): equal values from there to the end mean equal states.
        if last_reversal > 0:
            reference = talib_batch.sar(high, low, self._step, self._max)[start + last_reversal :]
            # Rounding differs by ulps at most; a path that has not joined differs by
            # whole price steps (another extreme point), far outside this tolerance.
            if np.allclose(mine[last_reversal:], reference, rtol=1e-10, atol=1e-12):
                return
        super().warm(high, low)

    def warm_bars(self) -> int | None:
        return None

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        high, low = arrays
        return (talib_batch.sar(high, low, self._step, self._max),)
