"""The bars every backtest benchmark runs on: Tradeterm's tester and the other engines.

200,000 M1 bars of a seeded EURUSD-like random walk (5 digits, realistic minute
ranges), written as a plain CSV (``time,open,high,low,close,volume``, epoch
seconds) that each engine's driver reads in its own virtual environment, so
every engine trades exactly the same prices.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BARS = 200_000
SEED = 42
START = 1_577_836_800  # 2020-01-01 00:00 UTC


def m1_bars(count: int = BARS, seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.00025, count)
    close = np.round(1.1 * np.exp(np.cumsum(steps)), 5)
    open_ = np.round(np.r_[1.1, close[:-1]], 5)
    wick = np.abs(rng.normal(0.0, 0.00012, (2, count)))
    return {
        "time": START + 60 * np.arange(count, dtype=np.int64),
        "open": open_,
        "high": np.round(np.maximum(open_, close) + wick[0], 5),
        "low": np.round(np.minimum(open_, close) - wick[1], 5),
        "close": close,
        "volume": rng.integers(20, 200, count),
    }


def write_csv(path: Path, count: int = BARS) -> Path:
    bars = m1_bars(count)
    with open(path, "w", encoding="ascii") as out:
        out.write("time,open,high,low,close,volume\n")
        columns = [bars[k].tolist() for k in ("time", "open", "high", "low", "close", "volume")]
        for t, o, h, low, c, v in zip(*columns, strict=True):
            out.write(f"{t},{o:.5f},{h:.5f},{low:.5f},{c:.5f},{v}\n")
    return path
