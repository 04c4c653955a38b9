"""Alerts live in the journal: a restart restores them as they were, counts and all."""

from __future__ import annotations

from pathlib import Path

from app.domain.alert_facts import (
    AcknowledgeAlert,
    DeleteAlert,
    EnableAlert,
    RequestAlertHistory,
)
from app.domain.alerts import (
    AlertActions,
    AlertSpec,
    AlertState,
    Condition,
    Trigger,
    Watch,
    format_moment,
)
from app.domain.enums import OrderSource, Side
from app.domain.trading import OrderRequest
from app.storage.errors import StorageError
from app.storage.journal import Journal
from tests.alerts.desk import AlertDesk
from tests.replay_market import Clock


def journal(path: Path) -> Journal:
    return Journal.open(f"sqlite:///{path / 'journal.sqlite'}")


def test_alerts_and_their_firings_survive_a_restart(tmp_path: Path) -> None:
    first = AlertDesk(journal(tmp_path))
    first.connect()
    first.create(AlertSpec("EURUSD", condition=Condition.CROSSES_UP, level=1.1010))  # 1: fires
    first.create(
        AlertSpec("EURUSD", condition=Condition.CROSSES, level=1.1050, trigger=Trigger.EVERY)
    )  # 2: waits
    first.create(AlertSpec("GBPUSD", condition=Condition.BELOW, level=1.0))  # 3: switched off
    first.create(AlertSpec("EURUSD", condition=Condition.ABOVE, level=2.0))  # 4: deleted
    first.create(
        AlertSpec(
            "EURUSD",
            condition=Condition.CROSSES_UP,
            level=1.1015,
            actions=AlertActions(repeat_until_ack=True, repeat_every_s=30),
        )
    )  # 5: fires, is not acknowledged
    first.send(EnableAlert(3, False, first.request_id()))
    first.send(DeleteAlert(4, first.request_id()))
    first.tick(1.1020)
    assert sorted(f.number for f in first.fired()) == [1, 5]
    first.core.disconnect()
    assert first.core.journal is not None
    first.core.journal.close()

    # A new process: the same journal file, a new core and host.
    second = AlertDesk(journal(tmp_path), clock=Clock(first.now + 5))
    second.connect(bid=1.1020)
    restored = {s.number: s for s in second.last_list().alerts}
    assert sorted(restored) == [1, 2, 3, 5]
    assert (restored[1].state, restored[1].count) == (AlertState.DONE, 1)
    assert (restored[2].state, restored[2].count) == (AlertState.ACTIVE, 0)
    assert restored[3].state is AlertState.DISABLED
    assert restored[5].unacknowledged and restored[1].unacknowledged
    assert "Alerts restored: 4, of which 1 active" in second.lines()

    second.tick(1.1000)
    second.tick(1.1060)  # crosses 1.1010 and 1.1015 again, and 1.1050
    assert [f.number for f in second.fired() if not f.repeat] == [2]  # the once-alerts stay done
    reminders = [f for f in second.fired() if f.repeat]
    assert [f.number for f in reminders] == [5]  # its reminders go on after the restart
    assert reminders[0].text == "EURUSD bid crossed up 1.10150 (1.10200)"

    second.send(AcknowledgeAlert(5, second.request_id()))
    reply = second.create(AlertSpec("EURUSD", condition=Condition.CROSSES, level=1.2))
    assert reply.number == 6  # numbers are never reused, deleted ones included

    second.core.handle(RequestAlertHistory())
    history = second.history().firings
    assert [(f.number, f.count) for f in history] == [(2, 1), (5, 1), (1, 1)]
    assert second.core.journal is not None
    second.core.journal.close()

    third = AlertDesk(journal(tmp_path), clock=Clock(second.now + 5))
    third.connect()
    restored = {s.number: s for s in third.last_list().alerts}
    assert not restored[5].unacknowledged
    assert third.fired() == []
    assert third.core.journal is not None
    third.core.journal.close()


