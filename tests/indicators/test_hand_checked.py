"""Small cases worked out by hand, for each indicator, both ways of computing.

Each case states TA-Lib's convention it pins (seeds, lookbacks, the start of
SAR, MACD seeding its fast EMA late), so a change of convention shows here by
name and not only as a numeric mismatch on random data.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.indicators import create
from tests.indicators.conftest import push_all

NAN = math.nan


def both_ways(name: str, columns: list[list[float]], **params: float) -> list[np.ndarray]:
    """Batch and incremental outputs, checked equal; returns the batch ones."""
    indicator = create(name, params)
    arrays = [np.asarray(c, dtype=np.float64) for c in columns]
    batch = indicator.batch(*arrays)
    rows = push_all(create(name, params), arrays)
    for k, series in enumerate(batch):
        np.testing.assert_allclose([row[k] for row in rows], series, rtol=0, atol=1e-12)
    return list(batch)


def test_sma_mean_of_the_last_period_closes() -> None:
    (sma,) = both_ways("sma", [[1, 2, 3, 4, 5]], period=3)
    np.testing.assert_allclose(sma, [NAN, NAN, 2, 3, 4])


def test_ema_is_seeded_with_the_sma_of_the_first_period_closes() -> None:
    # k = 2 / (3 + 1) = 0.5; seed (1 + 2 + 3) / 3 = 2 at index 2.
    (ema,) = both_ways("ema", [[1, 2, 3, 5, 1]], period=3)
    np.testing.assert_allclose(ema, [NAN, NAN, 2, 3.5, 2.25])


def test_wma_weighs_the_newest_close_most() -> None:
    (wma,) = both_ways("wma", [[1, 2, 3, 4]], period=3)
    np.testing.assert_allclose(wma, [NAN, NAN, (1 + 4 + 9) / 6, (2 + 6 + 12) / 6])


def test_bollinger_uses_the_population_deviation() -> None:
    upper, middle, lower = both_ways("bollinger", [[1, 2, 3]], period=3, dev_up=2, dev_down=1)
    std = math.sqrt(2 / 3)  # population: divide by 3, not 2
    np.testing.assert_allclose(middle, [NAN, NAN, 2])
    np.testing.assert_allclose(upper, [NAN, NAN, 2 + 2 * std])
    np.testing.assert_allclose(lower, [NAN, NAN, 2 - std])


def test_rsi_seeds_with_plain_means_then_smooths_like_wilder() -> None:
    # Changes +1, +1, -1: gain 2/3, loss 1/3 -> 66.67 at index 3 (= period).
    # Then -1: gain (2/3*2 + 0)/3 = 4/9, loss (1/3*2 + 1)/3 = 5/9 -> 44.44.
    (rsi,) = both_ways("rsi", [[1, 2, 3, 2, 1]], period=3)
    np.testing.assert_allclose(rsi, [NAN, NAN, NAN, 200 / 3, 400 / 9])


def test_rsi_of_a_flat_series_is_zero() -> None:
    (rsi,) = both_ways("rsi", [[5.0] * 6], period=3)
    np.testing.assert_allclose(rsi, [NAN, NAN, NAN, 0, 0, 0])


def test_macd_seeds_its_fast_ema_on_the_slow_emas_first_bar() -> None:
    # fast 2, slow 3, signal 2. Slow seed at index 2: (1 + 5 + 2) / 3 = 8/3.
    # Fast seed at index 2 too, over the 2 closes ending there: (5 + 2) / 2 = 3.5
    # (a plain EMA(2) would be seeded at index 1 and read 7/3 here).
    # Index 3: fast (4 - 3.5) * 2/3 + 3.5 = 23/6, slow (4 - 8/3) / 2 + 8/3 = 10/3.
    # The signal is seeded with the mean of the first two MACD values, at index 3,
    # and TA-Lib shows all three lines from there.
    line, signal, hist = both_ways("macd", [[1, 5, 2, 4]], fast=2, slow=3, signal=2)
    first, second = 3.5 - 8 / 3, 23 / 6 - 10 / 3
    np.testing.assert_allclose(line, [NAN, NAN, NAN, second])
    np.testing.assert_allclose(signal, [NAN, NAN, NAN, (first + second) / 2])
    np.testing.assert_allclose(hist, [NAN, NAN, NAN, second - (first + second) / 2])


def test_atr_starts_after_period_true_ranges() -> None:
    high = [10, 12, 11, 13]
    low = [8, 9, 7, 10]
    close = [9, 11, 8, 12]
    # True ranges from bar 1: 3, 4 (|7 - 11|), 5 (|13 - 8|). period 2:
    # first ATR (3 + 4) / 2 at index 2, then (3.5 * 1 + 5) / 2.
    (atr,) = both_ways("atr", [high, low, close], period=2)
    np.testing.assert_allclose(atr, [NAN, NAN, 3.5, 4.25])


def test_stochastic_k_is_smoothed_and_both_lines_start_together() -> None:
    high = [10, 12, 11, 13, 12]
    low = [8, 9, 7, 10, 9]
    close = [9, 11, 8, 12, 10]
    # fast %K over 2 bars: idx1 (11-8)/(12-8)=75, idx2 (8-7)/(12-7)=20,
    # idx3 (12-7)/(13-7)=83.33, idx4 (10-9)/(13-9)=25.
    # slowing 2: idx2 47.5, idx3 51.67, idx4 54.17; %D 2: idx3 49.58, idx4 52.92.
    k, d = both_ways("stochastic", [high, low, close], k_period=2, slowing=2, d_period=2)
    slow = [NAN, NAN, 47.5, (20 + 250 / 3) / 2, (250 / 3 + 25) / 2]
    np.testing.assert_allclose(k, [NAN, NAN, NAN, slow[3], slow[4]])
    np.testing.assert_allclose(d, [NAN, NAN, NAN, (47.5 + slow[3]) / 2, (slow[3] + slow[4]) / 2])


def test_stochastic_of_a_flat_window_is_zero() -> None:
    flat = [7.0] * 6
    k, _ = both_ways("stochastic", [flat, flat, flat], k_period=3, slowing=1, d_period=1)
    np.testing.assert_allclose(k, [NAN, NAN, 0, 0, 0, 0])


def test_adx_sums_then_smooths_the_directional_movement() -> None:
    high = [10, 12, 11, 13]
    low = [8, 9, 7, 10]
    close = [9, 11, 8, 12]
    # period 2. Bar 1: +DM 2, TR 3 (summed). Bar 2: -DM 2 (9 - 7 beats -1), TR 4:
    # +DM 2 - 1 = 1, -DM 0 + 2 = 2, TR 3 - 1.5 + 4 = 5.5 -> +DI 18.18, -DI 36.36, DX 33.33.
    # Bar 3: +DM 2 (13 - 11), TR 5: +DM 1 - .5 + 2 = 2.5, -DM 1, TR 7.75
    # -> +DI 32.26, -DI 12.90, DX 42.86; ADX = mean of the two DX at index 3.
    adx, plus_di, minus_di = both_ways("adx", [high, low, close], period=2)
    dx2 = 100 * abs(100 / 5.5 - 200 / 5.5) / (300 / 5.5)
    dx3 = 100 * abs(250 / 7.75 - 100 / 7.75) / (350 / 7.75)
    np.testing.assert_allclose(plus_di, [NAN, NAN, 100 / 5.5, 250 / 7.75])
    np.testing.assert_allclose(minus_di, [NAN, NAN, 200 / 5.5, 100 / 7.75])
    np.testing.assert_allclose(adx, [NAN, NAN, NAN, (dx2 + dx3) / 2])


def test_adx_of_a_flat_series_is_zero() -> None:
    flat = [3.0] * 8
    adx, plus_di, _ = both_ways("adx", [flat, flat, flat], period=2)
    np.testing.assert_allclose(plus_di[2:], 0)
    np.testing.assert_allclose(adx[3:], 0)


def test_cci_of_a_rising_window() -> None:
    # Typical prices 1, 2, 3: mean 2, mean deviation 2/3 -> (3 - 2) / (0.015 * 2/3) = 100.
    # Then 2, 3, 2: mean 7/3, mean deviation 4/9 -> (2 - 7/3) / (0.015 * 4/9) = -50.
    prices = [1.0, 2.0, 3.0, 2.0]
    (cci,) = both_ways("cci", [prices, prices, prices], period=3)
    np.testing.assert_allclose(cci, [NAN, NAN, 100, -50])


def test_cci_of_a_flat_window_is_zero() -> None:
    flat = [0.1] * 5  # 0.1 is not exact in binary: the mean carries a residue
    (cci,) = both_ways("cci", [flat, flat, flat], period=3)
    np.testing.assert_allclose(cci, [NAN, NAN, 0, 0, 0])


def test_sar_starts_long_from_the_first_bars_low() -> None:
    # Bar 1 rises: long; SAR on bar 1 is bar 0's low, extreme point bar 1's high.
    # Bar 2: SAR 9 + 0.02 * (11 - 9) = 9.04; new high 12 -> step 0.04.
    # Bar 3: 9.04 + 0.04 * (12 - 9.04) = 9.1584.
    (sar,) = both_ways("sar", [[10, 11, 12, 11.5], [9, 10, 11, 10]])
    np.testing.assert_allclose(sar, [NAN, 9, 9.04, 9.1584])


def test_sar_starts_short_when_the_low_falls_more_than_the_high_rises() -> None:
    # Bar 1: high -0.5, low -2 -> short; SAR is bar 0's high 9, extreme point 6.
    # Bar 2: 9 + 0.02 * (6 - 9) = 8.94, above both bars' highs (8.5, 8).
    # Bar 3: its high 11 reaches the SAR: reverse to long at the extreme point 6.
    high, low = [9.0, 8.5, 8.0, 11.0], [8.0, 6.0, 6.5, 8.0]
    (sar,) = both_ways("sar", [high, low])
    np.testing.assert_allclose(sar, [NAN, 9.0, 8.94, 6.0])


@pytest.mark.parametrize("name", ["donchian"])
def test_donchian_channel_is_highest_high_lowest_low_and_midpoint(name: str) -> None:
    upper, middle, lower = both_ways(name, [[5, 7, 6, 4], [3, 4, 2, 1]], period=2)
    np.testing.assert_allclose(upper, [NAN, 7, 7, 6])
    np.testing.assert_allclose(lower, [NAN, 3, 2, 1])
    np.testing.assert_allclose(middle, [NAN, 5, 4.5, 3.5])
