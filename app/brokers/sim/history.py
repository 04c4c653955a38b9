"""The paper broker's past: a screen of history in every timeframe, one consistent market.

A chart opened on D1 needs 500 days, one on M1 a few thousand minutes;
generating 500 days of minutes would cost the start-up 700,000 bars per symbol.
So the past is made of *tiers*: the newest stretch in M1, the stretch before it
in M15, then M30, H1, H4 and D1, each only as long as its timeframe needs to
reach ``MIN_BARS``. Every tier starts and ends at a UTC midnight, so no bar of
any timeframe straddles two tiers, and one random walk runs backwards through
all of them from the price where live ticks begin.

Each timeframe's history is then the aggregate of every tier at least as fine
as it (``aggregate_rates``): an H1 bar is exactly the aggregate of its M1 bars
where the M1 tier reaches, of its M15 bars before that, and so on. About
6,000 bars per symbol in all, built with numpy in a few milliseconds, in the
engine thread at connect (a chart's history request is then a slice).
"""

from __future__ import annotations

import math

import numpy as np

from app.domain.bars import aggregate_rates
from app.domain.market import RATES_DTYPE
from app.domain.timeframes import Timeframe

SECONDS_PER_YEAR = 365 * 24 * 3600
DAY = Timeframe.D1.seconds
#: Bars every timeframe's history has at least (a full screen, and 500 days on D1).
MIN_BARS = 500
#: Timeframes that get a tier of their own when the finer tiers fall short (M1 always has one).
TIER_TIMEFRAMES = (
    Timeframe.M5,
    Timeframe.M15,
    Timeframe.M30,
    Timeframe.H1,
    Timeframe.H4,
    Timeframe.D1,
)


def walk(
    rng: np.random.Generator,
    timeframe: Timeframe,
    end: int,
    count: int,
    close: float,
    *,
    annual_volatility: float,
    digits: int,
    spread_points: int,
    ticks_per_second: float,
) -> np.ndarray:
    """``count`` bars of ``timeframe`` ending just before ``end``, the last closing at ``close``.

    The walk runs backwards from ``close``, so the bars join the later ones
    without a jump; busy bars (a large move or wide wicks) trade more ticks.
    """
    out = np.zeros(count, dtype=RATES_DTYPE)
    if count == 0:
        return out
    sigma = annual_volatility * math.sqrt(timeframe.seconds / SECONDS_PER_YEAR)
    returns = rng.standard_normal(count) * sigma
    log_close = math.log(close) - np.concatenate(([0.0], np.cumsum(returns[:0:-1])))[::-1]
    closes = np.exp(log_close)
    opens = np.exp(log_close - returns)
    wick = np.abs(rng.standard_normal((2, count))) * sigma * 0.6
    highs = np.maximum(opens, closes) * np.exp(wick[0])
    lows = np.minimum(opens, closes) * np.exp(-wick[1])
    out["time"] = end - timeframe.seconds * np.arange(count, 0, -1, dtype=np.int64)
    for column, values in (("open", opens), ("high", highs), ("low", lows), ("close", closes)):
        out[column] = np.round(values, digits)
    activity = np.abs(returns) + wick.sum(axis=0)
    activity /= activity.mean() or 1.0
    out["tick_volume"] = rng.poisson(ticks_per_second * timeframe.seconds * activity)
    out["spread"] = spread_points
    return out


def paper_history(
    rng: np.random.Generator,
    now: float,
    price: float,
    m1_bars: int,
    *,
    annual_volatility: float,
    digits: int,
    spread_points: int,
    ticks_per_second: float,
) -> dict[Timeframe, np.ndarray]:
    """Every timeframe's closed bars up to ``now``, ending at ``price`` (empty if no M1 bars).

    The M1 tier holds at least ``m1_bars`` minutes, back to a UTC midnight.
    """
    if m1_bars <= 0:
        empty = np.zeros(0, dtype=RATES_DTYPE)
        return {tf: empty.copy() for tf in Timeframe}
    options = {
        "annual_volatility": annual_volatility,
        "digits": digits,
        "spread_points": spread_points,
        "ticks_per_second": ticks_per_second,
    }
    end = Timeframe.M1.bar_open(now)  # the forming minute is not history
    # The newest ``m1_bars`` minutes first, so a seed gives them the same shape at any
    # time of day; then the minutes back to the midnight before them.
    newest = walk(rng, Timeframe.M1, end, m1_bars, price, **options)  # type: ignore[arg-type]
    joint = end - m1_bars * Timeframe.M1.seconds
    start = joint // DAY * DAY
    before = walk(
        rng,
        Timeframe.M1,
        joint,
        (joint - start) // 60,
        float(newest["open"][0]),
        **options,  # type: ignore[arg-type]
    )
    m1 = np.concatenate([before, newest])
    tiers: list[tuple[Timeframe, np.ndarray]] = [(Timeframe.M1, m1)]  # newest first
    for timeframe in TIER_TIMEFRAMES:
        covered = (end - start) // timeframe.seconds
        if covered >= MIN_BARS:
            continue
        per_day = DAY // timeframe.seconds
        days = math.ceil((MIN_BARS - covered) / per_day)
        first_open = float(tiers[-1][1]["open"][0])
        tier = walk(rng, timeframe, start, days * per_day, first_open, **options)  # type: ignore[arg-type]
        tiers.append((timeframe, tier))
        start -= days * DAY
    out: dict[Timeframe, np.ndarray] = {}
    for timeframe in Timeframe:
        fine_enough = [r for tf, r in reversed(tiers) if tf.seconds <= timeframe.seconds]
        rates = np.concatenate(fine_enough)
        out[timeframe] = rates if timeframe is Timeframe.M1 else aggregate_rates(rates, timeframe)
    return out
