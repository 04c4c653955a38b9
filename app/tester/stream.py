"""The prices a model offers, and where each poll of the engine ends.

Four models, as in MetaTrader 5's tester:

* **open prices only**: one price per bar of the tested timeframe, its open, at
  the bar's open time;
* **1-minute OHLC**: four prices per M1 bar — open, then the low and the high
  (the low first in a rising bar, the high first in a falling one), then the
  close — at 0, 20, 40 and 59 seconds into the minute;
* **every tick generated from M1**: per M1 bar as many prices as its tick
  volume, between 4 and 60 (one a second at most), walking open → first
  extreme → second extreme → close in even steps, each extreme and the close
  hit exactly, so the bars built from them are the stored bars;
* **real ticks**: the stored ticks as they are.

The ask is the bid plus the spread: the fixed spread asked for, or the bars'
own spread column (the stored ask for real ticks).

**Where polls end.** The engine closes a bar at the first tick of the next
period, and a decision taken on a closed bar runs at the end of that poll, at
the broker's price then — the price of the poll's last tick. So the tick that
opens a bar of the tested timeframe is always the *last* tick of its poll: the
decision fills at that very price, the next price the model offers after the
bar closed (in the open-prices model, the next bar's open). Between two such
ticks the rest are batched into one poll: the broker still matches every tick
(stop losses, pending orders fill on the tick that reaches them), and a poll
also ends at a tick where the broker filled something, so the strategy hears
of it at once. A strategy that reads ticks gets one poll per tick, and a
strategy with a timer gets an empty poll at each moment it is due. A session
recorded live keeps its own poll ends (``app.domain.market.POLL_END``),
and a replay of it polls exactly where the live engine did.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.domain.market import POLL_END, Tick
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.tester.errors import TesterError
from app.tester.market import MarketHistory
from app.tester.settings import Model, TesterSettings

OHLC_OFFSETS_MS = (0, 20_000, 40_000, 59_000)
MIN_GENERATED, MAX_GENERATED = 4, 60


@dataclass(frozen=True)
class TickStream:
    """Every price of one pass, oldest first, and which ticks end a poll."""

    time_msc: np.ndarray  # int64
    bid: np.ndarray
    ask: np.ndarray
    poll_end: np.ndarray  # bool
    recorded: bool  # the poll ends are a live session's
    bars: int  # bars of the tested timeframe the prices cover

    def __len__(self) -> int:
        return len(self.time_msc)

    @property
    def polls(self) -> int:
        return int(np.count_nonzero(self.poll_end))


def build_stream(
    market: MarketHistory,
    settings: TesterSettings,
    *,
    every_tick_polls: bool = False,
) -> TickStream:
    """The prices ``settings.model`` offers from ``market`` in the test's range.

    ``every_tick_polls``: the strategy reads ticks, so every tick is a poll.
    """
    model, tf, spec = settings.model, settings.timeframe, market.spec
    lo = settings.start
    hi = settings.end
    if model is Model.TICKS:
        times, bid, ask, recorded_ends = _real_ticks(market, lo, hi)
    else:
        source = market.series(tf) if model is Model.OPEN else market.m1
        if not len(source):
            needs = f"{tf.name} or M1" if model is Model.OPEN and tf is not Timeframe.M1 else "M1"
            raise TesterError(
                f"the {model.label} model needs {needs} bars of {market.symbol}; "
                f"stored: {market.describe()}"
            )
        rows = _between(source, lo, hi)
        if not len(rows):
            raise TesterError(_no_data(market.symbol, source, lo, hi, "bars"))
        if model is Model.OPEN:
            times, bid, spread = (
                rows["time"] * 1000,
                rows["open"].astype(np.float64),
                rows["spread"],
            )
        elif model is Model.OHLC:
            times, bid, spread = _ohlc(rows)
        else:
            times, bid, spread = _generated(rows, spec)
        points = (
            np.full(len(bid), float(settings.spread_points))
            if settings.spread_points is not None
            else spread.astype(np.float64)
        )
        ask = np.round(bid + points * spec.point, spec.digits)
        bid = np.round(bid, spec.digits)
        recorded_ends = None
    if settings.spread_points is not None and model is Model.TICKS:
        ask = np.round(bid + settings.spread_points * spec.point, spec.digits)
    good = np.isfinite(bid) & np.isfinite(ask) & (bid > 0) & (ask >= bid)
    if not np.all(good):
        times, bid, ask = times[good], bid[good], ask[good]
        recorded_ends = recorded_ends[good] if recorded_ends is not None else None
    if not len(times):
        raise TesterError(f"no usable prices of {market.symbol} between the dates given")
    times = times.astype(np.int64)
    recorded = recorded_ends is not None and bool(recorded_ends.any())
    if recorded:  # a live session's own polls, whatever the strategy reads
        assert recorded_ends is not None
        ends = recorded_ends.copy()
    elif every_tick_polls:
        ends = np.ones(len(times), dtype=bool)
    else:
        ends = bar_opening_ends(times, tf)
    ends[-1] = True
    bars = len(np.unique(times // 1000 // tf.seconds))
    return TickStream(times, bid, ask, ends, recorded, bars)


def bar_opening_ends(time_msc: np.ndarray, timeframe: Timeframe) -> np.ndarray:
    """True at each tick that opens a bar of ``timeframe`` (the first of its period)."""
    period = time_msc // 1000 // timeframe.seconds
    ends = np.empty(len(period), dtype=bool)
    if len(period):
        ends[0] = True
        ends[1:] = period[1:] != period[:-1]
    return ends


def timer_ends(
    time_msc: np.ndarray, first_due_msc: int, every_ms: int
) -> tuple[np.ndarray, np.ndarray]:
    """For a strategy timer: which ticks must end a poll (the last before each due time),
    and the due times themselves (an empty poll runs at each)."""
    if every_ms <= 0 or not len(time_msc):
        return np.zeros(len(time_msc), dtype=bool), np.zeros(0, dtype=np.int64)
    due = np.arange(first_due_msc, int(time_msc[-1]) + 1, every_ms, dtype=np.int64)
    ends = np.zeros(len(time_msc), dtype=bool)
    before = np.searchsorted(time_msc, due, side="left") - 1
    ends[before[before >= 0]] = True
    return ends, due


def _between(rows: np.ndarray, lo: int | None, hi: int | None) -> np.ndarray:
    times = rows["time"]
    first = 0 if lo is None else int(np.searchsorted(times, lo, side="left"))
    last = len(times) if hi is None else int(np.searchsorted(times, hi, side="right"))
    return rows[first:last]


def _no_data(symbol: str, rows: np.ndarray, lo: int | None, hi: int | None, what: str) -> str:
    from datetime import UTC, datetime

    def day(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")

    stored = f"stored from {day(rows['time'][0])} to {day(rows['time'][-1])}" if len(rows) else ""
    asked = f"{day(lo) if lo is not None else 'the start'} to {day(hi) if hi is not None else 'the end'}"
    return f"no {symbol} {what} from {asked} ({stored})"


def _real_ticks(
    market: MarketHistory, lo: int | None, hi: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ticks = market.ticks
    if ticks is None or not len(ticks):
        raise TesterError(
            f"the real-ticks model needs ticks of {market.symbol}; stored: {market.describe()}"
        )
    times = ticks["time_msc"]
    first = 0 if lo is None else int(np.searchsorted(times, lo * 1000, side="left"))
    last = len(times) if hi is None else int(np.searchsorted(times, hi * 1000 + 999, side="right"))
    rows = ticks[first:last]
    if not len(rows):
        from datetime import UTC, datetime

        span = (
            f"stored from {datetime.fromtimestamp(times[0] / 1000, UTC):%Y-%m-%d} to "
            f"{datetime.fromtimestamp(times[-1] / 1000, UTC):%Y-%m-%d}"
        )
        raise TesterError(f"no {market.symbol} ticks between the dates given ({span})")
    ends = (rows["flags"] & POLL_END) != 0
    return rows["time_msc"].copy(), rows["bid"].copy(), rows["ask"].copy(), ends


def _ohlc(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    o, h, lo, c = (rows[name].astype(np.float64) for name in ("open", "high", "low", "close"))
    rising = c >= o
    first = np.where(rising, lo, h)
    second = np.where(rising, h, lo)
    prices = np.stack((o, first, second, c), axis=1).reshape(-1)
    offsets = np.asarray(OHLC_OFFSETS_MS, dtype=np.int64)
    times = (rows["time"][:, None] * 1000 + offsets[None, :]).reshape(-1)
    spread = np.repeat(rows["spread"], 4)
    return times, prices, spread


def _generated(rows: np.ndarray, spec: SymbolSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every tick from M1 bars: open, both extremes and the close, with even steps between."""
    o, h, lo, c = (rows[name].astype(np.float64) for name in ("open", "high", "low", "close"))
    rising = c >= o
    waypoints = np.stack((o, np.where(rising, lo, h), np.where(rising, h, lo), c), axis=1)
    legs = np.abs(np.diff(waypoints, axis=1))  # (n, 3)
    count = np.clip(rows["tick_volume"].astype(np.int64), MIN_GENERATED, MAX_GENERATED)
    steps = count - 1  # prices after the open, shared by the three legs
    total = legs.sum(axis=1)
    share = np.where(total[:, None] > 0, legs / np.where(total > 0, total, 1)[:, None], 1 / 3)
    per_leg = np.maximum(1, np.floor(share * steps[:, None]).astype(np.int64))
    per_leg[:, 2] = np.maximum(1, steps - per_leg[:, 0] - per_leg[:, 1])
    counts = 1 + per_leg.sum(axis=1)  # the open, then each leg's steps
    n = len(rows)
    bar = np.repeat(np.arange(n), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(bar)) - start  # 0 .. count-1 within its bar
    edge1 = per_leg[:, 0][bar]
    edge2 = edge1 + per_leg[:, 1][bar]
    leg = np.where(k <= edge1, 0, np.where(k <= edge2, 1, 2))
    leg_start = np.choose(leg, (np.zeros_like(k), edge1, edge2))
    leg_len = np.choose(leg, (edge1, edge2 - edge1, counts[bar] - 1 - edge2))
    frac = np.where(leg_len > 0, (k - leg_start) / np.maximum(leg_len, 1), 0.0)
    a = waypoints[bar, leg]
    b = waypoints[bar, leg + 1]
    prices = np.round(a + (b - a) * frac, spec.digits)
    spacing = 60_000 // counts
    times = rows["time"][bar] * 1000 + k * spacing[bar]
    spread = rows["spread"][bar]
    return times, prices, spread


