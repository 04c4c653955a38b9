"""The engine's bars: every symbol in M1, M5, M15, M30, H1, H4 and D1, built from ticks.

Plain Python, used from the engine thread only. Why it is shaped this way:

* **O(1) per tick for all seven timeframes.** Every timeframe is a whole number
  of minutes aligned to the epoch, so a tick inside the forming M1 bar is inside
  the forming bar of every longer timeframe too. A tick therefore updates only
  the forming M1 candle; each longer timeframe keeps a *partial* candle made of
  the M1 bars already closed in its period, folded in once per minute. The
  forming H1 (say) bar is ``partial ⊕ forming M1``, computed on demand in O(1).
* **Seeded from the broker.** At connect the broker's newest bar of each
  timeframe seeds the forming candles, so the H1 bar on screen covers the whole
  hour, not just the ticks since the terminal started.
* **Kept, but bounded.** Bars closed while the terminal runs are kept (at most
  ``keep`` per symbol and timeframe, oldest dropped) and merged into history
  answers, because a paper broker's history stops at connect time.
* **Closed bars are told once.** Every bar that closes (at the first tick of
  the next period) is also appended to ``MarketData.just_closed``, in time
  order and shortest timeframe first; the core hands them to its clients as
  ``on_bar`` and empties the list. The forming bar is never in it.
* **Watched, for the GUI.** Clients say which ``(symbol, timeframe)`` pairs they
  show (a chart follows one, the market watch follows D1 of every symbol). Only
  the watched forming bars of symbols that ticked go into a frame, built once
  per frame rather than once per tick.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from app.domain.market import Bar, BarHistory, Tick
from app.domain.timeframes import Timeframe

#: Closed bars kept per symbol and timeframe (M1: about 3.5 days of a 24h market).
KEEP_BARS = 5_000
#: Every timeframe the engine builds, shortest first.
TIMEFRAMES: tuple[Timeframe, ...] = tuple(Timeframe)
LONGER: tuple[Timeframe, ...] = tuple(tf for tf in TIMEFRAMES if tf is not Timeframe.M1)
#: The longer timeframes with their lengths: an enum's value read per tick costs more
#: than the arithmetic it feeds.
_LONGER_SECONDS: tuple[tuple[Timeframe, int], ...] = tuple((tf, tf.seconds) for tf in LONGER)
_M1 = Timeframe.M1.seconds

BarKey = tuple[str, Timeframe]
"""A ``(symbol, timeframe)`` pair, the key of a frame's bars."""


class _Candle:
    """A mutable bar: updating it in place per tick avoids building an object per tick."""

    __slots__ = ("close", "high", "low", "open", "time", "volume")

    def __init__(
        self, time: int, open: float, high: float, low: float, close: float, volume: float
    ) -> None:
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume

    @classmethod
    def of(cls, bar: Bar, time: int | None = None, volume: float | None = None) -> _Candle:
        return cls(
            bar.time if time is None else time,
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.volume if volume is None else volume,
        )

    def copy(self, time: int) -> _Candle:
        return _Candle(time, self.open, self.high, self.low, self.close, self.volume)

    def fold(self, later: _Candle) -> None:
        """Extend this candle by a later one of the same period."""
        if later.high > self.high:
            self.high = later.high
        if later.low < self.low:
            self.low = later.low
        self.close = later.close
        self.volume += later.volume

    def bar(self, symbol: str, timeframe: Timeframe) -> Bar:
        return Bar(
            symbol, timeframe, self.time, self.open, self.high, self.low, self.close, self.volume
        )


