"""A stranger flooding the bot costs the trader's log a bounded number of rows."""

from __future__ import annotations

from app.notify.strangers import MAX_CHATS_COUNTED, StrangerLog


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_the_first_stranger_is_told_at_once_and_a_flood_in_one_report_a_minute() -> None:
    clock = Clock()
    log = StrangerLog(clock, interval_s=60)
    first = log.record(222, 222)
    assert first is not None and "unauthorised Telegram chat 222" in first
    reports = []
    for n in range(10_000):  # a flood over two minutes, from two chats
        clock.t += 0.012
        report = log.record(333 if n % 10 == 0 else 222, None)
        if report:
            reports.append(report)
    assert len(reports) == 1  # at 60 s; the second minute is still being counted
    assert reports[0].startswith("Ignored ")
    assert "222 (" in reports[0] and "333 (" in reports[0]
    clock.t += 60
    last = log.due()
    assert last is not None
    counted = [int(r.split()[1]) for r in [*reports, last]]
    assert sum(counted) == 10_000 and log.total == 10_001  # every update is in a report
    assert log.due() is None and log.pending == 0


def test_what_is_pending_is_reported_at_shutdown() -> None:
    clock = Clock()
    log = StrangerLog(clock)
    log.record(222, None)
    for _ in range(3):
        assert log.record(444, 9) is None
    assert log.flush() == "Ignored 3 more messages from unauthorised Telegram chats: 444 (3)"
    assert log.flush() is None


def test_many_chats_are_counted_in_bounded_memory() -> None:
    clock = Clock()
    log = StrangerLog(clock)
    log.record(1, None)
    for chat in range(2, MAX_CHATS_COUNTED + 500):
        log.record(chat, None)
    assert len(log._counts) == MAX_CHATS_COUNTED
    report = log.flush()
    assert report is not None
    assert report.startswith(f"Ignored {MAX_CHATS_COUNTED + 498} more messages")
    assert "other chats (" in report
