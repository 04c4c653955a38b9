"""Order latency: from the key press to the order arriving at the (paper) broker.

Run offscreen from the repository root:

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_order_latency.py [--runs 300]

A real main window and a real engine thread with the paper broker, one-click
trading on (a confirmation dialog would measure the trader, not the terminal).
The broker stamps ``time.perf_counter()`` when ``submit`` is entered (in the
engine thread); the key press is stamped just before QTest delivers it. So the
figure covers the shortcut or command-line parse, the preview, the queued
signal to the engine thread, validation and the risk gate. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import PySide6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.brokers.base import ExecutionReport
from app.brokers.sim.broker import SimBroker
from app.domain.risk_limits import RiskLimits
from app.domain.trading import OrderRequest
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.ui.main_window import MainWindow

# Every limit that would stop hundreds of quick paper orders is switched off (0).
LIMITS = RiskLimits(
    max_order_volume=0,
    max_order_notional=0,
    max_net_volume=0,
    max_total_exposure=0,
    max_open_positions=0,
    max_working_orders=0,
    max_orders_per_second=0,
    max_orders_per_minute=0,
    max_daily_loss=0,
    max_drawdown_pct=0,
    min_margin_level_pct=0,
)


class StampingBroker(SimBroker):
    """The paper broker, noting when each order reaches it."""

    def __init__(self) -> None:
        super().__init__(symbols=["EURUSD", "GBPUSD"], seed=1, balance=10_000_000)
        self.arrivals: list[float] = []

    def submit(self, request: OrderRequest) -> ExecutionReport:
        self.arrivals.append(time.perf_counter())
        return super().submit(request)


def wait_for(app: QApplication, condition: object, timeout: float = 5.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():  # type: ignore[operator]
        if time.perf_counter() > end:
            raise TimeoutError("the order never reached the broker")
        app.processEvents()


def measure(app: QApplication, window: MainWindow, broker: StampingBroker, how: str, runs: int):  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    line = window.ticket.command
    for _ in range(runs):
        before = len(broker.arrivals)
        if how == "Ctrl+B":
            window.positions.setFocus()
            pressed = time.perf_counter()
            QTest.keyClick(window.positions, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
        else:
            line.setFocus()
            QTest.keyClicks(line, "b 0.01 gbpusd sl 30p")
            pressed = time.perf_counter()
            QTest.keyClick(line, Qt.Key.Key_Return)
        wait_for(app, lambda b=before: len(broker.arrivals) > b)
        latencies.append(broker.arrivals[before] - pressed)
        app.processEvents()
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300, help="orders per row")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    bus = EventBus()
    brokers: list[StampingBroker] = []

    def factory() -> StampingBroker:
        brokers.append(StampingBroker())
        return brokers[-1]

    host = EngineHost(Engine(bus, factory, risk_limits=LIMITS), bus)
    window = MainWindow(bus, default_symbol="EURUSD", default_volume=0.01, one_click_trading=True)
    window.show()
    host.start()
    wait_for(app, lambda: bool(brokers) and window.ticket.quote.text() != "—", timeout=15)
    broker = brokers[0]
    measure(app, window, broker, "Ctrl+B", 20)  # warm-up
    rows = [(how, measure(app, window, broker, how, args.runs)) for how in ("Ctrl+B", "typed")]
    host.stop()

    print(f"Order latency, key press → broker.submit (paper), {args.runs} orders per row")
    print(
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"PySide6 {PySide6.__version__}, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}\n"
    )
    print("| input | p50 ms | p99 ms | mean ms | max ms |")
    print("|---|---|---|---|---|")
    for how, values in rows:
        label = "Ctrl+B (market buy)" if how == "Ctrl+B" else "Enter on `b 0.01 gbpusd sl 30p`"
        ms = [v * 1000 for v in values]
        print(
            f"| {label} | {percentile(ms, 0.5):.2f} | {percentile(ms, 0.99):.2f} | "
            f"{statistics.fmean(ms):.2f} | {max(ms):.2f} |"
        )


if __name__ == "__main__":
    main()
