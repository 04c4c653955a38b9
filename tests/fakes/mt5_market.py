"""The fake terminal's market: symbols, a seeded random walk, tick and bar stores.

Kept apart from the trading logic (``mt5_terminal``) so each file has one job: this
one only knows prices and time.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from tests.fakes import mt5_surface as s

SECONDS_PER_YEAR = 365 * 24 * 3600
FLAG_QUOTE = s.TICK_FLAG_BID | s.TICK_FLAG_ASK
MAX_TICKS_KEPT = 500_000  # a terminal keeps a bounded tick cache too


@dataclass
class FakeSymbol:
    """The parts of an MT5 symbol the fake needs, with realistic broker values."""

    name: str
    description: str
    digits: int
    contract_size: float
    base: str
    profit: str
    start_price: float
    volatility: float
    spread_points: int
    volume_min: float = 0.01
    volume_max: float = 100.0
    volume_step: float = 0.01
    stops_level: int = 0
    freeze_level: int = 0
    filling_mode: int = 3  # SYMBOL_FILLING_FOK | SYMBOL_FILLING_IOC (bit flags)
    exemode: int = s.SYMBOL_TRADE_EXECUTION_MARKET
    trade_mode: int = s.SYMBOL_TRADE_MODE_FULL
    calc_mode: int = s.SYMBOL_CALC_MODE_FOREX
    order_mode: int = 127  # market, limit, stop, stop-limit, SL, TP, close-by
    expiration_mode: int = 15
    market_open: bool = True
    path: str = ""
    selected: bool = False

    @property
    def point(self) -> float:
        return 10.0**-self.digits

    def round(self, price: float) -> float:
        return round(price, self.digits)


def default_symbols() -> list[FakeSymbol]:
    """A small broker's list: forex with different filling modes, gold, a closed index."""
    return [
        FakeSymbol(
            "EURUSD",
            "Euro vs US Dollar",
            5,
            100_000,
            "EUR",
            "USD",
            1.085,
            0.07,
            8,
            stops_level=10,
            filling_mode=3,
            path="Forex\\EURUSD",
        ),
        FakeSymbol(
            "GBPUSD",
            "Pound Sterling vs US Dollar",
            5,
            100_000,
            "GBP",
            "USD",
            1.27,
            0.08,
            12,
            stops_level=10,
            filling_mode=2,
            path="Forex\\GBPUSD",
        ),
        FakeSymbol(
            "USDJPY",
            "US Dollar vs Japanese Yen",
            3,
            100_000,
            "USD",
            "JPY",
            150.0,
            0.09,
            11,
            stops_level=10,
            filling_mode=1,
            path="Forex\\USDJPY",
        ),
        FakeSymbol(
            "XAUUSD",
            "Gold vs US Dollar",
            2,
            100,
            "XAU",
            "USD",
            2350.0,
            0.15,
            25,
            volume_max=50.0,
            stops_level=50,
            freeze_level=10,
            filling_mode=3,
            path="Metals\\XAUUSD",
        ),
        FakeSymbol(
            "US500",
            "US 500 Cash Index",
            2,
            1,
            "USD",
            "USD",
            5200.0,
            0.18,
            50,
            volume_min=0.1,
            volume_step=0.1,
            calc_mode=s.SYMBOL_CALC_MODE_CFDINDEX,
            filling_mode=2,
            market_open=False,
            path="Indices\\US500",
        ),
    ]


def timeframe_seconds(timeframe: int) -> int | None:
    """Length of an MT5 timeframe in seconds; ``None`` for an invalid value (MN1 = 0)."""
    valid = {v for k, v in vars(s).items() if k.startswith("TIMEFRAME_")}
    if timeframe not in valid:
        return None
    if timeframe == s.TIMEFRAME_MN1:
        return 0
    if timeframe == s.TIMEFRAME_W1:
        return 7 * 86400
    if timeframe & 0x4000:
        return (timeframe & 0x3FFF) * 3600
    return timeframe * 60


def bar_open(timeframe: int, t: int) -> int:
    seconds = timeframe_seconds(timeframe)
    if seconds == 0:  # calendar month
        d = datetime.fromtimestamp(t, UTC)
        return calendar.timegm((d.year, d.month, 1, 0, 0, 0))
    assert seconds
    if timeframe == s.TIMEFRAME_W1:  # weeks open on Sunday 00:00, like MT5's
        offset = 4 * 86400
        return (t + offset) // seconds * seconds - offset
    return t // seconds * seconds


