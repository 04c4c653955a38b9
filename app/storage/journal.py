"""The trade journal: a write-ahead record of every order, and the history behind it.

An order's intent is committed durably *before* the broker is called and its
outcome after, so after a crash the app knows every order it may have sent.
Order, deal and risk rows are committed one by one on the caller's thread (the
engine thread, never the GUI); event log lines and account snapshots go through a
``BatchWriter``. Every method raises ``StorageError`` (one line) on failure.

Only the intent must reach the disk before the call returns (SQLite
``synchronous=FULL``, an fsync per commit). The outcome is committed without
its own fsync (``NORMAL``): it survives the app crashing, and the next durable
commit writes it to disk with its own; only a power cut in between can lose it,
and then the order is still on record as sent (``PENDING_NEW``), which recovery
settles with the broker at the next start, deals included. That saves one fsync
between a strategy's decision and the broker's answer.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, func, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.domain.alert_facts import AlertFiring, StoredAlert
from app.domain.alerts import AlertSpec, spec_from_dict, spec_to_dict
from app.domain.enums import LogLevel, OrderSource, OrderStatus, OrderType, Side
from app.domain.notices import CLOSED_LINE, FILLED_LINE, LogEvent
from app.domain.strategies import StrategyBudget, StrategyConfig
from app.domain.timeframes import Timeframe
from app.domain.trading import (
    AccountState,
    Fill,
    HistoryOrder,
    OrderRequest,
    OrderUpdate,
    TradeHistory,
)
from app.storage.batch import AlchemyRowSink, BatchWriter, RowSink
from app.storage.database import (
    create_db_engine,
    display_url,
    probe_writable,
    sqlite_path,
    upgrade_schema,
)
from app.storage.failures import JournalUnavailable, StorageError, describe_failure
from app.storage.models import (
    AccountSnapshotRecord,
    AlertFiringRecord,
    AlertRecord,
    DealRecord,
    EventLogRecord,
    OrderRecord,
    RiskEventRecord,
    SettingChangeRecord,
    StrategyInstanceRecord,
    utc_now,
)
from app.storage.order_statements import OrderStatements, add_deal, open_order_statements
from app.storage.sqlite_direct import SqliteRowSink

log = logging.getLogger(__name__)

T = TypeVar("T")

UNRESOLVED = (OrderStatus.PENDING_NEW.value, OrderStatus.UNKNOWN.value)
"""Statuses of orders whose outcome the journal does not know: recovery asks the broker."""

_EVENT_LOG: Table = EventLogRecord.__table__  # type: ignore[assignment]
_SNAPSHOTS: Table = AccountSnapshotRecord.__table__  # type: ignore[assignment]
_FIRINGS: Table = AlertFiringRecord.__table__  # type: ignore[assignment]


class Journal:
    """Open with ``Journal.open(url)``; call from one thread (the engine's), then ``close``."""

    def __init__(
        self,
        url: str,
        durable: Engine,
        batch: BatchWriter,
        statements: OrderStatements,
    ) -> None:
        self.url = url
        self.where = display_url(url)
        self._engine = durable
        self._statements = statements  # the order path's own, bare on SQLite
        self._sessions = sessionmaker(durable, expire_on_commit=False)
        self._batch = batch
        self._write_lock = batch.write_lock  # one lock for every writer of this journal
        self.account = ""  # the broker account orders belong to; set on connect

    @classmethod
    def open(cls, url: str, *, lock_timeout_s: float = 5.0, batch_queue: int = 100_000) -> Journal:
        """Open (creating or upgrading the schema) and check the database takes writes.

        Raises ``JournalUnavailable`` with a one-line message naming the file.
        """
        durable: Engine | None = None
        batch: BatchWriter | None = None
        try:
            durable = create_db_engine(url, durable=True, lock_timeout_s=lock_timeout_s)
            upgrade_schema(durable)
            probe_writable(durable)
            path = sqlite_path(url)
            sink: RowSink
            if path is None:
                relaxed = create_db_engine(url, durable=False, lock_timeout_s=lock_timeout_s)
                sink = AlchemyRowSink(relaxed)
            else:
                sink = SqliteRowSink(path, lock_timeout_s)
            batch = BatchWriter(sink, max_queue=batch_queue)
            statements = open_order_statements(path, durable, batch.write_lock, lock_timeout_s)
        except Exception as exc:  # sqlite3, psycopg, alembic and OS errors all end here
            if batch is not None:
                batch.close()
            if durable is not None:
                durable.dispose()
            raise JournalUnavailable(describe_failure(url, exc)) from exc
        return cls(url, durable, batch, statements)

    def close(self) -> None:
        """Write what is batched and release the database."""
        self._batch.close()
        self._statements.close()
        self._engine.dispose()

    def flush(self) -> bool:
        """Wait until batched rows are committed (for tests, shutdown and queries)."""
        return self._batch.flush()

    @property
    def dropped_rows(self) -> int:
        return self._batch.dropped

    # -- the order journal (durable, one commit each) ---------------------------------
    def record_intent(
        self, request: OrderRequest, *, action: str = "open", position_ticket: int | None = None
    ) -> None:
        """Commit that ``request`` is about to be sent. Call before the broker, always.

        From here to its outcome (``record_result``, ``record_rejection``) the
        writer thread holds its commits back, so they do not meet this order's.
        """
        values = _order_values(request, action, position_ticket, self.account, utc_now())
        self._batch.order_started()
        try:
            with self._failures(f"Could not record the intent of order {request.client_id}: "):
                self._statements.insert_intent(values)
        except StorageError:
            self._batch.order_ended()  # it will not be sent
            raise

    def record_result(
        self,
        client_id: str,
        status: OrderStatus,
        *,
        broker_ticket: int | None = None,
        filled_volume: float = 0.0,
        price: float | None = None,
        reason: str = "",
        fills: Sequence[Fill] = (),
        recovered: bool = False,
    ) -> None:
        """Commit the outcome of an order and its deals, in one transaction.

        It runs between the broker's answer and the next order, so through the
        order path's own statements (``order_statements``). No fsync of its own
        (see the module's docstring): the intent already is on disk.
        """
        now = utc_now()
        changes = {
            "status": status.value,
            "filled_volume": filled_volume,
            "fill_price": price,  # None keeps the price already known
            "reason": reason,
            "updated_at": now,
            "broker_ticket": broker_ticket,  # None keeps the ticket already known
            "recovered_at": now if recovered else None,
            "client_id": client_id,
        }
        deals = [_deal_values(fill, self.account) for fill in fills]
        try:
            with self._failures(f"Could not record the result of order {client_id}: "):
                recorded = self._statements.record_result(changes, deals)
        finally:
            self._batch.order_ended()
        if not recorded:
            raise StorageError(f"no journaled intent for order {client_id}")

    def record_rejection(self, request: OrderRequest, reason: str) -> None:
        """Commit a rejection; orders refused before sending get a row here too."""

        def apply(session: Session) -> None:
            row = _order(session, request.client_id)
            now = utc_now()
            if row is None:
                row = _order_row(request, "open", None, self.account, now)
                session.add(row)
            row.status = OrderStatus.REJECTED.value
            row.reason = reason
            row.updated_at = now

        try:
            self._write(apply, f"the rejection of order {request.client_id}")
        finally:
            self._batch.order_ended()

    def mark_unknown(self, client_id: str, reason: str) -> None:
        """The outcome cannot be established: keep the order visible, never resend it."""

        def apply(session: Session) -> None:
            row = _order(session, client_id)
            if row is not None:
                row.status = OrderStatus.UNKNOWN.value
                row.reason = reason
                row.updated_at = utc_now()

        try:
            self._write(apply, f"order {client_id} as unknown")
        finally:
            self._batch.order_ended()

    def record_cancelled(self, broker_ticket: int) -> None:
        """A working order was cancelled at the user's request (found by its ticket)."""

        def apply(session: Session) -> None:
            query = select(OrderRecord).where(
                OrderRecord.broker_ticket == broker_ticket,
                OrderRecord.account == self.account,
                OrderRecord.status == OrderStatus.WORKING.value,
            )
            for row in session.scalars(query):
                row.status = OrderStatus.CANCELLED.value
                row.updated_at = utc_now()

        self._write(apply, f"the cancel of order #{broker_ticket}")

    def record_order_update(self, update: OrderUpdate) -> None:
        """An order changed at the broker on its own (a pending order triggered, expired)."""

        def apply(session: Session) -> None:
            row = _order(session, update.client_id)
            now = utc_now()
            if row is None:
                row = OrderRecord(
                    client_id=update.client_id,
                    account=self.account,
                    action="open",
                    symbol=update.symbol,
                    side=update.side.value,
                    order_type=update.order_type.value,
                    volume=update.volume,
                    source=update.source.value,
                    created_at=now,
                )
                session.add(row)
            row.status = update.status.value
            row.broker_ticket = update.broker_ticket or row.broker_ticket
            row.filled_volume = update.filled_volume
            row.fill_price = update.price
            row.reason = update.reason
            row.updated_at = now

        self._write(apply, f"an update of order {update.client_id}")

    def record_fill(self, fill: Fill) -> None:
        """Commit a deal once; a deal already on record (same ticket) is left alone."""
        self._execute(
            lambda c: add_deal(c, _deal_values(fill, self.account)), f"deal #{fill.deal_ticket}"
        )

    def record_risk_event(
        self, kind: str, message: str, *, state: str | None = None, source: str = ""
    ) -> None:
        row = RiskEventRecord(
            account=self.account,
            time=utc_now(),
            kind=kind,
            state=state,
            message=message,
            source=source,
        )
        self._write(lambda s: s.add(row), "a risk event")

    def last_trading_state(self) -> tuple[str, str] | None:
        """The newest change of this account's trading state: (new state, the recorded
        line ``old → new: reason``), or ``None`` when none was ever recorded."""
        self.flush()
        query = (
            select(RiskEventRecord)
            .where(
                RiskEventRecord.kind == "TradingStateChanged",
                RiskEventRecord.account == self.account,  # another account's halt is its own
            )
            .order_by(RiskEventRecord.id.desc())
            .limit(1)
        )

        def read(session: Session) -> tuple[str, str] | None:
            row = session.scalars(query).first()
            return (row.state or "", row.message) if row is not None else None

        return self._read(read)

    def record_settings(self, values: Mapping[str, str]) -> list[str]:
        """Audit settings: write a row for each key whose value changed since last time.

        Returns the changed keys. Secrets never reach here: settings hold none, and
        callers pass URLs with their password hidden.
        """

        def apply(session: Session) -> list[str]:
            latest: dict[str, str | None] = {}
            rows = session.scalars(select(SettingChangeRecord).order_by(SettingChangeRecord.id))
            for change in rows:
                latest[change.key] = change.new_value
            now = utc_now()
            changed = []
            for key in sorted(set(values) | set(latest)):
                new = values.get(key)
                if key not in latest and new is None:
                    continue
                if latest.get(key) != new or key not in latest:
                    session.add(
                        SettingChangeRecord(
                            time=now, key=key, old_value=latest.get(key), new_value=new
                        )
                    )
                    changed.append(key)
            return changed

        return self._write(apply, "the settings audit")

    # -- high-rate rows (batched) -----------------------------------------------------
    def log_event(self, event: LogEvent) -> None:
        self._batch.put(
            _EVENT_LOG,
            {
                "time": event.time,
                "level": int(event.level),
                "source": event.source,
                "message": event.message,
                "client_id": event.client_id,
            },
        )

    def snapshot_account(self, account: AccountState) -> None:
        self._batch.put(
            _SNAPSHOTS,
            {
                "account": self.account,
                "time": utc_now(),
                "currency": account.currency,
                "balance": account.balance,
                "equity": account.equity,
                "margin": account.margin,
                "free_margin": account.free_margin,
                "floating_pnl": account.floating_pnl,
            },
        )

    # -- queries ----------------------------------------------------------------------
    def unresolved_orders(self, *, include_working: bool = False) -> list[HistoryOrder]:
        """Orders of this account with an intent but no known outcome, oldest first.

        ``include_working`` adds orders last seen resting at the broker, whose end
        (filled, cancelled) may have happened while the app was not running.
        """
        statuses = [*UNRESOLVED, OrderStatus.WORKING.value] if include_working else UNRESOLVED
        query = (
            select(OrderRecord)
            .where(OrderRecord.status.in_(statuses), OrderRecord.account == self.account)
            .order_by(OrderRecord.id)
        )
        return self._read(lambda s: [_history_order(r) for r in s.scalars(query)])

    def has_order(self, client_id: str) -> bool:
        """Whether an order under ``client_id`` was ever recorded (one indexed lookup).

        On every order's road, so through the order path's own statements.
        """
        with self._failures(""):
            return self._statements.has_order(client_id)

    def order(self, client_id: str) -> HistoryOrder | None:
        return self._read(lambda s: _maybe(_order(s, client_id), _history_order))

    def orders(self) -> list[HistoryOrder]:
        query = select(OrderRecord).order_by(OrderRecord.id)
        return self._read(lambda s: [_history_order(r) for r in s.scalars(query)])

    def deals(self, client_id: str | None = None) -> list[Fill]:
        query = select(DealRecord).order_by(DealRecord.time_msc, DealRecord.id)
        if client_id is not None:
            query = query.where(DealRecord.client_id == client_id)
        return self._read(lambda s: [_fill(r) for r in s.scalars(query)])

    def deals_checked_from(self) -> int | None:
        """Where to look for deals this journal may have missed (epoch ms), or ``None``.

        From its newest deal of this account, less an hour for the broker's clock;
        with no deal yet, from its oldest order; with neither, nothing is missing.
        """

        def read(session: Session) -> int | None:
            newest = session.scalar(
                select(func.max(DealRecord.time_msc)).where(DealRecord.account == self.account)
            )
            if newest is not None:
                return int(newest) - 3_600_000
            oldest = session.scalar(
                select(func.min(OrderRecord.created_at)).where(OrderRecord.account == self.account)
            )
            return int(oldest.timestamp() * 1000) if oldest is not None else None

        return self._read(read)

    def record_missed_deals(self, fills: Sequence[Fill]) -> list[Fill]:
        """Record, in one transaction, those of ``fills`` not on record; returns them."""
        added: list[Fill] = []

        def apply(connection: Connection) -> None:
            for fill in fills:
                if add_deal(connection, _deal_values(fill, self.account)):
                    added.append(fill)

        self._execute(apply, "the deals missed before this start")
        return added

    # -- strategy instances -----------------------------------------------------------
    def strategy_instances(
        self, problems: list[str] | None = None
    ) -> list[tuple[StrategyConfig, dict[str, Any]]]:
        """The attached instances of this account, with each one's saved state.

        A row that cannot be read (edited by hand, written by a newer version) costs
        only that instance: it is left out, and one line naming it goes to ``problems``.
        """
        query = (
            select(StrategyInstanceRecord)
            .where(
                StrategyInstanceRecord.account == self.account,
                StrategyInstanceRecord.detached.is_(False),
            )
            .order_by(StrategyInstanceRecord.number)
        )

        def read(session: Session) -> list[tuple[StrategyConfig, dict[str, Any]]]:
            out = []
            for row in session.scalars(query):
                try:
                    out.append(_strategy(row))
                except ValueError as exc:
                    if problems is not None:
                        problems.append(f"{row.strategy}#{row.number}: {exc}")
            return out

        return self._read(read)

    def next_strategy_number(self) -> int:
        """A number no instance of this account ever had (detached ones included)."""
        query = select(func.max(StrategyInstanceRecord.number)).where(
            StrategyInstanceRecord.account == self.account
        )
        return int(self._read(lambda s: s.scalar(query)) or 0) + 1

    def save_strategy(self, config: StrategyConfig, *, detached: bool = False) -> None:
        """Create or update an instance's row (durably: it owns positions at the broker)."""

        def apply(session: Session) -> None:
            row = _strategy_row(session, self.account, config.number)
            now = utc_now()
            if row is None:
                row = StrategyInstanceRecord(
                    account=self.account, number=config.number, state="{}", created_at=now
                )
                session.add(row)
            row.name = config.name
            row.strategy = config.strategy
            row.symbol = config.symbol
            row.timeframe = config.timeframe.name
            row.params = json.dumps(dict(config.params), sort_keys=True)
            row.budget = json.dumps(config.budget.as_dict(), sort_keys=True)
            row.autostart = config.autostart
            row.detached = detached
            row.updated_at = now

        self._write(apply, f"strategy {config.name}")

    def save_strategy_state(self, number: int, state: Mapping[str, Any]) -> None:
        """Keep what an instance wants to remember across restarts (JSON)."""
        text = json.dumps(dict(state), sort_keys=True)

        def apply(session: Session) -> None:
            row = _strategy_row(session, self.account, number)
            if row is not None:
                row.state = text
                row.updated_at = utc_now()

        self._write(apply, f"the state of strategy #{number}")

    # -- alerts -----------------------------------------------------------------------
    def alerts(self, on_unreadable: Callable[[int, str], None] | None = None) -> list[StoredAlert]:
        """This account's alerts (not deleted), by number, with their current counts.

        An alert whose stored definition no longer reads (written by a newer
        version, or damaged) is left out rather than failing the start; it stays
        in the table, unchanged. ``on_unreadable(number, reason)`` is told of each,
        so the trader hears which alert is missing instead of losing it silently.
        """
        query = (
            select(AlertRecord)
            .where(AlertRecord.account == self.account, AlertRecord.deleted.is_(False))
            .order_by(AlertRecord.number)
        )
        counts = (
            select(
                AlertFiringRecord.number,
                AlertFiringRecord.generation,
                func.count(),
                func.max(AlertFiringRecord.id),
            )
            .where(AlertFiringRecord.account == self.account)
            .group_by(AlertFiringRecord.number, AlertFiringRecord.generation)
        )
        self._batch.flush()  # firings are batched: count what was already queued too

        unreadable: list[tuple[int, str]] = []

        def read(session: Session) -> list[StoredAlert]:
            tally = {(n, g): (c, newest) for n, g, c, newest in session.execute(counts)}
            out = []
            unreadable.clear()  # a read tried again starts over
            for row in session.scalars(query):
                try:
                    spec = spec_from_dict(json.loads(row.definition))
                except (ValueError, TypeError) as exc:  # bad JSON, or JSON that is no alert
                    unreadable.append((row.number, str(exc)))
                    continue
                count, newest = tally.get((row.number, row.generation), (0, None))
                last = session.get(AlertFiringRecord, newest) if newest is not None else None
                out.append(
                    StoredAlert(
                        row.number,
                        spec,
                        row.enabled,
                        row.generation,
                        row.acknowledged,
                        count,
                        _firing(last) if last is not None else None,
                    )
                )
            return out

        stored = self._read(read)
        for number, reason in unreadable:
            log.warning("alert %s not read from the journal: %s", number, reason)
            if on_unreadable is not None:
                on_unreadable(number, reason)
        return stored

    def next_alert_number(self) -> int:
        """A number no alert of this account ever had (deleted ones included)."""
        query = select(func.max(AlertRecord.number)).where(AlertRecord.account == self.account)
        return int(self._read(lambda s: s.scalar(query)) or 0) + 1

    def save_alert(
        self,
        number: int,
        spec: AlertSpec,
        *,
        enabled: bool,
        generation: int,
        acknowledged: int,
        deleted: bool = False,
    ) -> None:
        """Create or update an alert's row, durably (it may place orders)."""
        definition = json.dumps(spec_to_dict(spec), sort_keys=True)

        def apply(session: Session) -> None:
            row = session.scalar(
                select(AlertRecord).where(
                    AlertRecord.account == self.account, AlertRecord.number == number
                )
            )
            now = utc_now()
            if row is None:
                row = AlertRecord(account=self.account, number=number, created_at=now)
                session.add(row)
            row.symbol = spec.symbol
            row.definition = definition
            row.enabled = enabled
            row.generation = generation
            row.acknowledged = acknowledged
            row.deleted = deleted
            row.updated_at = now

        self._write(apply, f"alert {number}")

    def record_alert_firing(
        self, firing: AlertFiring, generation: int, *, durable: bool = False
    ) -> None:
        """Add a firing to the alert's history.

        Batched (never waits) unless ``durable``: an alert that places an order
        records its firing durably *before* the order is sent, so a crash can
        never make it fire, and trade, a second time.
        """
        values = {
            "account": self.account,
            "number": firing.number,
            "generation": generation,
            "count": firing.count,
            "time_msc": firing.time_msc,
            "value": firing.value,
            "text": firing.text,
            "order_client_id": firing.order_client_id,
        }
        if durable:
            self._execute(
                lambda c: c.execute(insert(_FIRINGS), values),
                f"the firing of alert {firing.number}",
            )
        else:
            self._batch.put(_FIRINGS, values)

    def alert_firings(self, number: int | None = None, limit: int = 200) -> list[AlertFiring]:
        """Firings of this account's alerts (or of one), newest first."""
        query = (
            select(AlertFiringRecord)
            .where(AlertFiringRecord.account == self.account)
            .order_by(AlertFiringRecord.time_msc.desc(), AlertFiringRecord.id.desc())
            .limit(limit)
        )
        if number is not None:
            query = query.where(AlertFiringRecord.number == number)
        self._batch.flush()
        return self._read(lambda s: [_firing(r) for r in s.scalars(query)])

    def owner_results(self, day_start: datetime) -> dict[int, tuple[float, float, int]]:
        """Per owner: (P&L realised since ``day_start``, P&L realised ever, closing deals)."""
        since = int(day_start.timestamp() * 1000)
        query = select(DealRecord.owner, DealRecord.realized_pnl, DealRecord.time_msc).where(
            DealRecord.account == self.account, DealRecord.closes_position.is_(True)
        )

        def read(session: Session) -> dict[int, tuple[float, float, int]]:
            out: dict[int, tuple[float, float, int]] = {}
            for owner, pnl, time_msc in session.execute(query):
                today, total, count = out.get(owner, (0.0, 0.0, 0))
                today += pnl if time_msc >= since else 0.0
                out[owner] = (today, total + pnl, count + 1)
            return out

        return self._read(read)

    def equity_marks(self, day_start: datetime) -> tuple[float | None, float | None]:
        """(equity when the trading day began, highest equity ever) for this account.

        The day's equity is the last snapshot before ``day_start``, else the first
        after it. The risk gate restores both at start, so a restart never resets
        the daily loss or the drawdown a trader has already taken.
        """
        table = AccountSnapshotRecord
        mine = table.account == self.account

        def read(session: Session) -> tuple[float | None, float | None]:
            before = session.scalar(
                select(table.equity)
                .where(mine, table.time < day_start)
                .order_by(table.time.desc())
                .limit(1)
            )
            if before is None:
                before = session.scalar(
                    select(table.equity)
                    .where(mine, table.time >= day_start)
                    .order_by(table.time)
                    .limit(1)
                )
            peak = session.scalar(select(func.max(table.equity)).where(mine))
            return before, peak

        self._batch.flush()  # snapshots are batched: read what was already queued too
        return self._read(read)

    def trade_history(self, start: date, end: date, symbol: str | None = None) -> TradeHistory:
        """Orders created and deals done between two UTC dates, both included."""
        since = datetime.combine(start, time(0), tzinfo=UTC)
        until = datetime.combine(end, time(0), tzinfo=UTC) + timedelta(days=1)
        orders = (
            select(OrderRecord)
            .where(OrderRecord.created_at >= since, OrderRecord.created_at < until)
            .order_by(OrderRecord.created_at, OrderRecord.id)
        )
        deals = (
            select(DealRecord)
            .where(
                DealRecord.time_msc >= int(since.timestamp() * 1000),
                DealRecord.time_msc < int(until.timestamp() * 1000),
            )
            .order_by(DealRecord.time_msc, DealRecord.id)
        )
        if symbol:
            orders = orders.where(OrderRecord.symbol == symbol)
            deals = deals.where(DealRecord.symbol == symbol)

        def run(session: Session) -> TradeHistory:
            return TradeHistory(
                start,
                end,
                symbol or None,
                tuple(_history_order(r) for r in session.scalars(orders)),
                tuple(_fill(r) for r in session.scalars(deals)),
            )

        return self._read(run)

    def recent_events(self, source: str, limit: int, *, within: int = 20_000) -> list[LogEvent]:
        """The newest ``limit`` lines ``source`` wrote, oldest first, looked for among the
        newest ``within`` lines only: a source that wrote nothing for long must not cost
        a scan of years of log at every start. Of the engine's lines about the source's
        orders (under its name too, each with the order's client id) only its deals are
        kept: what it traded, not each order's passing states."""
        self.flush()
        newest = select(func.max(EventLogRecord.id)).scalar_subquery()
        message = EventLogRecord.message
        query = (
            select(EventLogRecord)
            .where(
                EventLogRecord.id > newest - within,
                EventLogRecord.source == source,
                or_(
                    EventLogRecord.client_id.is_(None),
                    message.startswith(FILLED_LINE, autoescape=True),
                    message.startswith(CLOSED_LINE, autoescape=True),
                ),
            )
            .order_by(EventLogRecord.id.desc())
            .limit(limit)
        )
        return self._read(lambda s: [_log_event(r) for r in s.scalars(query)][::-1])

    def events(self) -> list[LogEvent]:
        """The journaled event log, oldest first (flushes the batch first)."""
        self.flush()
        query = select(EventLogRecord).order_by(EventLogRecord.id)
        return self._read(lambda s: [_log_event(r) for r in s.scalars(query)])

    # -- internals --------------------------------------------------------------------
    def _execute(self, action: Callable[[Connection], T], what: str) -> T:
        """Like ``_write`` on a bare connection: one durable transaction, no ORM."""
        with (
            self._failures(f"Could not record {what}: "),
            self._write_lock,
            self._engine.begin() as connection,
        ):
            return action(connection)

    def _write(self, action: Callable[[Session], T], what: str) -> T:
        with (
            self._failures(f"Could not record {what}: "),
            self._write_lock,
            self._sessions.begin() as session,
        ):
            return action(session)

    def _read(self, action: Callable[[Session], T]) -> T:
        with self._failures(""), self._sessions() as session:
            return action(session)

    @contextmanager
    def _failures(self, prefix: str) -> Iterator[None]:
        """Database errors become one ``StorageError`` in words, starting with ``prefix``."""
        try:
            yield
        except (SQLAlchemyError, sqlite3.Error) as exc:  # sqlite3: the order path's own
            raise StorageError(prefix + describe_failure(self.url, exc)) from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A raw session for tests and tools; the app uses the methods above."""
        with self._sessions.begin() as session:
            yield session


def _strategy_row(session: Session, account: str, number: int) -> StrategyInstanceRecord | None:
    return session.scalar(
        select(StrategyInstanceRecord).where(
            StrategyInstanceRecord.account == account, StrategyInstanceRecord.number == number
        )
    )


def _strategy(row: StrategyInstanceRecord) -> tuple[StrategyConfig, dict[str, Any]]:
    """One instance's row; ``ValueError`` says in words what in it cannot be read."""
    try:
        timeframe = Timeframe[row.timeframe]
    except KeyError:
        raise ValueError(f"its timeframe {row.timeframe!r} is unknown") from None
    params = _json_object(row.params, "parameters are")
    try:
        budget = StrategyBudget.from_dict(_json_object(row.budget, "budget is"))
    except TypeError as exc:
        raise ValueError(f"its budget cannot be read ({exc})") from None
    config = StrategyConfig(
        number=row.number,
        strategy=row.strategy,
        symbol=row.symbol,
        timeframe=timeframe,
        params=params,
        budget=budget,
        autostart=bool(row.autostart),
    )
    return config, _json_object(row.state or "{}", "saved state is")


def _json_object(text: str, what: str) -> dict[str, Any]:
    """``text`` as a JSON object; ``what``: "parameters are", "budget is" (for the message)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        raise ValueError(f"its {what} not valid JSON ({text[:40]!r})") from None
    if not isinstance(value, dict):
        raise ValueError(f"its {what} not a JSON object ({text[:40]!r})")
    return value


def _firing(row: AlertFiringRecord) -> AlertFiring:
    return AlertFiring(
        number=row.number,
        time_msc=row.time_msc,
        count=row.count,
        value=row.value,
        text=row.text,
        order_client_id=row.order_client_id,
    )


def _order(session: Session, client_id: str) -> OrderRecord | None:
    return session.scalar(select(OrderRecord).where(OrderRecord.client_id == client_id))


def _order_row(
    request: OrderRequest,
    action: str,
    position_ticket: int | None,
    account: str,
    now: datetime,
) -> OrderRecord:
    return OrderRecord(**_order_values(request, action, position_ticket, account, now))


def _order_values(
    request: OrderRequest,
    action: str,
    position_ticket: int | None,
    account: str,
    now: datetime,
) -> dict[str, object]:
    """The columns of a new order row, shared by the ORM and the fast insert."""
    return dict(
        client_id=request.client_id,
        account=account,
        action=action,
        position_ticket=position_ticket,
        symbol=request.symbol,
        side=request.side.value,
        order_type=request.order_type.value,
        volume=request.volume,
        price=request.price,
        stop_limit=request.stop_limit,
        sl=request.sl,
        tp=request.tp,
        comment=request.comment[:255],
        source=request.source.value,
        owner=request.owner,
        status=OrderStatus.PENDING_NEW.value,
        filled_volume=0.0,
        reason="",
        created_at=now,
        updated_at=now,
    )


def _deal_values(fill: Fill, account: str) -> dict[str, object]:
    return dict(
        account=account,
        deal_ticket=fill.deal_ticket,
        client_id=fill.client_id,
        position_ticket=fill.position_ticket,
        symbol=fill.symbol,
        side=fill.side.value,
        volume=fill.volume,
        price=fill.price,
        time_msc=fill.time_msc,
        closes_position=fill.closes_position,
        realized_pnl=fill.realized_pnl,
        reason=fill.reason[:64],
        owner=fill.owner,
    )


def _history_order(row: OrderRecord) -> HistoryOrder:
    return HistoryOrder(
        client_id=row.client_id,
        created=row.created_at,
        symbol=row.symbol,
        side=Side(row.side),
        order_type=OrderType(row.order_type),
        volume=row.volume,
        status=OrderStatus(row.status),
        source=OrderSource(row.source),
        action=row.action,
        broker_ticket=row.broker_ticket,
        price=row.fill_price if row.fill_price is not None else row.price,
        sl=row.sl,
        tp=row.tp,
        filled_volume=row.filled_volume,
        reason=row.reason,
        owner=row.owner,
        comment=row.comment,
    )


def _fill(row: DealRecord) -> Fill:
    return Fill(
        client_id=row.client_id,
        deal_ticket=row.deal_ticket,
        position_ticket=row.position_ticket,
        symbol=row.symbol,
        side=Side(row.side),
        volume=row.volume,
        price=row.price,
        time_msc=row.time_msc,
        closes_position=row.closes_position,
        realized_pnl=row.realized_pnl,
        reason=row.reason,
        owner=row.owner,
    )


def _log_event(row: EventLogRecord) -> LogEvent:
    return LogEvent(
        level=LogLevel(row.level),
        source=row.source,
        message=row.message,
        time=row.time,
        client_id=row.client_id,
    )


def _maybe(value: Any, convert: Callable[[Any], T]) -> T | None:
    return None if value is None else convert(value)
