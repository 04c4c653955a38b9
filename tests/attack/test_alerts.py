"""Hostile input to alerts: webhook addresses, corrupt journal rows, bursts of firings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from app.domain.alert_facts import WebhookCheck, WebhookChecked
from app.domain.alerts import AlertSpec, Condition, Watch, webhook_problem
from app.engine.clients import ClientState
from app.storage.journal import Journal
from tests.alerts.desk import AlertDesk
from tests.notify.conftest import loop, until
from tests.notify.test_webhook import Scene
from tests.replay_market import Clock

__all__ = ["loop"]  # the qasync loop fixture of the notifier's tests

#: Addresses the definition check lets through but no HTTP client can send to.
UNSENDABLE = [
    "http://127.0.0.1:99999/hook",  # a port above 65535
    "http://hooks.example\x01.com/x",  # a control character in the host
    "http://xn--/hook",  # a malformed international name
]


@pytest.mark.parametrize("url", UNSENDABLE)
def test_an_unsendable_webhook_address_is_refused_when_the_alert_is_defined(url: str) -> None:
    assert webhook_problem(url) is not None


@pytest.mark.parametrize("url", UNSENDABLE)
def test_checking_an_unsendable_webhook_answers_the_engine_with_the_reason(
    loop: asyncio.AbstractEventLoop, url: str
) -> None:
    scene = Scene(loop)

    async def scenario() -> None:
        scene.bus.webhook_check.emit(WebhookCheck("check-1", url))
        await until(lambda: scene.commands, timeout=10)

    scene.run(scenario)  # without an answer the alert waits and is refused as "no answer"
    [answer] = scene.commands
    assert isinstance(answer, WebhookChecked) and answer.problem


def _journal(path: Path) -> Journal:
    return Journal.open(f"sqlite:///{path / 'journal.sqlite'}")


@pytest.mark.parametrize("definition", ["null", "123"])
def test_one_corrupt_alert_row_does_not_cost_every_other_alert(
    tmp_path: Path, definition: str
) -> None:
    first = AlertDesk(_journal(tmp_path))
    first.connect()
    first.create(AlertSpec("EURUSD", Watch.BID, Condition.CROSSES_UP, level=1.1010))
    first.create(AlertSpec("EURUSD", Watch.BID, Condition.CROSSES_UP, level=1.1050))
    first.core.disconnect()
    assert first.core.journal is not None
    first.core.journal.close()
    journal = _journal(tmp_path)
    with journal.session() as session:
        session.execute(
            text("UPDATE alerts SET definition = :d WHERE number = 2"), {"d": definition}
        )

    second = AlertDesk(journal, clock=Clock(first.now + 5))
    second.connect()
    assert second.core.clients.state("alerts") is ClientState.RUNNING
    second.tick(1.1020)
    assert [f.number for f in second.fired()] == [1], "the good alert no longer fires"
    journal.close()


def test_an_alert_left_out_at_restart_is_said_not_dropped_silently(tmp_path: Path) -> None:
    first = AlertDesk(_journal(tmp_path))
    first.connect()
    first.create(AlertSpec("EURUSD", Watch.BID, Condition.CROSSES_UP, level=1.1010))
    first.create(AlertSpec("EURUSD", Watch.BID, Condition.CROSSES_UP, level=1.1050))
    first.core.disconnect()
    assert first.core.journal is not None
    first.core.journal.close()
    journal = _journal(tmp_path)
    with journal.session() as session:
        session.execute(text("UPDATE alerts SET definition = '{\"bogus\": 1}' WHERE number = 2"))

    second = AlertDesk(journal, clock=Clock(first.now + 5))
    second.connect()
    said = " | ".join(second.lines())
    assert "Alert 2" in said or "alert 2" in said, f"alert 2 vanished without a word: {said}"
    journal.close()


def _missed_time_alert(tmp_path: Path) -> AlertDesk:
    """A time alert that trades, due while the terminal was closed; restarted 2 h later."""
    from app.domain.alerts import AlertActions
    from app.domain.enums import OrderSource, Side
    from app.domain.trading import OrderRequest

    first = AlertDesk(_journal(tmp_path))
    first.connect()
    order = OrderRequest("", "EURUSD", Side.BUY, 0.1, source=OrderSource.ALERT)
    at = int((first.now + 60) * 1000)
    reply = first.create(
        AlertSpec(
            "EURUSD",
            Watch.TIME,
            Condition.AT,
            at_msc=at,
            actions=AlertActions(order=order, trade=True),
        )
    )
    assert reply.ok
    first.core.disconnect()
    assert first.core.journal is not None
    first.core.journal.close()
    second = AlertDesk(_journal(tmp_path), clock=Clock(first.now + 7200))
    second.connect()
    second.tick(1.1001)
    return second


def test_a_time_alert_missed_while_closed_does_not_trade_hours_late(tmp_path: Path) -> None:
    """docs/alerts.md: an alert that trades must never act on what nobody saw."""
    second = _missed_time_alert(tmp_path)
    assert second.core.positions() == (), "its order was sent two hours after its time"
    assert second.core.journal is not None
    second.core.journal.close()


def test_a_late_time_alert_does_not_say_it_is_a_time_that_has_passed(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    second = _missed_time_alert(tmp_path)
    now = datetime.fromtimestamp(second.market.clock.now, UTC).strftime("%H:%M")
    for fired in second.fired():
        assert "it is" not in fired.text or now in fired.text, (
            f"at {now} the alert says {fired.text!r}"
        )
    assert second.core.journal is not None
    second.core.journal.close()
