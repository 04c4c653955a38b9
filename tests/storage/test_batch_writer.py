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
from app.storage.batch import ORDER_HOLD_S, ROWS_PER_COMMIT, AlchemyRowSink, BatchWriter
from app.storage.database import create_db_engine, sqlite_url, upgrade_schema
from app.storage.models import EventLogRecord, utc_now
from app.storage.sqlite_direct import SqliteRowSink

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
    writer = BatchWriter(AlchemyRowSink(engine), interval_s=60.0)
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
    writer = BatchWriter(AlchemyRowSink(engine), interval_s=60.0)
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


def test_the_sqlite3_sink_writes_the_rows_sqlalchemy_writes(tmp_path: Path) -> None:
    """On a SQLite file the writer binds values itself; they read back the same."""
    rows = [_row(n) for n in range(5)] + [{**_row(5), "client_id": "c-9", "message": "é ü"}]
    found = []
    for kind in ("sqlite3", "sqlalchemy"):
        (tmp_path / kind).mkdir()
        engine = _engine(tmp_path / kind)
        path = tmp_path / kind / "journal.sqlite"
        sink = SqliteRowSink(path, 5.0) if kind == "sqlite3" else AlchemyRowSink(engine)
        writer = BatchWriter(sink, interval_s=60.0)
        for row in rows:
            writer.put(_EVENT_LOG, dict(row))
        writer.close()
        with engine.connect() as connection:
            found.append([tuple(r) for r in connection.execute(select(_EVENT_LOG))])
        engine.dispose()
    assert found[0] == found[1]
    assert len(found[0]) == 6 and found[0][-1][-1] == "c-9"


def test_a_commit_waits_for_the_order_on_the_road_and_no_longer(tmp_path: Path) -> None:
    """Rows wait while an order is between intent and outcome, then go at once;
    an outcome that never comes holds them back ``ORDER_HOLD_S`` at most."""
    engine = _engine(tmp_path)
    commits = _counting_commits(engine)
    writer = BatchWriter(AlchemyRowSink(engine), interval_s=0.0)
    writer.order_started()
    writer.put(_EVENT_LOG, _row(1))
    time.sleep(ORDER_HOLD_S / 2)
    assert commits == []  # held for the order
    writer.order_ended()
    assert writer.flush()
    assert len(commits) == 1

    writer.order_started()  # and its outcome is never recorded
    started = time.monotonic()
    writer.put(_EVENT_LOG, _row(2))
    assert writer.flush()
    assert len(commits) == 2
    assert time.monotonic() - started >= ORDER_HOLD_S * 0.9
    writer.close()
