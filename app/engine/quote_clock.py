"""How old a quote is, and whether its time stamp can be believed, on the engine's clock.

A broker stamps every tick with its own clock, and a wrong stamp must never make
a quote look fresh: a tick stamped a year ahead had a negative age, so the stale
quote guard never fired again. So the age of a quote is measured on the engine's
own clock, from when the engine received it, and its stamp is only trusted as
far as it agrees with that clock.

The two clocks may legitimately differ: MetaTrader 5 trade servers commonly stamp
ticks in their own time zone (UTC+2 or +3), and a desk PC's clock may be a few
seconds off. ``QuoteClock`` learns that offset from the live ticks themselves:
for each half second of arrivals it keeps how far the freshest tick was stamped
ahead of its arrival, and the offset is the median over the last 64 of those.
The freshest tick is the one that tells the clock (a batch of old ticks handed
over after a reconnect is one sample, and its newest tick), and the median
ignores a few wild stamps. A stamp is "from the future" when it runs more than
``FUTURE_TOLERANCE_S`` ahead of its arrival plus that offset. A stamp beyond
any time zone (more than 14 hours ahead) is never learned from. Until three
half seconds of ticks have been seen, the offset is taken as zero.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Sequence

from app.domain.market import Tick

FUTURE_TOLERANCE_S = 2.0
"""How far a stamp may run ahead of the engine's clock (after the broker's usual
offset) before the quote is refused as untrustworthy: clock jitter, not news."""

MAX_ZONE_AHEAD_S = 14 * 3600.0
"""The furthest any time zone is ahead of UTC (UTC+14): no honest offset is larger."""

MAX_ZONE_BEHIND_S = 12 * 3600.0
"""The furthest any time zone is behind UTC (UTC-12)."""

SAMPLE_S = 0.5
"""Arrivals within one such slice of the engine's clock give one sample (their freshest)."""

OFFSET_SAMPLES = 64
"""Samples over which the broker's clock offset is learned (the median of them)."""

MIN_OFFSET_SAMPLES = 3
"""Samples needed before the learned offset is used; until then it is taken as zero."""


_LOWEST_SKEW = -MAX_ZONE_BEHIND_S
_HIGHEST_SKEW = MAX_ZONE_AHEAD_S + FUTURE_TOLERANCE_S


class QuoteClock:
    """Arrival times of the latest quotes, and the broker's clock offset, per engine clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._arrived: dict[str, tuple[int, float]] = {}  # symbol -> (stamp ms, arrival)
        self._skews: deque[float] = deque(maxlen=OFFSET_SAMPLES)  # per slice, the freshest
        self._slice: int | None = None  # the slice of the engine's clock of ``_skews[-1]``

    def saw(self, tick: Tick) -> None:
        """A tick arrived now. O(1): called for every tick."""
        now = self._clock()
        stamp = tick.time_msc
        self._arrived[tick.symbol] = (stamp, now)
        skew = stamp / 1000 - now
        if not _LOWEST_SKEW <= skew <= _HIGHEST_SKEW:
            return  # no time zone explains it: never learn from it
        slice_ = int(now // SAMPLE_S)
        skews = self._skews
        if skews and self._slice == slice_:  # the same slice: keep its freshest tick
            if skew > skews[-1]:
                skews[-1] = skew
        else:
            skews.append(skew)
            self._slice = slice_

    def saw_all(self, ticks: Sequence[Tick]) -> None:
        """A poll's ticks arrived now: what ``saw`` does for each, with one clock read.

        They arrived together, so they share one arrival time, and the freshest of
        them (the newest stamp) is the batch's one sample of the broker's clock.
        """
        if not ticks:
            return
        now = self._clock()
        arrived = self._arrived
        freshest = ticks[0].time_msc
        for tick in ticks:
            stamp = tick.time_msc
            arrived[tick.symbol] = (stamp, now)
            if stamp > freshest:
                freshest = stamp
        skew = freshest / 1000 - now
        if not -MAX_ZONE_BEHIND_S <= skew <= MAX_ZONE_AHEAD_S + FUTURE_TOLERANCE_S:
            return
        slice_ = int(now // SAMPLE_S)
        if self._skews and self._slice == slice_:
            self._skews[-1] = max(self._skews[-1], skew)
        else:
            self._skews.append(skew)
            self._slice = slice_

    def offset(self) -> float | None:
        """How far the broker's stamps usually run ahead of the engine's clock, in seconds."""
        if len(self._skews) < MIN_OFFSET_SAMPLES:
            return None
        return statistics.median(self._skews)

    def arrived_at(self, quote: Tick) -> float | None:
        """When the engine received ``quote``; None for one it never saw arrive."""
        seen = self._arrived.get(quote.symbol)
        if seen is None or seen[0] != quote.time_msc:
            return None
        return seen[1]

    def ahead(self, quote: Tick) -> float:
        """Seconds the stamp of ``quote`` runs ahead of the engine's clock, beyond the
        broker's usual offset, when it arrived (now, for one never seen arriving)."""
        arrived = self.arrived_at(quote)
        when = self._clock() if arrived is None else arrived
        return quote.time_msc / 1000 - when - (self.offset() or 0.0)

    def age(self, quote: Tick) -> float:
        """Seconds since ``quote`` was current, on the engine's clock; never negative.

        The larger of the time since it arrived and the age its stamp tells (after
        the broker's offset): a tick delivered late after a reconnect is as old as
        its stamp, and a tick with a stamp from the future is as old as its arrival.
        """
        now = self._clock()
        by_stamp = now - quote.time_msc / 1000 + (self.offset() or 0.0)
        arrived = self.arrived_at(quote)
        by_arrival = now - arrived if arrived is not None else by_stamp
        return max(0.0, by_arrival, by_stamp)


def describe_span(seconds: float) -> str:
    """``31536000`` → ``365 days``, ``600`` → ``10 min``, ``7.5`` → ``7.5 s``."""
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.1f} s"
