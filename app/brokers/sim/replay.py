"""The paper broker on quotes fed from outside: the market replayed, not simulated.

The Strategy Tester feeds it stored or generated ticks; tests feed hand-built
ones. Nothing moves by itself: ``poll`` returns exactly the quotes fed since the
last poll, in order, and matches each against working orders and stop levels
exactly as the live paper broker does (market, limit, stop, stop-limit, SL/TP,
partial closes). So the tester trades on the paper broker's rules, and a test
knows the price of every fill in advance.

``history`` gives only bars that closed before the clock's time: a client asking
for warm-up bars can never be handed the future.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from app.brokers.base import BrokerEvents, BrokerInfo, TransientBrokerError
from app.brokers.sim.broker import SimBroker
from app.domain.bars import aggregate_rates
from app.domain.market import RATES_DTYPE, Tick
from app.domain.timeframes import Timeframe


class ReplayBroker(SimBroker):
    """``SimBroker``'s account and matching; the quotes come from ``feed``."""

    def __init__(
        self,
        *,
        symbols: Sequence[str],
        clock: Callable[[], float],
        history: Mapping[str, np.ndarray] | None = None,
        **account: Any,
    ) -> None:
        """``history``: M1 bars per symbol (``RATES_DTYPE``) that ``history()`` serves."""
        super().__init__(symbols=symbols, clock=clock, history_bars=0, **account)
        self._fed: deque[Tick] = deque()
        self._m1 = {name: history[name] for name in symbols if history and name in history}

    def feed(self, ticks: Iterable[Tick]) -> None:
        """Quotes for the next poll, oldest first."""
        self._fed.extend(ticks)

    def connect(self) -> BrokerInfo:
        if self._link_down is not None:
            raise TransientBrokerError(self._link_down)
        if not self._rates:
            for name in self._markets:
                m1 = self._m1.get(name, np.zeros(0, dtype=RATES_DTYPE))
                self._rates[name] = {
                    tf: m1 if tf is Timeframe.M1 else aggregate_rates(m1, tf) for tf in Timeframe
                }
            self._load()
        for tick in self._fed:  # the market as it stands at connect: the first quote fed
            self._quotes.setdefault(tick.symbol, tick)
        self._connected = True
        self._last_poll = self._clock()
        return BrokerInfo(
            "Paper trading (replay)", "paper", "replay", self._currency, self._leverage, True
        )

    def history(self, symbol: str, timeframe: Timeframe, count: int) -> np.ndarray:
        """The last ``count`` bars that closed before the clock's now."""
        rates = self._rates[symbol][timeframe]
        forming = timeframe.bar_open(self._clock())
        closed = rates[: int(np.searchsorted(rates["time"], forming, side="left"))]
        return closed[max(0, len(closed) - count) :].copy()

    def poll(self) -> BrokerEvents:
        if self._link_down is not None:
            raise TransientBrokerError(self._link_down)
        events, self._pending_events = self._pending_events, BrokerEvents()
        if not self._connected:
            return events
        fed = self._fed
        while fed:
            tick = fed.popleft()
            self._quotes[tick.symbol] = tick
            events.ticks.append(tick)
            self._on_tick(tick, events)
        self._last_poll = self._clock()
        self._expire(self._last_poll, events)
        if events.fills or events.order_updates:
            self._save()
        return events
