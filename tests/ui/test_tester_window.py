"""The Strategy Tester window, driven as a trader drives it, with a real worker process.

Every run here goes through the window's real runner: a spawned process that
loads the strategies and a temporary history store, runs the pass and sends
the result back. The data is small (3,000 H1 bars; 30,000 M1 bars for the one
run that must last long enough to be cancelled).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from app.domain.timeframes import Timeframe
from app.history import HistoryStore
from app.strategies.catalog import load_catalog
from app.tester import Model, TesterSettings, load_history, run_test
from app.tester.command import TestRequest, run_test_command
from app.ui.tester.report_view import ReportView
from app.ui.tester.window import StrategyTesterWindow
from tests.tester.conftest import bars
from tests.ui.conftest import Terminal

RUN_TIMEOUT_MS = 180_000  # a spawned worker imports numpy, pyarrow and TA-Lib first


def _walk(n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.002, n))), 5).tolist()


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """EURUSD: 3,000 H1 bars from 2024-01-01; GBPUSD: 30,000 M1 bars of 60 ticks each."""
    root = tmp_path / "history"
    store = HistoryStore(root)
    store.write_bars("EURUSD", Timeframe.H1, bars(_walk(3000, 11), spread=5))
    store.write_bars(
        "GBPUSD",
        Timeframe.M1,
        bars(_walk(30_000, 12), timeframe=Timeframe.M1, spread=8, tick_volume=60),
    )
    return root


@pytest.fixture
def make_window(
    qtbot: QtBot, tmp_path: Path, history: Path
) -> Iterator[Callable[..., StrategyTesterWindow]]:
    made: list[StrategyTesterWindow] = []

    def make(ask_path: Callable[[str, str, str], Path | None] = lambda *_: None):
        window = StrategyTesterWindow(
            history_root=history, strategies_folder=tmp_path / "strategies", ask_path=ask_path
        )
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        qtbot.waitUntil(lambda: window.inventory is not None, timeout=60_000)
        return window

    yield make
    for window in made:  # no worker outlives its window
        spare = window.runner.spare
        window.shutdown()
        if spare is not None:
            spare.join(timeout=10)
            assert not spare.is_alive()


def _choose(window: StrategyTesterWindow, *, symbol: str = "EURUSD", timeframe: str = "H1"):
    form = window.settings_form
    form.strategy.setCurrentIndex(form.strategy.findData("ma_cross"))
    form.symbol.setCurrentText(symbol)
    form.timeframe.setCurrentText(timeframe)


def _dates(window: StrategyTesterWindow, first: str, last: str) -> None:
    window.settings_form.start.setDate(QDate.fromString(first, "yyyy-MM-dd"))
    window.settings_form.end.setDate(QDate.fromString(last, "yyyy-MM-dd"))


def _cli_summary(history: Path, *words: str) -> re.Match[str]:
    out, err = StringIO(), StringIO()
    request = TestRequest(
        "ma_cross", "EURUSD", "H1", start="2024-01-05", end="2024-03-31",
        commission="7", deposit="5000", params=("fast=8",),
    )  # fmt: skip
    code = run_test_command(
        request, store=HistoryStore(history), catalog=load_catalog(None), out=out, err=err
    )
    assert code == 0, err.getvalue()
    found = re.search(
        r"Trades ([\d,]+) \(won [\d.]+ %\), net profit (-?[\d,.]+) USD, profit factor "
        r"([\d.]+), max equity drawdown ([\d,.]+) \(([\d.]+) %\), Sharpe (-?[\d.]+)",
        out.getvalue(),
    )
    assert found, out.getvalue()
    return found


def test_a_run_in_the_worker_shows_the_figures_tradeterm_test_prints(
    qtbot: QtBot, make_window: Callable[..., StrategyTesterWindow], history: Path
) -> None:
    cli = _cli_summary(history)
    window = make_window()
    # The first strategy offered is the Strategies panel's first: the catalogue's order.
    form = window.settings_form
    assert form.strategy_key() == "ma_cross"
    assert [form.strategy.itemData(i) for i in range(form.strategy.count())][:3] == [
        "ma_cross",
        "donchian_breakout",
        "rsi_reversion",
    ]
    _choose(window)
    _dates(window, "2024-01-05", "2024-03-31")
    window.settings_form.commission.setValue(7)
    window.settings_form.deposit.setValue(5000)
    window.params_form.editors["fast"].setText("8")

    spare = window.runner.spare  # started when the window showed, waiting for a job
    assert spare is not None
    qtbot.mouseClick(window.start_button, Qt.MouseButton.LeftButton)
    assert window.runner.running and window.runner.process is spare
    assert not window.start_button.isEnabled() and window.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=RUN_TIMEOUT_MS)

    assert window.result is not None, window.message.text()
    assert window.message.text().startswith(f"Finished: {cli.group(1)} trades")
    # How long, said once: the replay's own time, then the whole run's (loading too).
    assert re.search(
        r"; [\d,]+ bars replayed in [\d.]+ s; run done in [\d.]+ s$", window.message.text()
    ), window.message.text()
    assert window.eta.text() == ""
    assert window.report_view.title.text() == "Test of ma_cross on EURUSD H1, Open prices only"
    assert window.tabs.currentWidget() is window.report_view
    report = window.report_view
    assert report.figure("Total trades") == cli.group(1)
    assert report.figure("Total net profit") == cli.group(2)
    assert report.figure("Profit factor") == cli.group(3)
    assert report.figure("Equity drawdown maximal") == f"{cli.group(4)} ({cli.group(5)} %)"
    assert report.figure("Sharpe ratio") == cli.group(6)
    assert report.figure("Initial deposit") == "5,000.00"
    trades = int(cli.group(1).replace(",", ""))
    assert report.trades_model.rowCount() == trades
    assert "fast=8" in report.settings_line.text()
    # The chart: the tested H1 bars (5 Jan to 31 Mar), a marker at each entry and exit.
    chart = window.chart
    assert len(chart.candles) == (31 + 29 + 31 - 4) * 24
    assert chart.entry_count == chart.exit_count == trades
    first = report.trades_model.trades[0]
    assert chart.candles.time[0] == 1_704_412_800  # 2024-01-05 00:00 UTC
    assert first.entry_time_msc is not None and first.entry_time_msc >= 1_704_412_800_000
    # Enter (or a double-click) on a trade in the report shows it on the chart.
    report.tabs.setCurrentWidget(report.trades_view)
    view = report.trades_view
    view.setFocus()
    view.setCurrentIndex(report.trades_model.index(trades - 1, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is chart
    (x0, x1), _ = chart.plot.getPlotItem().getViewBox().viewRange()
    entry_msc = report.trades_model.trades[-1].entry_time_msc
    assert entry_msc is not None
    entry = entry_msc // 1000
    entry_bar = int(np.searchsorted(chart.candles.time, entry, side="right")) - 1
    assert x0 < entry_bar < x1 and x1 - x0 < 1000
    # The worker ran one job and ended; a fresh one waits for the next Start, while shown.
    spare.join(timeout=10)
    assert spare.exitcode == 0
    qtbot.waitUntil(lambda: window.runner.spare is not None)
    assert window.runner.spare is not spare
    window.hide()
    assert window.runner.spare is None


def test_cancel_mid_run_stops_the_worker_and_keeps_nothing(
    qtbot: QtBot, make_window: Callable[..., StrategyTesterWindow]
) -> None:
    window = make_window()
    _choose(window, symbol="GBPUSD", timeframe="M15")
    form = window.settings_form
    form.model.setCurrentIndex(form.model.findData(str(Model.EVERY_TICK)))  # 1.8 M prices
    assert window.start()
    worker = window.runner.process
    qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=RUN_TIMEOUT_MS)
    assert window.progress.value() < 1000 and "left" in window.eta.text()

    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.running, timeout=30_000)

    assert window.message.text() == "Test cancelled; nothing was kept"
    assert window.result is None and window.report_view.report is None
    worker.join(timeout=10)
    assert worker.exitcode == 0  # it stopped by itself, at a chunk's end: not terminated
    assert window.start_button.isEnabled() and not window.cancel_button.isEnabled()


def test_bad_input_is_one_line_and_starts_nothing(
    qtbot: QtBot, make_window: Callable[..., StrategyTesterWindow]
) -> None:
    window = make_window()
    _choose(window)
    fast = window.params_form.editors["fast"]
    fast.setText("1")
    message = window.params_form.messages["fast"]
    assert message.isVisibleTo(window) and message.text() == "must be at least 2 (got 1)"
    qtbot.mouseClick(window.start_button, Qt.MouseButton.LeftButton)
    assert window.message.text() == "MA cross fast: must be at least 2 (got 1)"
    assert not window.runner.running and window.runner.process is None

    fast.setText("45")  # a rule between two parameters, named at the one it blames
    assert window.params_form.messages["fast"].text() == "must be below slow (30) (got 45)"
    assert not window.start()
    assert window.message.text() == "MA cross fast: must be below slow (30) (got 45)"

    fast.setText("10")
    assert not window.params_form.messages["fast"].isVisibleTo(window)
    _dates(window, "2030-01-01", "2030-02-01")
    assert not window.start()
    assert window.message.text() == (
        "no EURUSD H1 bars between 2030-01-01 and 2030-02-01 (stored: 2024-01-01 to 2024-05-04)"
    )
    form = window.settings_form
    form.model.setCurrentIndex(form.model.findData(str(Model.OHLC)))
    assert not window.start()
    assert window.message.text() == (
        "the 1-minute OHLC model needs M1 bars of EURUSD; none are stored (import or download them)"
    )
    assert not window.runner.running and window.runner.process is None
    assert window.result is None


def test_the_report_view_exports_the_html_and_the_csv(qtbot: QtBot, history: Path) -> None:
    market = load_history(HistoryStore(history), "EURUSD")
    settings = TesterSettings("ma_cross", "EURUSD", Timeframe.H1, Model.OPEN)
    report = run_test(settings, market, load_catalog(None)).report
    target = history.parent / "out"
    target.mkdir()
    asked: list[str] = []

    def ask(caption: str, suggested: str, file_filter: str) -> Path:
        asked.append(suggested)
        return target / suggested

    view = ReportView(ask_path=ask)
    qtbot.addWidget(view)
    assert not view.html_button.isEnabled()
    view.set_report(report)
    qtbot.mouseClick(view.html_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text().startswith("Report written"), timeout=30_000)
    page = (target / "report.html").read_text(encoding="utf-8")
    net = f"{report.figures.net_profit:,.2f}"
    assert "Total net profit" in page and net in page and "data:image/svg+xml" in page
    assert view.figure("Total net profit") == net

    qtbot.mouseClick(view.csv_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text().startswith("Trades written"), timeout=30_000)
    rows = (target / "trades.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == report.figures.trades + 1
    assert (target / "trades.figures.csv").exists()
    assert asked == ["report.html", "trades.csv"]


def test_the_view_menu_and_ctrl_shift_r_open_the_tester(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    window = make_terminal().window
    assert window.tester_action in window.view_menu.actions()
    qtbot.keyClick(
        window,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    tester = window.tester_window
    assert tester is not None
    qtbot.waitUntil(tester.isVisible)
    qtbot.waitUntil(lambda: tester.inventory is not None, timeout=60_000)
    assert tester.settings_form.strategy.findData("ma_cross") >= 0  # the built-ins loaded
    tester.close()
    window.tester_action.trigger()
    assert window.tester_window is tester and tester.isVisible()
    spare = tester.runner.spare
    assert spare is not None
    window.close()  # quitting the terminal stops the tester's workers
    assert tester.runner.spare is None
    spare.join(timeout=10)
    assert not spare.is_alive()
