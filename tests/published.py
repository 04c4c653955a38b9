"""A publisher for tests of the engine's core: it keeps every fact the core publishes."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.enums import LogLevel
from app.domain.notices import LogEvent
from app.domain.trading import Fill, OrderUpdate


@dataclass
class Published:
    """What ``TradingCore`` published, by kind, in order."""

    logs: list[LogEvent] = field(default_factory=list)
    orders: list[OrderUpdate] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    other: list[object] = field(default_factory=list)

    def publish(self, fact: object) -> None:
        if isinstance(fact, LogEvent):
            self.logs.append(fact)
        elif isinstance(fact, OrderUpdate):
            self.orders.append(fact)
        elif isinstance(fact, Fill):
            self.fills.append(fact)
        else:
            self.other.append(fact)

    def messages(self, level: LogLevel | None = None) -> list[str]:
        return [e.message for e in self.logs if level is None or e.level is level]
