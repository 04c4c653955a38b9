"""One indicator's values at every bar of a chart, kept in step with the candles.

The values live in a preallocated ``(outputs, capacity)`` buffer beside the
candles' own. Three moments, three library calls:

* the history loads: ``batch`` over the closed bars (TA-Lib), ``warm`` to set
  the per-bar state, ``peek`` at the forming bar;
* a tick changes the forming bar: ``peek`` again, written to the last slot;
* a new bar opens: ``push`` the bar that just closed (its final prices), then
  ``peek`` the new one.

So a tick costs one ``peek`` per indicator, whatever the history's length, and
the numbers are the ones a strategy sees.
"""

from __future__ import annotations

import math

import numpy as np

from app.indicators import Indicator
from app.ui.panels.chart.candles import CandlestickItem, FloatArray
from app.ui.panels.chart.studies.spec import StudySpec

#: Spare slots reserved on a load, so live appends rarely reallocate.
MIN_SPARE = 1024

_INPUT_ROWS = {"open": 0, "high": 1, "low": 2, "close": 3, "volume": 4}


class StudySeries:
    """The values of one indicator over the candles' bars."""

    def __init__(self, spec: StudySpec, candles: CandlestickItem) -> None:
        self.spec = spec
        self.indicator: Indicator = spec.build()
        self.outputs = self.indicator.outputs
        self._candles = candles
        self._rows = [_INPUT_ROWS[name] for name in self.indicator.inputs]
        self._values: FloatArray = np.full((len(self.outputs), 0), np.nan)
        self._n = 0
        self.version = 0  # bumps whenever a value other than the newest changes
        self.y_min = math.inf
        self.y_max = -math.inf
        self.recompute()

    def __len__(self) -> int:
        return self._n

    @property
    def values(self) -> FloatArray:
        """``(outputs, bars)`` view of the filled part; read-only."""
        return self._values[:, : self._n]

    def output(self, k: int) -> FloatArray:
        return self._values[k, : self._n]

    def value_at(self, index: int) -> tuple[float, ...] | None:
        if not 0 <= index < self._n:
            return None
        return tuple(float(v) for v in self._values[:, index])

    # ------------------------------------------------------------------ updates

    def recompute(self) -> None:
        """Every value again from the candles (after a load, or new parameters)."""
        n = len(self._candles)
        capacity = n + max(MIN_SPARE, n // 4)
        self._values = np.full((len(self.outputs), capacity), np.nan)
        self._n = n
        self.version += 1
        if n == 0:
            self.indicator.reset()
            self.y_min, self.y_max = math.inf, -math.inf
            return
        closed = [self._column(row)[: n - 1] for row in self._rows]
        if n > 1:
            for k, values in enumerate(self.indicator.batch(*closed)):
                self._values[k, : n - 1] = values
        self.indicator.warm(*closed)
        self._peek_last()
        filled = self._values[:, :n]
        finite = filled[np.isfinite(filled)]
        self.y_min = float(finite.min()) if finite.size else math.inf
        self.y_max = float(finite.max()) if finite.size else -math.inf

    def forming_changed(self) -> None:
        """The newest bar changed: peek at it (O(1))."""
        if self._n != len(self._candles):  # not in step (a first bar without history)
            self._follow_appends()
            return
        self._peek_last()

    def bar_appended(self) -> None:
        """A new bar opened: push the one that closed, then peek at the new one (O(1))."""
        self._follow_appends()

    def _follow_appends(self) -> None:
        n = len(self._candles)
        if n < self._n:  # bars were dropped: the chart reloads; start again
            self.recompute()
            return
        while self._n < n:
            if self._n > 0:  # the newest bar we had is closed now: its final prices
                self._push(self._n - 1)
            if self._n >= self._values.shape[1]:
                self._grow()
            self._n += 1
            self.version += 1
        self._peek_last()

    # ---------------------------------------------------------------- internals

    def _column(self, row: int) -> FloatArray:
        c = self._candles
        return (c.open, c.high, c.low, c.close, c.volume)[row]

    def _inputs(self, index: int) -> list[float]:
        bar = self._candles.bar_at(index)  # (time, o, h, l, c, v) as plain floats
        assert bar is not None
        return [bar[row + 1] for row in self._rows]

    def _push(self, index: int) -> None:
        self._store(index, self.indicator.push(*self._inputs(index)))

    def _peek_last(self) -> None:
        if self._n:
            self._store(self._n - 1, self.indicator.peek(*self._inputs(self._n - 1)))

    def _store(self, index: int, result: float | tuple[float, ...]) -> None:
        values = result if isinstance(result, tuple) else (result,)
        column = self._values[:, index]
        for k, value in enumerate(values):
            column[k] = value
            if value < self.y_min:
                self.y_min = value
            if value > self.y_max:
                self.y_max = value

    def _grow(self) -> None:
        bigger = np.full((len(self.outputs), max(MIN_SPARE, 2 * self._values.shape[1])), np.nan)
        bigger[:, : self._n] = self._values[:, : self._n]
        self._values = bigger

    def visible_range(self, i0: int, i1: int) -> tuple[float, float] | None:
        """Lowest and highest value of every output among bars ``[i0, i1)`` (O(visible))."""
        i0, i1 = max(0, i0), min(self._n, i1)
        if i1 <= i0:
            return None
        window = self._values[:, i0:i1]
        low, high = np.nanmin(window, initial=np.inf), np.nanmax(window, initial=-np.inf)
        if not (math.isfinite(low) and math.isfinite(high)):
            return None
        return float(low), float(high)
