"""What the engine tells about itself: log lines and the state of the broker link."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.domain.enums import (
    ConnectionStatus,
    LogLevel,
)


@dataclass(frozen=True, slots=True)
class ConnectionState:
    status: ConnectionStatus
    broker: str
    detail: str = ""


#: How the engine's event-log lines about a deal begin ("Filled: buy 0.10 EURUSD …",
#: "Closed by stop loss: position #7 …"): among an order's lines, the ones that tell
#: what was traded (a strategy instance's last lines, restored after a restart, keep
#: these and leave out the order's other states).
FILLED_LINE = "Filled: "
CLOSED_LINE = "Closed"


@dataclass(frozen=True, slots=True)
class LogEvent:
    level: LogLevel
    source: str
    message: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    client_id: str | None = None
