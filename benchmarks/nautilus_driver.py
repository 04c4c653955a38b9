"""Measures NautilusTrader's BacktestEngine on the tester benchmark's bars.

Runs ONLY inside the virtual environment ``run_all.py`` creates for it
(``benchmarks/.nautilus-venv``; NautilusTrader is never a dependency of
Tradeterm). It imports nothing from this repository and copies no NautilusTrader
code: it drives its public API — a simulated FX venue, ``BarDataWrangler``, the
``EMACross`` example strategy (EMA 10/30, as the issue measured) with the risk
engine on (its default) — and prints one JSON object.

    <nautilus-venv>/bin/python benchmarks/nautilus_driver.py BARS.csv [RUNS]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from decimal import Decimal

import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.examples.strategies.ema_cross import EMACross, EMACrossConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId, Venue
from nautilus_trader.model.objects import Money
from nautilus_trader.persistence.wranglers import BarDataWrangler
from nautilus_trader.test_kit.providers import TestInstrumentProvider


def one_run(frame: pd.DataFrame) -> tuple[float, int, int]:
    venue = Venue("SIM")
    engine = BacktestEngine(
        config=BacktestEngineConfig(
            trader_id=TraderId("BENCH-001"), logging=LoggingConfig(log_level="ERROR")
        )
    )
    engine.add_venue(
        venue=venue,
        oms_type=OmsType.HEDGING,
        account_type=AccountType.MARGIN,
        base_currency=USD,
        starting_balances=[Money(1_000_000, USD)],
    )
    instrument = TestInstrumentProvider.default_fx_ccy("EUR/USD", venue)
    engine.add_instrument(instrument)
    bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")
    bars = BarDataWrangler(bar_type, instrument).process(frame)
    engine.add_data(bars)
    engine.add_strategy(
        EMACross(
            EMACrossConfig(
                instrument_id=instrument.id,
                bar_type=bar_type,
                trade_size=Decimal(10_000),
                fast_ema_period=10,
                slow_ema_period=30,
                request_bars=False,
            )
        )
    )
    started = time.perf_counter()
    engine.run()
    seconds = time.perf_counter() - started
    fills = len(engine.trader.generate_order_fills_report())
    engine.dispose()
    return seconds, len(bars), fills


def main() -> None:
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    raw = pd.read_csv(path)
    frame = raw[["open", "high", "low", "close", "volume"]].astype("float64")
    frame.index = pd.to_datetime(raw["time"], unit="s", utc=True)
    rates, fills = [], 0
    for _ in range(runs):
        seconds, count, fills = one_run(frame)
        rates.append(count / seconds)
    import nautilus_trader

    print(
        json.dumps(
            {
                "engine": f"NautilusTrader {nautilus_trader.__version__}",
                "rules": "EMA 10/30 cross, risk engine on",
                "bars": len(frame),
                "best_bars_per_s": max(rates),
                "median_bars_per_s": statistics.median(rates),
                "fills": fills,
            }
        )
    )


if __name__ == "__main__":
    main()
