"""Every armed alert, laid out so that the tick path does as little as it can.

Plain Python, no engine: it takes ticks, closed bars and the clock and returns
the firings, which makes every condition and trigger testable on hand-built
sequences. The ``AlertHost`` feeds it on the engine thread.

How alerts are laid out, by what they need:

* **fixed levels on a price** (cross, above, below, channel) — the common case —
  go into a sorted :class:`LevelIndex` per ``(symbol, bid|ask|last)``: a tick
  judges only the levels between the previous price and its own;
* **moving levels and moves** (a trend line, "up 0.5 % in 15 minutes") are
  judged on every tick of their symbol; there are few of them;
* **bar closes** (an indicator's value, the once-per-bar-close trigger) are
  judged when a bar of their ``(symbol, timeframe)`` closes, on the close;
* **the account** (a position's P&L, the margin level) and **the clock** are
  judged on the engine's timer, after each poll.

A price alert's first observation is the quote when it was armed, so a cross
between that quote and the next tick counts. ``last`` is skipped while a
symbol reports no last price (0, as FX quotes do).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.alerts.armed import ABOVE, BELOW, CROSS_DOWN, CROSS_UP, Armed, Firing
from app.alerts.index import LevelIndex
from app.domain.alerts import AlertSpec, IndicatorRef, Trigger, Watch
from app.domain.market import Bar, BarHistory, Tick
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Position
from app.indicators import Indicator

BarKey = tuple[str, Timeframe]
History = Callable[[str, Timeframe, int], BarHistory]
"""The newest ``count`` closed bars of a ``(symbol, timeframe)``: for an indicator's warm-up."""
IndicatorMaker = Callable[[IndicatorRef], tuple[Indicator, int]]
"""An indicator object and the index of the output an alert reads."""

WARMUP_CAP = 2_000  # closed bars asked for an indicator whose warm-up is "all of them"
#: A time alert's moment is *missed*, not fired late, when the clock first sees it
#: this much after it (the engine stalled, the computer slept) or it passed before
#: the alert was armed (the terminal was closed, the alert was off).
LATE_LIMIT_MS = 60_000
_order = itertools.count()
_BID = Watch.BID


def _price(tick: Tick, watch: Watch) -> float:
    if watch is Watch.BID:
        return tick.bid
    if watch is Watch.ASK:
        return tick.ask
    return tick.last


@dataclass(frozen=True, slots=True)
class MissedTime:
    """A time alert's moments that passed unseen; it did not fire for them.

    An alert that trades must never act on what nobody saw (docs/alerts.md), and
    a late "it is 09:00" at 11:00 is false, so a missed moment is only said.
    """

    number: int
    times: int  # how many of its moments passed
    last_msc: int  # the latest of them
    next_msc: int | None  # when it fires next; None: never (a once alert)


