"""Batch computation over whole arrays, by TA-Lib: the one module that imports it.

TA-Lib is the anchor for batch because it is a kept library and fast: its C
loops run EMA+RSI+SMA over a million bars in about 10 ms here, and a numpy
rewrite could not keep both its speed and 1e-9 agreement (a cumulative-sum SMA
drifts 8e-9 from the exact mean by bar 1,000,000; a recursion like EMA has no
vectorised numpy form at all). ``docs/indicators.md`` has the figures.

Each function takes float64 arrays and returns float64 arrays of the same
length, NaN where TA-Lib's lookback leaves no value. TA-Lib releases the
interpreter lock while it computes, which is what a million-bar batch wants;
it is why the per-bar forms are *not* TA-Lib's streaming handles (see
:mod:`app.indicators.base`).
"""

from __future__ import annotations

import numpy as np
import talib

from app.indicators.base import FloatArray, as_f64

__all__ = [
    "adx",
    "atr",
    "bbands",
    "cci",
    "donchian",
    "ema",
    "macd",
    "rsi",
    "sar",
    "sma",
    "stoch",
    "wma",
]

_SMA = talib.MA_Type.SMA


def sma(close: FloatArray, period: int) -> FloatArray:
    return talib.SMA(as_f64(close), timeperiod=period)


def ema(close: FloatArray, period: int) -> FloatArray:
    return talib.EMA(as_f64(close), timeperiod=period)


def wma(close: FloatArray, period: int) -> FloatArray:
    return talib.WMA(as_f64(close), timeperiod=period)


def bbands(
    close: FloatArray, period: int, dev_up: float, dev_down: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    upper, middle, lower = talib.BBANDS(
        as_f64(close), timeperiod=period, nbdevup=dev_up, nbdevdn=dev_down, matype=_SMA
    )
    return upper, middle, lower


def rsi(close: FloatArray, period: int) -> FloatArray:
    return talib.RSI(as_f64(close), timeperiod=period)


def macd(
    close: FloatArray, fast: int, slow: int, signal: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    line, signal_line, histogram = talib.MACD(
        as_f64(close), fastperiod=fast, slowperiod=slow, signalperiod=signal
    )
    return line, signal_line, histogram


def atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    return talib.ATR(as_f64(high), as_f64(low), as_f64(close), timeperiod=period)


def stoch(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    k_period: int,
    k_slowing: int,
    d_period: int,
) -> tuple[FloatArray, FloatArray]:
    slow_k, slow_d = talib.STOCH(
        as_f64(high),
        as_f64(low),
        as_f64(close),
        fastk_period=k_period,
        slowk_period=k_slowing,
        slowk_matype=_SMA,
        slowd_period=d_period,
        slowd_matype=_SMA,
    )
    return slow_k, slow_d


def adx(
    high: FloatArray, low: FloatArray, close: FloatArray, period: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    h, lo, c = as_f64(high), as_f64(low), as_f64(close)
    return (
        talib.ADX(h, lo, c, timeperiod=period),
        talib.PLUS_DI(h, lo, c, timeperiod=period),
        talib.MINUS_DI(h, lo, c, timeperiod=period),
    )


def cci(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    return talib.CCI(as_f64(high), as_f64(low), as_f64(close), timeperiod=period)


def sar(high: FloatArray, low: FloatArray, acceleration: float, maximum: float) -> FloatArray:
    return talib.SAR(as_f64(high), as_f64(low), acceleration=acceleration, maximum=maximum)


def donchian(
    high: FloatArray, low: FloatArray, period: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    upper = talib.MAX(as_f64(high), timeperiod=period)
    lower = talib.MIN(as_f64(low), timeperiod=period)
    middle = np.add(upper, lower)
    middle *= 0.5  # exactly (upper + lower) / 2, with one temporary less
    return upper, middle, lower
