"""Bar series the indicator tests share: seeded random walks of several kinds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.indicators import Indicator


@dataclass(frozen=True)
class Bars:
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    def columns(self, indicator: Indicator) -> list[np.ndarray]:
        return [getattr(self, name) for name in indicator.inputs]


def random_walk(
    n: int, *, seed: int, level: float = 100.0, step: float = 0.3, tick: float = 0.0
) -> Bars:
    """OHLC bars around a random walk; ``tick`` > 0 rounds prices to it (ties, flat bars)."""
    rng = np.random.default_rng(seed)
    close = level + np.cumsum(rng.normal(0.0, step, n))
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + rng.random(n) * step
    low = np.minimum(open_, close) - rng.random(n) * step
    if tick:
        high, low, close = (np.round(a / tick) * tick for a in (high, low, close))
    return Bars(high, low, close)


def with_flat_stretch(bars: Bars, start: int, length: int) -> Bars:
    """The same bars with ``length`` identical bars (high = low = close) from ``start``."""
    high, low, close = bars.high.copy(), bars.low.copy(), bars.close.copy()
    price = close[start]
    for a in (high, low, close):
        a[start : start + length] = price
    return Bars(high, low, close)


def push_all(indicator: Indicator, columns: list[np.ndarray]) -> list[tuple[float, ...]]:
    """Every bar pushed in turn; each result as a tuple."""
    rows = []
    for values in zip(*(c.tolist() for c in columns), strict=True):
        result = indicator.push(*values)
        rows.append(result if isinstance(result, tuple) else (result,))
    return rows


def assert_same_series(expected: np.ndarray, actual: np.ndarray, *, atol: float = 1e-9) -> None:
    """Same NaN positions, and the numbers within ``atol``."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    assert expected.shape == actual.shape
    nan_expected, nan_actual = np.isnan(expected), np.isnan(actual)
    mismatch = np.flatnonzero(nan_expected != nan_actual)
    assert mismatch.size == 0, f"NaN placement differs first at bar {mismatch[:1]}"
    diff = np.abs(expected[~nan_expected] - actual[~nan_actual])
    worst = float(diff.max()) if diff.size else 0.0
    assert worst <= atol, (
        f"differs by {worst:.3g} (bar {np.flatnonzero(~nan_expected)[diff.argmax()]})"
    )
