"""Resampling bar arrays into longer timeframes (vectorised)."""

from __future__ import annotations

import numpy as np

from app.domain.timeframes import Timeframe


def aggregate_rates(rates: np.ndarray, timeframe: Timeframe) -> np.ndarray:
    """Resample an array of finer bars (``RATES``-like dtype) into ``timeframe`` bars.

    Vectorised: one pass of ``np.unique`` and ``reduceat`` over the input.
    """
    if len(rates) == 0:
        return rates.copy()
    buckets = rates["time"] // timeframe.seconds * timeframe.seconds
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    out = np.empty(len(starts), dtype=rates.dtype)
    out["time"] = buckets[starts]
    out["open"] = rates["open"][starts]
    out["high"] = np.maximum.reduceat(rates["high"], starts)
    out["low"] = np.minimum.reduceat(rates["low"], starts)
    ends = np.r_[starts[1:] - 1, len(rates) - 1]
    out["close"] = rates["close"][ends]
    for name in rates.dtype.names or ():
        if name not in ("time", "open", "high", "low", "close"):
            out[name] = (
                np.add.reduceat(rates[name], starts) if "volume" in name else rates[name][ends]
            )
    return out
