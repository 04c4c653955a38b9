"""The Strategy Tester's speed: each model through the full engine, and the report.

Every pass is ``run_test``: the live ``TradingCore`` with its risk gate (every
rule on but the two account loss limits, as the tester runs) and the
strategy's budget, the ``StrategyHost``, ``StrategyRunner`` and the built-in
``ma_cross`` (SMA 10/30, 0.1 lot, trading on every cross), over the replay
broker. The figure is the replay itself (prices fed, polls, orders, fills);
loading, warm-up and building the report are timed apart ("pass" column).

* **open prices**: 200,000 M1 bars (``_backtest_data``: the same bars the
  other engines get in ``run_all.py``), ma_cross on M1.
* **open prices, a strategy that does nothing**: the same bars and engine, so
  the row above minus this one is what the MA cross itself costs (its
  indicators and its thousands of orders and fills).
* **1-minute OHLC**: the same bars, ma_cross on H1 (four prices per bar).
* **every tick from M1**: 50,000 of the bars, ma_cross on H1.
* **real ticks**: 1,000,000 generated ticks (0.2-4 s apart), ma_cross on M1.
* **report**: 10,000 trades (figures, curves, months, hours, weekdays) and its
  HTML file.

The machine is shared: each figure is run ``RUNS`` times and the best and the
median are shown. Run alone: ``python benchmarks/bench_tester.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _backtest_data import m1_bars
from _report import Row, emit

from app.domain.enums import Side
from app.domain.market import RATES_DTYPE, Bar
from app.domain.timeframes import Timeframe
from app.domain.trading import Fill
from app.history import TICK_DTYPE
from app.reporting import build_report, write_html
from app.strategies.base import Strategy
from app.strategies.catalog import load_catalog
from app.strategies.params import StrategyParams
from app.tester import MarketHistory, Model, TesterSettings, run_test
from app.tester.market import spec_for

RUNS = 3
TICKS = 1_000_000


def _market() -> MarketHistory:
    bars = m1_bars()
    rates = np.zeros(len(bars["time"]), dtype=RATES_DTYPE)
    for name in ("time", "open", "high", "low", "close"):
        rates[name] = bars[name]
    rates["tick_volume"] = bars["volume"]
    stored = {Timeframe.M1: rates}
    return MarketHistory("EURUSD", spec_for("EURUSD", stored), bars=stored)


def _ticks(count: int = TICKS) -> np.ndarray:
    rng = np.random.default_rng(9)
    rows = np.zeros(count, dtype=TICK_DTYPE)
    rows["time_msc"] = 1_577_836_800_000 + np.cumsum(rng.integers(200, 4000, count))
    rows["bid"] = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 3e-5, count))), 5)
    rows["ask"] = np.round(rows["bid"] + 1e-5 * rng.integers(1, 4, count), 5)
    return rows


class Idle(Strategy):
    """Subscribes and decides nothing: what a bar costs the engine itself."""

    key = "idle"
    title = "Idle"

    class Params(StrategyParams):
        indicator = "Idle"

    def on_bar(self, bar: Bar) -> None:
        return None


def _best_and_median(samples: list[float]) -> tuple[float, float]:
    return max(samples), statistics.median(samples)


def _passes(
    settings: TesterSettings, market: MarketHistory, unit: Callable[[object], float]
) -> tuple[list[float], list[float], int]:
    catalog = load_catalog(None, entry_points=False)
    catalog.add(Idle, "benchmark")
    rates, totals = [], []
    trades = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        result = run_test(settings, market, catalog)
        totals.append(time.perf_counter() - started)
        rates.append(unit(result) / result.seconds)
        trades = result.trades
    return rates, totals, trades


def _row(
    metric: str,
    rates: list[float],
    totals: list[float],
    trades: int,
    unit: str,
    target: str,
    key: str = "",
) -> Row:
    best, median = _best_and_median(rates)
    return Row(
        metric=metric,
        value=best,
        unit="/s",
        higher=True,
        target=target,
        note=f"{trades:,} trades; pass {min(totals):.2f} s",
        text=f"{best:,.0f} {unit}/s (median {median:,.0f})",
        key=key,
    )


def bench_models() -> list[Row]:
    market = _market()
    m1 = len(market.m1)
    market.series(Timeframe.H1)  # made once, as a worker's history would have it
    rows = []
    rates, totals, trades = _passes(
        TesterSettings("ma_cross", "EURUSD", Timeframe.M1, Model.OPEN),
        market,
        lambda r: r.bars,  # type: ignore[attr-defined]
    )
    rows.append(
        _row(
            f"tester, open prices, {m1:,} M1 bars, ma_cross on M1",
            rates,
            totals,
            trades,
            "bars",
            ">= 100,000 bars/s",
            "tester_open",
        )
    )
    rates, totals, trades = _passes(
        TesterSettings(Idle.key, "EURUSD", Timeframe.M1, Model.OPEN),
        market,
        lambda r: r.bars,  # type: ignore[attr-defined]
    )
    rows.append(
        _row(
            f"tester, open prices, {m1:,} M1 bars, a strategy that does nothing (the engine's turn)",
            rates,
            totals,
            trades,
            "bars",
            "",
        )
    )
    rates, totals, trades = _passes(
        TesterSettings("ma_cross", "EURUSD", Timeframe.H1, Model.OHLC), market, lambda r: m1
    )
    rows.append(
        _row(
            f"tester, 1-minute OHLC, {m1:,} M1 bars, ma_cross on H1",
            rates,
            totals,
            trades,
            "M1 bars",
            ">= 30,000 bars/s",
        )
    )
    part = MarketHistory("EURUSD", market.spec, bars={Timeframe.M1: market.m1[:50_000]})
    rates, totals, trades = _passes(
        TesterSettings("ma_cross", "EURUSD", Timeframe.H1, Model.EVERY_TICK),
        part,
        lambda r: r.ticks,  # type: ignore[attr-defined]
    )
    rows.append(
        _row(
            "tester, every tick from 50,000 M1 bars, ma_cross on H1",
            rates,
            totals,
            trades,
            "ticks",
            "",
        )
    )
    ticks = MarketHistory(
        "EURUSD", market.spec, bars={Timeframe.M1: market.m1[:10]}, ticks=_ticks()
    )
    rates, totals, trades = _passes(
        TesterSettings("ma_cross", "EURUSD", Timeframe.M1, Model.TICKS),
        ticks,
        lambda r: r.ticks,  # type: ignore[attr-defined]
    )
    rows.append(
        _row(
            f"tester, real ticks, {TICKS:,} ticks, ma_cross on M1",
            rates,
            totals,
            trades,
            "ticks",
            ">= 200,000 ticks/s",
        )
    )
    return rows


def bench_report() -> Row:
    rng = np.random.default_rng(1)
    deals: list[Fill] = []
    start = 1_577_836_800_000
    for i in range(10_000):
        at = start + i * 3_600_000
        side = Side.BUY if i % 2 else Side.SELL
        profit = round(float(rng.normal(2, 30)), 2)
        deals.append(
            Fill("c", 2 * i, i, "EURUSD", side, 0.1, 1.1, at, commission=-0.7, realized_pnl=-0.7)
        )
        deals.append(
            Fill("c", 2 * i + 1, i, "EURUSD", side.opposite, 0.1, 1.1, at + 1_800_000,
                 closes_position=True, realized_pnl=profit, commission=-0.7)
        )  # fmt: skip
    samples = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(RUNS):
            started = time.perf_counter()
            report = build_report(deals, deposit=10_000, currency="USD", points={"EURUSD": 1e-5})
            write_html(report, Path(folder) / "report.html")
            samples.append((time.perf_counter() - started) * 1000)
    assert report.figures.trades == 10_000
    return Row(
        metric="report of 10,000 trades, with its HTML file",
        value=min(samples),
        unit="ms",
        target="< 1 s",
        text=f"{min(samples):,.0f} ms (median {statistics.median(samples):,.0f})",
    )


def main() -> None:
    rows = bench_models()
    rows.append(bench_report())
    emit("Strategy Tester", rows)


if __name__ == "__main__":
    sys.exit(main())
