"""The journal API on a real database: what the app writes is what it reads back."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.domain.enums import LogLevel, OrderSource, OrderStatus, OrderType, Side
from app.domain.notices import LogEvent
from app.domain.trading import AccountState, Fill, OrderRequest, OrderUpdate
from app.storage import Journal
from app.storage.models import AccountSnapshotRecord, RiskEventRecord, SettingChangeRecord


def request(cid: str, symbol: str = "EURUSD", **kw: object) -> OrderRequest:
    return OrderRequest(cid, symbol, Side.BUY, 0.25, source=OrderSource.CHART, **kw)  # type: ignore[arg-type]


def fill(
    cid: str,
    deal: int,
    *,
    symbol: str = "EURUSD",
    closes: bool = False,
    pnl: float = 0.0,
    when: datetime | None = None,
) -> Fill:
    moment = when or datetime.now(UTC)
    return Fill(
        cid,
        deal,
        900,
        symbol,
        Side.BUY,
        0.25,
        1.1,
        int(moment.timestamp() * 1000),
        closes_position=closes,
        realized_pnl=pnl,
        reason="client",
    )


def test_an_intent_survives_closing_the_journal_and_is_found_unresolved(db_url: str) -> None:
    journal = Journal.open(db_url)
    journal.account = "paper/1"
    journal.record_intent(request("a-1", sl=1.0, tp=1.2), action="open")
    journal.close()

    reopened = Journal.open(db_url)
    reopened.account = "paper/1"
    try:
        [order] = reopened.unresolved_orders()
        assert (order.client_id, order.status, order.sl, order.tp, order.source) == (
            "a-1",
            OrderStatus.PENDING_NEW,
            1.0,
            1.2,
            OrderSource.CHART,
        )
        reopened.account = "another/2"  # recovery only looks at the connected account
        assert reopened.unresolved_orders() == []
    finally:
        reopened.close()


def test_a_result_settles_the_order_and_records_its_deals_once(journal: Journal) -> None:
    journal.record_intent(request("b-1"))
    journal.record_result(
        "b-1",
        OrderStatus.FILLED,
        broker_ticket=900,
        filled_volume=0.25,
        price=1.1,
        fills=[fill("b-1", 5001)],
    )
    journal.record_fill(fill("b-1", 5001))  # the same deal again, e.g. from a poll
    journal.record_fill(fill("b-1", 5002, closes=True, pnl=12.5))
    order = journal.order("b-1")
    assert order is not None
    assert (order.status, order.broker_ticket, order.price) == (OrderStatus.FILLED, 900, 1.1)
    assert [d.deal_ticket for d in journal.deals("b-1")] == [5001, 5002]
    assert journal.unresolved_orders() == []


def test_a_result_without_an_intent_is_refused(journal: Journal) -> None:
    from app.storage import StorageError

    with pytest.raises(StorageError, match="no journaled intent"):
        journal.record_result("ghost", OrderStatus.FILLED)


def test_rejections_unknown_and_working_orders(journal: Journal) -> None:
    journal.record_rejection(request("c-1"), "Volume too large")  # refused before sending
    journal.record_intent(request("c-2"))
    journal.mark_unknown("c-2", "lookup failed")
    journal.record_intent(request("c-3", order_type=OrderType.LIMIT, price=1.0))
    journal.record_result("c-3", OrderStatus.WORKING, broker_ticket=77, price=1.0)
    assert journal.order("c-1").status is OrderStatus.REJECTED  # type: ignore[union-attr]
    assert journal.order("c-1").reason == "Volume too large"  # type: ignore[union-attr]
    assert [o.client_id for o in journal.unresolved_orders()] == ["c-2"]
    with_working = [o.client_id for o in journal.unresolved_orders(include_working=True)]
    assert with_working == ["c-2", "c-3"]
    journal.record_cancelled(77)
    assert journal.order("c-3").status is OrderStatus.CANCELLED  # type: ignore[union-attr]


def test_an_order_update_from_the_broker_moves_the_status(journal: Journal) -> None:
    journal.record_intent(request("d-1", order_type=OrderType.LIMIT, price=1.0))
    journal.record_result("d-1", OrderStatus.WORKING, broker_ticket=81, price=1.0)
    journal.record_order_update(
        OrderUpdate(
            "d-1",
            OrderStatus.FILLED,
            "EURUSD",
            Side.BUY,
            0.25,
            OrderType.LIMIT,
            0.25,
            1.0,
            81,
            "limit triggered",
        )
    )
    order = journal.order("d-1")
    assert order is not None and order.status is OrderStatus.FILLED
    assert order.filled_volume == 0.25 and order.reason == "limit triggered"


def test_trade_history_filters_by_utc_days_and_symbol(journal: Journal) -> None:
    today = datetime.now(UTC).date()
    journal.record_intent(request("e-1", "EURUSD"))
    journal.record_intent(request("e-2", "USDJPY"))
    long_ago = datetime.now(UTC) - timedelta(days=40)
    journal.record_fill(fill("e-1", 1, when=long_ago))
    journal.record_fill(fill("e-1", 2, closes=True, pnl=-3.0))
    journal.record_fill(fill("e-2", 3, symbol="USDJPY", closes=True, pnl=7.0))

    everything = journal.trade_history(today, today)
    assert [o.client_id for o in everything.orders] == ["e-1", "e-2"]
    assert [d.deal_ticket for d in everything.deals] == [2, 3]  # deal 1 is out of range
    jpy = journal.trade_history(today - timedelta(days=60), today, "USDJPY")
    assert [o.client_id for o in jpy.orders] == ["e-2"]
    assert [d.deal_ticket for d in jpy.deals] == [3]
    assert journal.trade_history(date(2000, 1, 1), date(2000, 1, 2)).orders == ()


def test_settings_audit_writes_only_what_changed(journal: Journal) -> None:
    assert journal.record_settings({"sim.balance": "10000", "ui.theme": '"dark"'}) == [
        "sim.balance",
        "ui.theme",
    ]
    assert journal.record_settings({"sim.balance": "10000", "ui.theme": '"light"'}) == ["ui.theme"]
    assert journal.record_settings({"sim.balance": "10000", "ui.theme": '"light"'}) == []
    with journal.session() as session:
        changes = session.scalars(
            select(SettingChangeRecord)
            .where(SettingChangeRecord.key == "ui.theme")
            .order_by(SettingChangeRecord.id)
        ).all()
        assert [(c.old_value, c.new_value) for c in changes] == [
            (None, '"dark"'),
            ('"dark"', '"light"'),
        ]


def test_batched_rows_are_all_written_by_close(db_url: str) -> None:
    journal = Journal.open(db_url)
    account = AccountState("USD", 1000, 1001, 10, 991, 1, 0, 100)
    for n in range(3000):
        journal.log_event(LogEvent(LogLevel.INFO, "test", f"line {n}", client_id=f"x-{n}"))
    for _ in range(5):
        journal.snapshot_account(account)
    journal.record_risk_event("TradingStateChanged", "active → halted", state="halted")
    journal.close()

    reopened = Journal.open(db_url)
    try:
        messages = [e.message for e in reopened.events()]
        assert messages == [f"line {n}" for n in range(3000)]
        with reopened.session() as session:
            assert session.scalar(select(func.count()).select_from(AccountSnapshotRecord)) == 5
            [risk] = session.scalars(select(RiskEventRecord)).all()
            assert (risk.kind, risk.state) == ("TradingStateChanged", "halted")
    finally:
        reopened.close()


def test_a_full_batch_queue_drops_rows_and_says_so_instead_of_growing(db_url: str) -> None:
    journal = Journal.open(db_url, batch_queue=10)
    writer = journal._batch
    busy, release = threading.Event(), threading.Event()
    real_write = writer._write

    def slow_write(batch: list) -> None:
        if batch:
            busy.set()
            release.wait(10)
        real_write(batch)

    writer._write = slow_write  # type: ignore[method-assign]
    try:
        journal.log_event(LogEvent(LogLevel.INFO, "burst", "line 0"))
        assert busy.wait(10)  # the writer is stuck on a slow disk with one row
        for n in range(1, 201):
            journal.log_event(LogEvent(LogLevel.INFO, "burst", f"line {n}"))
        assert journal.dropped_rows == 190  # the queue holds 10; the engine never waited
        release.set()
        messages = [e.message for e in journal.events()]
        assert [m for m in messages if m.startswith("line")] == [f"line {n}" for n in range(11)]
        assert "190 event log rows were not journaled: the journal writer fell behind" in messages
    finally:
        release.set()
        journal.close()


def test_closing_the_journal_writes_batched_rows_and_folds_the_wal_back(tmp_path: Path) -> None:
    from app.storage.database import sqlite_url

    path = tmp_path / "journal.sqlite"
    journal = Journal.open(sqlite_url(path))
    journal.log_event(LogEvent(LogLevel.INFO, "test", "the last row before quitting"))
    journal.close()  # what a clean quit does: no flush first
    assert not (tmp_path / "journal.sqlite-wal").exists()  # every connection closed
    again = Journal.open(sqlite_url(path))
    try:
        assert "the last row before quitting" in [e.message for e in again.events()]
    finally:
        again.close()


_DIE_AFTER_THE_OUTCOME = """
import os, sys
from app.domain.enums import OrderSource, OrderStatus, Side
from app.domain.trading import OrderRequest
from app.storage import Journal

