"""The order path's statements: is a client id used, the intent, the outcome.

They run between a strategy's decision and the broker's answer, so they are kept
to the SQL they need. On SQLite they go straight through ``sqlite3``: measured on
the engine thread, SQLAlchemy's Core around them (pool checkout and return,
compiled-cache lookup, result objects) cost three to five times the statements
themselves, in Python that holds the GIL the other threads wait for. The column
values still pass through the models' own type processors, so a row written here
reads back through the ORM exactly like one written by SQLAlchemy (a test keeps
the two equal). Every other database (PostgreSQL for a desk) runs the same
statements through SQLAlchemy.

Both kinds raise their driver's or SQLAlchemy's error; the journal turns either
into one ``StorageError``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update

from app.storage.database import connect_sqlite
from app.storage.models import DealRecord, OrderRecord
from app.storage.sqlite_direct import insert_sql, sqlite_binder

ORDERS: Table = OrderRecord.__table__  # type: ignore[assignment]
DEALS: Table = DealRecord.__table__  # type: ignore[assignment]

Row = Mapping[str, object]


class OrderStatements(Protocol):
    """What the journal's order path asks of the database."""

    def has_order(self, client_id: str) -> bool:
        """Whether an order under ``client_id`` was ever recorded."""

    def insert_intent(self, values: Row) -> None:
        """Insert the order row and commit it durably (an fsync on SQLite)."""

    def record_result(self, changes: Row, deals: Sequence[Row]) -> bool:
        """Update the order and add its new deals in one transaction, without an fsync.

        ``changes`` holds the ``RESULT_KEYS``; ``False`` (nothing written) when no
        intent of that client id is on record.
        """

    def close(self) -> None: ...


RESULT_KEYS = (
    "status",
    "filled_volume",
    "fill_price",  # None keeps the price already known
    "reason",
    "updated_at",
    "broker_ticket",  # None keeps the ticket already known
    "recovered_at",  # None keeps the time already known
    "client_id",
)


def open_order_statements(
    path: Path | None,
    durable: Engine,
    write_lock: threading.Lock,
    lock_timeout_s: float,
) -> OrderStatements:
    """The statements for the journal: bare sqlite3 for a SQLite file at ``path``."""
    if path is None:
        return AlchemyOrderStatements(durable, write_lock)
    return SqliteOrderStatements(path, write_lock, lock_timeout_s)


class SqliteOrderStatements:
    """Two connections to the file: ``FULL`` (fsync per commit) for intents, ``NORMAL``."""

    _HAS_ORDER = "SELECT 1 FROM orders WHERE client_id = ? LIMIT 1"
    _RESULT = (
        "UPDATE orders SET status = ?, filled_volume = ?, "
        "fill_price = coalesce(?, fill_price), reason = ?, "
        "updated_at = ?, broker_ticket = coalesce(?, broker_ticket), "
        "recovered_at = coalesce(?, recovered_at) WHERE client_id = ?"
    )
    _DEAL_SEEN = "SELECT 1 FROM deals WHERE account = ? AND deal_ticket = ?"

    def __init__(self, path: Path, write_lock: threading.Lock, lock_timeout_s: float) -> None:
        self._lock = write_lock
        self._durable = connect_sqlite(path, durable=True, lock_timeout_s=lock_timeout_s)
        try:
            self._relaxed = connect_sqlite(path, durable=False, lock_timeout_s=lock_timeout_s)
        except sqlite3.Error:
            self._durable.close()
            raise
        self._order_columns: tuple[str, ...] = ()
        self._insert_order = ""
        self._order_binder: Callable[[Row], tuple[Any, ...]] | None = None
        self._result_binder = sqlite_binder(ORDERS, RESULT_KEYS)
        self._deal_columns: tuple[str, ...] = ()
        self._insert_deal = ""
        self._deal_binder: Callable[[Row], tuple[Any, ...]] | None = None

    def has_order(self, client_id: str) -> bool:
        return self._durable.execute(self._HAS_ORDER, (client_id,)).fetchone() is not None

    def insert_intent(self, values: Row) -> None:
        if self._order_binder is None or tuple(values) != self._order_columns:
            self._order_columns = tuple(values)
            self._insert_order = insert_sql(ORDERS, self._order_columns)
            self._order_binder = sqlite_binder(ORDERS, self._order_columns)
        with self._lock:
            # A single statement in autocommit mode is its own transaction: one commit.
            self._durable.execute(self._insert_order, self._order_binder(values))

    def record_result(self, changes: Row, deals: Sequence[Row]) -> bool:
        connection = self._relaxed
        with self._lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                if connection.execute(self._RESULT, self._result_binder(changes)).rowcount == 0:
                    connection.execute("ROLLBACK")
                    return False
                for deal in deals:
                    self._add_deal(connection, deal)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:  # SQLite ends some failed ones itself
                    connection.execute("ROLLBACK")
                raise
        return True

    def _add_deal(self, connection: sqlite3.Connection, deal: Row) -> None:
        seen = connection.execute(self._DEAL_SEEN, (deal["account"], deal["deal_ticket"]))
        if seen.fetchone() is not None:
            return  # each deal is recorded once
        if self._deal_binder is None or tuple(deal) != self._deal_columns:
            self._deal_columns = tuple(deal)
            self._insert_deal = insert_sql(DEALS, self._deal_columns)
            self._deal_binder = sqlite_binder(DEALS, self._deal_columns)
        connection.execute(self._insert_deal, self._deal_binder(deal))

    def close(self) -> None:
        self._durable.close()
        self._relaxed.close()


