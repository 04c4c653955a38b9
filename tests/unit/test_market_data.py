"""The engine's bars in every timeframe: built from ticks, seeded from the broker, watched."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.market import RATES_DTYPE, Bar, Tick
from app.domain.timeframes import Timeframe
from app.engine.market_data import MarketData, SymbolBars
from tests.reference_bars import BarBuilder

DAY = 86_400
T0 = 1_700_006_400  # 2023-11-15 00:00 UTC: the open of a D1 bar and of every shorter one


def tick(seconds: float, bid: float, symbol: str = "EURUSD") -> Tick:
    return Tick(symbol, round(seconds * 1000), bid, round(bid + 0.0002, 5))


def bar(tf: Timeframe, time: int, o: float, h: float, lo: float, c: float, v: float) -> Bar:
    return Bar("EURUSD", tf, time, o, h, lo, c, v)


def reference(ticks: list[Tick], tf: Timeframe) -> tuple[list[Bar], Bar | None]:
    """Closed bars and the forming bar of one timeframe, built tick by tick the slow way."""
    builder = BarBuilder("EURUSD", tf)
    closed: list[Bar] = []
    for t in ticks:
        previous = builder.current
        _, is_new = builder.on_tick(t)
        if is_new and previous is not None:
            closed.append(previous)
    return closed, builder.current


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=3 * 3600), min_size=1, max_size=120),
    moves=st.lists(st.floats(min_value=-0.002, max_value=0.002), min_size=120, max_size=120),
)
def test_every_timeframe_matches_bars_built_tick_by_tick(
    gaps: list[int], moves: list[float]
) -> None:
    """Fed any tick stream, all seven timeframes agree with a per-timeframe builder."""
    times = T0 + np.cumsum(gaps)
    prices = 1.1 + np.cumsum(moves[: len(gaps)])
    ticks = [tick(float(t), round(float(p), 5)) for t, p in zip(times, prices, strict=True)]
    data = MarketData()
    for t in ticks:
        data.on_tick(t)
    for tf in Timeframe:
        closed, forming = reference(ticks, tf)
        assert list(data.closed("EURUSD", tf)) == closed, tf
        assert data.forming("EURUSD", tf) == forming, tf


def test_a_tick_inside_the_minute_moves_every_forming_bar() -> None:
    data = MarketData()
    data.on_tick(tick(T0 + 10, 1.10000))
    data.on_tick(tick(T0 + 20, 1.10050))
    data.on_tick(tick(T0 + 30, 1.09980))
    for tf in Timeframe:
        assert data.forming("EURUSD", tf) == Bar(
            "EURUSD", tf, T0, 1.10000, 1.10050, 1.09980, 1.09980, 3.0
        )


def test_seeded_hour_covers_the_broker_bars_and_the_live_ticks_without_double_counting() -> None:
    """The broker's H1 bar already holds its newest M1 bar; live ticks extend both."""
    minute = T0 + 40 * 60
    data = MarketData()
    data.seed(
        "EURUSD",
        {
            Timeframe.M1: bar(Timeframe.M1, minute, 1.1010, 1.1015, 1.1005, 1.1012, 7),
            Timeframe.H1: bar(Timeframe.H1, T0, 1.1000, 1.1030, 1.0990, 1.1012, 100),
            Timeframe.D1: bar(Timeframe.D1, T0 - DAY, 1.09, 1.11, 1.08, 1.10, 9000),  # yesterday
        },
    )
    data.on_tick(tick(minute + 30, 1.1020))  # same minute as the seeded M1 bar
    data.on_tick(tick(minute + 65, 1.0980))  # next minute, same hour
    assert data.forming("EURUSD", Timeframe.H1) == bar(
        Timeframe.H1, T0, 1.1000, 1.1030, 1.0980, 1.0980, 102
    )
    assert data.forming("EURUSD", Timeframe.M1) == bar(
        Timeframe.M1, minute + 60, 1.0980, 1.0980, 1.0980, 1.0980, 1
    )
    # Yesterday's D1 bar is history; today's D1 bar starts from today's bars only.
    d1 = data.forming("EURUSD", Timeframe.D1)
    assert d1 is not None and d1.time == T0 and d1.open == 1.1010


def test_a_late_tick_does_not_reopen_a_closed_bar() -> None:
    data = MarketData()
    data.on_tick(tick(T0 + 70, 1.1))
    data.on_tick(tick(T0 + 50, 1.5))  # belongs to the previous minute, arrived late
    m1 = data.forming("EURUSD", Timeframe.M1)
    assert m1 is not None and (m1.time, m1.high) == (T0 + 60, 1.1)
    assert list(data.closed("EURUSD", Timeframe.M1)) == []


def test_closed_bars_are_kept_but_bounded() -> None:
    bars = SymbolBars("EURUSD", keep=10)
    for i in range(50):
        bars.on_tick(T0 + 60 * i, 1.1 + i * 1e-4)
    kept = bars.closed(Timeframe.M1)
    assert len(kept) == 10
    assert [b.time for b in kept] == [T0 + 60 * i for i in range(39, 49)]


