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


@dataclass(frozen=True, slots=True)
class LogEvent:
    level: LogLevel
    source: str
    message: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    client_id: str | None = None
