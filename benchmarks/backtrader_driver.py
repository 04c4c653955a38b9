"""Measures backtrader's Cerebro on the tester benchmark's bars.

Runs ONLY inside the virtual environment ``run_all.py`` creates for it
(``benchmarks/.backtrader-venv``; backtrader is never a dependency of
Tradeterm). It imports nothing from this repository and copies no backtrader
code: an SMA 10/30 cross written against its public API (close, then buy on a
cross up, sell on a cross down; market orders fill at the next bar's open),
fed the same bars, and prints one JSON object.

    <backtrader-venv>/bin/python benchmarks/backtrader_driver.py BARS.csv [RUNS]
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from datetime import UTC, datetime

import backtrader as bt


class Rows(bt.feed.DataBase):  # type: ignore[misc]
    """Bars from a list of ``(epoch s, open, high, low, close, volume)``."""

    params = (("rows", ()),)

    def start(self) -> None:
        super().start()
        self._at = 0

    def _load(self) -> bool:
        rows = self.p.rows
        if self._at >= len(rows):
            return False
        t, o, h, low, c, v = rows[self._at]
        self._at += 1
        lines = self.lines
        lines.datetime[0] = bt.date2num(datetime.fromtimestamp(t, UTC).replace(tzinfo=None))
        lines.open[0], lines.high[0], lines.low[0], lines.close[0] = o, h, low, c
        lines.volume[0], lines.openinterest[0] = v, 0.0
        return True


class SmaCross(bt.Strategy):  # type: ignore[misc]
    def __init__(self) -> None:
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=10), bt.ind.SMA(period=30))
        self.fills = 0

    def notify_order(self, order: bt.Order) -> None:
        if order.status == order.Completed:
            self.fills += 1

    def next(self) -> None:
        if self.cross[0] > 0:
            self.close()
            self.buy(size=10_000)
        elif self.cross[0] < 0:
            self.close()
            self.sell(size=10_000)


def one_run(rows: list[tuple[float, ...]]) -> tuple[float, int]:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(Rows(rows=rows))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(1_000_000)
    started = time.perf_counter()
    (strategy,) = cerebro.run()
    return time.perf_counter() - started, strategy.fills


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with open(path, encoding="ascii") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [(int(r[0]), *(float(x) for x in r[1:])) for r in reader]
    rates, fills = [], 0
    for _ in range(runs):
        seconds, fills = one_run(rows)
        rates.append(len(rows) / seconds)
    print(
        json.dumps(
            {
                "engine": f"backtrader {bt.__version__}",
                "rules": "SMA 10/30 cross",
                "bars": len(rows),
                "best_bars_per_s": max(rates),
                "median_bars_per_s": statistics.median(rates),
                "fills": fills,
            }
        )
    )


if __name__ == "__main__":
    main()
