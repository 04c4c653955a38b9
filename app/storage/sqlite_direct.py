"""Bare sqlite3 for the journal's hot writes: parameters bound as SQLAlchemy would.

SQLAlchemy's Core costs several times a small statement's own work on SQLite, in
Python that holds the GIL (see ``order_statements``). On a SQLite file the
journal's hot writes run through sqlite3 directly: the order path's statements,
and the batch writer's inserts, whose Python the engine thread would otherwise
wait for when it comes back from an fsync (about 1 ms a batch through
SQLAlchemy, 0.2 ms here). Each value goes through its column type's own bind
processor, so the rows read back through the models exactly like rows
SQLAlchemy wrote (tests keep the two equal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite

from app.storage.database import connect_sqlite

Row = Mapping[str, object]
Binder = Callable[[Row], tuple[Any, ...]]

_SQLITE = sqlite.dialect()


def insert_sql(table: Table, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)`` for sqlite3's qmark style."""
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"


def sqlite_binder(table: Table, keys: Sequence[str]) -> Binder:
    """A function from a row (by column name) to sqlite3 parameters, in ``keys`` order.

    Each value goes through its column type's own bind processor for SQLite, as
    SQLAlchemy would send it (aware datetimes as naive UTC text, for one).
    """
    processors: list[tuple[str, Callable[[Any], Any] | None]] = []
    for key in keys:
        column_type = table.c[key].type
        processors.append((key, column_type.dialect_impl(_SQLITE).bind_processor(_SQLITE)))

    def bind(row: Row) -> tuple[Any, ...]:
        return tuple(
            row[key] if convert is None or row[key] is None else convert(row[key])
            for key, convert in processors
        )

    return bind


class SqliteRowSink:
    """The batch writer's inserts on one ``NORMAL`` connection, a transaction per call."""

    def __init__(self, path: Path, lock_timeout_s: float) -> None:
        self._connection = connect_sqlite(path, durable=False, lock_timeout_s=lock_timeout_s)
        self._statements: dict[tuple[str, tuple[str, ...]], tuple[str, Binder]] = {}

    def insert(self, by_table: Mapping[Table, Sequence[Row]]) -> None:
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            for table, rows in by_table.items():
                for columns, group in _by_columns(rows).items():
                    sql, bind = self._statement(table, columns)
                    connection.executemany(sql, [bind(row) for row in group])
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:  # SQLite ends some failed ones itself
                connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._connection.close()

    def _statement(self, table: Table, columns: tuple[str, ...]) -> tuple[str, Binder]:
        key = (table.name, columns)
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = (
                insert_sql(table, columns),
                sqlite_binder(table, columns),
            )
        return found


def _by_columns(rows: Sequence[Row]) -> dict[tuple[str, ...], list[Row]]:
    """Rows grouped by the columns they set (one table's rows normally set the same)."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    return groups
