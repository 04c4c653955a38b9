"""Where the time axis puts its labels and what they say, at any zoom and timeframe.

The chart's x is the bar index (weekends and session gaps leave no holes), so
ticks go on the first bar of each round period: every 15 minutes, every hour,
every day, week, month or year. The period is the shortest whose labels keep
their own width apart at the current zoom, measured from the pixels one bar
really takes (a few bars at the right of a wide view are close together); a
last pass drops any label that would still touch its neighbour, which data
with gaps can cause. Each label says what a trader expects at that scale:

* within a day, the time (``14:30``), and the date where a new day starts (``2 Dec``);
* across days and weeks, the date (``2 Dec``), the month where one starts (``Dec``);
* across months, the month (``Mar``), the year where one starts (``2026``);
* across years, the year.

Plain numpy and ``datetime``; the axis item measures text with its own font.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

DAY = 86_400
#: Pixels kept free between two labels.
LABEL_GAP = 14

Step = tuple[str, int]
"""A tick period: ``("s", seconds)``, ``("d", days)``, ``("w", 1)``, ``("m", months)``, ``("y", years)``."""

STEPS: tuple[Step, ...] = (
    ("s", 60), ("s", 120), ("s", 300), ("s", 600), ("s", 900), ("s", 1_800), ("s", 3_600),
    ("s", 7_200), ("s", 10_800), ("s", 14_400), ("s", 21_600), ("s", 43_200),
    ("d", 1), ("d", 2), ("w", 1), ("m", 1), ("m", 2), ("m", 3), ("m", 6),
    ("y", 1), ("y", 2), ("y", 5), ("y", 10), ("y", 25),
)  # fmt: skip

#: The widest label each kind of step can write (measured with the axis' font).
SAMPLES: dict[str, tuple[str, ...]] = {
    "s": ("00:00", "30 Sep"),
    "d": ("30 Sep", "Sep", "2026"),
    "w": ("30 Sep", "Sep", "2026"),
    "m": ("Sep", "2026"),
    "y": ("2026",),
}

IntArray = npt.NDArray[np.int64]
Measure = Callable[[str], float]
"""The width in pixels of a label."""


def step_seconds(step: Step) -> float:
    kind, n = step
    return {"s": 1.0, "d": DAY, "w": 7.0 * DAY, "m": 30.44 * DAY, "y": 365.25 * DAY}[kind] * n


def periods(times: IntArray, step: Step) -> IntArray:
    """The period number of each bar time (epoch seconds, UTC) for ``step``."""
    kind, n = step
    if kind == "s":
        return times // n
    if kind == "d":
        return times // (DAY * n)
    if kind == "w":
        return (times + 3 * DAY) // (7 * DAY)  # weeks start on Monday (1970-01-01 was a Thursday)
    months = times.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return months // n if kind == "m" else months // 12 // n


def label(time: int, previous: int | None, step: Step) -> str:
    """The text of a tick at bar ``time``; ``previous`` is the bar before it, if any."""
    moment = datetime.fromtimestamp(time, UTC)
    before = datetime.fromtimestamp(previous, UTC) if previous is not None else None
    kind = step[0]
    new_year = before is None or before.year != moment.year
    new_month = new_year or (before is not None and before.month != moment.month)
    if kind == "s":
        new_day = before is None or before.date() != moment.date()
        return f"{moment.day} {moment:%b}" if new_day else f"{moment:%H:%M}"
    if kind in ("d", "w"):
        if new_month and previous is not None:
            return f"{moment.year}" if new_year else f"{moment:%b}"
        return f"{moment.day} {moment:%b}"
    if kind == "m":
        return f"{moment.year}" if new_year and previous is not None else f"{moment:%b}"
    return f"{moment.year}"


def time_ticks(
    times: IntArray,
    i0: int,
    i1: int,
    bar_seconds: int,
    px_per_bar: float,
    measure: Measure,
) -> list[tuple[int, str]]:
    """``(bar index, label)`` of the ticks among bars ``[i0, i1)``, none closer than their width.

    ``px_per_bar`` is how many pixels one bar takes on screen now.
    """
    if i1 <= i0 or px_per_bar <= 0:
        return []
    for step in STEPS:
        if step_seconds(step) < bar_seconds:
            continue
        widest = max(measure(sample) for sample in SAMPLES[step[0]])
        if step_seconds(step) / bar_seconds * px_per_bar < widest + LABEL_GAP:
            continue
        return _spaced(_starts(times, i0, i1, step), times, step, px_per_bar, measure)
    return []


def _starts(times: IntArray, i0: int, i1: int, step: Step) -> list[int]:
    """First bar of each period in ``[i0, i1)`` (``i0`` only if a period starts there)."""
    lo = max(0, i0 - 1)
    numbers = periods(times[lo:i1], step)
    starts = (np.flatnonzero(numbers[1:] != numbers[:-1]) + 1 + lo).tolist()
    if i0 == 0:
        starts.insert(0, 0)
    return [i for i in starts if i >= i0]


def _spaced(
    starts: list[int], times: IntArray, step: Step, px_per_bar: float, measure: Measure
) -> list[tuple[int, str]]:
    """Label the ticks, dropping any that would touch the label kept before it."""
    out: list[tuple[int, str]] = []
    right_edge = -np.inf
    for i in starts:
        text = label(int(times[i]), int(times[i - 1]) if i > 0 else None, step)
        half = measure(text) / 2
        centre = i * px_per_bar
        if centre - half < right_edge + LABEL_GAP:
            continue
        out.append((i, text))
        right_edge = centre + half
    return out
