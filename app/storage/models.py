"""The journal's tables as typed SQLAlchemy 2 models.

The schema itself is created and changed only by the Alembic migrations in
``migrations/``; these classes describe the same tables for queries, and a test
checks that the two never drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Double,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps go in and come out as aware UTC datetimes on every database.

    SQLite has no time zones and hands back naive values; PostgreSQL keeps them.
    Normalising here means no caller ever compares naive with aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        float: Double,
        int: Integer,
    }


class OrderRecord(Base):
    """One client order, from its intent to its outcome.

    The row is written (and committed durably) *before* the broker is called, with
    ``status = pending_new``; the outcome updates it. A row still pending at start
    is an order whose fate the app never learnt: recovery asks the broker.
    """

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    account: Mapped[str] = mapped_column(String(128), index=True, server_default="")
    action: Mapped[str] = mapped_column(String(8))  # "open" or "close"
    position_ticket: Mapped[int | None] = mapped_column(BigInteger)  # the position a close targets
    broker_ticket: Mapped[int | None] = mapped_column(BigInteger)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    side: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(16))
    volume: Mapped[float]
    price: Mapped[float | None]  # requested entry price of a pending order
    stop_limit: Mapped[float | None]
    sl: Mapped[float | None]
    tp: Mapped[float | None]
    comment: Mapped[str] = mapped_column(String(255), server_default="")
    source: Mapped[str] = mapped_column(String(16))
    owner: Mapped[int] = mapped_column(server_default="0")  # 0 the trader, N strategy instance N
    status: Mapped[str] = mapped_column(String(20), index=True)
    filled_volume: Mapped[float] = mapped_column(server_default="0")
    fill_price: Mapped[float | None]
    reason: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    recovered_at: Mapped[datetime | None]  # set when start-up recovery settled the outcome


class DealRecord(Base):
    """A deal (fill) as the broker reported it; one row per broker deal ticket."""

    __tablename__ = "deals"
    __table_args__ = (
        UniqueConstraint("account", "deal_ticket", name="uq_deals_account_deal_ticket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(128), server_default="")
    deal_ticket: Mapped[int] = mapped_column(BigInteger)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    position_ticket: Mapped[int] = mapped_column(BigInteger)
    symbol: Mapped[str] = mapped_column(String(32), index=True)
    side: Mapped[str] = mapped_column(String(8))
    volume: Mapped[float]
    price: Mapped[float]
    time_msc: Mapped[int] = mapped_column(BigInteger, index=True)
    closes_position: Mapped[bool]
    realized_pnl: Mapped[float]
    reason: Mapped[str] = mapped_column(String(64), server_default="")
    owner: Mapped[int] = mapped_column(server_default="0")


class AccountSnapshotRecord(Base):
    """Balance and equity at a moment; written in batches, off the order path."""

    __tablename__ = "account_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(128))
    time: Mapped[datetime] = mapped_column(index=True)
    currency: Mapped[str] = mapped_column(String(8))
    balance: Mapped[float]
    equity: Mapped[float]
    margin: Mapped[float]
    free_margin: Mapped[float]
    floating_pnl: Mapped[float]


class RiskEventRecord(Base):
    """A risk decision or a change of trading state (ACTIVE/REDUCING/HALTED)."""

    __tablename__ = "risk_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(128), index=True, server_default="")
    time: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), server_default="")


class SettingChangeRecord(Base):
    """Audit of settings: one row per key whose value differs from the last run."""

    __tablename__ = "settings_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    time: Mapped[datetime] = mapped_column(index=True)
    key: Mapped[str] = mapped_column(String(128), index=True)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class EventLogRecord(Base):
    """One line of the event log, exactly as the user saw it; written in batches."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    time: Mapped[datetime] = mapped_column(index=True)
    level: Mapped[int]
    source: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64), index=True)


class StrategyInstanceRecord(Base):
    """A strategy attached to a symbol and timeframe, with its settings and saved state.

    ``number`` is the instance's owner number at the broker (MT5: magic + number);
    it is never reused, so a detached instance's positions are never mistaken for a
    new one's: a detached instance keeps its row with ``detached`` set.
    """

    __tablename__ = "strategy_instances"
    __table_args__ = (
        UniqueConstraint("account", "number", name="uq_strategy_instances_account_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(128), server_default="")
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(32))
    timeframe: Mapped[str] = mapped_column(String(8))
    params: Mapped[str] = mapped_column(Text)  # JSON
    budget: Mapped[str] = mapped_column(Text)  # JSON
    autostart: Mapped[bool]
    state: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON, the strategy's own
    detached: Mapped[bool] = mapped_column(server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AlertRecord(Base):
    """An alert: its definition (JSON), whether it is on, and how far it was acknowledged.

    ``number`` is how the trader calls it (``alert del 3``); it is never reused, so
    a deleted alert keeps its row (``deleted``) and its history of firings.
    ``generation`` counts edits: an edited alert starts again, and its count is
    that of the firings of its current generation.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("account", "number", name="uq_alerts_account_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(128), server_default="")
    number: Mapped[int]
    symbol: Mapped[str] = mapped_column(String(32), server_default="")
    definition: Mapped[str] = mapped_column(Text)  # JSON (app.domain.alerts.spec_to_dict)
    enabled: Mapped[bool]
    generation: Mapped[int] = mapped_column(server_default="1")
    acknowledged: Mapped[int] = mapped_column(server_default="0")  # firings acknowledged
    deleted: Mapped[bool] = mapped_column(server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AlertFiringRecord(Base):
    """One firing of an alert: when, on what value, what it said, the order it sent."""

    __tablename__ = "alert_firings"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(128), server_default="")
    number: Mapped[int] = mapped_column(index=True)
    generation: Mapped[int]
    count: Mapped[int]
    time_msc: Mapped[int] = mapped_column(BigInteger, index=True)
    value: Mapped[float | None]
    text: Mapped[str] = mapped_column(Text)
    order_client_id: Mapped[str] = mapped_column(String(64), server_default="")
