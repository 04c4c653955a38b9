"""Candles built from ticks, and M1 bars resampled to longer timeframes."""

from __future__ import annotations

import numpy as np
import pytest

from app.domain.bars import aggregate_rates
from app.domain.market import RATES_DTYPE, Bar, Tick
from app.domain.timeframes import Timeframe
from tests.reference_bars import BarBuilder

T0 = 1_700_000_100  # a multiple of 300 s: the open of an M5 bar (and of an M1 bar)


def tick_at(seconds: float, bid: float) -> Tick:
    return Tick("EURUSD", round(seconds * 1000), bid, round(bid + 0.0001, 5))


# -- BarBuilder ------------------------------------------------------------------


def test_first_tick_opens_a_bar_at_the_minute_start() -> None:
    builder = BarBuilder("EURUSD", Timeframe.M1)
    bar, is_new = builder.on_tick(tick_at(T0 + 17.25, 1.08500))
    assert is_new
    assert bar.time == T0
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        1.08500,
        1.08500,
        1.08500,
        1.08500,
        1.0,
    )
    assert builder.current == bar


def test_ticks_in_the_same_minute_update_high_low_close_and_volume() -> None:
    builder = BarBuilder("EURUSD", Timeframe.M1)
    bids = [1.08500, 1.08530, 1.08470, 1.08490, 1.08510]
    results = [builder.on_tick(tick_at(T0 + 1 + 10 * i, b)) for i, b in enumerate(bids)]
    assert [is_new for _, is_new in results] == [True, False, False, False, False]
    bar = results[-1][0]
    assert bar.time == T0
    assert bar.open == bids[0]
    assert bar.high == max(bids)
    assert bar.low == min(bids)
    assert bar.close == bids[-1]
    assert bar.volume == len(bids)


def test_bars_are_built_on_the_bid_not_the_ask() -> None:
    builder = BarBuilder("EURUSD", Timeframe.M1)
    bar, _ = builder.on_tick(Tick("EURUSD", T0 * 1000, 1.08500, 1.08600))
    assert bar.close == 1.08500


def test_tick_in_the_next_minute_starts_a_new_bar() -> None:
    builder = BarBuilder("EURUSD", Timeframe.M1)
    builder.on_tick(tick_at(T0 + 5, 1.08500))
    builder.on_tick(tick_at(T0 + 59.999, 1.08600))
    bar, is_new = builder.on_tick(tick_at(T0 + 60, 1.08550))
    assert is_new
    assert bar.time == T0 + 60
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        1.08550,
        1.08550,
        1.08550,
        1.08550,
        1.0,
    )


def test_a_gap_of_several_minutes_opens_the_bar_of_the_ticks_minute() -> None:
    builder = BarBuilder("EURUSD", Timeframe.M1)
    builder.on_tick(tick_at(T0 + 5, 1.08500))
    bar, is_new = builder.on_tick(tick_at(T0 + 7 * 60 + 30, 1.08700))
    assert is_new
    assert bar.time == T0 + 7 * 60


def test_late_tick_for_an_older_bar_leaves_the_current_bar_alone() -> None:
    builder = BarBuilder("EURUSD", Timeframe.M1)
    builder.on_tick(tick_at(T0 + 10, 1.08500))
    current, _ = builder.on_tick(tick_at(T0 + 70, 1.08520))
    bar, is_new = builder.on_tick(tick_at(T0 + 50, 1.09999))  # belongs to the closed minute
    assert not is_new
    assert bar == current
    assert builder.current == current
    assert bar.high == 1.08520 and bar.volume == 1.0


def test_builder_continues_the_last_history_bar() -> None:
    last = Bar("EURUSD", Timeframe.M5, T0, 1.08400, 1.08450, 1.08380, 1.08420, 120.0)
    builder = BarBuilder("EURUSD", Timeframe.M5, last_bar=last)
    bar, is_new = builder.on_tick(tick_at(T0 + 200, 1.08300))
    assert not is_new
    assert (bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        T0,
        1.08400,
        1.08450,
        1.08300,
        1.08300,
        121.0,
    )


