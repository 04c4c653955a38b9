"""One armed alert: its condition judged on two consecutive observations, and its trigger.

Every condition is decided from the previous observation and the current one,
never from the current one alone, so a price that jumps past a level between
two ticks still crosses it. With a level ``L`` (which may move: a trend line,
another indicator), ``d = value - L`` before and now:

* crosses up: ``d_prev < 0 <= d_now``; crosses down: ``d_prev > 0 >= d_now``
  (reaching the level counts as touching it; leaving a level one was sitting
  on does not cross it again);
* above: ``d_now > 0``; below: ``d_now < 0`` (states: true while they hold);
* enters a channel ``[lo, hi]``: crosses ``lo`` upwards or ``hi`` downwards;
  exits it: leaves through ``hi`` upwards or ``lo`` downwards. A jump straight
  through the channel both enters and exits it.

The trigger decides whether a condition that held may fire now
(``next_allowed_msc``): once (then done), once per bar of a timeframe (not
again before the next bar opens), every time at least an interval apart; a
maximum count ends it. Bar closes are judged by whoever feeds the closes.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, NamedTuple

from app.domain.alerts import AlertSpec, Condition, Trigger

if TYPE_CHECKING:
    from app.indicators import Indicator

_INF = math.inf
#: Prices are binary floats: 1.1010 - 1.1000 is 0.00099999999999989. A move is judged
#: to a relative 1e-9 of its amount, far below any point of any symbol.
_TOLERANCE = 1e-9


# Conditions as small numbers, for the tick path's comparisons.
CROSS, CROSS_UP, CROSS_DOWN, ABOVE, BELOW, OTHER = range(6)
_CODES = {
    Condition.CROSSES: CROSS,
    Condition.CROSSES_UP: CROSS_UP,
    Condition.CROSSES_DOWN: CROSS_DOWN,
    Condition.ABOVE: ABOVE,
    Condition.BELOW: BELOW,
}


class Firing(NamedTuple):
    """An alert fired at ``time_msc`` on ``value`` (the observation that made it fire)."""

    armed: Armed
    value: float | None
    time_msc: int


class Armed:
    """An alert being evaluated: its definition, where it stands, and what it remembers."""

    __slots__ = (
        "bar_ms",
        "channel",
        "code",
        "condition",
        "count",
        "done",
        "indicator",
        "indicator_output",
        "interval_ms",
        "level",
        "limit",
        "line_p1",
        "line_slope",
        "line_t1",
        "next_allowed_msc",
        "number",
        "other",
        "other_output",
        "prev",
        "prev_ref",
        "scheduled",
        "spec",
        "stamp",
        "state_condition",
        "trigger",
        "true",
        "upper",
        "window",
    )

    def __init__(self, number: int, spec: AlertSpec, count: int = 0) -> None:
        self.number = number
        self.spec = spec
        self.condition = spec.condition
        self.state_condition = spec.condition.is_state
        self.channel = spec.condition.is_channel
        self.code = _CODES.get(spec.condition, OTHER)
        line = spec.line
        # The trend line as the tick path reads it (TrendLine.at, without a call per tick).
        self.line_t1 = line.time1_msc if line is not None else 0
        self.line_p1 = line.price1 if line is not None else 0.0
        self.line_slope = (
            (line.price2 - line.price1) / (line.time2_msc - line.time1_msc) if line else 0.0
        )
        self.level = spec.level if spec.level is not None else math.nan
        self.upper = spec.upper if spec.upper is not None else math.nan
        self.trigger = spec.trigger
        self.interval_ms = spec.interval_s * 1000
        self.bar_ms = spec.timeframe.seconds * 1000 if spec.timeframe is not None else 0
        self.limit = spec.limit
        self.count = count
        self.done = bool(self.limit) and count >= self.limit
        self.next_allowed_msc = -_INF
        self.true = False  # a state condition held at the last observation
        self.scheduled = False  # in its level index's due queue
        self.stamp = -1  # the last tick its level index judged it on (a channel has two edges)
        self.prev: float | None = None  # the last observation, where no index keeps it
        # The moving level at that observation (a trend line's: price minus line, its sign).
        self.prev_ref: float | None = None
        self.window: deque[tuple[int, float]] | None = deque() if spec.condition.is_move else None
        self.indicator: Indicator | None = None
        self.indicator_output = 0
        self.other: Indicator | None = None
        self.other_output = 0

    def __repr__(self) -> str:
        return f"<Armed alert {self.number} {self.condition} count={self.count}>"

    # -- the condition ------------------------------------------------------------------
    def judge(self, prev: float | None, cur: float, ref_prev: float, ref_cur: float) -> bool:
        """Whether the condition holds for the move ``prev`` → ``cur`` against the level."""
        condition = self.condition
        now = cur - ref_cur
        if condition is Condition.ABOVE:
            return now > 0
        if condition is Condition.BELOW:
            return now < 0
        if prev is None:
            return False
        if self.channel:
            lo, hi = self.level, self.upper
            if condition is Condition.ENTERS_CHANNEL:
                return (prev < lo <= cur) or (prev > hi >= cur)
            return (prev <= hi < cur) or (prev >= lo > cur)
        before = prev - ref_prev
        if condition is Condition.CROSSES_UP:
            return before < 0 <= now
        if condition is Condition.CROSSES_DOWN:
            return before > 0 >= now
        return (before < 0 <= now) or (before > 0 >= now)

    def moved(self, time_msc: int, value: float, window_ms: int) -> bool:
        """A move alert's window takes ``value``; True if it rose or fell far enough."""
        window = self.window
        assert window is not None
        spec = self.spec
        rising = self.condition is Condition.MOVES_UP
        # A monotonic queue: the front is the window's lowest (rising) or highest value.
        if rising:
            while window and window[-1][1] >= value:
                window.pop()
        else:
            while window and window[-1][1] <= value:
                window.pop()
        window.append((time_msc, value))
        start = time_msc - window_ms
        while window[0][0] < start:
            window.popleft()
        extreme = window[0][1]
        change = value - extreme if rising else extreme - value
        if spec.percent:
            change = change / extreme * 100 if extreme > 0 else 0.0
        amount = spec.amount or _INF
        return change >= amount - amount * _TOLERANCE

    def restart_window(self, time_msc: int, value: float) -> None:
        """After a move fired, the next one is measured from here."""
        if self.window is not None:
            self.window.clear()
            self.window.append((time_msc, value))

    # -- the trigger --------------------------------------------------------------------
    def allowed(self, time_msc: int) -> bool:
        return not self.done and time_msc >= self.next_allowed_msc

    def fired(self, time_msc: int) -> None:
        """Count a firing at ``time_msc`` and say when the next may come."""
        self.count += 1
        if self.limit and self.count >= self.limit:
            self.done = True
        trigger = self.trigger
        if trigger is Trigger.EVERY:
            self.next_allowed_msc = time_msc + self.interval_ms if self.interval_ms else -_INF
        elif trigger is Trigger.ONCE_PER_BAR:
            bar = self.bar_ms
            self.next_allowed_msc = (time_msc // bar + 1) * bar

    def resume_after(self, last_fired_msc: int | None) -> None:
        """Restored from the journal: the trigger's wait continues from the last firing."""
        if last_fired_msc is not None and not self.done:
            count = self.count
            self.fired(last_fired_msc)
            self.count = count  # the count came from the journal
            self.done = bool(self.limit) and count >= self.limit
