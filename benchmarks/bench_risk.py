"""Risk gate benchmark: cost of checking one order with every rule on.

Run from the repository root:

    python benchmarks/bench_risk.py

With 0, 50 and 500 open positions (and 10 working orders), it times
``RiskGate.check`` on a market order and a pending order, and the per-tick and
per-frame work, then prints a markdown table. The gate must stay far below a
millisecond per order: the positions are summarised once per broker sync
(``Book.build``), never per order.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.brokers.sim.broker import DEFAULT_MARKETS
from app.domain.enums import OrderType, Side
from app.domain.market import Tick
from app.domain.risk_limits import RiskLimits, SymbolLimits, TradingHours
from app.domain.trading import AccountState, OrderRequest, Position, WorkingOrder
from app.engine.risk_gate import Book, RiskContext, RiskGate

RUNS = 5_000
LIMITS = RiskLimits(
    max_open_positions=10_000,
    max_working_orders=10_000,
    max_orders_per_second=0,  # the throttle is timed, but never refuses in the loop
    max_orders_per_minute=0,
    max_net_volume=10_000,
    max_total_exposure=1e12,
    max_order_notional=1e9,
    min_margin_level_pct=1,
    allowed_symbols=tuple(DEFAULT_MARKETS),
    trading_hours=TradingHours.parse(
        {
            d: ["00:00-24:00"]
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        }
    ),
    symbols={"XAUUSD": SymbolLimits(max_order_volume=1.0, max_spread_points=500)},
)


def _setup(n_positions: int) -> tuple[RiskGate, RiskContext]:
    specs = {name: m.spec for name, m in DEFAULT_MARKETS.items()}
    now = time.time()
    quotes = {
        name: Tick(
            name, int(now * 1000), m.start_price, m.start_price + m.spread_points * m.spec.point
        )
        for name, m in DEFAULT_MARKETS.items()
    }
    gate = RiskGate(LIMITS)
    for name, tick in quotes.items():
        for _ in range(LIMITS.spread_window):
            gate.on_tick(tick, specs[name])
    names = list(specs)
    positions = [
        Position(
            i,
            names[i % len(names)],
            Side.BUY if i % 3 else Side.SELL,
            0.01,
            quotes[names[i % len(names)]].bid,
            0,
            0,
            0,
        )
        for i in range(n_positions)
    ]
    orders = [
        WorkingOrder(10_000 + i, "c", "EURUSD", Side.BUY, OrderType.LIMIT, 0.01, 1.0, 0)
        for i in range(10)
    ]
    account = AccountState("USD", 1e7, 1e7, 1e4, 1e7 - 1e4, 0, 0, 100)
    ctx = RiskContext(specs, quotes, "USD", 100, account, Book.build(positions, orders))
    gate.on_equity(1e7)
    return gate, ctx


def _time(action, runs: int = RUNS) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        action()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000


def main() -> None:
    market = OrderRequest("c", "EURUSD", Side.BUY, 0.1)
    pending = OrderRequest("c", "GBPUSD", Side.SELL, 0.1, OrderType.LIMIT, 1.28)
    print(f"Python {platform.python_version()} on {platform.machine()}, {RUNS} runs each\n")
    print(
        "| open positions | market order p50 / p99 (µs) | pending order p50 / p99 (µs) "
        "| Book.build (µs) | tick (µs) | panel snapshot (µs) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n in (0, 50, 500):
        gate, ctx = _setup(n)
        assert gate.check(market, ctx) is None and gate.check(pending, ctx) is None
        m50, m99 = _time(lambda g=gate, c=ctx: g.check(market, c))
        p50, p99 = _time(lambda g=gate, c=ctx: g.check(pending, c))
        positions = [Position(i, "EURUSD", Side.BUY, 0.01, 1.0, 1.0, 0, 0) for i in range(n)]
        b50, _ = _time(lambda ps=positions: Book.build(ps, ()), runs=500)
        tick = ctx.quotes["EURUSD"]
        spec = ctx.specs["EURUSD"]
        t50, _ = _time(lambda g=gate, t=tick, s=spec: g.on_tick(t, s))
        s50, _ = _time(lambda g=gate, c=ctx: g.snapshot(c), runs=1000)
        print(
            f"| {n} | {m50:.1f} / {m99:.1f} | {p50:.1f} / {p99:.1f} | {b50:.1f} "
            f"| {t50:.2f} | {s50:.1f} |"
        )


if __name__ == "__main__":
    main()