journal = Journal.open(sys.argv[1])
journal.account = "paper/1"
journal.record_intent(OrderRequest("k-1", "EURUSD", Side.BUY, 0.25, source=OrderSource.STRATEGY))
journal.record_result("k-1", OrderStatus.FILLED, broker_ticket=901, filled_volume=0.25, price=1.1)
os._exit(0)  # no close, no flush: the process simply ends
"""


def test_an_outcome_survives_the_app_dying_right_after_it(tmp_path: Path) -> None:
    """The outcome has no fsync of its own, yet the app's death loses nothing of it."""
    import subprocess
    import sys

    from app.storage.database import sqlite_url

    url = sqlite_url(tmp_path / "journal.sqlite")
    root = Path(__file__).resolve().parents[2]
    died = subprocess.run(
        [sys.executable, "-c", _DIE_AFTER_THE_OUTCOME, url], cwd=root, timeout=120, check=False
    )
    assert died.returncode == 0
    reopened = Journal.open(url)
    reopened.account = "paper/1"
    try:
        order = reopened.order("k-1")
        assert order is not None
        assert (order.status, order.broker_ticket, order.price) == (OrderStatus.FILLED, 901, 1.1)
        assert reopened.unresolved_orders() == []
    finally:
        reopened.close()


def test_only_the_intent_waits_for_the_disk(tmp_path: Path) -> None:
    """SQLite: the intent's commit is fsynced (FULL), the outcome's is not (NORMAL)."""
    from app.storage.database import sqlite_url

    journal = Journal.open(sqlite_url(tmp_path / "journal.sqlite"))
    seen: dict[str, int] = {}

    def watch(connection: sqlite3.Connection) -> None:
        level = int(connection.execute("PRAGMA synchronous").fetchone()[0])

        def traced(statement: str) -> None:
            if statement.startswith(("INSERT INTO orders", "UPDATE orders")):
                seen.setdefault(statement.split(" ")[0], level)

        connection.set_trace_callback(traced)

    try:
        for connection in vars(journal._statements).values():  # the order path's own
            if isinstance(connection, sqlite3.Connection):
                watch(connection)
        journal.record_intent(request("s-1"))
        journal.record_result("s-1", OrderStatus.FILLED, broker_ticket=5, filled_volume=0.25)
        seen = {"intent" if k == "INSERT" else "outcome": v for k, v in seen.items()}
        assert seen == {"intent": 2, "outcome": 1}  # SQLite: 2 is FULL, 1 is NORMAL
    finally:
        journal.close()


