"""Where stored history has holes: the gap rule, in one place.

A *break* is the time between two neighbouring rows during which no bar was
open (for bars: from the end of one bar, ``time + step``, to the open of the
next; for ticks: between two ticks). A break is a **gap** when

* it is longer than ``max(one bar of the timeframe, one hour)`` -- single
  missing bars and quiet minutes are normal (MetaTrader 5 makes no bar in a
  minute without ticks, and brokers pause a few minutes at the daily rollover),
  while an hour or more without data is worth a trader's attention; and
* it is not a **weekend closure**: a break that covers the whole of a Saturday
  (on the clock of the data) and lasts no more than 72 hours. That fits the FX
  week on every broker clock in use -- Friday 22:00 to Sunday 22:00 UTC, or
  Friday 23:59 to Monday 00:00 on the usual GMT+2/+3 server clock -- and also
  ignores a long weekend with one holiday beside it. Markets that trade on
  weekends (crypto) simply have no such breaks.

Holidays in mid-week therefore show as gaps; they are real closures, and a
listing that shows them lets the trader tell them from missing imports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOUR = 3600
DAY = 86_400
WEEKEND_MAX_SECONDS = 72 * HOUR


@dataclass(frozen=True, slots=True)
class Gap:
    """No data from ``start`` to ``end`` (epoch seconds)."""

    start: int
    end: int

    @property
    def seconds(self) -> int:
        return self.end - self.start


def gap_threshold(step_seconds: int) -> int:
    """Breaks longer than this are gaps (see the module docstring)."""
    return max(step_seconds, HOUR)


def find_gaps(times: np.ndarray, step_seconds: int) -> list[Gap]:
    """The gaps between neighbouring ``times`` (sorted epoch seconds).

    ``step_seconds`` is the bar length (0 for ticks): a bar at ``t`` covers
    ``[t, t + step)``, so the break after it starts at ``t + step``.
    """
    if len(times) < 2:
        return []
    times = np.asarray(times, dtype=np.int64)
    starts = times[:-1] + step_seconds
    ends = times[1:]
    candidates = np.flatnonzero(ends - starts > gap_threshold(step_seconds))
    if len(candidates) == 0:
        return []
    starts, ends = starts[candidates], ends[candidates]
    weekend = covers_a_whole_saturday(starts, ends) & (ends - starts <= WEEKEND_MAX_SECONDS)
    return [Gap(int(s), int(e)) for s, e in zip(starts[~weekend], ends[~weekend], strict=True)]


def covers_a_whole_saturday(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each break, whether some Saturday 00:00-24:00 lies wholly inside it."""
    # The first midnight at or after each start; then the first Saturday from there.
    first_midnight = -(-starts // DAY) * DAY
    weekday = (first_midnight // DAY + 3) % 7  # Monday = 0 (1970-01-01 was a Thursday)
    days_to_saturday = (5 - weekday) % 7
    saturday = first_midnight + days_to_saturday * DAY
    return saturday + DAY <= ends
