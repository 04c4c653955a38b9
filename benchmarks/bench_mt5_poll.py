"""How long one engine poll of Mt5Broker takes against the fake terminal.

Measures one poll (4 symbols: terminal_info, copy_ticks_from + dedupe per symbol,
positions/orders compare) including the fake's own in-process cost but no real IPC,
so it bounds the adapter's overhead; a real terminal adds its pipe round trips.
Run: ``.venv/bin/python -m benchmarks.bench_mt5_poll`` from the repository root.
"""

from __future__ import annotations

import statistics
import time

from app.brokers.mt5.broker import Mt5Broker
from app.settings import Mt5Settings
from tests.fakes import metatrader5 as mt5

SYMBOLS = ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"]


class Clock:
    now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def measure(ticks_per_second: float, polls: int = 300, interval: float = 0.02) -> list[float]:
    clock = Clock()
    mt5.control.reset(clock=clock, ticks_per_second=ticks_per_second, history_bars=100)
    broker = Mt5Broker(mt5, Mt5Settings(), SYMBOLS, clock=clock)
    broker.connect()
    out = []
    for _ in range(polls):
        clock.now += interval
        mt5.control.quote("EURUSD")  # let the fake generate this interval's ticks first
        start = time.perf_counter()
        broker.poll()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    print("| ticks/s per symbol | polls | median ms/poll | p95 ms/poll |")
    print("|---:|---:|---:|---:|")
    for rate in (4, 100, 1000):
        times = sorted(measure(rate))
        p95 = times[int(len(times) * 0.95)]
        print(f"| {rate} | {len(times)} | {statistics.median(times):.3f} | {p95:.3f} |")


if __name__ == "__main__":
    main()
