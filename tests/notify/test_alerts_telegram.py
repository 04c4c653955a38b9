"""Price alerts on Telegram, over PTB's real HTTP path to the fake Bot API: out and in."""

from __future__ import annotations

import asyncio

from app.brokers.sim.broker import DEFAULT_MARKETS
from app.domain.alert_facts import (
    AlertFired,
    AlertList,
    AlertReply,
    AlertStatus,
    CreateAlert,
    DeleteAlert,
)
from app.domain.alerts import AlertActions, AlertSpec, AlertState, Condition, Watch
from app.domain.enums import OrderSource
from tests.notify.conftest import OTHER_TRADER, TRADER, Telegram, until

SPECS = tuple(market.spec for market in DEFAULT_MARKETS.values())


def fired(number: int = 3, *, telegram: bool = True, repeat: bool = False) -> AlertFired:
    spec = AlertSpec(
        "EURUSD",
        Watch.BID,
        Condition.CROSSES_UP,
        level=1.1,
        actions=AlertActions(telegram=telegram, repeat_until_ack=repeat),
    )
    return AlertFired(
        number, spec, "EURUSD bid crossed up 1.10000 (1.10004)", 1.10004, 1, 1, repeat
    )


def status(number: int, state: AlertState = AlertState.ACTIVE, **kw: object) -> AlertStatus:
    spec = AlertSpec("EURUSD", Watch.BID, Condition.CROSSES_UP, level=1.1)
    return AlertStatus(
        number,
        spec,
        state,
        "EURUSD bid crosses up 1.10000, once",
        **kw,  # type: ignore[arg-type]
    )


def test_a_fired_alert_reaches_every_authorised_chat(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start(chat_ids=[TRADER, -100777])
        h.bus.alert_fired.emit(fired(3))
        h.bus.alert_fired.emit(fired(4, telegram=False))  # this one asked not to
        h.bus.alert_fired.emit(fired(5, repeat=True))
        await until(lambda: "Alert 5" in h.texts(-100777) and "Alert 5" in h.texts())
        for chat in (TRADER, -100777):
            text = h.texts(chat)
            assert "🔔 <b>Alert 3</b>: EURUSD bid crossed up 1.10000 (1.10004)" in text
            assert "Alert 4" not in text
            assert "🔁 <b>Alert 5</b>" in text and "Acknowledge: /alert ack 5" in text

    telegram.run(scenario)


def test_alert_from_the_phone_becomes_an_engine_command_and_its_answer_comes_back(
    telegram: Telegram,
) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.bus.symbols.emit(SPECS)
        h.api.push_command(TRADER, "/alert eurusd > 1.1 sound")
        await until(lambda: h.commands)
        (command,) = h.commands
        assert isinstance(command, CreateAlert)
        assert command.source is OrderSource.TELEGRAM
        spec = command.spec
        assert (spec.symbol, spec.condition, spec.level) == ("EURUSD", Condition.ABOVE, 1.1)
        assert spec.actions.telegram and spec.actions.sound  # asked from the phone: it tells it
        assert h.api.texts_to(TRADER) == []  # one message: the engine's answer
        h.bus.alerts.emit(AlertReply(command.request_id, True, "Alert 9 created: EURUSD …", 9))
        h.bus.alerts.emit(AlertReply("someone-else", True, "not for this chat"))
        await until(lambda: h.texts())
        assert h.texts() == "✅ Alert 9 created: EURUSD …"

        h.api.push_command(TRADER, "/alert del 9")
        await until(lambda: len(h.commands) == 2)
        assert isinstance(h.commands[1], DeleteAlert) and h.commands[1].number == 9

    telegram.run(scenario)


def test_a_bad_alert_from_the_phone_is_answered_in_words_and_sends_nothing(
    telegram: Telegram,
) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.bus.symbols.emit(SPECS)
        h.api.push_command(TRADER, "/alert foo > 1")
        await until(lambda: h.texts())
        assert h.texts() == "⛔ No symbol 'FOO' at this broker"
        h.api.push_command(TRADER, "/alert eurusd cross 1.1 then buy 0.1")
        await until(lambda: "terminal" in h.texts())
        assert "An alert that places orders is set up in the terminal" in h.texts()
        h.api.push_command(TRADER, "/alert")
        await until(lambda: "Send /alert and an alert" in h.texts())
        assert h.commands == []

    telegram.run(scenario)


def test_alerts_lists_what_the_engine_said(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.bus.alerts.emit(AlertList((status(1), status(2, AlertState.DONE, count=1))))
        h.bus.alerts.emit(status(2, AlertState.DONE, count=1, unacknowledged=True))
        h.bus.alerts.emit(status(1, deleted=True))
        h.api.push_command(TRADER, "/alerts")
        await until(lambda: "Alerts (1)" in h.texts())
        text = h.texts()
        assert "2: EURUSD bid crosses up 1.10000, once <i>(done)</i> · fired 1×" in text
        assert "not acknowledged" in text
        assert "\n1:" not in text

    telegram.run(scenario)


def test_strangers_cannot_create_alerts(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.bus.symbols.emit(SPECS)
        h.api.push_command(OTHER_TRADER, "/alert eurusd > 1.1")
        h.api.push_command(TRADER, "/help")
        await until(lambda: "Tradeterm commands" in h.texts())
        assert "/alerts" in h.texts()
        await asyncio.sleep(0.3)  # the stranger's message was handled before /help
        assert h.commands == [] and h.api.texts_to(OTHER_TRADER) == []

    telegram.run(scenario)