def test_m5_builder_groups_five_minutes() -> None:
    builder = BarBuilder("EURUSD", Timeframe.M5)
    news = [builder.on_tick(tick_at(T0 + s, 1.085))[1] for s in (0, 60, 150, 299, 300)]
    assert news == [True, False, False, False, True]


# -- aggregate_rates -------------------------------------------------------------

# (minute offset from T0, open, high, low, close, tick_volume)
M1_ROWS = [
    # bucket T0: all five minutes
    (0, 1.1000, 1.1010, 1.0990, 1.1005, 10),
    (1, 1.1005, 1.1030, 1.1000, 1.1020, 12),
    (2, 1.1020, 1.1025, 1.0980, 1.0985, 7),
    (3, 1.0985, 1.0995, 1.0970, 1.0990, 3),
    (4, 1.0990, 1.1000, 1.0985, 1.0995, 5),
    # bucket T0+300: only minutes 6 and 8 (5, 7 and 9 missing)
    (6, 1.0995, 1.1001, 1.0994, 1.1000, 4),
    (8, 1.1010, 1.1040, 1.1008, 1.1035, 9),
    # bucket T0+600 missing entirely; bucket T0+900: minute 16 only
    (16, 1.1050, 1.1060, 1.1045, 1.1055, 2),
]


def m1_rates() -> np.ndarray:
    rates = np.zeros(len(M1_ROWS), dtype=RATES_DTYPE)
    for i, (minute, o, h, low, c, v) in enumerate(M1_ROWS):
        rates[i] = (T0 + 60 * minute, o, h, low, c, v, 8, v * 1000)
    return rates


def expected_m5() -> list[tuple[int, float, float, float, float, int]]:
    groups: dict[int, list[tuple[int, float, float, float, float, int]]] = {}
    for row in M1_ROWS:
        groups.setdefault(row[0] // 5, []).append(row)
    return [
        (
            T0 + 300 * bucket,
            rows[0][1],
            max(r[2] for r in rows),
            min(r[3] for r in rows),
            rows[-1][4],
            sum(r[5] for r in rows),
        )
        for bucket, rows in sorted(groups.items())
    ]


def test_m1_to_m5_ohlcv_with_gaps() -> None:
    out = aggregate_rates(m1_rates(), Timeframe.M5)
    got = [
        (
            int(r["time"]),
            float(r["open"]),
            float(r["high"]),
            float(r["low"]),
            float(r["close"]),
            int(r["tick_volume"]),
        )
        for r in out
    ]
    assert got == expected_m5()
    # hand check of the first bucket, in case both sides share a mistake
    assert got[0] == (T0, 1.1000, 1.1030, 1.0970, 1.0995, 37)
    # no bar is invented for the empty T0+600 bucket
    assert [t for t, *_ in got] == [T0, T0 + 300, T0 + 900]


def test_aggregation_sums_real_volume_and_keeps_the_dtype() -> None:
    out = aggregate_rates(m1_rates(), Timeframe.M5)
    assert out.dtype == RATES_DTYPE
    assert [int(v) for v in out["real_volume"]] == [37_000, 13_000, 2_000]


def test_m15_aggregation_and_bars_stay_ohlc_consistent() -> None:
    out = aggregate_rates(m1_rates(), Timeframe.M15)
    assert [int(t) for t in out["time"]] == [T0 - T0 % 900, T0 - T0 % 900 + 900]
    assert np.all(out["high"] >= np.maximum(out["open"], out["close"]))
    assert np.all(out["low"] <= np.minimum(out["open"], out["close"]))
    assert int(out["tick_volume"].sum()) == sum(r[5] for r in M1_ROWS)


def test_aggregating_nothing_gives_nothing() -> None:
    out = aggregate_rates(np.zeros(0, dtype=RATES_DTYPE), Timeframe.H1)
    assert len(out) == 0


@pytest.mark.parametrize("timeframe", list(Timeframe))
def test_bar_open_is_the_start_of_the_containing_period(timeframe: Timeframe) -> None:
    t = T0 + 12_345.6
    start = timeframe.bar_open(t)
    assert start % timeframe.seconds == 0
    assert start <= t < start + timeframe.seconds