def test_a_trading_alert_records_its_firing_before_its_order(tmp_path: Path) -> None:
    store = journal(tmp_path)
    desk = AlertDesk(store)
    desk.connect()
    order = OrderRequest("", "EURUSD", Side.SELL, 0.2, source=OrderSource.ALERT)
    desk.create(
        AlertSpec(
            "EURUSD",
            condition=Condition.CROSSES_DOWN,
            level=1.0990,
            actions=AlertActions(order=order, trade=True),
        )
    )
    desk.tick(1.0980)
    (fired,) = desk.fired()
    (firing,) = store.alert_firings(1)
    assert firing.order_client_id == fired.order_client_id != ""
    recorded = store.order(fired.order_client_id)
    assert recorded is not None and recorded.source is OrderSource.ALERT
    assert recorded.volume == 0.2 and recorded.side is Side.SELL
    store.close()


def test_an_alert_the_journal_cannot_store_is_not_kept(tmp_path: Path) -> None:
    store = journal(tmp_path)
    desk = AlertDesk(store)
    desk.connect()

    def broken(*_args: object, **_kw: object) -> None:
        raise StorageError("disk full")

    store.save_alert = broken  # type: ignore[method-assign]
    reply = desk.create(AlertSpec("EURUSD", Watch.BID, Condition.CROSSES, level=1.2))
    assert not reply.ok and reply.text == "Alert 1 not saved: disk full"
    assert desk.host.alerts == {}
    store.close()


def test_a_definition_that_reads_but_holds_the_wrong_types_costs_only_its_alert(
    tmp_path: Path,
) -> None:
    """A text for a level would be armed and fail at the first tick, taking every alert."""
    from sqlalchemy import text

    first = AlertDesk(journal(tmp_path))
    first.connect()
    first.create(AlertSpec("EURUSD", condition=Condition.CROSSES_UP, level=1.1010))
    first.create(AlertSpec("EURUSD", condition=Condition.CROSSES_UP, level=1.1015))
    first.core.disconnect()
    assert first.core.journal is not None
    first.core.journal.close()
    again = journal(tmp_path)
    with again.session() as session:
        session.execute(
            text("UPDATE alerts SET definition = :d WHERE number = 2"),
            {"d": '{"symbol": "EURUSD", "condition": "crosses_up", "level": "1.1015"}'},
        )

    second = AlertDesk(again, clock=Clock(first.now + 5))
    second.connect()
    second.tick(1.1020)
    assert [f.number for f in second.fired()] == [1]
    said = [line for line in second.lines() if line.startswith("Alert 2 was not restored")]
    assert len(said) == 1 and "level" in said[0], second.lines()
    again.close()


def test_a_time_alert_missed_while_closed_is_said_in_one_line_and_switched_off(
    tmp_path: Path,
) -> None:
    first = AlertDesk(journal(tmp_path))
    first.connect()
    at = int((first.now + 60) * 1000)
    first.create(AlertSpec("EURUSD", Watch.TIME, Condition.AT, at_msc=at, note="call the desk"))
    first.create(
        AlertSpec(
            "EURUSD", Watch.TIME, Condition.AT, at_msc=at, trigger=Trigger.EVERY, interval_s=3600
        )
    )
    first.core.disconnect()
    assert first.core.journal is not None
    first.core.journal.close()

    second = AlertDesk(journal(tmp_path), clock=Clock(first.now + 2 * 3600 + 30))
    second.connect()
    second.tick(1.1001)
    assert second.fired() == []
    said = [line for line in second.lines() if "missed" in line]
    assert said == [
        "Alert 1 switched off: missed its time "
        f"{format_moment(at)} while it was not running (Tradeterm closed, disconnected or "
        "asleep): it did not fire",
        "Alert 2 missed 2 of its times, the last "
        f"{format_moment(at + 3600_000)} while it was not running (Tradeterm closed, "
        f"disconnected or asleep): it did not fire; next at {format_moment(at + 7200_000)}",
    ]
    assert second.status(1).state is AlertState.DISABLED
    second.tick(1.1001, seconds=60)
    assert [f.number for f in second.fired()] == [2]  # at its next moment, on time
    assert second.core.journal is not None
    second.core.journal.close()
