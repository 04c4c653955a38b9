"""A synthetic paper market for the benchmarks: many symbols, ticks at an exact rate.

It is the paper broker (so the engine treats it like any broker) with a
different market: ``symbols`` made-up FX pairs, and ticks either paced by the
wall clock at ``rate`` per second (round robin over the symbols) or delivered
as one ``burst`` in chunks. Every tick's creation time (``perf_counter``) is
kept in ``created`` so a benchmark can tell how long each tick took to reach
the GUI or the screen.
"""

from __future__ import annotations

import time

from app.brokers.base import BrokerEvents
from app.brokers.sim.broker import SimBroker, SimMarket, _fx
from app.domain.market import Tick


def synthetic_markets(count: int) -> dict[str, SimMarket]:
    markets = {}
    for i in range(count):
        name = f"S{i:02d}USD"
        markets[name] = _fx(name, f"Synthetic {i}", 5, 1.0 + i / 10, 0.08, 10)
    return markets


class SyntheticBroker(SimBroker):
    """Paper broker over synthetic symbols; only the engine thread calls it."""

    def __init__(
        self,
        *,
        symbols: int = 20,
        rate: float = 0.0,
        burst: int = 0,
        chunk: int = 10_000,
        history_bars: int = 2_000,
        max_per_poll: int = 5_000,
    ) -> None:
        super().__init__(ticks_per_second=0.0, history_bars=history_bars, seed=1)
        markets = synthetic_markets(symbols)
        self._markets = markets
        self._specs = {n: m.spec for n, m in markets.items()}
        self._converter.__init__(self._specs, self._quotes)  # type: ignore[misc]
        self._names = list(markets)
        self._rate = rate
        self._burst = burst
        self._chunk = chunk
        self._max_per_poll = max_per_poll
        self._sent = 0
        self._started: float | None = None
        self.created: list[float] = []  # perf_counter at creation, one per tick, in order
        self.first_burst_poll: float | None = None

    def start_ticking(self) -> None:
        """Paced mode starts counting from the first poll after this call."""
        self._started = None
        self._sent = 0

    def poll(self) -> BrokerEvents:
        events = BrokerEvents()
        if self._rate <= 0 and self._burst <= 0:
            return events
        now = time.perf_counter()
        if self._started is None:
            self._started = now
            self.first_burst_poll = now
        if self._burst:
            due = min(self._burst, self._sent + self._chunk)
        else:
            # Tick i is due at started + i / rate: tick 0 at once.
            due = min(int((now - self._started) * self._rate) + 1, self._sent + self._max_per_poll)
        names, count = self._names, len(self._names)
        quotes, specs = self._quotes, self._specs
        ticks, created = events.ticks, self.created
        ms = int(time.time() * 1000)
        started, rate, burst = self._started, self._rate, self._burst
        for i in range(self._sent, due):
            name = names[i % count]
            spec = specs[name]
            point = spec.point
            step = point if (i // count) % 7 < 4 else -point
            bid = round(quotes[name].bid + step, spec.digits)
            tick = Tick(name, ms, bid, round(bid + 10 * point, spec.digits))
            quotes[name] = tick
            ticks.append(tick)
            created.append(now if burst else started + i / rate)  # paced: the moment it was due
        self._sent = due
        return events

    @property
    def sent(self) -> int:
        return self._sent
