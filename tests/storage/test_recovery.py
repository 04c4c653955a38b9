"""The engine core with a journal: write-ahead order records and recovery at connect.

These drive ``TradingCore`` directly (no Qt) with the persisted paper broker, on
every configured database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.brokers.base import ExecutionReport, TransientBrokerError
from app.brokers.sim.broker import SimBroker
from app.domain.commands import ClosePosition, SubmitOrder
from app.domain.enums import LogLevel, OrderStatus, OrderType, Side
from app.domain.trading import OrderRequest
from app.engine.core import TradingCore
from app.storage import Journal, StorageError
from tests.published import Published


class WatchedBroker(SimBroker):
    """The paper broker, noting what the journal held at the moment each order arrived."""

    journal: Journal | None = None
    lookup_fails = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen_at_submit: list[OrderStatus | None] = []
        self.submitted: list[str] = []

    def submit(self, request: OrderRequest) -> ExecutionReport:
        assert self.journal is not None
        order = self.journal.order(request.client_id)
        self.seen_at_submit.append(order.status if order else None)
        self.submitted.append(request.client_id)
        return super().submit(request)

    def order_outcome(self, client_id: str) -> ExecutionReport | None:
        if self.lookup_fails:
            raise TransientBrokerError("the trade server does not answer")
        return super().order_outcome(client_id)


@dataclass
class Session:
    """One run of the app: a journal, a paper broker on its state file, a core."""

    core: TradingCore
    broker: WatchedBroker
    journal: Journal
    out: Published


@pytest.fixture
def start(db_url: str, tmp_path: Path) -> Iterator[Any]:
    opened: list[Journal] = []

    def run(*, lookup_fails: bool = False) -> Session:
        journal = Journal.open(db_url)
        opened.append(journal)
        broker = WatchedBroker(state_path=tmp_path / "paper.json", history_bars=20, seed=3)
        broker.journal, broker.lookup_fails = journal, lookup_fails
        out = Published()
        core = TradingCore(lambda: broker, out, journal=journal)
        assert core.connect()
        return Session(core, broker, journal, out)

    yield run
    for journal in opened:
        journal.close()


def buy(cid: str, **kw: Any) -> OrderRequest:
    return OrderRequest(cid, "EURUSD", Side.BUY, 0.1, **kw)


def test_the_intent_is_on_record_before_the_broker_sees_the_order(start: Any) -> None:
    run = start()
    run.core.handle(SubmitOrder(buy("w-1")))
    assert run.broker.seen_at_submit == [OrderStatus.PENDING_NEW]
    order = run.journal.order("w-1")
    assert order is not None and order.status is OrderStatus.FILLED
    assert [d.client_id for d in run.journal.deals()] == ["w-1"]


def test_a_close_is_journaled_the_same_way(start: Any) -> None:
    run = start()
    run.core.handle(SubmitOrder(buy("c-open")))
    [position] = run.broker.positions()
    run.core.handle(ClosePosition(position.ticket, client_id="c-close"))
    closing = run.journal.order("c-close")
    assert closing is not None and closing.status is OrderStatus.FILLED
    assert closing.action == "close"
    deals = run.journal.deals("c-close")
    assert len(deals) == 1 and deals[0].closes_position


def test_no_journal_means_no_order(start: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run = start()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise StorageError("Could not record the intent: disk full")

    monkeypatch.setattr(run.journal, "record_intent", refuse)
    run.core.handle(SubmitOrder(buy("nj-1")))
    assert run.broker.submitted == []  # the broker never saw it
    assert run.out.orders[-1].status is OrderStatus.REJECTED
    assert any("Order not sent" in m for m in run.out.messages(LogLevel.ERROR))


def test_recovery_settles_every_unfinished_order_from_what_the_broker_says(start: Any) -> None:
    first = start()
    first.core.handle(SubmitOrder(buy("r-filled")))
    quote = first.broker.last_tick("EURUSD")
    assert quote is not None
    limit = round(quote.ask - 0.01, 5)
    first.core.handle(SubmitOrder(buy("r-working", order_type=OrderType.LIMIT, price=limit)))
    first.journal.record_intent(buy("r-never"))  # died after the intent, before sending
    # Died after sending, before the result: the broker has it, the journal does not know.
    first.journal.record_intent(buy("r-sent"))
    first.broker.submit(buy("r-sent"))
    first.journal.close()

    second = start()
    orders = {o.client_id: o for o in second.journal.orders()}
    assert orders["r-sent"].status is OrderStatus.FILLED
    assert orders["r-sent"].broker_ticket is not None
    assert orders["r-never"].status is OrderStatus.REJECTED
    assert "not executed" in orders["r-never"].reason
    assert orders["r-working"].status is OrderStatus.WORKING
    assert second.journal.unresolved_orders() == []
    assert second.broker.submitted == []  # recovery sent nothing
    assert len(second.broker.positions()) == 2  # r-filled and r-sent, once each
    sent_deals = second.journal.deals("r-sent")
    assert len(sent_deals) == 1 and sent_deals[0].position_ticket == orders["r-sent"].broker_ticket
    summary = [m for m in second.out.messages() if m.startswith("Journal reconciled")]
    assert summary == [
        "Journal reconciled with the broker: 3 unfinished orders checked — 1 filled, "
        "1 working, 0 cancelled or rejected, 1 never executed, 0 unknown"
    ]


def test_an_order_the_broker_cannot_account_for_is_unknown_shown_and_never_resent(
    start: Any,
) -> None:
    first = start()
    first.journal.record_intent(buy("u-1"))
    first.journal.close()

    second = start(lookup_fails=True)
    order = second.journal.order("u-1")
    assert order is not None and order.status is OrderStatus.UNKNOWN
    warnings = second.out.messages(LogLevel.WARNING)
    assert any("u-1" in m and "UNKNOWN" in m and "NOT resent" in m for m in warnings)
    assert any(m.endswith("1 unknown") for m in warnings)
    assert second.broker.submitted == []
    second.journal.close()

    third = start()  # the broker answers again: the order is settled at last
    settled = third.journal.order("u-1")
    assert settled is not None and settled.status is OrderStatus.REJECTED
    assert third.broker.submitted == []


def test_log_lines_risk_facts_and_snapshots_reach_the_journal(start: Any) -> None:
    run = start()
    run.core.handle(SubmitOrder(buy("l-1")))
    run.journal.flush()
    journaled = [e.message for e in run.journal.events()]
    assert any(m.startswith("Filled: buy 0.10 EURUSD") for m in journaled)
    assert "Journal reconciled with the broker: no unfinished orders" in journaled


def test_a_risk_refusal_is_journaled_as_a_risk_event_and_a_rejected_order(start: Any) -> None:
    from sqlalchemy import select

    from app.storage.models import RiskEventRecord

    run = start()
    run.core.handle(SubmitOrder(OrderRequest("big-1", "EURUSD", Side.BUY, 50.0)))  # above the limit
    assert run.broker.submitted == []
    order = run.journal.order("big-1")
    assert order is not None and order.status is OrderStatus.REJECTED
    with run.journal.session() as session:
        kinds = [r.kind for r in session.scalars(select(RiskEventRecord))]
    assert kinds == ["RiskBreach"]
