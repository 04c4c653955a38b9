"""SIGKILL at each step of an order's life, restart, and check journal and broker agree.

A child process runs the engine core with a journal and the persisted paper
broker; ``TRADETERM_CRASH_AT`` makes it SIGKILL itself before the intent, after
the intent, after the broker took the order, or after the result was journaled.
The restarted child reconciles at connect. Then, read straight from the files:
every order the broker knows is in the journal with the same outcome, every
deal once, nothing unresolved, and the order was never sent twice.

Children are forked: a warm interpreter makes each life a fraction of a second
where a fresh one costs seconds of imports. ``python -m tests.crash.child`` runs
the same life in a fresh interpreter by hand.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.brokers.sim.state import SimAccountState, load_state
from app.domain.enums import OrderStatus
from app.storage import Journal
from tests.crash import child
from tests.storage.conftest import BACKENDS, backend_url

SIGKILLED = -9


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from backend_url(request.param, tmp_path)


def _forked_life(point: str, *args: object) -> None:
    if point:
        os.environ[child.KILL_ENV] = point
    else:
        os.environ.pop(child.KILL_ENV, None)
    child.run(*args)  # type: ignore[arg-type]


def life(url: str, tmp: Path, action: str, cid: str, point: str = "") -> int:
    """One run of the app in a forked child; returns its exit code."""
    process = multiprocessing.get_context("fork").Process(
        target=_forked_life, args=(point, url, tmp / "paper.json", action, cid, tmp / "out.json")
    )
    process.start()
    process.join(60)
    if process.is_alive():
        process.kill()
        pytest.fail(f"the child ({action} {cid} {point}) hung")
    assert process.exitcode is not None
    return process.exitcode


def broker_state(tmp: Path) -> SimAccountState:
    """The paper account as saved; a broker that never took an order saved nothing yet."""
    state = load_state(tmp / "paper.json")
    return state if state is not None else SimAccountState(0.0, 0, 0)


def assert_journal_and_broker_agree(url: str, tmp: Path) -> None:
    state = broker_state(tmp)
    journal = Journal.open(url)
    try:
        orders = {o.client_id: o for o in journal.orders()}
        assert journal.unresolved_orders(include_working=False) == []
        assert all(o.status is not OrderStatus.UNKNOWN for o in orders.values())
        for record in state.history:  # every order the broker ever saw, journaled alike
            order = orders[record.client_id]
            assert (order.status, order.broker_ticket) == (record.status, record.ticket)
        deals = [d.deal_ticket for d in journal.deals()]
        assert len(deals) == len(set(deals))  # none twice
        assert sorted(deals) == sorted(d.deal_ticket for d in state.deals)  # none lost
    finally:
        journal.close()


REACHED_BROKER = {
    "before_intent": False,
    "after_intent": False,
    "after_send": True,
    "after_result": True,
}


@pytest.mark.parametrize("point", child.KILL_POINTS)
def test_killed_while_opening_a_position(db_url: str, tmp_path: Path, point: str) -> None:
    assert life(db_url, tmp_path, "open", "crash-open", point) == SIGKILLED
    assert life(db_url, tmp_path, "none", "") == 0  # the restart reconciles

    assert_journal_and_broker_agree(db_url, tmp_path)
    positions = broker_state(tmp_path).positions
    journal = Journal.open(db_url)
    try:
        order = journal.order("crash-open")
    finally:
        journal.close()
    if REACHED_BROKER[point]:
        assert len(positions) == 1  # executed once, never resent
        assert order is not None and order.status is OrderStatus.FILLED
        assert order.broker_ticket == positions[0].ticket
    else:
        assert positions == []
        if point == "before_intent":
            assert order is None  # nothing was sent and nothing is claimed
        else:
            assert order is not None and order.status is OrderStatus.REJECTED
            assert "not executed" in order.reason


@pytest.mark.parametrize("point", child.KILL_POINTS)
def test_killed_while_closing_a_position(db_url: str, tmp_path: Path, point: str) -> None:
    assert life(db_url, tmp_path, "open", "setup-open") == 0
    assert life(db_url, tmp_path, "close", "crash-close", point) == SIGKILLED
    assert life(db_url, tmp_path, "none", "") == 0

    assert_journal_and_broker_agree(db_url, tmp_path)
    state = broker_state(tmp_path)
    closed = REACHED_BROKER[point]
    assert len(state.positions) == (0 if closed else 1)
    assert len([d for d in state.deals if d.closes_position]) == (1 if closed else 0)