def ticks_of(symbol: str, stream: TickStream, lo: int, hi: int) -> list[Tick]:
    """Ticks ``lo .. hi-1`` of the stream as domain objects, built the fast way.

    ``Tick`` is a frozen dataclass: its generated ``__init__`` sets each field
    through ``object.__setattr__``, which costs twice as much as writing the
    slots directly; a replay builds millions of them.
    """
    new, cls = object.__new__, Tick
    slots: Any = Tick  # the slot descriptors, read from the class
    set_symbol, set_time = slots.symbol.__set__, slots.time_msc.__set__
    set_bid, set_ask = slots.bid.__set__, slots.ask.__set__
    set_last, set_volume = slots.last.__set__, slots.volume.__set__
    out: list[Tick] = []
    append = out.append
    for t, b, a in zip(
        stream.time_msc[lo:hi].tolist(),
        stream.bid[lo:hi].tolist(),
        stream.ask[lo:hi].tolist(),
        strict=True,
    ):
        tick = new(cls)
        set_symbol(tick, symbol)
        set_time(tick, t)
        set_bid(tick, b)
        set_ask(tick, a)
        set_last(tick, 0.0)
        set_volume(tick, 0.0)
        append(tick)
    return out


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, total, size):
        yield lo, min(total, lo + size)