def _first_due(spec: AlertSpec, last_fired_msc: int | None) -> int:
    """The first moment of a time alert it has not fired for yet."""
    at = spec.at_msc or 0
    step = spec.interval_s * 1000 if spec.trigger is Trigger.EVERY else 0
    if step > 0 and last_fired_msc is not None and last_fired_msc >= at:
        at += ((last_fired_msc - at) // step + 1) * step
    return at


def _missed(number: int, spec: AlertSpec, due_msc: int, now_msc: int) -> MissedTime:
    """The moments from ``due_msc`` up to (not including) ``now_msc``, and the next one."""
    step = spec.interval_s * 1000 if spec.trigger is Trigger.EVERY else 0
    if step <= 0:
        return MissedTime(number, 1, due_msc, None)
    times = (now_msc - 1 - due_msc) // step + 1
    last = due_msc + (times - 1) * step
    return MissedTime(number, times, last, last + step)


@dataclass(slots=True)
class _SymbolBook:
    """One symbol's alerts judged on its ticks, and (for bar closes) its newest prices."""

    indexes: dict[Watch, LevelIndex] = field(default_factory=dict)
    general: list[tuple[Watch, Armed]] = field(default_factory=list)  # trend lines, moves
    last: dict[Watch, float] = field(default_factory=dict)  # the newest bid, ask, last
    keeps_last: bool = False  # bar-close alerts read ``last`` when a bar closes
    # indexes.items() as a tuple, rebuilt on change: the tick path iterates it
    fields: tuple[tuple[Watch, LevelIndex], ...] = ()

    def refresh(self) -> None:
        self.fields = tuple((w, ix) for w, ix in self.indexes.items() if len(ix))

    @property
    def empty(self) -> bool:
        return not self.fields and not self.general and not self.keeps_last


class Evaluator:
    """Arm, disarm, and feed; each ``on_*`` returns the firings (``None`` when there are none)."""

    def __init__(self, make_indicator: IndicatorMaker | None = None) -> None:
        self._make_indicator = make_indicator
        self._armed: dict[int, Armed] = {}
        self._books: dict[str, _SymbolBook] = {}
        self._closes: dict[BarKey, list[Armed]] = {}  # judged on bar closes
        self._account: list[Armed] = []
        self._clock: list[tuple[int, int, Armed]] = []  # time alerts, by when
        self._gone: list[int] = []  # position alerts whose position is closed
        self._missed: list[MissedTime] = []  # time alerts whose moment passed unseen
        self._out: list[Firing] = []  # the tick path's firings, reused: no list per tick

    def __len__(self) -> int:
        return len(self._armed)

    def __contains__(self, number: int) -> bool:
        return number in self._armed

    def get(self, number: int) -> Armed | None:
        return self._armed.get(number)

    @property
    def symbols(self) -> frozenset[str]:
        """Symbols whose ticks the alerts need."""
        wanted = {s for s, book in self._books.items() if not book.empty}
        wanted |= {s for s, _tf in self._closes}
        return frozenset(wanted)

    @property
    def bar_keys(self) -> frozenset[BarKey]:
        return frozenset(self._closes)

    # -- arming ---------------------------------------------------------------------
    def arm(
        self,
        number: int,
        spec: AlertSpec,
        *,
        quote: Tick | None = None,
        history: History | None = None,
        count: int = 0,
        last_fired_msc: int | None = None,
        now_msc: int | None = None,
    ) -> Armed:
        """Start judging alert ``number``; ``quote`` is the market when it was armed.

        ``now_msc`` is the engine's time: a time alert's moment before it was
        missed (see :meth:`take_missed`) and is not queued to fire late.
        """
        self.disarm(number)
        armed = Armed(number, spec, count)
        armed.resume_after(last_fired_msc)
        self._armed[number] = armed
        watch = spec.watch
        if watch is Watch.TIME:
            due = _first_due(spec, last_fired_msc)
            if now_msc is not None and due < now_msc:
                missed = _missed(number, spec, due, now_msc)
                self._missed.append(missed)
                if missed.next_msc is None:
                    return armed  # a once alert: nothing left to wait for
                due = missed.next_msc
            heapq.heappush(self._clock, (due, next(_order), armed))
        elif watch.is_account:
            self._account.append(armed)
        elif watch is Watch.INDICATOR:
            self._arm_indicator(armed, history)
        elif spec.on_bar_close:
            assert spec.timeframe is not None
            self._closes.setdefault((spec.symbol, spec.timeframe), []).append(armed)
            book = self._book(spec.symbol)
            book.keeps_last = True
            if quote is not None:
                self._note(book, quote)
            armed.prev = book.last.get(watch)
        else:
            book = self._book(spec.symbol)
            start = _price(quote, watch) if quote is not None else None
            if start is not None and start <= 0:
                start = None  # no last price on this symbol (yet)
            if spec.line is None and not spec.condition.is_move:
                index = book.indexes.get(watch)
                if index is None:
                    index = book.indexes[watch] = LevelIndex()
                    index.prev = start
                index.add(armed)
                book.refresh()
            else:
                armed.prev = start
                if quote is not None and start is not None and spec.line is not None:
                    armed.prev_ref = start - _line_at(armed, quote.time_msc)  # the last sign
                if quote is not None and start is not None and armed.window is not None:
                    armed.restart_window(quote.time_msc, start)
                book.general.append((watch, armed))
        return armed

    def disarm(self, number: int) -> Armed | None:
        armed = self._armed.pop(number, None)
        if armed is None:
            return None
        spec = armed.spec
        if spec.watch is Watch.TIME:
            self._clock = [e for e in self._clock if e[2] is not armed]
            heapq.heapify(self._clock)
        elif spec.watch.is_account:
            self._account.remove(armed)
        elif spec.on_bar_close:
            key = (spec.symbol, spec.bar_timeframe)
            group = self._closes.get(key)  # type: ignore[arg-type]
            if group is not None:
                group.remove(armed)
                if not group:
                    del self._closes[key]  # type: ignore[arg-type]
            book = self._books.get(spec.symbol)
            if book is not None:
                book.keeps_last = any(s == spec.symbol for s, _tf in self._closes)
        else:
            book = self._books.get(spec.symbol)
            if book is not None:
                index = book.indexes.get(spec.watch)
                if index is not None:
                    index.remove(armed)
                book.general = [(w, a) for w, a in book.general if a is not armed]
                book.refresh()
        return armed

    def _book(self, symbol: str) -> _SymbolBook:
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = _SymbolBook()
        return book

    def _arm_indicator(self, armed: Armed, history: History | None) -> None:
        spec = armed.spec
        ref = spec.indicator
        assert ref is not None and self._make_indicator is not None
        armed.indicator, armed.indicator_output = self._make_indicator(ref)
        if spec.other is not None:
            armed.other, armed.other_output = self._make_indicator(spec.other)
        self._closes.setdefault((spec.symbol, ref.timeframe), []).append(armed)
        if history is None:
            return
        wanted = [armed.indicator] + ([armed.other] if armed.other is not None else [])
        reach = [w.warm_bars() for w in wanted]
        known = [r for r in reach if r is not None]
        count = WARMUP_CAP if len(known) < len(reach) else min(WARMUP_CAP, max(known) + 1)
        bars = history(spec.symbol, ref.timeframe, count)
        armed.prev, armed.prev_ref = _warm(armed, bars)

    # -- the tick path --------------------------------------------------------------
    def on_tick(self, tick: Tick) -> list[Firing] | None:
        book = self._books.get(tick.symbol)
        if book is None:
            return None
        out = self._out
        time_msc = tick.time_msc
        for watch, index in book.fields:
            value = tick.bid if watch is _BID else _price(tick, watch)
            if value > 0:
                index.move(value, time_msc, out)
        if book.general:
            self._general(book, tick, out)
        if book.keeps_last:
            self._note(book, tick)
        if not out:
            return None
        fired = out[:]
        out.clear()
        return fired

    def _note(self, book: _SymbolBook, tick: Tick) -> None:
        last = book.last
        last[Watch.BID] = tick.bid
        last[Watch.ASK] = tick.ask
        if tick.last > 0:
            last[Watch.LAST] = tick.last

    def _general(self, book: _SymbolBook, tick: Tick, out: list[Firing]) -> None:
        time_msc = tick.time_msc
        for watch, armed in book.general:
            if armed.done:
                continue
            value = tick.bid if watch is _BID else _price(tick, watch)
            if value <= 0:
                continue
            if armed.window is not None:
                window_ms = armed.spec.window_s * 1000
                if armed.moved(time_msc, value, window_ms) and time_msc >= armed.next_allowed_msc:
                    armed.fired(time_msc)
                    out.append(Firing(armed, value, time_msc))
                    armed.restart_window(time_msc, value)
                continue
            # A trend line: the sign of (price - line) before and now, as in Armed.judge.
            now = value - (armed.line_p1 + armed.line_slope * (time_msc - armed.line_t1))
            before = armed.prev_ref
            armed.prev_ref = now
            code = armed.code
            if code == ABOVE:
                hit = now > 0
            elif code == BELOW:
                hit = now < 0
            elif before is None:
                continue
            elif code == CROSS_UP:
                hit = before < 0 <= now
            elif code == CROSS_DOWN:
                hit = before > 0 >= now
            else:
                hit = (before < 0 <= now) or (before > 0 >= now)
            if hit and time_msc >= armed.next_allowed_msc:
                armed.fired(time_msc)
                out.append(Firing(armed, value, time_msc))

    # -- bar closes -----------------------------------------------------------------
    def on_bar(self, bar: Bar) -> list[Firing] | None:
        """A bar closed; it arrives before the tick that closed it."""
        group = self._closes.get((bar.symbol, bar.timeframe))
        if not group:
            return None
        out: list[Firing] = []
        closed_msc = (bar.time + bar.timeframe.seconds) * 1000
        book = self._books.get(bar.symbol)
        for armed in group:
            if armed.done:
                continue
            spec = armed.spec
            if spec.watch is Watch.INDICATOR:
                value, ref = _indicator_values(armed, bar)
                if math.isnan(value) or math.isnan(ref):
                    continue
            else:
                # The close of the watched price: the last quote before the closing tick.
                last = book.last.get(spec.watch) if book is not None else None
                value = last if last is not None else bar.close
                ref = _line_at(armed, closed_msc) if spec.line is not None else armed.level
            prev, prev_ref = armed.prev, armed.prev_ref
            armed.prev, armed.prev_ref = value, ref
            holds = armed.judge(prev, value, prev_ref if prev_ref is not None else ref, ref)
            if holds and armed.allowed(closed_msc):
                armed.fired(closed_msc)
                out.append(Firing(armed, value, closed_msc))
        return out or None

    # -- the clock and the account --------------------------------------------------
    @property
    def watches_account(self) -> bool:
        return bool(self._account)

    def on_clock(
        self,
        now_msc: int,
        positions: Callable[[], Sequence[Position]] | None = None,
        account: Callable[[], AccountState | None] | None = None,
    ) -> list[Firing] | None:
        """Time alerts that are due, and the account alerts judged on the book now."""
        out: list[Firing] = []
        clock = self._clock
        while clock and clock[0][0] <= now_msc:
            at, _n, armed = heapq.heappop(clock)
            if armed.done or armed.number not in self._armed:
                continue
            spec = armed.spec
            if now_msc - at > LATE_LIMIT_MS:  # the clock stalled past it: said, not fired
                missed = _missed(armed.number, spec, at, now_msc)
                self._missed.append(missed)
                if missed.next_msc is not None:
                    heapq.heappush(clock, (missed.next_msc, next(_order), armed))
                continue
            armed.fired(now_msc)
            out.append(Firing(armed, None, now_msc))
            if not armed.done and spec.trigger is Trigger.EVERY and spec.interval_s > 0:
                step = spec.interval_s * 1000
                heapq.heappush(
                    clock, (at + ((now_msc - at) // step + 1) * step, next(_order), armed)
                )
        if self._account:
            self._judge_account(now_msc, positions, account, out)
        return out or None

    def _judge_account(
        self,
        now_msc: int,
        positions: Callable[[], Sequence[Position]] | None,
        account: Callable[[], AccountState | None] | None,
        out: list[Firing],
    ) -> None:
        book = {p.ticket: p for p in positions()} if positions is not None else {}
        state = account() if account is not None else None
        margin = state.margin_level if state is not None else None
        for armed in self._account:
            if armed.done:
                continue
            spec = armed.spec
            if spec.watch is Watch.POSITION_PNL:
                position = book.get(spec.ticket or 0)
                if position is None:
                    if positions is not None and armed.prev is not None:
                        self._gone.append(armed.number)  # it was open, now it is closed
                    continue
                value = position.profit
            else:
                if margin is None:
                    continue
                value = margin
            prev = armed.prev
            armed.prev = value
            holds = armed.judge(prev, value, armed.level, armed.level)
            if holds and armed.allowed(now_msc):
                armed.fired(now_msc)
                out.append(Firing(armed, value, now_msc))

    def take_missed(self) -> list[MissedTime]:
        """Time alerts whose moments passed unseen since the last call (they did not fire)."""
        missed, self._missed = self._missed, []
        return missed

    def take_gone(self) -> list[int]:
        """Position alerts whose position closed since the last call."""
        gone, self._gone = self._gone, []
        return gone


def _line_at(armed: Armed, time_msc: int) -> float:
    return armed.line_p1 + armed.line_slope * (time_msc - armed.line_t1)


def _indicator_values(armed: Armed, bar: Bar) -> tuple[float, float]:
    indicator = armed.indicator
    assert indicator is not None
    value = indicator.update(bar)[armed.indicator_output]
    other = armed.other
    ref = other.update(bar)[armed.other_output] if other is not None else armed.level
    return float(value), float(ref)


def _warm(armed: Armed, bars: BarHistory) -> tuple[float | None, float | None]:
    """Replay the closed bars into the alert's indicators; their newest values."""
    columns = {
        name: np.asarray(getattr(bars, name), dtype=np.float64) for name in ("high", "low", "close")
    }
    size = len(columns["close"])
    if size == 0:
        return None, None
    values: list[float] = []
    for indicator, output in (
        (armed.indicator, armed.indicator_output),
        (armed.other, armed.other_output),
    ):
        if indicator is None:
            continue
        inputs = [columns[name] for name in indicator.inputs]
        indicator.warm(*(c[:-1] for c in inputs))
        result = indicator.push(*(float(c[-1]) for c in inputs))
        values.append(float(result[output] if isinstance(result, tuple) else result))
    value = values[0]
    ref = values[1] if armed.other is not None else armed.level
    if math.isnan(value) or math.isnan(ref):
        return None, None
    return value, ref
