"""Fixtures: a fake Bot API server, a qasync loop, and services started on it.

qasync's ``run_until_complete`` processes Qt events once more after the loop
stopped, with no running asyncio loop; a task step landing there breaks httpx.
So each test runs its whole scenario — start, act, stop — inside ONE
``run_until_complete`` (:meth:`Telegram.run`), never a chain of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from app.domain.alert_facts import RequestAlerts
from app.domain.strategies import RequestStrategies
from app.engine.bus import EventBus
from app.notify.service import ONLINE, TelegramService
from app.settings import TelegramSettings
from tests.notify.fake_bot_api import TOKEN, FakeBotApi

TRADER = 111
OTHER_TRADER = 222


async def until(predicate: Callable[[], object], timeout: float = 30) -> None:
    """Let the loop (Qt events included) run until ``predicate()`` is true.

    The limit only bounds a failing wait; it is generous because an engine starting
    its broker and journal takes seconds on a loaded machine, and more under Wine.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@dataclass
class Harness:
    bus: EventBus
    service: TelegramService
    api: FakeBotApi
    commands: list[Any] = field(default_factory=list)
    statuses: list[tuple[str, str, int, int]] = field(default_factory=list)

    def texts(self, chat_id: int = TRADER) -> str:
        return "\n".join(self.api.texts_to(chat_id))


class Telegram:
    """Runs one scenario on a qasync loop; stops every service it started before returning."""

    def __init__(self, api: FakeBotApi, loop: asyncio.AbstractEventLoop) -> None:
        self.api = api
        self.loop = loop
        self._started: list[TelegramService] = []

    async def start(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        online: bool = True,
        bus: EventBus | None = None,
        **overrides: Any,
    ) -> Harness:
        values: dict[str, Any] = {
            "enabled": True,
            "chat_ids": [TRADER],
            "base_url": self.api.base_url,
            "per_chat_interval_s": 0.05,
        }
        values.update(overrides)
        bus = bus or EventBus()
        service = TelegramService(
            bus, TelegramSettings(**values), TOKEN, clock=clock, poll_timeout_s=1
        )
        harness = Harness(bus, service, self.api)
        # Trading and control commands; the lists the bot asks for on start are not ones.
        bus.command.connect(
            lambda c: (
                None
                if isinstance(c, RequestAlerts | RequestStrategies)
                else harness.commands.append(c)
            )
        )
        service.status_changed.connect(lambda *s: harness.statuses.append(s))
        self._started.append(service)
        await service.start()
        if online:
            await until(lambda: service.state == ONLINE)
        return harness

    def run(self, scenario: Callable[[], Awaitable[None]], timeout: float = 90) -> None:
        async def wrapped() -> None:
            try:
                await asyncio.wait_for(scenario(), timeout)
            finally:
                for service in self._started:
                    await service.stop(flush_timeout_s=0.2)
                self._started.clear()

        self.loop.run_until_complete(wrapped())


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    server = FakeBotApi()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on the test's QApplication; must end with no task left running."""
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    pending = [t for t in asyncio.all_tasks(event_loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        event_loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    event_loop.close()
    asyncio.set_event_loop(None)
    assert not pending, f"tasks left running: {pending}"


@pytest.fixture
def telegram(api: FakeBotApi, loop: asyncio.AbstractEventLoop) -> Telegram:
    return Telegram(api, loop)
