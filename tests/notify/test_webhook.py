"""Alert webhooks over real HTTP to a receiver on 127.0.0.1: the body, retries, refusals, checks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from app import __version__
from app.alerts.host import AlertHost
from app.brokers.sim.replay import ReplayBroker
from app.domain.alert_facts import (
    AlertFired,
    AlertReply,
    CreateAlert,
    WebhookCheck,
    WebhookChecked,
    webhook_body,
)
from app.domain.alerts import AlertActions, AlertSpec, Condition, Watch
from app.domain.market import Tick
from app.domain.notices import LogEvent
from app.engine.bus import EventBus
from app.engine.core import TradingCore
from app.notify.webhook import WebhookSender
from tests.notify.conftest import until
from tests.notify.webhook_receiver import WebhookReceiver, unused_url
from tests.platforms import WINDOWS
from tests.replay_market import START, Clock

FAST = (0.02, 0.02, 0.02)  # the retry delays, shortened for tests


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


def fired(url: str, number: int = 7, **kw: Any) -> AlertFired:
    spec = AlertSpec(
        "EURUSD",
        Watch.BID,
        Condition.CROSSES_UP,
        level=1.1,
        actions=AlertActions(webhook=url),
        note=kw.pop("note", "breakout"),
    )
    values: dict[str, Any] = {
        "number": number,
        "spec": spec,
        "text": "EURUSD bid crossed up 1.10000 (1.10004)",
        "value": 1.10004,
        "time_msc": 1_735_725_600_123,
        "count": 1,
    }
    values.update(kw)
    return AlertFired(**values)


class Scene:
    def __init__(self, loop: asyncio.AbstractEventLoop, **options: Any) -> None:
        self.loop = loop
        self.bus = EventBus()
        self.sender = WebhookSender(self.bus, retry_delays_s=options.pop("delays", FAST), **options)
        self.logs: list[LogEvent] = []
        self.commands: list[object] = []
        self.bus.log.connect(self.logs.append)
        self.bus.command.connect(self.commands.append)

    def run(self, scenario: Callable[[], Awaitable[None]]) -> None:
        async def wrapped() -> None:
            await self.sender.start()
            try:
                await asyncio.wait_for(scenario(), 30)
            finally:
                await self.sender.stop()

        self.loop.run_until_complete(wrapped())


def test_a_fired_alert_is_posted_with_the_documented_body(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    scene = Scene(loop)
    alert = fired(receiver.url())

    async def scenario() -> None:
        scene.bus.alert_fired.emit(alert)
        await until(lambda: receiver.received)
        await scene.sender.wait_idle()

    scene.run(scenario)
    (got,) = receiver.received
    assert got.path == "/hooks/secret-token-123"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Tradeterm-Event"] == "alert.fired"
    assert got.headers["X-Tradeterm-Delivery"] == alert.delivery_id
    assert got.body == {**webhook_body(alert), "version": __version__}
    assert got.body["id"] == "alert-7-1-1735725600123"
    assert got.body["time"] == "2025-01-01T10:00:00.123Z"
    assert (got.body["symbol"], got.body["condition"], got.body["level"]) == (
        "EURUSD",
        "crosses_up",
        1.1,
    )
    assert got.body["message"] == "EURUSD bid crossed up 1.10000 (1.10004)"
    assert scene.sender.delivered == 1 and scene.logs == []


def test_an_alert_without_a_webhook_posts_nothing(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    scene = Scene(loop)

    async def scenario() -> None:
        scene.bus.alert_fired.emit(fired(""))
        await asyncio.sleep(0.1)

    scene.run(scenario)
    assert receiver.received == []


def test_a_failing_receiver_gets_the_same_delivery_again_until_it_takes_it(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    receiver.answers = [500, 503, 502]
    scene = Scene(loop)

    async def scenario() -> None:
        scene.bus.alert_fired.emit(fired(receiver.url()))
        await until(lambda: scene.sender.delivered == 1)

    scene.run(scenario)
    assert len(receiver.received) == 4
    assert len({r.body["id"] for r in receiver.received}) == 1  # one delivery, four attempts
    assert scene.logs == []  # delivered in the end: nothing to tell the trader


def test_an_unreachable_webhook_is_one_clear_message_after_the_retries(
    loop: asyncio.AbstractEventLoop,
) -> None:
    scene = Scene(loop)
    url = unused_url()

    async def scenario() -> None:
        scene.bus.alert_fired.emit(fired(url))
        await until(lambda: scene.sender.failed == 1)

    scene.run(scenario)
    (line,) = scene.logs
    host = url.split("/hooks")[0]
    assert line.source == "webhook"
    assert line.message.startswith(f"Alert 7's webhook {host}/… failed after 4 attempts over ")
    assert "could not connect" in line.message
    assert line.message.endswith("; the alert itself fired (see its line above)")
    assert "secret-token" not in line.message


def test_a_receiver_that_refuses_is_not_asked_again(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    receiver.answers = [404]
    scene = Scene(loop)

    async def scenario() -> None:
        scene.bus.alert_fired.emit(fired(receiver.url()))
        await until(lambda: scene.sender.failed == 1)

    scene.run(scenario)
    assert len(receiver.received) == 1
    (line,) = scene.logs
    assert "failed at once: answered 404 Not Found" in line.message


def test_retry_after_is_honoured(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    receiver.answers, receiver.retry_after = [429], "1"
    scene = Scene(loop)

    async def scenario() -> None:
        scene.bus.alert_fired.emit(fired(receiver.url()))
        await until(lambda: scene.sender.delivered == 1)

    scene.run(scenario)
    first, second = receiver.received
    assert second.at - first.at >= 0.9  # it waited as asked, not the 0.02 s of its own policy


def test_checking_a_webhook_answers_the_engine(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    scene = Scene(loop)
    dead = unused_url()

    async def scenario() -> None:
        scene.bus.webhook_check.emit(WebhookCheck("check-1", receiver.url()))
        scene.bus.webhook_check.emit(WebhookCheck("check-2", dead))
        receiver.answers = []
        await until(lambda: len(scene.commands) == 2)

    scene.run(scenario)
    answers = {c.check_id: c.problem for c in scene.commands if isinstance(c, WebhookChecked)}
    assert answers["check-1"] == ""
    assert answers["check-2"].startswith("could not connect")
    (test_post,) = receiver.bodies("alert.test")
    assert test_post["id"] == "check-1"
    assert len(scene.logs) == 0  # a check's answer goes to the engine, which says it


def test_a_webhook_answering_an_error_fails_its_check(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    receiver.answers = [500]
    scene = Scene(loop)

    async def scenario() -> None:
        scene.bus.webhook_check.emit(WebhookCheck("check-1", receiver.url()))
        await until(lambda: scene.commands)

    scene.run(scenario)
    assert scene.commands == [WebhookChecked("check-1", "answered 500 Internal Server Error")]


#: Addresses that get past a plain syntax check but that httpx, idna or the socket refuse.
UNSENDABLE = [
    pytest.param(
        "http://127.0.0.1:99999/hook",  # the socket: OverflowError, inside an ExceptionGroup
        marks=pytest.mark.skipif(
            WINDOWS, reason="Windows Python reports port 99999 as a failed connection"
        ),
    ),
    "http://hooks.example\x01.com/x",  # httpx.InvalidURL
    "http://xn--/hook",  # idna.IDNAError
]


@pytest.mark.parametrize("url", UNSENDABLE)
def test_whatever_the_http_client_raises_the_check_is_answered_with_it(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """The client's own refusals answer too (the definition check is bypassed here)."""
    monkeypatch.setattr("app.notify.webhook.webhook_problem", lambda url: None)
    scene = Scene(loop)

    async def scenario() -> None:
        scene.bus.webhook_check.emit(WebhookCheck("check-1", url))
        await until(lambda: scene.commands)
        scene.bus.alert_fired.emit(fired(url))
        await until(lambda: scene.sender.failed == 1)

    scene.run(scenario)
    [answer] = scene.commands
    assert isinstance(answer, WebhookChecked)
    assert answer.problem.startswith("cannot be sent ("), answer.problem
    assert answer.problem.isprintable()
    (line,) = scene.logs  # tried once: another attempt cannot succeed
    assert "failed at once: cannot be sent (" in line.message
    assert "hook" not in line.message.split("failed")[1]  # the path stays out


