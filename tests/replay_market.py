"""A trading core over the replay broker, fed tick by tick from a test, with our clock."""

from __future__ import annotations

from pathlib import Path

from app.brokers.sim.replay import ReplayBroker
from app.domain.market import Tick
from app.domain.risk_limits import RiskLimits
from app.engine.core import TradingCore
from app.storage.journal import Journal
from tests.published import Published

START = 1_700_000_000 - 1_700_000_000 % 86_400  # a UTC midnight, in epoch seconds


class Clock:
    """The engine's and the broker's time: the newest tick fed."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Market:
    """A core over the replay broker; ``tick`` feeds one quote (and polls if asked)."""

    def __init__(
        self,
        limits: RiskLimits | None = None,
        journal: Journal | None = None,
        *,
        state_path: Path | None = None,
        symbols: tuple[str, ...] = ("EURUSD",),
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock(START)
        self.broker = ReplayBroker(symbols=list(symbols), clock=self.clock, state_path=state_path)
        self.out = Published()
        self.core = TradingCore(
            lambda: self.broker, self.out, risk_limits=limits, clock=self.clock, journal=journal
        )
        self.bid = 1.1000

    def connect(self) -> None:
        self.tick(self.clock.now, self.bid)  # a first quote, so market orders can fill
        assert self.core.connect()
        self.core.poll()

    def tick(self, at: float, bid: float, *, poll: bool = False, symbol: str = "EURUSD") -> Tick:
        tick = Tick(symbol, int(at * 1000), round(bid, 5), round(bid + 0.0001, 5))
        self.clock.now = max(self.clock.now, at)
        self.bid = bid
        self.broker.feed([tick])
        if poll:
            self.core.poll()
        return tick

    def minutes(self, closes: list[float], *, start_minute: int = 1) -> None:
        """One tick per minute at each close (each closes the bar of the minute before)."""
        for offset, close in enumerate(closes):
            self.tick(START + (start_minute + offset) * 60 + 1, close, poll=True)
