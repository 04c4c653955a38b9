"""SIGKILL at each step of an order's life, restart, and check journal and broker agree.

A child process runs the engine core with a journal and the persisted paper
broker; ``TRADETERM_CRASH_AT`` makes it kill itself (SIGKILL, or TerminateProcess
on Windows) before the intent, after the intent, after the broker took the order,
or after the result was journaled.
The restarted child reconciles at connect. Then, read straight from the files:
every order the broker knows is in the journal with the same outcome, every
deal once, nothing unresolved, and the order was never sent twice.

Each life is a new process, never a fork of the test run (whose threads and open
connections a fork would copy). Where the platform has it, the children come from
a fork server that imported the app once, so a life takes a fraction of a second
where a fresh interpreter costs seconds of imports; on Windows they are spawned.
``python -m tests.crash.child`` runs the same life in a fresh interpreter by hand.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.brokers.sim.state import SimAccountState, load_state
from app.domain.enums import OrderStatus
from app.storage import Journal
from tests.crash import child
from tests.storage.conftest import BACKENDS, backend_url

SIGKILLED = child.KILLED_EXIT_CODE


def _start_method() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # imported once, as the server starts; Alembic is what the journal loads on opening
        context.set_forkserver_preload([child.__name__, "alembic.command", "alembic.config"])
        return context
    return multiprocessing.get_context("spawn")


CHILDREN = _start_method()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from backend_url(request.param, tmp_path)


def life(
    url: str, tmp: Path, action: str, cid: str, point: str = "", *, after_s: float | None = None
) -> int:
    """One run of the app in a child process; returns its exit code."""
    process = CHILDREN.Process(
        target=child.life,
        args=(point, url, tmp / "paper.json", action, cid, tmp / "out.json", after_s),
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


def test_killed_between_the_brokers_own_stop_loss_and_the_journal(
    db_url: str, tmp_path: Path
) -> None:
    """The paper broker saves an SL close before the engine journals it; a kill there
    must not lose the deal: the next start records it from the broker's deals."""
    assert life(db_url, tmp_path, "stop", "crash-stop", child.BROKER_CLOSE) == SIGKILLED
    state = broker_state(tmp_path)
    assert [d.closes_position for d in state.deals] == [False, True]  # the broker closed it
    journal = Journal.open(db_url)
    try:
        assert [d.closes_position for d in journal.deals()] == [False]  # the journal missed it
    finally:
        journal.close()
    assert life(db_url, tmp_path, "none", "") == 0  # the restart reconciles
    assert_journal_and_broker_agree(db_url, tmp_path)


@pytest.mark.parametrize("point", child.KILL_POINTS)
@pytest.mark.parametrize("action", ["place", "cancel"])
def test_killed_while_placing_or_cancelling_a_pending_order(
    db_url: str, tmp_path: Path, point: str, action: str
) -> None:
    if action == "cancel":
        assert life(db_url, tmp_path, "place", "setup-place") == 0
    code = life(db_url, tmp_path, action, f"crash-{action}", point)
    assert code in (SIGKILLED, 0)  # a cancel writes no intent: some points never fire
    assert life(db_url, tmp_path, "none", "") == 0
    assert_journal_and_broker_agree(db_url, tmp_path)
    state = broker_state(tmp_path)
    working = [o for o, _request in state.orders]
    journal = Journal.open(db_url)
    try:
        journaled = {o.client_id: o.status for o in journal.orders()}
    finally:
        journal.close()
    for order in working:  # what rests at the broker is WORKING in the journal
        assert journaled[order.client_id] is OrderStatus.WORKING


@pytest.mark.parametrize("point", child.KILL_POINTS)
def test_killed_while_modifying_a_stop(db_url: str, tmp_path: Path, point: str) -> None:
    assert life(db_url, tmp_path, "open", "setup-open") == 0
    life(db_url, tmp_path, "modify", "crash-modify", point)
    assert life(db_url, tmp_path, "none", "") == 0
    assert_journal_and_broker_agree(db_url, tmp_path)
    assert len(broker_state(tmp_path).positions) == 1


@pytest.mark.slow
def test_killed_at_random_moments_of_busy_sessions(tmp_path: Path) -> None:
    """Many sessions (open, place, modify, cancel, a stop hit, close) on a moving
    market, each killed at a random moment; after every restart journal and broker
    agree. Kept under a minute; the count of kills and mismatches is printed."""
    import random
    import time

    rng = random.Random(20261201)
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    kills = lives = 0
    # One whole session first: the kills fall within its length on this machine.
    assert life(url, tmp_path, "session", "s0") == 0
    session_s = float(child.seconds_file(tmp_path / "out.json").read_text())
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and lives < 60:
        lives += 1
        after_s = rng.uniform(0.0, session_s)
        code = life(url, tmp_path, "session", f"s{lives}", after_s=after_s)
        kills += code == SIGKILLED
        assert code in (SIGKILLED, 0), f"life {lives} ended with {code}"
        assert life(url, tmp_path, "none", "") == 0
        assert_journal_and_broker_agree(url, tmp_path)  # a mismatch fails here
    print(f"\ncrash harness: {lives} sessions of {session_s:.2f} s, {kills} killed, 0 mismatches")
    assert kills >= lives // 3  # most sessions are cut somewhere