def rates(times: list[int], close: float = 1.1) -> np.ndarray:
    out = np.zeros(len(times), dtype=RATES_DTYPE)
    out["time"] = times
    for name in ("open", "high", "low", "close"):
        out[name] = close
    out["tick_volume"] = 5
    return out


def test_history_is_the_broker_bars_then_the_bars_built_live() -> None:
    """A paper broker's history stops at connect; bars built since follow it."""
    data = MarketData()
    data.seed("EURUSD", {Timeframe.M1: bar(Timeframe.M1, T0 + 120, 1.1, 1.1, 1.1, 1.1, 5)})
    for minute in (2, 3, 4):
        data.on_tick(tick(T0 + 60 * minute + 5, 1.2 + minute / 100))
    history = data.history("EURUSD", Timeframe.M1, rates([T0, T0 + 60, T0 + 120]))
    assert list(history.time) == [T0 + 60 * m for m in range(5)]  # type: ignore[call-overload]
    close = list(history.close)  # type: ignore[call-overload]
    assert close[:2] == [1.1, 1.1]
    assert close[2:] == pytest.approx([1.22, 1.23, 1.24])  # the live bar replaced the broker's
    volume = list(history.volume)  # type: ignore[call-overload]
    assert volume[2] == 6  # five from the broker's seed, one live tick


def test_history_of_a_longer_timeframe_ends_with_its_forming_bar() -> None:
    data = MarketData()
    data.on_tick(tick(T0 + 3600 + 10, 1.3))
    history = data.history("EURUSD", Timeframe.H1, rates([T0 - 3600, T0]))
    assert list(history.time) == [T0 - 3600, T0, T0 + 3600]  # type: ignore[call-overload]
    assert history.timeframe is Timeframe.H1


def test_only_watched_bars_of_symbols_that_changed_are_taken() -> None:
    data = MarketData()
    for symbol in ("EURUSD", "GBPUSD", "USDJPY"):
        data.on_tick(tick(T0 + 1, 1.1, symbol))
    data.watch("chart", [("EURUSD", Timeframe.H1)])
    data.watch("market_watch", [(s, Timeframe.D1) for s in ("EURUSD", "GBPUSD", "USDJPY")])
    first = {(b.symbol, b.timeframe) for b in data.take_watched_bars()}
    assert first == {
        ("EURUSD", Timeframe.H1),
        ("EURUSD", Timeframe.D1),
        ("GBPUSD", Timeframe.D1),
        ("USDJPY", Timeframe.D1),
    }  # newly watched pairs come at once, before their next tick
    assert data.take_watched_bars() == []  # nothing ticked since
    data.on_tick(tick(T0 + 2, 1.2, "GBPUSD"))
    assert [(b.symbol, b.timeframe) for b in data.take_watched_bars()] == [("GBPUSD", Timeframe.D1)]
    data.watch("chart", [("GBPUSD", Timeframe.M5)])  # the chart switched: EURUSD H1 is dropped
    data.on_tick(tick(T0 + 3, 1.3, "EURUSD"))
    taken = {(b.symbol, b.timeframe) for b in data.take_watched_bars()}
    assert taken >= {("GBPUSD", Timeframe.M5), ("EURUSD", Timeframe.D1)}
    assert ("EURUSD", Timeframe.H1) not in taken
    data.watch("market_watch", [])
    assert data.watched == frozenset({("GBPUSD", Timeframe.M5)})


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=2 * 3600), min_size=1, max_size=80),
    cuts=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=80),
    symbols=st.lists(st.sampled_from(["EURUSD", "GBPUSD"]), min_size=80, max_size=80),
)
def test_a_poll_of_ticks_closes_the_same_bars_after_the_same_ticks_as_one_at_a_time(
    gaps: list[int], cuts: list[int], symbols: list[str]
) -> None:
    """The engine folds a poll in one pass: each bar must still close after the tick that
    closed it (a strategy sees the bar before the next tick), for every symbol."""
    times = T0 + np.cumsum(gaps)
    ticks = [
        tick(float(t), round(1.1 + 0.0001 * (i % 17), 5), symbols[i]) for i, t in enumerate(times)
    ]
    one_by_one, batched = MarketData(), MarketData()
    expected: list[tuple[int, tuple[Bar, ...]]] = []
    got: list[tuple[int, tuple[Bar, ...]]] = []
    at = 0
    for size in cuts:
        poll = ticks[at : at + size]
        for index, t in enumerate(poll):
            one_by_one.on_tick(t)
            if one_by_one.just_closed:
                expected.append((at + index, tuple(one_by_one.just_closed)))
                one_by_one.just_closed.clear()
        got.extend((at + index, bars) for index, bars in batched.on_ticks(poll))
        at += size
        if at >= len(ticks):
            break
    assert got == expected
    for symbol in ("EURUSD", "GBPUSD"):
        for tf in Timeframe:
            assert batched.forming(symbol, tf) == one_by_one.forming(symbol, tf)