class AlchemyOrderStatements:
    """The same statements through SQLAlchemy Core, compiled once with bind parameters."""

    _INSERT_ORDER = insert(ORDERS)
    _HAS_ORDER = select(ORDERS.c.id).where(ORDERS.c.client_id == bindparam("b_client_id")).limit(1)
    _RESULT = (
        update(ORDERS)
        .where(ORDERS.c.client_id == bindparam("b_client_id"))
        .values(
            status=bindparam("b_status"),
            filled_volume=bindparam("b_filled_volume"),
            fill_price=func.coalesce(bindparam("b_fill_price"), ORDERS.c.fill_price),
            reason=bindparam("b_reason"),
            updated_at=bindparam("b_updated_at"),
            broker_ticket=func.coalesce(bindparam("b_broker_ticket"), ORDERS.c.broker_ticket),
            recovered_at=func.coalesce(bindparam("b_recovered_at"), ORDERS.c.recovered_at),
        )
    )
    INSERT_DEAL = insert(DEALS)
    DEAL_SEEN = select(DEALS.c.id).where(
        DEALS.c.account == bindparam("b_account"), DEALS.c.deal_ticket == bindparam("b_deal_ticket")
    )

    def __init__(self, engine: Engine, write_lock: threading.Lock) -> None:
        self._engine = engine
        self._lock = write_lock

    def has_order(self, client_id: str) -> bool:
        with self._engine.connect() as connection:
            row = connection.execute(self._HAS_ORDER, {"b_client_id": client_id}).first()
        return row is not None

    def insert_intent(self, values: Row) -> None:
        with self._lock, self._engine.begin() as connection:
            connection.execute(self._INSERT_ORDER, dict(values))

    def record_result(self, changes: Row, deals: Sequence[Row]) -> bool:
        bound = {f"b_{key}": changes[key] for key in RESULT_KEYS}
        with self._lock, self._engine.begin() as connection:
            if connection.execute(self._RESULT, bound).rowcount == 0:
                return False  # the update matched nothing: the transaction is empty
            for deal in deals:
                add_deal(connection, deal)
        return True

    def close(self) -> None:
        """The engine belongs to the journal, which disposes of it."""


def add_deal(connection: Connection, deal: Row) -> bool:
    """Insert the deal unless it is already there; whether it was added."""
    bound = {"b_account": deal["account"], "b_deal_ticket": deal["deal_ticket"]}
    if connection.scalar(AlchemyOrderStatements.DEAL_SEEN, bound) is not None:
        return False
    connection.execute(AlchemyOrderStatements.INSERT_DEAL, dict(deal))
    return True
