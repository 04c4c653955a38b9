"""A background thread that writes high-rate rows (event log, account snapshots) in batches.

One transaction per batch turns thousands of fsyncs into one. The queue is
bounded: if the database falls behind, new rows are dropped and counted rather
than letting memory grow or the engine wait; the count itself is written as a
warning in the event log once the writer catches up.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine, Table
from sqlalchemy.exc import SQLAlchemyError

from app.domain.enums import LogLevel
from app.storage.models import EventLogRecord, utc_now

log = logging.getLogger(__name__)

_EVENT_LOG: Table = EventLogRecord.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class _Flush:
    """A marker: the writer sets ``done`` once every row queued before it is written."""

    done: threading.Event = field(default_factory=threading.Event)


_STOP = object()

# SQLite has one write lock per database: while a batch is committed, an order's
# commit waits. A few dozen rows (0.1-0.2 ms) per commit, each one made between
# orders rather than during one (``order_started``), bound that wait.
ROWS_PER_COMMIT = 32
# How long the writer holds a chunk back for an order on its way to the broker:
# far longer than an order's road (about 1 ms on the paper broker), so normally
# it waits for the order's outcome; bounded, so an order whose outcome is never
# recorded (its send raised) or a stream of orders cannot stop the log.
ORDER_HOLD_S = 0.05


class RowSink(Protocol):
    """Where the writer's rows go: ``insert`` is one transaction."""

    def insert(self, by_table: Mapping[Table, Sequence[Mapping[str, object]]]) -> None: ...

    def close(self) -> None: ...


class AlchemyRowSink:
    """Inserts through SQLAlchemy Core: any database (SQLite files use ``SqliteRowSink``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def insert(self, by_table: Mapping[Table, Sequence[Mapping[str, object]]]) -> None:
        with self._engine.begin() as connection:
            for table, rows in by_table.items():
                connection.execute(table.insert(), [dict(row) for row in rows])

    def close(self) -> None:
        self._engine.dispose()


class BatchWriter:
    """Owns one thread and its connection (``sink``); ``put`` never blocks the caller."""

    def __init__(
        self,
        sink: RowSink,
        *,
        max_queue: int = 100_000,
        max_batch: int = 2_000,
        interval_s: float = 0.25,
    ) -> None:
        self._sink = sink
        # Every write transaction of the journal takes this lock, the writer's and
        # the order path's alike. SQLite lets one writer in at a time and makes the
        # others wait in its busy handler, which *sleeps* (1, 2, 5 ms...) and polls:
        # an order's commit that met a batch's lost 3-9 ms. Waiting on this lock
        # instead, it goes the moment the other commit ends.
        self.write_lock = threading.Lock()
        # Set while no order is between its intent and its outcome: the writer's
        # commits wait for it (at most ``ORDER_HOLD_S``), so they fall between orders.
        self._no_order_on_the_road = threading.Event()
        self._no_order_on_the_road.set()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._max_batch = max_batch
        self._interval_s = interval_s
        self._dropped = 0  # rows refused because the queue was full (caller's thread)
        self._reported = 0  # of those, how many the writer has already reported
        self.failed = 0  # rows lost to database errors
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        return self._dropped

    def order_started(self) -> None:
        """An order is about to be journaled and sent: hold the next commit back."""
        self._no_order_on_the_road.clear()

    def order_ended(self) -> None:
        """The order's outcome is recorded: the writer may commit."""
        self._no_order_on_the_road.set()

    def put(self, table: Table, row: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((table, row))
        except queue.Full:
            self._dropped += 1

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued so far is committed; ``False`` on timeout."""
        marker = _Flush()
        self._queue.put(marker, timeout=timeout_s)
        return marker.done.wait(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, end the thread, and close its connections.

        Closing them matters: SQLite folds the WAL back into the database file when
        the last connection closes, and a pooled connection left open until the
        process exits never does that.
        """
        if self._thread.is_alive():
            self._queue.put(_STOP, timeout=timeout_s)
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._sink.close()

    # -- the writer thread -----------------------------------------------------------
    def _run(self) -> None:
        """Collect for ``interval_s`` from the first row, then commit them together.

        Committing as soon as anything is queued turned a steady trickle (a log line
        per order) into a commit per row, each taking SQLite's one write lock from
        the order path. A flush, a stop or a full batch commits at once.
        """
        stop = False
        while not stop:
            batch: list[tuple[Table, dict[str, Any]]] = []
            markers: list[_Flush] = []
            item: object | None = self._queue.get()
            deadline = time.monotonic() + self._interval_s
            while item is not None:
                if item is _STOP:
                    stop = True
                elif isinstance(item, _Flush):
                    markers.append(item)
                else:
                    batch.append(item)  # type: ignore[arg-type]
                if stop or markers or len(batch) >= self._max_batch:
                    break
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    item = None
            if stop:  # drain whatever is still queued
                while True:
                    try:
                        rest = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(rest, _Flush):
                        markers.append(rest)
                    elif rest is not _STOP:
                        batch.append(rest)  # type: ignore[arg-type]
            self._write(batch)
            for marker in markers:
                marker.done.set()

    def _write(self, batch: list[tuple[Table, dict[str, Any]]]) -> None:
        unreported = self._dropped - self._reported
        if unreported:
            self._reported += unreported
            batch.append((_EVENT_LOG, _drop_warning(unreported)))
        for start in range(0, len(batch), ROWS_PER_COMMIT):
            self._no_order_on_the_road.wait(ORDER_HOLD_S)
            self._commit(batch[start : start + ROWS_PER_COMMIT])

    def _commit(self, chunk: list[tuple[Table, dict[str, Any]]]) -> None:
        by_table: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        for table, row in chunk:
            by_table[table].append(row)
        try:
            with self.write_lock:
                self._sink.insert(by_table)
        except (SQLAlchemyError, sqlite3.Error):
            self.failed += len(chunk)
            log.exception("journal: %d batched rows could not be written", len(chunk))


def _drop_warning(count: int) -> dict[str, Any]:
    return {
        "time": utc_now(),
        "level": int(LogLevel.WARNING),
        "source": "journal",
        "message": f"{count} event log rows were not journaled: the journal writer fell behind",
        "client_id": None,
    }