class SymbolBars:
    """One symbol's bars in every timeframe: the forming ones and those closed since connect."""

    def __init__(
        self, symbol: str, keep: int = KEEP_BARS, just_closed: list[Bar] | None = None
    ) -> None:
        self.symbol = symbol
        # Where every bar goes when it closes (shared by all symbols of a MarketData).
        self._just_closed: list[Bar] = just_closed if just_closed is not None else []
        self._m1: _Candle | None = None
        self._partial: dict[Timeframe, _Candle] = {}
        self._closed: dict[Timeframe, deque[Bar]] = {tf: deque(maxlen=keep) for tf in TIMEFRAMES}

    def seed(self, newest: Mapping[Timeframe, Bar]) -> None:
        """Start from the broker's newest bar of each timeframe (each may still be forming).

        A longer timeframe's newest bar usually already contains the newest M1
        bar; its volume is taken out of the partial candle so that folding the
        M1 bar back in later does not count it twice (high and low are
        unaffected by counting a bar twice).
        """
        m1 = newest.get(Timeframe.M1)
        self._m1 = _Candle.of(m1) if m1 is not None else None
        self._partial.clear()
        for tf in LONGER:
            bar = newest.get(tf)
            if bar is None:
                continue
            if m1 is None:
                self._partial[tf] = _Candle.of(bar)
            elif bar.time == tf.bar_open(m1.time):
                self._partial[tf] = _Candle.of(bar, volume=max(0.0, bar.volume - m1.volume))
            # else: the broker's bar belongs to an older period, already closed and in history

    def on_tick(self, seconds: int, price: float) -> None:
        """Apply one price at ``seconds`` (epoch, UTC): O(1) within a minute, O(7) at its end."""
        m1 = self._m1
        minute = seconds - seconds % _M1
        if m1 is not None:
            if minute == m1.time:
                if price > m1.high:
                    m1.high = price
                elif price < m1.low:
                    m1.low = price
                m1.close = price
                m1.volume += 1.0
                return
            if minute < m1.time:
                return  # a late tick for a closed bar: the record keeps it, the bars do not
            self._close_minute(m1)
        self._roll_periods(minute)
        self._m1 = _Candle(minute, price, price, price, price, 1.0)

    def forming(self, timeframe: Timeframe) -> Bar | None:
        """The forming bar of ``timeframe`` (or the newest known one), in O(1)."""
        m1 = self._m1
        if timeframe is Timeframe.M1:
            return m1.bar(self.symbol, timeframe) if m1 is not None else None
        partial = self._partial.get(timeframe)
        if m1 is None:
            return partial.bar(self.symbol, timeframe) if partial is not None else None
        period = timeframe.bar_open(m1.time)
        if partial is None or partial.time != period:
            return m1.copy(period).bar(self.symbol, timeframe)
        candle = partial.copy(period)
        candle.fold(m1)
        return candle.bar(self.symbol, timeframe)

    def closed(self, timeframe: Timeframe) -> Sequence[Bar]:
        """Bars of ``timeframe`` that closed since connect, oldest first (bounded)."""
        return self._closed[timeframe]

    def _close_minute(self, m1: _Candle) -> None:
        """A minute ended: keep its bar and fold it into every longer timeframe's partial."""
        bar = m1.bar(self.symbol, Timeframe.M1)
        self._closed[Timeframe.M1].append(bar)
        self._just_closed.append(bar)
        minute = m1.time
        for tf, seconds in _LONGER_SECONDS:
            period = minute - minute % seconds  # tf.bar_open(minute)
            partial = self._partial.get(tf)
            if partial is not None and partial.time == period:
                partial.fold(m1)
            else:
                if partial is not None:  # defensive: a stale period is closed first
                    self._close(partial.bar(self.symbol, tf))
                self._partial[tf] = m1.copy(period)

    def _close(self, bar: Bar) -> None:
        self._closed[bar.timeframe].append(bar)
        self._just_closed.append(bar)

    def _roll_periods(self, minute: int) -> None:
        """Close every longer-timeframe bar whose period ended before ``minute``."""
        for tf, seconds in _LONGER_SECONDS:
            partial = self._partial.get(tf)
            if partial is not None and partial.time != minute - minute % seconds:
                self._close(partial.bar(self.symbol, tf))
                del self._partial[tf]


