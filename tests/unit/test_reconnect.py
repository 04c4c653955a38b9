"""The reconnect schedule: exponential backoff with jitter, capped, reset on success."""

from __future__ import annotations

import pytest

from app.engine.reconnect import ReconnectPolicy, ReconnectSchedule


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_delays_double_up_to_the_cap_and_jitter_spreads_them() -> None:
    clock = Clock()
    low = ReconnectSchedule(ReconnectPolicy(1.0, 30.0, 2.0, 0.25), clock=clock, rand=lambda: 0.0)
    high = ReconnectSchedule(ReconnectPolicy(1.0, 30.0, 2.0, 0.25), clock=clock, rand=lambda: 1.0)
    assert [round(low.failed(), 3) for _ in range(7)] == [0.75, 1.5, 3.0, 6.0, 12.0, 22.5, 22.5]
    assert [round(high.failed(), 3) for _ in range(7)] == [1.25, 2.5, 5.0, 10.0, 20.0, 30.0, 30.0]


def test_an_attempt_is_due_only_after_its_delay() -> None:
    clock = Clock()
    schedule = ReconnectSchedule(ReconnectPolicy(2.0, 10.0, jitter=0.0), clock=clock)
    assert not schedule.due()
    assert schedule.failed() == pytest.approx(2.0)
    clock.now += 1.9
    assert not schedule.due()
    clock.now += 0.2
    assert schedule.due()
    schedule.reset()
    assert not schedule.due() and schedule.attempts == 0
    assert schedule.failed() == pytest.approx(2.0)  # a new outage starts from the first delay
