"""The paper broker on quotes fed from outside: the market replayed, not simulated.

The Strategy Tester feeds it stored or generated ticks; tests feed hand-built
ones. Nothing moves by itself: ``poll`` returns exactly the quotes fed since the
last poll, in order, and matches each against working orders and stop levels
exactly as the live paper broker does (market, limit, stop, stop-limit, SL/TP,
partial closes). So the tester trades on the paper broker's rules, and a test
knows the price of every fill in advance.

``history`` gives only bars that closed before the clock's time: a client asking
for warm-up bars can never be handed the future.

Two switches serve the tester (both off by default, so a test that feeds it by
hand sees the paper broker's plain behaviour):

* ``follow``: the clock is a :class:`ReplayClock` that each poll moves to the
  stamp of the newest quote it hands out, so the engine's time is the replayed
  time and never runs ahead of the quotes the engine has seen.
* ``stop_at_fills``: a poll ends at the quote on which something happened at
  the broker (a fill, a triggered order), leaving the rest for the next poll,
  as a live engine would see the deal at its next poll, a few milliseconds on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from app.brokers.base import BrokerEvents, BrokerInfo, TransientBrokerError
from app.brokers.sim.broker import DEFAULT_MARKETS, SimBroker, SimMarket
from app.domain.bars import aggregate_rates
from app.domain.market import RATES_DTYPE, Tick
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe


def paper_spec(symbol: str) -> SymbolSpec | None:
    """The paper broker's spec of ``symbol``, if it is one of the symbols it trades."""
    market = DEFAULT_MARKETS.get(symbol)
    return market.spec if market is not None else None


def paper_symbols() -> list[str]:
    return list(DEFAULT_MARKETS)


class ReplayClock:
    """The replayed time in epoch seconds: the stamp of the newest quote handed out."""

    __slots__ = ("now",)

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class ReplayBroker(SimBroker):
    """``SimBroker``'s account and matching; the quotes come from ``feed``."""

    def __init__(
        self,
        *,
        symbols: Sequence[str],
        clock: Callable[[], float],
        history: Mapping[str, np.ndarray] | None = None,
        bars: Mapping[tuple[str, Timeframe], np.ndarray] | None = None,
        specs: Mapping[str, SymbolSpec] | None = None,
        follow: bool = False,
        stop_at_fills: bool = False,
        **account: Any,
    ) -> None:
        """``history``: M1 bars per symbol (``RATES_DTYPE``) that ``history()`` serves and
        aggregates; ``bars``: bars of other timeframes as stored, served as they are;
        ``specs``: symbols the paper broker does not know (a stored symbol's spec)."""
        markets = dict(DEFAULT_MARKETS)
        for name, spec in (specs or {}).items():
            markets[name] = SimMarket(spec, 0.0, 0.0, 0)  # replayed: it never moves by itself
        super().__init__(symbols=symbols, clock=clock, history_bars=0, markets=markets, **account)
        if follow and not isinstance(clock, ReplayClock):
            raise TypeError("a ReplayBroker that follows the quotes needs a ReplayClock")
        self._replay_clock: ReplayClock | None = (
            clock if isinstance(clock, ReplayClock) and follow else None
        )
        self._stop_at_fills = stop_at_fills
        self._fed: deque[Tick] = deque()
        self._m1 = {name: history[name] for name in symbols if history and name in history}
        self._stored = {key: rates for key, rates in (bars or {}).items() if key[0] in symbols}
        self._aggregated: dict[tuple[str, Timeframe], np.ndarray] = {}

    def feed(self, ticks: Iterable[Tick]) -> None:
        """Quotes for the next poll, oldest first."""
        self._fed.extend(ticks)

    @property
    def waiting(self) -> int:
        """Quotes fed and not yet handed out (a poll stopped at a fill leaves some)."""
        return len(self._fed)

    def connect(self) -> BrokerInfo:
        if self._link_down is not None:
            raise TransientBrokerError(self._link_down)
        if not self._rates:
            for name in self._markets:
                m1 = self._m1.get(name, np.zeros(0, dtype=RATES_DTYPE))
                self._rates[name] = {Timeframe.M1: m1}  # other timeframes: _bars, on demand
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
        rates = self._bars(symbol, timeframe)
        forming = timeframe.bar_open(self._clock())
        end = int(np.searchsorted(rates["time"], forming, side="left"))
        return rates[max(0, end - count) : end].copy()

    def _bars(self, symbol: str, timeframe: Timeframe) -> np.ndarray:
        """Stored bars of ``timeframe``, else the M1 bars (aggregated once, then kept)."""
        key = (symbol, timeframe)
        stored = self._stored.get(key)
        if stored is not None:
            return stored
        base = self._rates[symbol][Timeframe.M1]
        if timeframe is Timeframe.M1:
            return base
        rates = self._aggregated.get(key)
        if rates is None:
            rates = self._aggregated[key] = aggregate_rates(base, timeframe)
        return rates

    def poll(self) -> BrokerEvents:
        if self._link_down is not None:
            raise TransientBrokerError(self._link_down)
        events, self._pending_events = self._pending_events, BrokerEvents()
        if not self._connected:
            return events
        fed, quotes, on_tick = self._fed, self._quotes, self._on_tick
        handed = events.ticks
        stop = self._stop_at_fills
        while fed:
            tick = fed.popleft()
            quotes[tick.symbol] = tick
            handed.append(tick)
            on_tick(tick, events)
            if stop and (events.fills or events.order_updates):
                break  # the rest waits for the next poll
        clock = self._replay_clock
        if clock is not None and handed:
            clock.now = max(clock.now, handed[-1].time_msc / 1000)
        self._last_poll = self._clock()
        if self._orders:
            self._expire(self._last_poll, events)
        if events.fills or events.order_updates:
            self._save()
        return events