class MarketData:
    """Bars of every symbol and timeframe, and which of them the GUI is watching."""

    def __init__(self, keep: int = KEEP_BARS) -> None:
        self._keep = keep
        #: Bars closed since the core last emptied it, oldest first (see the module doc).
        self.just_closed: list[Bar] = []
        self._symbols: dict[str, SymbolBars] = {}
        self._watchers: dict[str, frozenset[BarKey]] = {}
        self._watched: dict[str, tuple[Timeframe, ...]] = {}  # symbol -> timeframes watched
        self._changed: set[str] = set()

    # -- building -------------------------------------------------------------------
    def seed(self, symbol: str, newest: Mapping[Timeframe, Bar]) -> None:
        """Register ``symbol``, seeded with the broker's newest bar per timeframe."""
        bars = SymbolBars(symbol, self._keep, self.just_closed)
        bars.seed(newest)
        self._symbols[symbol] = bars

    def seed_rates(self, symbol: str, newest: Mapping[Timeframe, np.ndarray]) -> None:
        """``seed`` from the broker's rates arrays (only their last rows are used)."""
        bars = {tf: newest_bar(symbol, tf, rates) for tf, rates in newest.items()}
        self.seed(symbol, {tf: b for tf, b in bars.items() if b is not None})

    def on_tick(self, tick: Tick) -> None:
        """Fold one tick (on the bid, like MetaTrader's charts) into every timeframe."""
        bars = self._symbols.get(tick.symbol)
        if bars is None:
            bars = self._symbols[tick.symbol] = SymbolBars(
                tick.symbol, self._keep, self.just_closed
            )
        bars.on_tick(tick.time_msc // 1000, tick.bid)
        self._changed.add(tick.symbol)

    def on_ticks(self, ticks: Sequence[Tick]) -> list[tuple[int, tuple[Bar, ...]]]:
        """``on_tick`` for a poll's ticks, in order; returns, for each tick that closed
        bars, its index in ``ticks`` and those bars (so that every client sees a bar
        close between the ticks it closed at)."""
        closed = self.just_closed
        marks: list[tuple[int, tuple[Bar, ...]]] = []
        symbols = self._symbols
        symbol: str | None = None
        bars: SymbolBars | None = None
        for index, tick in enumerate(ticks):
            if tick.symbol != symbol or bars is None:
                symbol = tick.symbol
                bars = symbols.get(symbol)
                if bars is None:
                    bars = symbols[symbol] = SymbolBars(symbol, self._keep, closed)
                self._changed.add(symbol)
            bars.on_tick(tick.time_msc // 1000, tick.bid)
            if closed:
                marks.append((index, tuple(closed)))
                closed.clear()
        return marks

    def forming(self, symbol: str, timeframe: Timeframe) -> Bar | None:
        bars = self._symbols.get(symbol)
        return bars.forming(timeframe) if bars is not None else None

    def closed(self, symbol: str, timeframe: Timeframe) -> Sequence[Bar]:
        bars = self._symbols.get(symbol)
        return bars.closed(timeframe) if bars is not None else ()

    # -- history --------------------------------------------------------------------
    def history(self, symbol: str, timeframe: Timeframe, rates: np.ndarray) -> BarHistory:
        """The broker's bars (``RATES_DTYPE``-like array) with the bars built here after them.

        Bars the engine closed or is forming at or after the broker's newest bar
        replace it or follow it, so the history always ends with the live
        forming bar, even when the broker's own history stopped at connect.
        """
        time = np.asarray(rates["time"], dtype=np.int64)
        columns = [
            np.asarray(rates[name], dtype=np.float64)
            for name in ("open", "high", "low", "close", "tick_volume")
        ]
        live = self._live_bars(symbol, timeframe, int(time[-1]) if len(time) else None)
        if live:
            if len(time) and live[0].time == time[-1]:
                time, columns = time[:-1], [c[:-1] for c in columns]
            time = np.concatenate((time, np.fromiter((b.time for b in live), np.int64, len(live))))
            columns = [
                np.concatenate((column, np.fromiter((getattr(b, name) for b in live), np.float64)))
                for column, name in zip(
                    columns, ("open", "high", "low", "close", "volume"), strict=True
                )
            ]
        return BarHistory(symbol, timeframe, time, *columns)

    def _live_bars(self, symbol: str, timeframe: Timeframe, after: int | None) -> list[Bar]:
        """Closed and forming bars built here at or after ``after``, oldest first."""
        tail: list[Bar] = []
        for bar in reversed(self.closed(symbol, timeframe)):  # newest first: stop early
            if after is not None and bar.time < after:
                break
            tail.append(bar)
        tail.reverse()
        forming = self.forming(symbol, timeframe)
        if (
            forming is not None
            and (after is None or forming.time >= after)
            and (not tail or forming.time > tail[-1].time)
        ):
            tail.append(forming)
        return tail

    # -- watching -------------------------------------------------------------------
    def watch(self, watcher: str, keys: Iterable[BarKey]) -> None:
        """``watcher`` now follows exactly ``keys`` (empty: nothing); others keep theirs.

        Newly watched symbols count as changed, so the next frame carries their
        forming bars even before they tick again.
        """
        new = frozenset(keys)
        old = self._watchers.get(watcher, frozenset())
        if new:
            self._watchers[watcher] = new
        else:
            self._watchers.pop(watcher, None)
        watched: dict[str, set[Timeframe]] = {}
        for pairs in self._watchers.values():
            for symbol, timeframe in pairs:
                watched.setdefault(symbol, set()).add(timeframe)
        self._watched = {
            s: tuple(sorted(tfs, key=lambda t: t.seconds)) for s, tfs in watched.items()
        }
        self._changed.update(symbol for symbol, _ in new - old)

    @property
    def watched(self) -> frozenset[BarKey]:
        return frozenset((s, tf) for s, tfs in self._watched.items() for tf in tfs)

    def take_watched_bars(self) -> list[Bar]:
        """Forming bars of watched pairs whose symbol changed since the last call.

        Called once per frame, so bar objects are built per frame, not per tick.
        """
        changed, self._changed = self._changed, set()
        watched = self._watched
        out: list[Bar] = []
        for symbol in changed:
            timeframes = watched.get(symbol)
            if not timeframes:
                continue
            bars = self._symbols.get(symbol)
            if bars is None:
                continue
            for timeframe in timeframes:
                bar = bars.forming(timeframe)
                if bar is not None:
                    out.append(bar)
        return out


def newest_bar(symbol: str, timeframe: Timeframe, rates: np.ndarray) -> Bar | None:
    """The last row of a broker's ``RATES_DTYPE`` array as a ``Bar`` (``None`` if empty)."""
    if len(rates) == 0:
        return None
    row = rates[-1]
    return Bar(
        symbol,
        timeframe,
        int(row["time"]),
        float(row["open"]),
        float(row["high"]),
        float(row["low"]),
        float(row["close"]),
        float(row["tick_volume"]),
    )
