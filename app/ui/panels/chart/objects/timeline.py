"""From a time to a position on the chart's x axis (bar index) and back.

The chart's x is the bar index, so an object anchored at a time must find its
bar: a time between two bars falls between them in proportion (an object drawn
at 10:37 on M1 sits inside the 10:00 bar of H1), and a time beyond the data is
placed by the timeframe's bar length, so objects in the future stay put.
Plain numpy.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def x_of(times: IntArray, bar_seconds: int, stamps: npt.ArrayLike) -> FloatArray:
    """Bar positions of ``stamps`` (epoch seconds) on bars opening at ``times``."""
    at = np.asarray(stamps, dtype=np.float64)
    n = times.size
    if n == 0:
        return np.full(at.shape, np.nan)
    t = times.astype(np.float64)
    right = np.searchsorted(t, at, side="right")  # first bar opening after the stamp
    left = np.clip(right - 1, 0, n - 1)
    nxt = np.clip(right, 0, n - 1)
    span = t[nxt] - t[left]
    inside = (right > 0) & (right < n) & (span > 0)
    frac = np.where(inside, (at - t[left]) / np.where(span > 0, span, 1.0), 0.0)
    x = left + frac
    before = at < t[0]
    after = at > t[-1]
    x = np.where(before, (at - t[0]) / bar_seconds, x)
    return np.where(after, (n - 1) + (at - t[-1]) / bar_seconds, x)


def time_of(times: IntArray, bar_seconds: int, x: float) -> int:
    """The time at bar position ``x`` (the inverse of :func:`x_of`), whole seconds."""
    n = times.size
    if n == 0:
        return 0
    if x <= 0:
        return round(float(times[0]) + x * bar_seconds)
    if x >= n - 1:
        return round(float(times[-1]) + (x - (n - 1)) * bar_seconds)
    i = math.floor(x)
    t0, t1 = float(times[i]), float(times[i + 1])
    return round(t0 + (x - i) * (t1 - t0))
