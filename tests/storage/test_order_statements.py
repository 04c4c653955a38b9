"""The order path's bare sqlite3 statements write what SQLAlchemy's would, row for row."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.domain.enums import OrderSource, OrderStatus, OrderType, Side
from app.domain.trading import Fill, OrderRequest
from app.storage import Journal, StorageError
from app.storage.database import sqlite_url
from app.storage.models import OrderRecord
from app.storage.order_statements import AlchemyOrderStatements, SqliteOrderStatements

_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def _journal(tmp_path: Path, kind: str) -> Journal:
    journal = Journal.open(sqlite_url(tmp_path / kind / "journal.sqlite"))
    assert isinstance(journal._statements, SqliteOrderStatements)  # a file: bare sqlite3
    if kind == "sqlalchemy":
        journal._statements.close()
        journal._statements = AlchemyOrderStatements(journal._engine, journal._batch.write_lock)
    journal.account = "demo-1"
    return journal


def _story(journal: Journal) -> None:
    """An order with every optional field, filled in two deals, and one never filled."""
    journal.record_intent(
        OrderRequest(
            "c-1",
            "EURUSD",
            Side.SELL,
            0.3,
            order_type=OrderType.LIMIT,
            price=1.10512,
            sl=1.1071,
            tp=None,
            comment="é ünïcode",
            source=OrderSource.STRATEGY,
            owner=7,
        ),
        action="close",
        position_ticket=99,
    )
    fills = [
        Fill("c-1", 501, 99, "EURUSD", Side.SELL, 0.1, 1.10512, 1_764_750_000_123, True, -1.5),
        Fill("c-1", 502, 99, "EURUSD", Side.SELL, 0.2, 1.10513, 1_764_750_000_456, True, 2.25),
    ]
    journal.record_result(
        "c-1", OrderStatus.FILLED, broker_ticket=1234, filled_volume=0.3, price=1.10513, fills=fills
    )
    journal.record_result("c-1", OrderStatus.FILLED, filled_volume=0.3, fills=fills[:1])
    journal.record_intent(OrderRequest("c-2", "USDJPY", Side.BUY, 1.0))


@pytest.mark.parametrize("kind", ["sqlite3", "sqlalchemy"])
def test_the_order_path_reads_back_what_it_wrote(tmp_path: Path, kind: str) -> None:
    journal = _journal(tmp_path, kind)
    before = datetime.now(UTC) - timedelta(seconds=1)
    try:
        _story(journal)
        order = journal.order("c-1")
        deals = journal.deals("c-1")
        with journal.session() as session:
            row = session.scalars(select(OrderRecord).where(OrderRecord.client_id == "c-1")).one()
            position_ticket, owner, comment = row.position_ticket, row.owner, row.comment
        assert journal.has_order("c-1") and journal.has_order("c-2")
        assert not journal.has_order("c-3")
    finally:
        journal.close()
    assert order is not None
    assert order.created.tzinfo is not None and order.created > before
    assert (order.status, order.broker_ticket, order.price, order.filled_volume) == (
        OrderStatus.FILLED,
        1234,  # the second result (no ticket, no price) kept the first's
        1.10513,
        0.3,
    )
    assert (order.sl, order.tp, order.action) == (1.1071, None, "close")
    assert (position_ticket, owner, comment) == (99, 7, "é ünïcode")
    assert [(d.deal_ticket, d.volume, d.realized_pnl, d.closes_position) for d in deals] == [
        (501, 0.1, -1.5, True),  # deal 501 reported twice, recorded once
        (502, 0.2, 2.25, True),
    ]


def test_both_kinds_of_statement_write_the_same_rows(tmp_path: Path) -> None:
    found = {}
    for kind in ("sqlite3", "sqlalchemy"):
        journal = _journal(tmp_path, kind)
        try:
            _story(journal)
            # Creation times differ between the two runs; their zone and all else must not.
            orders = [
                (o.created.tzinfo, dataclasses.replace(o, created=_ANY_TIME))
                for o in journal.orders()
            ]
            found[kind] = (orders, journal.deals())
        finally:
            journal.close()
    assert found["sqlite3"] == found["sqlalchemy"]
    assert len(found["sqlite3"][0]) == 2 and len(found["sqlite3"][1]) == 2


@pytest.mark.parametrize("kind", ["sqlite3", "sqlalchemy"])
def test_an_outcome_without_an_intent_is_refused_and_writes_nothing(
    tmp_path: Path, kind: str
) -> None:
    journal = _journal(tmp_path, kind)
    fill = Fill("ghost", 700, 1, "EURUSD", Side.BUY, 0.1, 1.1, 1_764_750_000_000)
    try:
        with pytest.raises(StorageError, match="no journaled intent for order ghost"):
            journal.record_result("ghost", OrderStatus.FILLED, filled_volume=0.1, fills=[fill])
        assert journal.deals() == []
    finally:
        journal.close()


def test_a_reused_client_id_is_refused_by_the_database_too(tmp_path: Path) -> None:
    journal = _journal(tmp_path, "sqlite3")
    try:
        journal.record_intent(OrderRequest("c-1", "EURUSD", Side.BUY, 0.1))
        with pytest.raises(StorageError, match="Could not record the intent of order c-1"):
            journal.record_intent(OrderRequest("c-1", "EURUSD", Side.BUY, 0.1))
        assert len(journal.orders()) == 1
    finally:
        journal.close()
