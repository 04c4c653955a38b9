"""The GUI's copy of the engine's alerts: one book that the Alerts tab and every chart read.

The engine owns the alerts; this book only keeps the last ``AlertStatus`` of
each (from ``AlertList`` at start and each ``AlertStatus`` after a change), so
the tab and the chart lines of every chart draw the same thing. No Qt: readers
subscribe with a callback that gets the numbers that changed.
"""

from __future__ import annotations

from collections.abc import Callable

from app.domain.alert_facts import AlertList, AlertStatus
from app.domain.alerts import AlertSpec, Condition

Listener = Callable[[set[int]], None]


def is_level_alert(spec: AlertSpec) -> bool:
    """A price alert on a fixed level (or a channel of two): one a chart can draw and move."""
    return (
        spec.watch.is_price
        and spec.level is not None
        and spec.line is None
        and spec.other is None
        and not spec.condition.is_move
        and spec.condition is not Condition.AT
    )


class AlertBook:
    def __init__(self) -> None:
        self.alerts: dict[int, AlertStatus] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """A chart that closes stops listening (its lines are gone with it)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def apply(self, fact: object) -> None:
        """An ``AlertList`` replaces the book; an ``AlertStatus`` changes one alert."""
        if isinstance(fact, AlertList):
            changed = set(self.alerts) | {a.number for a in fact.alerts}
            self.alerts = {a.number: a for a in fact.alerts}
        elif isinstance(fact, AlertStatus):
            changed = {fact.number}
            if fact.deleted:
                self.alerts.pop(fact.number, None)
            else:
                self.alerts[fact.number] = fact
        else:
            return
        for listener in list(self._listeners):  # a listener may unsubscribe
            listener(changed)

    def get(self, number: int) -> AlertStatus | None:
        return self.alerts.get(number)

    def ordered(self) -> list[AlertStatus]:
        return [self.alerts[n] for n in sorted(self.alerts)]

    def levels_of(self, symbol: str) -> list[AlertStatus]:
        """The level alerts of ``symbol`` (what its charts draw), oldest first."""
        return [a for a in self.ordered() if a.spec.symbol == symbol and is_level_alert(a.spec)]
