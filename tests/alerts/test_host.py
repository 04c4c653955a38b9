"""Alerts on the real engine core: commands, firing, actions, the order road, reconnects."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.domain.alert_facts import (
    AcknowledgeAlert,
    AlertFired,
    CreateAlert,
    DeleteAlert,
    EditAlert,
    EnableAlert,
    RequestAlertHistory,
    RequestAlerts,
    WebhookChecked,
)
from app.domain.alerts import (
    AlertActions,
    AlertSpec,
    AlertState,
    Condition,
    IndicatorRef,
    Trigger,
    Watch,
)
from app.domain.commands import Halt
from app.domain.enums import OrderSource, OrderStatus, Side
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderRequest
from app.engine.clients import ClientState
from app.engine.core import TradingCore
from tests.alerts.desk import AlertDesk
from tests.published import Published


@pytest.fixture
def desk() -> AlertDesk:
    d = AlertDesk()
    d.connect()
    return d


def cross_up(level: float, **kw: object) -> AlertSpec:
    return AlertSpec("EURUSD", Watch.BID, Condition.CROSSES_UP, level=level, **kw)  # type: ignore[arg-type]


def test_an_alert_fires_on_the_tick_that_crosses_and_says_so_everywhere(desk: AlertDesk) -> None:
    reply = desk.create(cross_up(1.1010))
    assert reply.ok and reply.number == 1
    assert reply.text == "Alert 1 created: EURUSD bid crosses up 1.10100, once"
    assert desk.status(1).state is AlertState.ACTIVE
    desk.tick(1.1005)
    assert desk.fired() == []
    desk.tick(1.1030)  # jumps past the level
    (fired,) = desk.fired()
    assert (fired.number, fired.value, fired.count, fired.repeat) == (1, 1.1030, 1, False)
    assert fired.time_msc == int(desk.now * 1000)
    assert fired.text == "EURUSD bid crossed up 1.10100 (1.10300)"
    assert "Alert 1 fired: EURUSD bid crossed up 1.10100 (1.10300)" in desk.lines()
    status = desk.status(1)
    assert (status.state, status.count, status.unacknowledged) == (AlertState.DONE, 1, True)
    desk.tick(1.1000)
    desk.tick(1.1030)
    assert len(desk.fired()) == 1  # once is once
    assert desk.core.clients.state("alerts") is ClientState.RUNNING


def test_the_host_listens_only_to_the_symbols_its_alerts_watch(desk: AlertDesk) -> None:
    assert desk.host.subscriptions().ticks == frozenset()
    desk.create(cross_up(1.2))
    desk.create(AlertSpec("GBPUSD", condition=Condition.CROSSES, level=1.3))
    assert desk.host.subscriptions().ticks == frozenset({"EURUSD", "GBPUSD"})
    desk.send(DeleteAlert(2, desk.request_id()))
    assert desk.host.subscriptions().ticks == frozenset({"EURUSD"})


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (AlertSpec("FOOBAR", level=1.1), "No symbol 'FOOBAR' at this broker"),
        (
            AlertSpec("EURUSD", Watch.TIME, Condition.AT, at_msc=1_000),
            "The time 1970-01-01",
        ),
        (AlertSpec("EURUSD", level=-1.0), "The level -1 must be more than zero"),
        (
            AlertSpec("EURUSD", level=1.1, actions=AlertActions(webhook="ftp://x/y")),
            "The webhook address 'ftp://x/y' is not http:// or https://",
        ),
        (
            AlertSpec("EURUSD", level=1.1, trigger=Trigger.ONCE, max_count=3),
            "Once fires one time, not 3",
        ),
        (
            AlertSpec(
                "EURUSD",
                Watch.INDICATOR,
                Condition.CROSSES,
                level=70,
                indicator=IndicatorRef("rsx", Timeframe.M1),
            ),
            "Unknown indicator 'rsx'",
        ),
        (
            AlertSpec(
                "EURUSD",
                Watch.INDICATOR,
                Condition.CROSSES,
                level=70,
                indicator=IndicatorRef("rsi", Timeframe.M1, {"period": 1}),
            ),
            "RSI period: must be at least 2 (got 1)",
        ),
        (
            AlertSpec("", Watch.POSITION_PNL, Condition.BELOW, level=-10, ticket=999),
            "No open position #999",
        ),
        (
            AlertSpec(
                "EURUSD",
                level=1.1,
                actions=AlertActions(order=OrderRequest("", "EURUSD", Side.BUY, 0.001), trade=True),
            ),
            "The order: ",
        ),
    ],
)
def test_bad_definitions_are_refused_in_words_and_nothing_is_stored(
    desk: AlertDesk, spec: AlertSpec, problem: str
) -> None:
    reply = desk.create(spec)
    assert not reply.ok and reply.number is None
    assert reply.text.startswith("Alert not created: ") and problem in reply.text
    assert desk.host.alerts == {}
    assert desk.checks() == []
    assert any(problem in line for line in desk.lines())


def test_commands_before_the_broker_connected_are_refused() -> None:
    d = AlertDesk()
    reply = d.send(CreateAlert(cross_up(1.2), "r-1"))
    assert not reply.ok and "not connected to the broker yet" in reply.text
    assert d.host.alerts == {}


def test_edit_enable_disable_acknowledge_delete_and_list(desk: AlertDesk) -> None:
    desk.create(cross_up(1.1010, trigger=Trigger.EVERY))
    desk.create(AlertSpec("EURUSD", condition=Condition.CROSSES_DOWN, level=1.0990))
    desk.tick(1.1020)
    assert [f.number for f in desk.fired()] == [1]

    reply = desk.send(EnableAlert(1, False, desk.request_id()))
    assert reply.ok and reply.text == "Alert 1 switched off: by ticket"
    assert desk.status(1).state is AlertState.DISABLED
    desk.tick(1.1000)
    desk.tick(1.1020)
    assert len(desk.fired()) == 1  # off: no firing
    assert desk.send(EnableAlert(1, True, desk.request_id())).text == "Alert 1 switched on"
    desk.tick(1.1000)
    desk.tick(1.1020)
    assert [f.count for f in desk.fired()] == [1, 2]

    reply = desk.send(EditAlert(1, cross_up(1.1050), desk.request_id()))
    assert reply.ok and reply.text == "Alert 1 changed: EURUSD bid crosses up 1.10500, once"
    assert desk.status(1).count == 0  # an edited alert starts again
    desk.tick(1.1060)
    assert desk.fired()[-1].count == 1

    ack = desk.send(AcknowledgeAlert(None, desk.request_id()))
    assert ack.ok and ack.text == "Acknowledged alert(s) 1"
    assert not desk.status(1).unacknowledged
    nothing = desk.send(AcknowledgeAlert(1, desk.request_id()))
    assert nothing.text == "Nothing to acknowledge for alert 1"

    desk.core.handle(RequestAlerts(say=True))
    listed = desk.last_list().alerts
    assert [(s.number, s.state) for s in listed] == [(1, AlertState.DONE), (2, AlertState.ACTIVE)]
    assert "Alert 2 [active]: EURUSD bid crosses down 1.09900, once" in desk.lines()

    assert desk.send(DeleteAlert(2, desk.request_id())).text == "Alert 2 deleted"
    assert desk.status(2).deleted
    assert 2 not in desk.host.alerts
    missing = desk.send(DeleteAlert(2, desk.request_id()))
    assert not missing.ok and missing.text == "Alert 2 not deleted: no such alert"
    desk.tick(1.0950)
    assert [f.number for f in desk.fired()] == [1, 1, 1]  # the deleted one never fires


def test_switching_on_an_alert_that_is_done_starts_it_again(desk: AlertDesk) -> None:
    desk.create(cross_up(1.1010))
    desk.tick(1.1020)
    assert desk.status(1).state is AlertState.DONE
    reply = desk.send(EnableAlert(1, True, desk.request_id()))
    assert reply.text == "Alert 1 switched on (it starts again: its count is reset)"
    desk.tick(1.1000)
    desk.tick(1.1015)
    assert [f.count for f in desk.fired()] == [1, 1]


def test_the_history_of_firings_newest_first(desk: AlertDesk) -> None:
    desk.create(
        AlertSpec("EURUSD", condition=Condition.CROSSES, level=1.1010, trigger=Trigger.EVERY)
    )
    for bid in (1.1020, 1.1000, 1.1020):
        desk.tick(bid)
    desk.core.handle(RequestAlertHistory(1))
    history = desk.history()
    assert [f.count for f in history.firings] == [3, 2, 1]
    assert history.firings[0].text == "EURUSD bid crossed 1.10100 (1.10200)"


def test_an_alert_with_a_webhook_is_stored_only_after_its_test_post(desk: AlertDesk) -> None:
    url = "https://hooks.example.com/T000/secret-token"
    spec = cross_up(1.1010, actions=AlertActions(webhook=url))
    desk.core.handle(CreateAlert(spec, "r-ok"))
    (check,) = desk.checks()
    assert check.url == url
    assert desk.host.alerts == {} and desk.replies() == []
    assert "Checking the webhook https://hooks.example.com/… with a test POST" in desk.lines()[-1]
    assert all("secret-token" not in line for line in desk.lines())
    desk.core.handle(WebhookChecked(check.check_id))
    (reply,) = desk.replies()
    assert reply.ok and reply.number == 1 and 1 in desk.host.alerts

    desk.core.handle(CreateAlert(spec, "r-down"))
    second = desk.checks()[-1]
    desk.core.handle(WebhookChecked(second.check_id, "could not connect (Connection refused)"))
    refused = desk.replies()[-1]
    assert not refused.ok and refused.text == (
        "Alert not created: the webhook https://hooks.example.com/… did not take the test "
        "POST: could not connect (Connection refused)"
    )
    assert list(desk.host.alerts) == [1]


def test_a_webhook_check_that_never_comes_back_is_refused_in_time(desk: AlertDesk) -> None:
    desk.core.handle(
        CreateAlert(cross_up(1.2, actions=AlertActions(webhook="http://10.0.0.1/h")), "r")
    )
    desk.tick(1.1001, seconds=10)
    assert desk.replies() == []
    desk.tick(1.1002, seconds=15)
    (reply,) = desk.replies()
    assert not reply.ok and "could not be checked within 20 s" in reply.text
    assert desk.host.alerts == {}
    desk.core.handle(WebhookChecked(desk.checks()[0].check_id))  # too late: ignored
    assert desk.host.alerts == {}


def test_a_jump_during_a_lost_connection_fires_at_the_first_tick_after_it(desk: AlertDesk) -> None:
    desk.create(cross_up(1.1050))
    desk.tick(1.1010)
    desk.market.broker.set_connected(False, "network cable")
    desk.tick(1.1100)  # fed, but the poll finds the link down
    assert not desk.core.connected or desk.core.link_problem() is not None
    desk.market.broker.set_connected(True)
    desk.core.reconnect.next_at = 0.0  # due now
    desk.core.poll()  # reconnects
    desk.tick(1.1080)
    (fired,) = desk.fired()
    assert fired.value in (1.1100, 1.1080)  # the first quote after the gap crossed it
    assert desk.core.clients.state("alerts") is ClientState.RUNNING


def test_a_repeating_reminder_until_acknowledged(desk: AlertDesk) -> None:
    actions = AlertActions(repeat_until_ack=True, repeat_every_s=30)
    desk.create(cross_up(1.1010, actions=actions))
    desk.tick(1.1020)
    for _ in range(7):
        desk.tick(1.1020, seconds=10)
    fired = desk.fired()
    assert [f.repeat for f in fired] == [False, True, True]
    assert {f.count for f in fired} == {1}  # a reminder is not a new firing
    desk.send(AcknowledgeAlert(1, desk.request_id()))
    for _ in range(7):
        desk.tick(1.1020, seconds=10)
    assert len(desk.fired()) == 3


def test_an_alert_expires(desk: AlertDesk) -> None:
    expires = int((desk.now + 30) * 1000)
    desk.create(cross_up(1.1050, expires_msc=expires))
    desk.tick(1.1010, seconds=20)
    desk.tick(1.1020, seconds=20)
    assert desk.status(1).state is AlertState.EXPIRED
    assert "Alert 1 expired: EURUSD bid crosses up 1.10500, once, until" in desk.lines()[-1]
    desk.tick(1.1080)
    assert desk.fired() == []
    reply = desk.send(EnableAlert(1, True, desk.request_id()))
    assert not reply.ok and "it expired; edit it to give a later expiry" in reply.text


def test_a_time_alert_fires_on_the_engines_clock(desk: AlertDesk) -> None:
    desk.create(AlertSpec("EURUSD", Watch.TIME, Condition.AT, at_msc=int((desk.now + 60) * 1000)))
    desk.tick(1.1001, seconds=59)
    assert desk.fired() == []
    desk.tick(1.1001, seconds=2)
    (fired,) = desk.fired()
    assert fired.value is None and fired.text.startswith("EURUSD it is ")


def test_a_repeating_time_alert_says_the_moment_it_fires_not_its_first(
    desk: AlertDesk,
) -> None:
    from datetime import datetime

    at = int((desk.now + 60) * 1000)
    desk.create(
        AlertSpec("", Watch.TIME, Condition.AT, at_msc=at, trigger=Trigger.EVERY, interval_s=3600)
    )
    desk.tick(1.1001, seconds=61)
    desk.tick(1.1001, seconds=3600)
    first, second = desk.fired()
    second_at = datetime.fromtimestamp(at / 1000 + 3600).astimezone()
    assert second.text == f"it is {second_at:%Y-%m-%d %H:%M}", (first.text, second.text)


# -- the order action -----------------------------------------------------------------


def trading(level: float, *, trade: bool = True, volume: float = 0.1) -> AlertSpec:
    order = OrderRequest("", "EURUSD", Side.BUY, volume, source=OrderSource.ALERT)
    return cross_up(level, actions=AlertActions(order=order, trade=trade))


def test_an_alert_that_trades_sends_its_order_through_the_gate(desk: AlertDesk) -> None:
    desk.create(trading(1.1010))
    desk.tick(1.1020)
    (fired,) = desk.fired()
    assert fired.order_client_id
    updates = [u for u in desk.market.out.orders if u.client_id == fired.order_client_id]
    assert updates[-1].status is OrderStatus.FILLED
    assert updates[-1].source is OrderSource.ALERT
    (position,) = desk.core.positions()
    assert position.side is Side.BUY and position.volume == 0.1
    line = next(x for x in desk.lines() if x.startswith("Alert 1 fired"))
    assert f"order BUY 0.1 EURUSD at market sent to the risk gate ({fired.order_client_id})" in line


def test_an_alert_order_is_refused_when_trading_is_halted_with_the_reason(desk: AlertDesk) -> None:
    desk.create(trading(1.1010))
    desk.core.handle(Halt("the trader pressed HALT"))
    desk.tick(1.1020)
    (fired,) = desk.fired()
    (rejected,) = [u for u in desk.market.out.orders if u.client_id == fired.order_client_id][-1:]
    assert rejected.status is OrderStatus.REJECTED
    assert "HALTED" in rejected.reason
    assert desk.core.positions() == ()
    refusal = next(x for x in desk.lines() if "its order was refused" in x)
    assert refusal.startswith("Alert 1: its order was refused: ") and "HALTED" in refusal


def test_an_order_without_the_opt_in_is_never_sent(desk: AlertDesk) -> None:
    desk.create(trading(1.1010, trade=False))
    desk.tick(1.1020)
    (fired,) = desk.fired()
    assert fired.order_client_id == "" and desk.market.out.orders == []
    assert any(x.endswith("; its order is off (not opted in)") for x in desk.lines())


def test_a_trading_alert_is_always_judged_once_per_firing(desk: AlertDesk) -> None:
    spec = replace(
        trading(1.1010), condition=Condition.CROSSES, trigger=Trigger.EVERY, interval_s=1
    )
    desk.create(spec)
    for bid in (1.1020, 1.1000, 1.1020):
        desk.tick(bid, seconds=2)
    ids = [f.order_client_id for f in desk.fired()]
    assert len(ids) == 3 and len(set(ids)) == 3  # one order per firing, each its own id
    filled = {u.client_id for u in desk.market.out.orders if u.status is OrderStatus.FILLED}
    assert set(ids) <= filled


def test_a_trading_alert_needs_a_minimum_interval_to_fire_every_time(desk: AlertDesk) -> None:
    reply = desk.create(
        replace(trading(1.1010), condition=Condition.CROSSES, trigger=Trigger.EVERY)
    )
    assert not reply.ok
    assert "An alert that places orders needs a minimum interval" in reply.text
    assert not desk.host.alerts  # nothing stored


def test_the_phone_cannot_switch_on_an_alert_that_places_orders(desk: AlertDesk) -> None:
    desk.create(trading(1.1010))
    desk.send(EnableAlert(1, False, desk.request_id()))
    reply = desk.send(EnableAlert(1, True, desk.request_id(), source=OrderSource.TELEGRAM))
    assert not reply.ok
    assert reply.text == (
        "Alert 1 not switched on: it places orders, so it is switched on in the terminal, "
        "not from Telegram"
    )
    desk.tick(1.1020)
    assert desk.fired() == [] and desk.market.out.orders == []
    assert desk.send(EnableAlert(1, True, desk.request_id())).ok  # from the terminal it may


# -- isolation ------------------------------------------------------------------------


def test_without_the_host_nothing_changes_for_the_core() -> None:
    out = Published()
    core = TradingCore(lambda: None, out)  # type: ignore[arg-type, return-value]
    assert CreateAlert not in core.command_handlers


def test_an_alert_command_names_the_source_it_came_from(desk: AlertDesk) -> None:
    desk.create(cross_up(1.2))
    reply = desk.send(EnableAlert(1, False, desk.request_id(), OrderSource.TELEGRAM))
    assert reply.text == "Alert 1 switched off: by telegram"


def test_alert_fired_carries_what_the_actions_need(desk: AlertDesk) -> None:
    actions = AlertActions(sound=False, notify=True, telegram=False, webhook="")
    desk.create(cross_up(1.1010, actions=actions, note="breakout"))
    desk.tick(1.1020)
    fired: AlertFired = desk.fired()[0]
    assert fired.spec.actions == actions
    assert fired.text.endswith("— breakout")
    assert fired.delivery_id == f"alert-1-1-{fired.time_msc}"


def test_an_edited_expiry_is_the_one_that_counts(desk: AlertDesk) -> None:
    soon = int((desk.now + 10) * 1000)
    desk.create(cross_up(1.1050, expires_msc=soon))
    later = int((desk.now + 600) * 1000)
    desk.send(EditAlert(1, cross_up(1.1050, expires_msc=later), desk.request_id()))
    desk.tick(1.1010, seconds=20)  # past the first expiry
    assert desk.status(1).state is AlertState.ACTIVE
    desk.tick(1.1060)
    assert [f.number for f in desk.fired()] == [1]


def test_indicator_and_bar_close_alerts_on_the_engines_closed_bars() -> None:
    from tests.replay_market import START, Clock

    d = AlertDesk(clock=Clock(START + 1))
    d.connect()
    sma = IndicatorRef("sma", Timeframe.M1, {"period": 2})
    d.create(
        AlertSpec("EURUSD", Watch.INDICATOR, Condition.CROSSES_UP, level=1.1010, indicator=sma)
    )
    d.create(cross_up(1.1015, trigger=Trigger.ONCE_PER_BAR_CLOSE, timeframe=Timeframe.M1))
    assert d.host.subscriptions().bars == frozenset({("EURUSD", Timeframe.M1)})
    # One tick a minute; each closes the minute before it, at that close.
    for minute, bid in enumerate([1.1000, 1.1005, 1.1030, 1.1000, 1.1030], start=1):
        d.market.tick(START + minute * 60 + 1, bid, poll=True)
    fired = [(f.number, f.value) for f in d.fired()]
    # Closes: 1.1000 (min 1), 1.1005 (2), 1.1030 (3), 1.1000 (4). SMA(2) of the closes:
    # 1.10025, 1.10175 -> crosses 1.1010 when minute 3 closes; the close 1.1030 crosses 1.1015.
    assert (2, 1.103) in fired
    assert any(n == 1 and abs(v - 1.10175) < 1e-9 for n, v in fired)
    assert len(fired) == 2
