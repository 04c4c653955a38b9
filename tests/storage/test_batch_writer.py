"""The journal's batch writer: few, short commits, so an order's commit seldom waits for one."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, event, select

from app.domain.enums import LogLevel, OrderSource, Side
from app.domain.notices import LogEvent
from app.domain.trading import OrderRequest
from app.storage import Journal
from app.storage.batch import ROWS_PER_COMMIT, BatchWriter
from app.storage.database import create_db_engine, sqlite_url, upgrade_schema
from app.storage.models import EventLogRecord, utc_now

_EVENT_LOG: Table = EventLogRecord.__table__  # type: ignore[assignment]


def _row(n: int) -> dict[str, object]:
    return {
        "time": utc_now(),
        "level": 20,
        "source": "test",
        "message": f"line {n}",
        "client_id": None,
    }


def _counting_commits(engine: Engine) -> list[int]:
    commits: list[int] = []

    @event.listens_for(engine, "commit")
    def _commit(_connection: Connection) -> None:
        commits.append(1)

    return commits


def _engine(tmp_path: Path) -> Engine:
    url = sqlite_url(tmp_path / "journal.sqlite")
    durable = create_db_engine(url)
    upgrade_schema(durable)
    durable.dispose()
    return create_db_engine(url, durable=False)


def test_a_trickle_of_rows_waits_for_the_interval_and_is_committed_together(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    commits = _counting_commits(engine)
    writer = BatchWriter(engine, interval_s=60.0)
    for n in range(10):  # one row at a time, as an engine logs its orders
        writer.put(_EVENT_LOG, _row(n))
        time.sleep(0.01)
    assert commits == []  # not a commit per row
    writer.close()  # closing writes what is collected
    assert len(commits) == 1
    with engine.connect() as connection:
        messages = connection.scalars(select(_EVENT_LOG.c.message)).all()
    assert messages == [f"line {n}" for n in range(10)]


def test_a_big_batch_is_committed_a_few_dozen_rows_at_a_time_in_order(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    commits = _counting_commits(engine)
    writer = BatchWriter(engine, interval_s=60.0)
    rows = 3 * ROWS_PER_COMMIT + 5
    for n in range(rows):
        writer.put(_EVENT_LOG, _row(n))
    assert writer.flush()
    assert len(commits) == math.ceil(rows / ROWS_PER_COMMIT)
    writer.close()
    with engine.connect() as connection:
        messages = connection.scalars(select(_EVENT_LOG.c.message).order_by(_EVENT_LOG.c.id)).all()
    assert messages == [f"line {n}" for n in range(rows)]


def test_orders_and_a_flood_of_log_rows_write_side_by_side_without_a_lock_error(
    tmp_path: Path,
) -> None:
    """The order path and the writer thread take turns; neither meets 'database is locked'."""
    journal = Journal.open(sqlite_url(tmp_path / "journal.sqlite"), lock_timeout_s=0.05)
    stop = threading.Event()

    def flood() -> None:
        n = 0
        while not stop.is_set():
            journal.log_event(LogEvent(LogLevel.INFO, "flood", f"line {n}"))
            n += 1
            if n % 200 == 0:
                journal.flush()

    thread = threading.Thread(target=flood)
    thread.start()
    try:
        for n in range(100):
            journal.record_intent(
                OrderRequest(f"c-{n}", "EURUSD", Side.BUY, 0.1, source=OrderSource.CHART)
            )
        assert len(journal.unresolved_orders()) == 100
    finally:
        stop.set()
        thread.join()
        journal.close()
    assert journal._batch.failed == 0