def test_a_sources_newest_lines_are_found_among_the_newest_lines_only(journal: Journal) -> None:
    for n in range(30):
        journal.log_event(LogEvent(LogLevel.INFO, "ma_cross#1" if n % 3 == 0 else "orders", f"{n}"))
    journal.log_event(LogEvent(LogLevel.INFO, "ma_cross#2", "long ago"))
    for n in range(30, 60):
        journal.log_event(LogEvent(LogLevel.INFO, "orders", f"{n}"))
    assert [e.message for e in journal.recent_events("ma_cross#1", 3)] == ["21", "24", "27"]
    assert journal.recent_events("ma_cross#1", 3, within=30) == []  # older than the window
    assert [e.message for e in journal.recent_events("ma_cross#2", 5)] == ["long ago"]
    assert journal.recent_events("nobody", 5) == []


def test_a_source_s_newest_lines_keep_its_deals_and_leave_its_orders_states_out(
    journal: Journal,
) -> None:
    lines = [
        ("s-1", "Order #5 pending new: "),
        ("s-1", "Filled: buy 0.10 EURUSD at 1.08500 (position #5)"),
        (None, "crossed up"),
        ("s-2", "Order #6 placed: "),
        ("s-2", "Closed by stop loss: position #5 0.10 EURUSD at 1.08400, P&L -10.00 USD"),
    ]
    for client_id, text in lines:
        journal.log_event(LogEvent(LogLevel.INFO, "ma_cross#1", text, client_id=client_id))
    kept = [e.message for e in journal.recent_events("ma_cross#1", 10)]
    assert kept == [lines[1][1], "crossed up", lines[4][1]]