def test_a_stored_unsendable_address_fails_at_once_with_the_reason(
    loop: asyncio.AbstractEventLoop,
) -> None:
    scene = Scene(loop)

    async def scenario() -> None:
        scene.bus.alert_fired.emit(fired("http://127.0.0.1:99999/hooks/secret"))
        await until(lambda: scene.sender.failed == 1)

    scene.run(scenario)
    (line,) = scene.logs
    assert "failed at once: the webhook address 'http://127.0.0.1:99999/…' has a port" in (
        line.message
    )


def test_from_the_engine_to_the_receiver(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    """The real core and alert host publish on the bus; the sender checks, then delivers."""
    scene = Scene(loop)
    clock = Clock(START)
    broker = ReplayBroker(symbols=["EURUSD"], clock=clock)
    core = TradingCore(lambda: broker, scene.bus, clock=clock)
    AlertHost(core)
    scene.bus.command.connect(core.handle)  # the engine's slot, on this thread for the test
    replies: list[AlertReply] = []
    scene.bus.alerts.connect(lambda f: replies.append(f) if isinstance(f, AlertReply) else None)
    broker.feed([Tick("EURUSD", START * 1000, 1.1000, 1.1001)])
    assert core.connect()
    url = receiver.url()

    async def scenario() -> None:
        spec = AlertSpec(
            "EURUSD",
            Watch.BID,
            Condition.CROSSES_UP,
            level=1.1010,
            actions=AlertActions(webhook=url),
        )
        scene.bus.command.emit(CreateAlert(spec, "r-1"))
        await until(lambda: replies)
        assert replies[0].ok and replies[0].number == 1
        clock.now += 1
        broker.feed([Tick("EURUSD", int(clock.now * 1000), 1.1020, 1.1021)])
        core.poll()
        await until(lambda: receiver.bodies("alert.fired"))
        await scene.sender.wait_idle()

    scene.run(scenario)
    assert [b["event"] for b in receiver.bodies()] == ["alert.test", "alert.fired"]
    body = receiver.bodies("alert.fired")[0]
    assert (body["alert"], body["value"], body["count"]) == (1, 1.102, 1)


def test_the_companion_runs_webhooks_with_telegram_off_and_tells_why_the_bot_is_off(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver
) -> None:
    from app.notify.setup import TelegramHooks
    from app.settings import TelegramSettings

    bus = EventBus()
    hooks = TelegramHooks(TelegramSettings(enabled=True, chat_ids=[]), None)
    companion, problem = hooks.create_service(bus)
    assert problem == "no chat ids configured" and companion.telegram is None
    statuses: list[tuple[object, ...]] = []
    companion.status_changed.connect(lambda *s: statuses.append(s))

    async def scenario() -> None:
        await companion.start()
        bus.alert_fired.emit(fired(receiver.url()))
        await until(lambda: receiver.received)
        await companion.stop()

    loop.run_until_complete(scenario())
    assert statuses == [("off", "no chat ids configured", 0, 0)]
    assert receiver.bodies()[0]["event"] == "alert.fired"


def test_the_companion_forwards_the_bots_status_and_stops_both(
    loop: asyncio.AbstractEventLoop, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.notify.secret import TOKEN_ENV
    from app.notify.service import ONLINE
    from app.notify.setup import TelegramHooks
    from app.settings import TelegramSettings
    from tests.notify.fake_bot_api import TOKEN, FakeBotApi

    api = FakeBotApi()
    api.start()
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setattr("app.notify.secret.lookup", lambda *a, **k: (TOKEN, "environment"))
    bus = EventBus()
    settings = TelegramSettings(enabled=True, chat_ids=[111], base_url=api.base_url)
    companion, problem = TelegramHooks(settings, None).create_service(bus)
    assert problem == "" and companion.telegram is not None
    states: list[str] = []
    companion.status_changed.connect(lambda state, *_rest: states.append(state))

    async def scenario() -> None:
        await companion.start()
        await until(lambda: ONLINE in states)
        bus.alert_fired.emit(fired(receiver.url()))
        await until(lambda: receiver.received and api.texts_to(111))
        await companion.stop()

    try:
        loop.run_until_complete(scenario())
    finally:
        api.stop()
    assert states[-1] == "off"
    assert "Alert 7" in api.texts_to(111)[0]
