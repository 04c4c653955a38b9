"""Indicator benchmark: per-bar update cost, and batch cost on 1,000,000 bars, against TA-Lib.

Run from the repository root:

    python benchmarks/bench_indicators.py
    uv run --with talipp python benchmarks/bench_indicators.py   # adds talipp's column

Per-bar figures are the cost of one call of ``push`` (a closed bar) or
``peek`` (the forming bar) with default parameters, on a random walk after
warm-up, in microseconds. Each is timed over many chunks of 500 calls and
reported as the best chunk and the median chunk: the machine is shared, and
the best is the figure least disturbed by other processes. The same loop
times TA-Lib's own streaming handles (``talib.stream``) and, if installed,
talipp's ``add``.

Batch figures are milliseconds for the whole 1,000,000-bar series: ours (the
``batch`` method, which calls TA-Lib) and TA-Lib's function called directly,
in the same run, best of several runs; and EMA+RSI+SMA together.

The last table is why the per-bar forms are not TA-Lib's streaming handles:
a handle releases the interpreter lock on every call, and while another
Python thread is busy (the GUI painting) each release can hand it the lock
for up to the switch interval. It times bursts of 50 EMA updates with such a
thread running.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import talib
from talib import stream

from app.indicators import INDICATORS, Indicator, create
from benchmarks._report import Row, emit

BATCH_BARS = 1_000_000
UPDATE_BARS = 40_000
WARM_BARS = 2_000
CHUNK = 500
BATCH_RUNS = 15
TARGET_UPDATE_US = 2.0
BURSTS = 600


def _bars(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 + np.cumsum(rng.normal(0.0, 0.1, n))
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + rng.random(n) * 0.1
    low = np.minimum(open_, close) - rng.random(n) * 0.1
    return {"high": high, "low": low, "close": close}


def _per_call_us(call: Callable[..., Any], rows: list[tuple[float, ...]]) -> tuple[float, float]:
    """Best and median microseconds per call over chunks of ``rows``."""
    times = []
    for start in range(0, len(rows) - CHUNK + 1, CHUNK):
        chunk = rows[start : start + CHUNK]
        began = time.perf_counter()
        for values in chunk:
            call(*values)
        times.append((time.perf_counter() - began) / CHUNK * 1e6)
    return min(times), statistics.median(times)


def _rows(bars: dict[str, np.ndarray], inputs: tuple[str, ...]) -> list[tuple[float, ...]]:
    return list(zip(*(bars[name][WARM_BARS:].tolist() for name in inputs), strict=True))


def _ours(
    name: str, bars: dict[str, np.ndarray]
) -> tuple[tuple[float, float], tuple[float, float]]:
    indicator = create(name)
    warm = [bars[n][:WARM_BARS] for n in indicator.inputs]
    rows = _rows(bars, indicator.inputs)
    indicator.warm(*warm)
    push = _per_call_us(indicator.push, rows)
    indicator.warm(*warm)
    peek = _per_call_us(indicator.peek, rows)
    return push, peek


# TA-Lib streaming handles with the same parameters as our defaults.
def _talib_handle(indicator: Indicator, bars: dict[str, np.ndarray]) -> Any:
    p = indicator.params
    h, lo, c = (bars[n][:WARM_BARS] for n in ("high", "low", "close"))
    opened: dict[str, Callable[[], Any]] = {
        "sma": lambda: stream.SMA(c, p.period),
        "ema": lambda: stream.EMA(c, p.period),
        "wma": lambda: stream.WMA(c, p.period),
        "bollinger": lambda: stream.BBANDS(c, p.period, p.dev_up, p.dev_down),
        "sar": lambda: stream.SAR(h, lo, p.acceleration, p.maximum),
        "donchian": lambda: stream.MAX(h, p.period),  # one of its two lines
        "rsi": lambda: stream.RSI(c, p.period),
        "macd": lambda: stream.MACD(c, p.fast, p.slow, p.signal),
        "stochastic": lambda: stream.STOCH(h, lo, c, p.k_period, p.slowing, 0, p.d_period, 0),
        "atr": lambda: stream.ATR(h, lo, c, p.period),
        "adx": lambda: stream.ADX(h, lo, c, p.period),  # ADX only; +DI/-DI are two more handles
        "cci": lambda: stream.CCI(h, lo, c, p.period),
    }
    return opened[indicator.name]()


def _talib_stream_us(name: str, bars: dict[str, np.ndarray]) -> float:
    indicator = create(name)
    handle = _talib_handle(indicator, bars)
    inputs = {"donchian": ("high",)}.get(name, indicator.inputs)
    return _per_call_us(handle.update, _rows(bars, inputs))[0]


def _talipp_us(name: str, bars: dict[str, np.ndarray]) -> float | None:
    try:
        from talipp import indicators as tp
        from talipp.ohlcv import OHLCV
    except ImportError:
        return None
    p = create(name).params
    made: dict[str, Callable[[], Any]] = {
        "sma": lambda: tp.SMA(p.period),
        "ema": lambda: tp.EMA(p.period),
        "wma": lambda: tp.WMA(p.period),
        "bollinger": lambda: tp.BB(p.period, p.dev_up),
        "sar": lambda: tp.ParabolicSAR(p.acceleration, p.acceleration, p.maximum),
        "donchian": lambda: tp.DonchianChannels(p.period),
        "rsi": lambda: tp.RSI(p.period),
        "macd": lambda: tp.MACD(p.fast, p.slow, p.signal),
        "stochastic": lambda: tp.Stoch(p.k_period, p.slowing),
        "atr": lambda: tp.ATR(p.period),
        "adx": lambda: tp.ADX(p.period, p.period),
        "cci": lambda: tp.CCI(p.period),
    }
    target = made[name]()
    if INDICATORS[name].inputs == ("close",):
        rows = [(c,) for c in bars["close"].tolist()]
    else:
        ohlc = zip(bars["close"].tolist(), bars["high"].tolist(), bars["low"].tolist(), strict=True)
        rows = [(OHLCV(c, h, lo, c),) for c, h, lo in ohlc]
    for (value,) in rows[:WARM_BARS]:
        target.add(value)
    return _per_call_us(target.add, rows[WARM_BARS:])[0]


def _talib_direct(name: str, bars: dict[str, np.ndarray]) -> Callable[[], object]:
    p = create(name).params
    h, lo, c = bars["high"], bars["low"], bars["close"]
    direct: dict[str, Callable[[], object]] = {
        "sma": lambda: talib.SMA(c, p.period),
        "ema": lambda: talib.EMA(c, p.period),
        "wma": lambda: talib.WMA(c, p.period),
        "bollinger": lambda: talib.BBANDS(c, p.period, p.dev_up, p.dev_down),
        "sar": lambda: talib.SAR(h, lo, p.acceleration, p.maximum),
        "donchian": lambda: (talib.MAX(h, p.period), talib.MIN(lo, p.period)),
        "rsi": lambda: talib.RSI(c, p.period),
        "macd": lambda: talib.MACD(c, p.fast, p.slow, p.signal),
        "stochastic": lambda: talib.STOCH(h, lo, c, p.k_period, p.slowing, 0, p.d_period, 0),
        "atr": lambda: talib.ATR(h, lo, c, p.period),
        "adx": lambda: (
            talib.ADX(h, lo, c, p.period),
            talib.PLUS_DI(h, lo, c, p.period),
            talib.MINUS_DI(h, lo, c, p.period),
        ),
        "cci": lambda: talib.CCI(h, lo, c, p.period),
    }
    return direct[name]


def _batch_ms(name: str, bars: dict[str, np.ndarray]) -> tuple[float, float]:
    indicator = create(name)
    arrays = [bars[n] for n in indicator.inputs]
    return _best_pair(lambda: indicator.batch(*arrays), _talib_direct(name, bars))


def _best_pair(ours: Callable[[], object], theirs: Callable[[], object]) -> tuple[float, float]:
    """Best ms of each, run alternately so both see the same load on a shared machine."""
    best = [float("inf"), float("inf")]
    for _ in range(BATCH_RUNS):
        for k, call in enumerate((ours, theirs)):
            began = time.perf_counter()
            call()
            best[k] = min(best[k], time.perf_counter() - began)
    return best[0] * 1e3, best[1] * 1e3


def _gil_bursts() -> dict[str, tuple[float, float, float, int]]:
    """Bursts of 50 EMA updates while another thread runs Python: p50, p99, max ms, count > 1 ms."""
    close = _bars(5_000)["close"]
    history, live = close[:1_000], close[1_000:1_050].tolist()
    ours = create("ema")
    ours.warm(history)
    handle = stream.EMA(history, 20)
    busy = True

    def spin() -> None:
        x = 0
        while busy:
            x += 1

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    result = {}
    try:
        for label, update in (("TA-Lib stream handle", handle.update), ("ours (push)", ours.push)):
            bursts = []
            for _ in range(BURSTS):
                began = time.perf_counter()
                for value in live:
                    update(value)
                bursts.append((time.perf_counter() - began) * 1e3)
                time.sleep(0.001)
            bursts.sort()
            result[label] = (
                bursts[len(bursts) // 2],
                bursts[int(len(bursts) * 0.99) - 1],
                bursts[-1],
                sum(1 for b in bursts if b > 1.0),
            )
    finally:
        busy = False
        thread.join()
    return result


def main() -> None:
    update_bars = _bars(UPDATE_BARS)
    batch_bars = _bars(BATCH_BARS, seed=8)
    rows: list[Row] = []
    lines = [
        "| indicator | push µs best | push µs median | peek µs best | TA-Lib stream µs | talipp µs"
        " | ≤ 2 µs | batch ms (ours) | batch ms (TA-Lib) | ours ÷ TA-Lib |",
        "|---|---:|---:|---:|---:|---:|:-:|---:|---:|---:|",
    ]
    for name in INDICATORS:
        (push_best, push_median), (peek_best, _) = _ours(name, update_bars)
        talib_us = _talib_stream_us(name, update_bars)
        talipp = _talipp_us(name, update_bars)
        ours_ms, talib_ms = _batch_ms(name, batch_bars)
        meets = "yes" if max(push_best, peek_best) <= TARGET_UPDATE_US else "no"
        talipp_text = f"{talipp:.2f}" if talipp is not None else "—"
        lines.append(
            f"| {name} | {push_best:.2f} | {push_median:.2f} | {peek_best:.2f} | {talib_us:.2f}"
            f" | {talipp_text} | {meets} | {ours_ms:.1f} | {talib_ms:.1f} | {ours_ms / talib_ms:.2f} |"
        )
        rows.append(
            Row(f"indicator {name}: push per bar", push_best * 1e3, "ns", target="≤ 2,000 ns")
        )
        rows.append(
            Row(f"indicator {name}: batch 1M bars", ours_ms, "ms", note=f"TA-Lib {talib_ms:.1f}")
        )

    trio = [create("ema"), create("rsi"), create("sma")]
    close = batch_bars["close"]
    ours_trio, talib_trio = _best_pair(
        lambda: [i.batch(close) for i in trio],
        lambda: (talib.EMA(close, 20), talib.RSI(close, 14), talib.SMA(close, 20)),
    )
    rows.append(
        Row(
            "indicators EMA+RSI+SMA batch 1M bars",
            ours_trio,
            "ms",
            target=f"≤ 2 × TA-Lib ({2 * talib_trio:.1f} ms)",
        )
    )
    if "--json" in sys.argv:
        emit("Indicators", rows)
        return
    bursts = _gil_bursts()
    print(
        f"Per-bar cost ({UPDATE_BARS - WARM_BARS:,} bars, chunks of {CHUNK}) and batch on {BATCH_BARS:,} bars\n"
    )
    print("\n".join(lines))
    print(
        f"\nEMA+RSI+SMA batch on {BATCH_BARS:,} bars: ours {ours_trio:.1f} ms, TA-Lib {talib_trio:.1f} ms"
        f" (ratio {ours_trio / talib_trio:.2f}, target ≤ 2)\n"
    )
    print(
        f"| {BURSTS} bursts of 50 EMA updates, another thread running Python"
        " | p50 ms | p99 ms | max ms | bursts > 1 ms |"
    )
    print("|---|---:|---:|---:|---:|")
    for label, (p50, p99, worst, slow) in bursts.items():
        print(f"| {label} | {p50:.3f} | {p99:.3f} | {worst:.3f} | {slow} |")


if __name__ == "__main__":
    main()
