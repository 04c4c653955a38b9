"""One indicator library for strategies (engine thread) and the chart (GUI thread).

Plain Python and numpy, no Qt. Batch over history is TA-Lib's; the per-bar forms
are ours, written to TA-Lib's conventions and tested against it to 1e-9. See
:mod:`app.indicators.base` for the shape of an indicator and
``docs/indicators.md`` for the measurements behind it.

    from app.indicators import create
    rsi = create("rsi", period=14)
    values = rsi.batch(closes)          # tuple of arrays, NaN in warm-up
    rsi.warm(closes)                    # state after the last closed bar
    rsi.peek(forming_close)             # forming bar, nothing committed
    rsi.push(closed_close)              # closed bar, state advances
"""

from app.indicators.base import Indicator, Placement
from app.indicators.moving_averages import EMA, SMA, WMA
from app.indicators.oscillators import CCI, MACD, RSI, Stochastic
from app.indicators.params import IndicatorParamError, IndicatorParams, ParamInfo, describe
from app.indicators.registry import (
    INDICATORS,
    UnknownIndicatorError,
    create,
    indicator_class,
    names,
)
from app.indicators.trend import ADX, ParabolicSAR
from app.indicators.volatility import ATR, BollingerBands, DonchianChannel

__all__ = [
    "ADX",
    "ATR",
    "CCI",
    "EMA",
    "INDICATORS",
    "MACD",
    "RSI",
    "SMA",
    "WMA",
    "BollingerBands",
    "DonchianChannel",
    "Indicator",
    "IndicatorParamError",
    "IndicatorParams",
    "ParabolicSAR",
    "ParamInfo",
    "Placement",
    "Stochastic",
    "UnknownIndicatorError",
    "create",
    "describe",
    "indicator_class",
    "names",
]
