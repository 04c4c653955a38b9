"""Fixed levels of one symbol's bid, ask or last, kept sorted: a tick judges only what it passed.

A thousand alerts over twenty symbols are fifty levels per symbol. Judging
each of them on every tick would cost fifty calls per tick; instead the levels
of one ``(symbol, price)`` are kept in a sorted list, and a tick from ``prev``
to ``cur`` looks up (by bisection) the levels in ``[min, max]`` of the two:
only those can have been crossed, entered, left, or become true or false. A
quiet tick touches none. Channels put both edges in the list; a jump through
both judges the alert once.

State conditions (above, below) that keep firing while they hold (every N,
once per bar) wait in a small heap until their trigger allows the next
firing; a tick looks only at the heap's head.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left, bisect_right

from app.alerts.armed import Armed, Firing

_order = itertools.count()
_INF = float("inf")


class LevelIndex:
    __slots__ = ("_due", "_hi", "_levels", "_lo", "_owners", "_seq", "_states", "prev")

    def __init__(self) -> None:
        self._levels: list[float] = []
        self._owners: list[Armed] = []
        self._states: list[Armed] = []  # above / below: judged on the first value too
        self._due: list[tuple[float, int, Armed]] = []
        self._seq = 0
        self.prev: float | None = None  # the last value seen
        # The quiet band (nearest levels strictly below and above ``prev``); empty
        # (inf, -inf) until the next full look, e.g. after the levels changed.
        self._lo, self._hi = _INF, -_INF

    def __len__(self) -> int:
        return len(self._owners)

    # -- keeping ------------------------------------------------------------------------
    def add(self, armed: Armed) -> None:
        edges = [armed.level] if not armed.condition.is_channel else [armed.level, armed.upper]
        for level in edges:
            i = bisect_right(self._levels, level)
            self._levels.insert(i, level)
            self._owners.insert(i, armed)
        self._lo, self._hi = _INF, -_INF
        if armed.state_condition:
            self._states.append(armed)
            prev = self.prev
            if prev is not None and armed.judge(prev, prev, armed.level, armed.level):
                armed.true = True
                self._schedule(armed, armed.next_allowed_msc)  # fires at the next tick

    def remove(self, armed: Armed) -> None:
        keep = [i for i, owner in enumerate(self._owners) if owner is not armed]
        self._levels = [self._levels[i] for i in keep]
        self._owners = [self._owners[i] for i in keep]
        self._lo, self._hi = _INF, -_INF
        if armed in self._states:
            self._states.remove(armed)
        armed.true = False  # a stale heap entry is dropped when it comes up

    # -- the tick path ------------------------------------------------------------------
    def move(self, cur: float, time_msc: int, out: list[Firing]) -> None:
        """The price went from ``prev`` to ``cur`` at ``time_msc``; firings go to ``out``."""
        prev = self.prev
        self.prev = cur
        if self._lo < cur < self._hi:  # passed no level: nothing to judge
            due = self._due
            if due and due[0][0] <= time_msc:
                self._run_due(cur, time_msc, out)
            return
        if prev is None:
            for armed in self._states:
                if not armed.done and armed.judge(None, cur, armed.level, armed.level):
                    armed.true = True
                    self._schedule(armed, armed.next_allowed_msc)
        elif cur != prev:
            levels = self._levels
            if prev < cur:
                i, j = bisect_left(levels, prev), bisect_right(levels, cur)
                span = range(i, j)
            else:
                i, j = bisect_left(levels, cur), bisect_right(levels, prev)
                span = range(j - 1, i - 1, -1)  # in the order the price passed them
            if i < j:
                self._seq += 1
                seq, owners = self._seq, self._owners
                for k in span:
                    armed = owners[k]
                    if armed.stamp != seq:
                        armed.stamp = seq
                        self._judge(armed, prev, cur, time_msc, out)
        self._band(cur)
        due = self._due
        if due and due[0][0] <= time_msc:
            self._run_due(cur, time_msc, out)

    def _band(self, price: float) -> None:
        """The nearest levels strictly below and above ``price`` (empty if one equals it)."""
        levels = self._levels
        i, j = bisect_left(levels, price), bisect_right(levels, price)
        if i != j:
            self._lo, self._hi = _INF, -_INF  # sitting on a level: look again next tick
            return
        self._lo = levels[i - 1] if i > 0 else -_INF
        self._hi = levels[i] if i < len(levels) else _INF

    def _judge(
        self, armed: Armed, prev: float, cur: float, time_msc: int, out: list[Firing]
    ) -> None:
        if armed.done:
            return
        level = armed.level
        holds = armed.judge(prev, cur, level, level)
        if not armed.state_condition:
            if holds and time_msc >= armed.next_allowed_msc:
                armed.fired(time_msc)
                out.append(Firing(armed, cur, time_msc))
            return
        if holds == armed.true:
            return
        armed.true = holds
        if holds:
            if time_msc >= armed.next_allowed_msc:
                armed.fired(time_msc)
                out.append(Firing(armed, cur, time_msc))
            if not armed.done:
                self._schedule(armed, armed.next_allowed_msc)

    def _schedule(self, armed: Armed, at_msc: float) -> None:
        if not armed.scheduled:
            armed.scheduled = True
            heapq.heappush(self._due, (at_msc, next(_order), armed))

    def _run_due(self, cur: float, time_msc: int, out: list[Firing]) -> None:
        """State alerts whose trigger allows them again: fire those that still hold."""
        due = self._due
        again: list[Armed] = []
        while due and due[0][0] <= time_msc:
            _at, _n, armed = heapq.heappop(due)
            armed.scheduled = False
            if armed.done or not armed.true:
                continue
            if time_msc >= armed.next_allowed_msc:
                armed.fired(time_msc)
                out.append(Firing(armed, cur, time_msc))
            if not armed.done:
                again.append(armed)
        for armed in again:
            at = armed.next_allowed_msc
            self._schedule(armed, at if at > time_msc else time_msc + 1)
