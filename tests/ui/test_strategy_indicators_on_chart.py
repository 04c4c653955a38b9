"""A strategy instance's indicators on a chart (Ctrl+G in the Strategies panel).

Driven on a real window with the engine thread and the paper broker: the built-in
``ma_cross`` is attached and started from the panel's form; its two SMAs then go
onto the chart of its symbol and timeframe, with the library's numbers on that
chart's bars.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.timeframes import Timeframe
from app.ui.main_window import MainWindow
from tests.ui.conftest import Terminal
from tests.ui.test_chart_studies import assert_equals_batch

NAME = "ma_cross#1"


def _attach_ma_cross(qtbot: QtBot, window: MainWindow, timeframe: Timeframe, start: bool) -> None:
    panel = window.strategies
    listed = panel.available

    def row() -> int | None:
        texts = [listed.item(i).text() for i in range(listed.count())]
        return next((i for i, t in enumerate(texts) if "(ma_cross)" in t), None)

    qtbot.waitUntil(lambda: row() is not None, timeout=15_000)
    listed.setCurrentRow(row())
    form = panel.attach()
    assert form is not None
    form.timeframe.setCurrentText(timeframe.name)
    form.start_now.setChecked(start)
    form.submit()
    qtbot.waitUntil(lambda: panel.model.row_of(NAME) is not None, timeout=15_000)


def _ctrl_g(qtbot: QtBot, window: MainWindow) -> str:
    panel = window.strategies
    window.show_panel("strategies")
    panel.select(NAME)
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus, timeout=5_000)
    qtbot.keyClick(panel.table, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    return panel.last_message


def test_ctrl_g_draws_a_running_instance_s_smas_on_a_chart_of_its_symbol_and_timeframe(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    window = make_terminal(strategy_files={}).window
    first = window.workspace.active
    assert first.chart.timeframe is not Timeframe.H1
    _attach_ma_cross(qtbot, window, Timeframe.H1, start=True)
    panel = window.strategies

    def status_has_indicators() -> bool:
        row = panel.model.row_of(NAME)
        return row is not None and bool(panel.model.status_at(row).indicators)

    qtbot.waitUntil(status_has_indicators, timeout=15_000)
    said = _ctrl_g(qtbot, window)
    # No chart showed EURUSD H1: one is opened, made active, and draws SMA 10 and SMA 30.
    chart_window = window.workspace.active
    assert chart_window is not first and len(window.workspace.windows) == 2
    chart = chart_window.chart
    assert chart.timeframe is Timeframe.H1
    specs = [(s.spec.name, s.spec.params["period"]) for s in chart.studies.studies]
    assert specs == [("sma", 10), ("sma", 30)]
    # Fast and slow told apart at a glance: not the same colour.
    fast, slow = (s.spec.resolved_style().colours[0] for s in chart.studies.studies)
    assert fast != slow
    assert said.startswith(f"{NAME}'s indicators on the EURUSD H1 chart: ")
    assert window.statusBar().currentMessage() == said
    # The numbers: the library's batch over the chart's own bars, at every bar.
    qtbot.waitUntil(lambda: chart.symbol == "EURUSD" and chart.bar_count > 30, timeout=15_000)
    assert_equals_batch(chart)
    # The keys stayed in the Strategies panel; again, nothing is drawn twice.
    qtbot.waitUntil(panel.table.hasFocus, timeout=5_000)
    again = _ctrl_g(qtbot, window)
    assert len(chart.studies.studies) == 2 and len(window.workspace.windows) == 2
    assert again == f"{NAME}'s indicators are on the EURUSD H1 chart already"


def test_ctrl_g_on_an_instance_that_has_not_started_says_so_and_draws_nothing(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    window = make_terminal(strategy_files={}).window
    _attach_ma_cross(qtbot, window, Timeframe.M1, start=False)
    said = _ctrl_g(qtbot, window)
    assert said == f"{NAME} shows its indicators once it has started (F5)"
    assert all(not w.chart.studies.studies for w in window.workspace.windows)
    assert len(window.workspace.windows) == 1
