"""Reading every tick exactly once across polls of ``copy_ticks_from``.

``copy_ticks_from(symbol, date_from, ...)`` returns ticks at or after ``date_from``;
asking from the last tick seen means no gap, but the ticks that share that last
millisecond come back again. ``TickCursor`` remembers which ticks of that boundary
millisecond were already delivered, by (time_msc, bid, ask, flags) with their
multiplicity, and drops exactly those.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import numpy as np

TickKey = tuple[int, float, float, int]


class TickCursor:
    """Where the last poll of one symbol ended."""

    def __init__(self, last_msc: int = 0) -> None:
        self.last_msc = last_msc
        self._boundary: Counter[TickKey] = Counter()

    def since(self) -> datetime:
        """The ``date_from`` for the next request: tz-aware UTC, millisecond precise."""
        return datetime.fromtimestamp(self.last_msc / 1000, tz=UTC)

    def take_new(self, ticks: np.ndarray) -> np.ndarray:
        """The rows of ``ticks`` (a ``copy_ticks_*`` array, in time order) not yet seen."""
        if len(ticks) == 0:
            return ticks
        msc = ticks["time_msc"]
        fresh = msc > self.last_msc
        seen = self._boundary.copy()
        for i in np.flatnonzero(msc == self.last_msc):
            key = _key(ticks[i])
            if seen[key] > 0:
                seen[key] -= 1
            else:
                fresh[i] = True
        new = ticks[fresh]
        if len(new):
            self._advance(new)
        return new

    def skip_to(self, tick: Any) -> None:
        """Count ``tick`` (a ``symbol_info_tick`` result) as seen, and nothing before it."""
        key = (int(tick.time_msc), float(tick.bid), float(tick.ask), int(tick.flags))
        if key[0] > self.last_msc:
            self.last_msc = key[0]
            self._boundary = Counter([key])
        elif key[0] == self.last_msc:
            self._boundary[key] = max(self._boundary[key], 1)

    def _advance(self, new: np.ndarray) -> None:
        last = int(new["time_msc"][-1])
        at_last = [_key(row) for row in new[new["time_msc"] == last]]
        if last == self.last_msc:
            self._boundary.update(at_last)
        else:
            self.last_msc = last
            self._boundary = Counter(at_last)


def _key(row: np.void) -> TickKey:
    return (int(row["time_msc"]), float(row["bid"]), float(row["ask"]), int(row["flags"]))