@dataclass
class SymbolFeed:
    """One symbol's live quote, its tick cache and its M1 bars."""

    symbol: FakeSymbol
    bid: float
    ask: float
    true_bid: float
    time_msc: int
    ticks: list[tuple[int, float, float, float, int, int, int, float]] = field(default_factory=list)
    m1: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=s.RATES_DTYPE))

    def add_tick(self, time_msc: int, bid: float, ask: float, flags: int) -> None:
        self.bid, self.ask, self.time_msc = bid, ask, time_msc
        self.ticks.append((time_msc // 1000, bid, ask, 0.0, 0, time_msc, flags, 0.0))
        if len(self.ticks) > MAX_TICKS_KEPT:
            del self.ticks[: len(self.ticks) - MAX_TICKS_KEPT]
        self._update_bar(time_msc // 1000, bid, ask)

    def _update_bar(self, t: int, bid: float, ask: float) -> None:
        spread = round((ask - bid) / self.symbol.point)
        open_time = t // 60 * 60
        if len(self.m1) and self.m1["time"][-1] == open_time:
            bar = self.m1[-1]
            bar["high"] = max(bar["high"], bid)
            bar["low"] = min(bar["low"], bid)
            bar["close"] = bid
            bar["tick_volume"] += 1
            bar["spread"] = spread
        elif not len(self.m1) or self.m1["time"][-1] < open_time:
            new = np.zeros(1, dtype=s.RATES_DTYPE)
            new[0] = (open_time, bid, bid, bid, bid, 1, spread, 0)
            self.m1 = np.concatenate([self.m1, new])

    def rates(self, timeframe: int) -> np.ndarray:
        """All bars of ``timeframe``, oldest first, aggregated from M1 like a terminal's cache."""
        if timeframe == s.TIMEFRAME_M1 or not len(self.m1):
            return self.m1.copy()
        times = self.m1["time"].astype(np.int64)
        seconds = timeframe_seconds(timeframe)
        if seconds:  # fixed-length bars: one vectorised pass (weeks open on Sunday)
            offset = 4 * 86400 if timeframe == s.TIMEFRAME_W1 else 0
            opens = (times + offset) // seconds * seconds - offset
        else:
            opens = np.array([bar_open(timeframe, int(t)) for t in times], dtype=np.int64)
        starts = np.flatnonzero(np.r_[True, opens[1:] != opens[:-1]])
        ends = np.r_[starts[1:] - 1, len(opens) - 1]
        out = np.zeros(len(starts), dtype=s.RATES_DTYPE)
        out["time"] = opens[starts]
        out["open"] = self.m1["open"][starts]
        out["high"] = np.maximum.reduceat(self.m1["high"], starts)
        out["low"] = np.minimum.reduceat(self.m1["low"], starts)
        out["close"] = self.m1["close"][ends]
        out["tick_volume"] = np.add.reduceat(self.m1["tick_volume"], starts)
        out["spread"] = self.m1["spread"][ends]
        return out

    def ticks_array(self) -> np.ndarray:
        return np.array(self.ticks, dtype=s.TICKS_DTYPE)


class Market:
    """Moves every symbol along a seeded random walk up to the clock's now."""

    def __init__(
        self,
        symbols: list[FakeSymbol],
        *,
        now: float,
        seed: int,
        ticks_per_second: float,
        history_bars: int,
    ) -> None:
        self.rng = np.random.default_rng(seed)
        self.ticks_per_second = ticks_per_second
        self.symbols = {sym.name: sym for sym in symbols}
        self.feeds: dict[str, SymbolFeed] = {}
        self.last_time = now
        for sym in symbols:
            history = self._history(sym, now, history_bars)
            bid = sym.round(float(history["close"][-1])) if len(history) else sym.start_price
            ask = sym.round(bid + sym.spread_points * sym.point)
            msc = int(now * 1000)
            feed = SymbolFeed(sym, bid, ask, bid, msc, m1=history)
            feed.add_tick(msc, bid, ask, FLAG_QUOTE)
            self.feeds[sym.name] = feed

    def advance(self, now: float) -> list[tuple[str, int, float, float]]:
        """Generate the ticks between the last call and ``now``; returns them in order."""
        start, elapsed = self.last_time, now - self.last_time
        if elapsed <= 0:
            return []
        self.last_time = now
        if self.ticks_per_second <= 0:
            return []
        arrivals: list[tuple[float, str]] = []
        for name, sym in self.symbols.items():
            if not sym.market_open:
                continue
            n = int(self.rng.poisson(self.ticks_per_second * elapsed))
            arrivals.extend((float(t), name) for t in self.rng.uniform(start, now, n))
        arrivals.sort()
        out = []
        for t, name in arrivals:
            feed = self.feeds[name]
            sym = feed.symbol
            dt = max(t - feed.time_msc / 1000, 1e-3)
            sigma = sym.volatility * math.sqrt(dt / SECONDS_PER_YEAR)
            feed.true_bid *= math.exp(sigma * float(self.rng.standard_normal()))
            bid = sym.round(feed.true_bid)
            spread = max(1, round(sym.spread_points * float(self.rng.uniform(0.75, 1.3))))
            ask = sym.round(bid + spread * sym.point)
            msc = max(int(t * 1000), feed.time_msc)
            feed.add_tick(msc, bid, ask, FLAG_QUOTE)
            out.append((name, msc, bid, ask))
        return out

    def _history(self, sym: FakeSymbol, now: float, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=s.RATES_DTYPE)
        if n == 0:
            return out
        sigma = sym.volatility * math.sqrt(60 / SECONDS_PER_YEAR)
        steps = self.rng.standard_normal(n) * sigma
        close = sym.start_price * np.exp(np.cumsum(steps) - np.sum(steps))
        open_ = np.r_[close[0] / math.exp(steps[0]), close[:-1]]
        wick = np.abs(self.rng.standard_normal((2, n))) * sigma * 0.5
        out["time"] = (int(now) // 60 - n) * 60 + 60 * np.arange(n, dtype=np.int64)
        out["open"] = np.round(open_, sym.digits)
        out["close"] = np.round(close, sym.digits)
        out["high"] = np.round(np.maximum(open_, close) * np.exp(wick[0]), sym.digits)
        out["low"] = np.round(np.minimum(open_, close) * np.exp(-wick[1]), sym.digits)
        out["tick_volume"] = self.rng.poisson(max(self.ticks_per_second, 1.0) * 60, n)
        out["spread"] = sym.spread_points
        return out
