"""The outgoing queue on fake time: rate limits, merging, bounds, retries."""

from __future__ import annotations

import asyncio
import itertools
import re

from telegram.error import BadRequest, Forbidden, NetworkError

from app.notify.outbox import Outbox, Outgoing


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def drive(outbox: Outbox, until_sent: int) -> None:
    async def main() -> None:
        task = asyncio.create_task(outbox.run())
        for _ in range(100_000):
            if outbox.sent >= until_sent and not outbox.pending:
                break
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def test_global_limit_of_30_per_second_across_chats() -> None:
    fake = FakeTime()
    sent: list[tuple[float, int]] = []

    async def send(message: Outgoing) -> None:
        sent.append((fake.now, message.chat_id))

    outbox = Outbox(send, clock=fake.clock, sleep=fake.sleep, max_per_second=30)
    for chat in range(90):
        outbox.put(chat, f"hello {chat}")
    drive(outbox, 90)
    times = [t for t, _ in sent]
    assert len(sent) == 90
    for i in range(30, 90):
        assert times[i] - times[i - 30] >= 1.0  # never 31 in any one second
    assert outbox.merged == 0


def test_one_chat_gets_one_message_per_interval_with_bursts_merged() -> None:
    fake = FakeTime()
    sent: list[tuple[float, str]] = []

    async def send(message: Outgoing) -> None:
        sent.append((fake.now, message.text))

    outbox = Outbox(send, clock=fake.clock, sleep=fake.sleep, per_chat_interval=1.0)
    for n in range(300):
        outbox.put(1, f"fill {n:03d} " + "x" * 60)
    drive(outbox, 1)
    assert all(b[0] - a[0] >= 1.0 for a, b in itertools.pairwise(sent))
    numbers = [int(n) for t in sent for n in re.findall(r"fill (\d+)", t[1])]
    assert numbers == list(range(300))
    assert len(sent) < 10 and all(len(t) <= 4096 for _, t in sent)
    assert outbox.merged == 300 - len(sent)


def test_queue_is_bounded_and_the_trader_is_told_what_was_dropped() -> None:
    fake = FakeTime()
    sent: list[str] = []

    async def send(message: Outgoing) -> None:
        sent.append(message.text)

    outbox = Outbox(send, clock=fake.clock, sleep=fake.sleep, queue_limit=10)
    for n in range(25):
        outbox.put(1, f"alert {n}")
    assert outbox.dropped == 15
    drive(outbox, 1)
    text = "\n".join(sent)
    assert "15 older alert(s) were dropped" in text
    assert [int(n) for n in re.findall(r"alert (\d+)", text)] == list(range(15, 25))


def test_network_errors_back_off_and_keep_order() -> None:
    fake = FakeTime()
    attempts: list[float] = []
    sent: list[str] = []

    async def send(message: Outgoing) -> None:
        attempts.append(fake.now)
        if len(attempts) <= 4:
            raise NetworkError("connection refused")
        sent.append(message.text)

    health: list[bool] = []
    outbox = Outbox(
        send, clock=fake.clock, sleep=fake.sleep, on_health=lambda ok, _: health.append(ok)
    )
    outbox.put(1, "first")
    outbox.put(1, "second")
    drive(outbox, 1)
    waits = [b - a for a, b in itertools.pairwise(attempts)]
    assert waits == [1.0, 2.0, 4.0, 8.0]  # exponential backoff
    assert sent == ["first\nsecond"]
    assert health == [False, False, False, False, True]


def test_bad_markup_is_resent_as_plain_text_and_forbidden_chats_are_dropped() -> None:
    fake = FakeTime()
    sent: list[Outgoing] = []

    async def send(message: Outgoing) -> None:
        if message.chat_id == 2:
            raise Forbidden("bot was blocked by the user")
        if message.html:
            raise BadRequest("can't parse entities")
        sent.append(message)

    outbox = Outbox(send, clock=fake.clock, sleep=fake.sleep)
    outbox.put(1, "<b>Filled</b> 1 &lt; 2")
    outbox.put(2, "to a blocked chat")
    drive(outbox, 1)
    assert [m.text for m in sent] == ["Filled 1 < 2"]
    assert outbox.dropped == 1


def test_messages_with_buttons_are_not_merged() -> None:
    fake = FakeTime()
    sent: list[Outgoing] = []

    async def send(message: Outgoing) -> None:
        sent.append(message)

    outbox = Outbox(send, clock=fake.clock, sleep=fake.sleep)
    outbox.put(1, "a")
    outbox.put(1, "Close all?", markup="flatten")
    outbox.put(1, "b")
    drive(outbox, 3)
    assert [(m.text, m.markup) for m in sent] == [
        ("a", None),
        ("Close all?", "flatten"),
        ("b", None),
    ]
