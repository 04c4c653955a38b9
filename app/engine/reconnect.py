"""When to try reconnecting to a lost broker: exponential backoff with jitter.

Plain Python with an injectable clock and random source, so the schedule is
tested without waiting; the engine's poll timer asks ``due()`` on every tick of
its timer, which keeps all broker calls on the engine thread.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """First delay, growth per failed attempt, the cap, and the jitter (+/- fraction).

    Jitter spreads the retries of many terminals restarting at once (a broker's
    server coming back) instead of having them all knock at the same second.
    """

    initial_seconds: float = 1.0
    max_seconds: float = 30.0
    factor: float = 2.0
    jitter: float = 0.25


class ReconnectSchedule:
    def __init__(
        self,
        policy: ReconnectPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy or ReconnectPolicy()
        self._clock = clock
        self._rand = rand
        self.attempts = 0  # failed attempts since the connection was lost
        self.next_at: float | None = None

    def failed(self) -> float:
        """Schedule the next attempt after one more failure; returns the delay in seconds."""
        p = self.policy
        base = min(p.max_seconds, p.initial_seconds * p.factor**self.attempts)
        spread = 1.0 + p.jitter * (2.0 * self._rand() - 1.0)
        delay = max(0.0, min(p.max_seconds, base * spread))
        self.attempts += 1
        self.next_at = self._clock() + delay
        return delay

    def due(self) -> bool:
        return self.next_at is not None and self._clock() >= self.next_at

    def reset(self) -> None:
        """The connection is back: the next loss starts again from the first delay."""
        self.attempts = 0
        self.next_at = None
