"""The Strategies panel on a real main window, a real engine thread and the paper broker.

The strategy host is installed on the engine as the application does it, with a
user strategies folder that holds one good file and one broken one.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QSpinBox
from pytestqt.qtbot import QtBot

from app.brokers.sim.broker import SimBroker
from app.domain.strategies import (
    StrategyConfig,
    StrategyState,
    StrategyStatus,
)
from app.domain.timeframes import Timeframe
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.strategies.setup import install_strategies
from app.ui.main_window import MainWindow
from app.ui.panels.strategies import StrategiesPanel

TICK_BUYER = '''
from app.domain.market import Tick
from app.strategies.base import Strategy
from app.strategies.params import StrategyParams, param


class TickBuyer(Strategy):
    """Buys once at its first live tick; for the panel's tests."""

    key = "tick_buyer"
    title = "Tick buyer"

    class Params(StrategyParams):
        indicator = "Tick buyer"
        volume: float = param(0.1, ge=0.01, le=5, step=0.01, title="Lots")

    def on_tick(self, tick: Tick) -> None:
        if not self.positions() and not self.state.get("bought"):
            self.state["bought"] = True
            self.buy(self.params.volume)
            self.log("bought at the first tick")
'''


@dataclass
class Desk:
    window: MainWindow
    bus: EventBus
    asked: list[str]

    @property
    def panel(self) -> StrategiesPanel:
        return self.window.strategies

    def status(self, name: str) -> StrategyStatus | None:
        row = self.panel.model.row_of(name)
        return self.panel.model.status_at(row) if row is not None else None

    def cell(self, name: str, column: int) -> str:
        row = self.panel.model.row_of(name)
        assert row is not None, f"{name} is not in the table"
        return str(self.panel.model.index(row, column).data())


@pytest.fixture
def desk(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[[], Desk]]:
    hosts: list[EngineHost] = []

    def make() -> Desk:
        folder = tmp_path / "strategies"
        folder.mkdir()
        (folder / "tick_buyer.py").write_text(textwrap.dedent(TICK_BUYER), encoding="utf-8")
        (folder / "broken.py").write_text("import nothing_of_this_name\n", encoding="utf-8")
        bus = EventBus()
        engine = Engine(bus, lambda: SimBroker(seed=5, ticks_per_second=30, history_bars=400))
        install_strategies(engine.core, tmp_path)  # as the application does, before the thread
        host = EngineHost(engine, bus)
        asked: list[str] = []

        def confirm(_title: str, text: str) -> bool:
            asked.append(text)
            return True

        window = MainWindow(
            bus,
            default_symbol="EURUSD",
            default_volume=0.1,
            state_file=tmp_path / "window.ini",
            confirm=confirm,
        )
        window.closing.connect(host.stop)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        host.start()
        hosts.append(host)
        panel = window.strategies
        qtbot.waitUntil(lambda: len(panel.catalog.available) >= 4, timeout=15_000)
        qtbot.waitUntil(lambda: bool(window.desk.specs), timeout=10_000)
        return Desk(window, bus, asked)

    yield make
    for host in hosts:
        host.stop()


def _focus_panel(qtbot: QtBot, d: Desk) -> None:
    d.window.activateWindow()  # a closed form leaves no active window offscreen
    qtbot.waitUntil(d.window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(
        d.window,
        Qt.Key.Key_T,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert d.window.docks["strategies"].isVisible()


def _key(
    qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key, modifiers)


def test_the_catalogue_lists_every_strategy_and_the_file_that_failed_with_its_reason(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    listed = [d.panel.available.item(i).text() for i in range(d.panel.available.count())]
    for title in ("Moving-average cross (ma_cross)", "Tick buyer (tick_buyer)"):
        assert any(title in line for line in listed), listed
    [broken] = [line for line in listed if line.startswith("Not loaded:")]
    assert "broken.py" in broken and "nothing_of_this_name" in broken
    assert "\n" not in broken  # one line


def test_attach_from_the_keyboard_refuses_bad_parameters_in_the_form_then_runs(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    panel = d.panel
    _focus_panel(qtbot, d)
    ma = [
        i for i in range(panel.available.count()) if "(ma_cross)" in panel.available.item(i).text()
    ]
    panel.available.setCurrentRow(ma[0])
    panel.available.setFocus()
    _key(qtbot, Qt.Key.Key_Insert)
    form = panel.form
    assert form is not None and form.isVisible() and form.descriptor.key == "ma_cross"
    # The form is generated from the parameter model: kinds, ranges and defaults.
    fast, slow, volume = form.params["fast"], form.params["slow"], form.params["volume"]
    assert isinstance(fast, QSpinBox) and (fast.minimum(), fast.maximum(), fast.value()) == (
        2,
        500,
        10,
    )
    assert isinstance(volume, QDoubleSpinBox) and volume.decimals() == 2
    assert isinstance(slow, QSpinBox)
    fast.setValue(50)
    slow.setValue(20)
    form.timeframe.setCurrentText("M1")
    form.start_now.setChecked(True)
    form.submit()
    qtbot.waitUntil(lambda: form.problem.isVisible(), timeout=10_000)
    # Said once: the form is the strategy's own, so not "ma_cross: MA cross fast: …".
    assert form.problem.text() == "fast: must be below slow (20) (got 50)"
    assert form.isVisible() and panel.model.rowCount() == 0  # nothing was stored
    slow.setValue(60)
    form.submit()
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: d.status("ma_cross#1") is not None, timeout=10_000)
    qtbot.waitUntil(lambda: d.cell("ma_cross#1", 4) == "running", timeout=10_000)
    assert d.cell("ma_cross#1", 1) == "EURUSD" and d.cell("ma_cross#1", 2) == "M1"
    assert "fast=50" in d.cell("ma_cross#1", 3) and "slow=60" in d.cell("ma_cross#1", 3)
    assert d.cell("ma_cross#1", 4) == "running"
    qtbot.waitUntil(panel.table.hasFocus, timeout=5_000)  # the keys act on the new row at once


def test_start_stop_edit_and_detach_from_the_keyboard_and_the_context_menu(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    panel = d.panel
    form = panel.attach()
    assert form is not None
    form.timeframe.setCurrentText("M1")
    form.submit()
    qtbot.waitUntil(lambda: d.status("ma_cross#1") is not None, timeout=10_000)
    assert d.cell("ma_cross#1", 4) == "stopped"  # attached, not started: none starts by itself
    _focus_panel(qtbot, d)
    assert panel.table.hasFocus()

    _key(qtbot, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: d.cell("ma_cross#1", 4) == "running", timeout=10_000)
    _key(qtbot, Qt.Key.Key_F5)  # again: says so, sends nothing
    assert panel.last_message == "ma_cross#1 is running already"
    _key(qtbot, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: d.cell("ma_cross#1", 4) == "stopped", timeout=10_000)
    _key(qtbot, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)  # a key always answers
    assert panel.last_message == "ma_cross#1 is not running (stopped)"

    _key(qtbot, Qt.Key.Key_F2)
    edit = panel.form
    assert edit is not None and edit is not form and not edit.symbol.isEnabled()
    assert edit.params["fast"].value() == 10  # type: ignore[union-attr]
    edit.params["fast"].setValue(7)  # type: ignore[union-attr]
    edit.budget["max_open_positions"].setValue(2)  # type: ignore[union-attr]
    edit.autostart.setChecked(True)
    edit.submit()
    qtbot.waitUntil(lambda: not edit.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: "fast=7" in d.cell("ma_cross#1", 3), timeout=10_000)
    status = d.status("ma_cross#1")
    assert status is not None and status.config.budget.max_open_positions == 2
    assert d.cell("ma_cross#1", 4) == "stopped (starts by itself)"

    # The context menu on the row: the same actions, with their keys.
    table = panel.table
    rect = table.visualRect(table.model().index(0, 0))
    table.customContextMenuRequested.emit(rect.center())
    menu = table.last_menu
    assert menu is not None
    texts = [a.text().replace("&", "") for a in menu.actions()]
    assert texts == [
        "Attach…",
        "Start all",
        "Stop all…",
        "Edit parameters…",
        "Start",
        "Stop",
        "Close its positions…",
        "Show its indicators on a chart",
        "Detach…",
    ]
    enabled = {a.text().replace("&", ""): a.isEnabled() for a in menu.actions()}
    # Stopped, holding nothing: what cannot apply is greyed out.
    assert enabled["Start"] and not enabled["Stop"] and not enabled["Close its positions…"]
    start = next(a for a in menu.actions() if a.text() == "&Start")
    menu.close()
    start.trigger()
    qtbot.waitUntil(lambda: d.cell("ma_cross#1", 4) == "running", timeout=10_000)

    _focus_panel(qtbot, d)
    _key(qtbot, Qt.Key.Key_Delete)
    assert d.asked and "Detach ma_cross#1" in d.asked[-1]
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=10_000)


def test_an_instance_shows_its_positions_its_p_and_l_and_its_last_log_lines(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    panel = d.panel
    row = [
        i
        for i in range(panel.available.count())
        if "(tick_buyer)" in panel.available.item(i).text()
    ]
    panel.available.setCurrentRow(row[0])
    form = panel.attach()
    assert form is not None and list(form.params) == ["volume"]
    form.start_now.setChecked(True)
    form.submit()
    name = "tick_buyer#1"
    qtbot.waitUntil(lambda: d.status(name) is not None, timeout=10_000)
    qtbot.waitUntil(lambda: d.cell(name, 6) == "1", timeout=15_000)  # its one position
    number = d.status(name).config.number  # type: ignore[union-attr]
    owned = lambda: [p for p in d.window.desk.positions if p.owner == number]  # noqa: E731
    qtbot.waitUntil(lambda: len(owned()) == 1, timeout=10_000)  # in the Positions tab too
    [position] = owned()
    assert position.volume == pytest.approx(0.1)
    # Today's P&L is its position's floating P&L, refreshed while it runs.
    qtbot.waitUntil(lambda: d.status(name).day_pnl != 0.0, timeout=15_000)  # type: ignore[union-attr]
    assert d.cell(name, 5).endswith("USD") and d.cell(name, 5)[0] in "+-"
    panel.select(name)
    shown = panel.log_lines.toPlainText()
    assert panel.log_title.text() == f"Last log lines of {name}"
    assert "started" in shown and "bought at the first tick" in shown
    assert "filled BUY 0.1 EURUSD at" in shown


def test_halted_and_failed_instances_show_the_reason(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    config = StrategyConfig(9, "ma_cross", "EURUSD", Timeframe.H1, {"fast": 5, "slow": 20})
    halted = StrategyStatus(config, StrategyState.HALTED, "daily loss 50.00 reached", -50.0, 1, 3)
    d.panel.on_strategy(halted)
    assert d.cell("ma_cross#9", 4) == "halted: daily loss 50.00 reached"
    assert d.cell("ma_cross#9", 5) == "-50.00 USD" and d.cell("ma_cross#9", 7) == "3"
    near = "its loss today 42.00 is 84% of its limit of 50.00"
    d.panel.on_strategy(StrategyStatus(config, StrategyState.REDUCING, near, -42.0, 1, 3))
    assert d.cell("ma_cross#9", 4) == f"reducing: {near}"
    failed = StrategyStatus(config, StrategyState.FAILED, "ZeroDivisionError in on_bar")
    d.panel.on_strategy(failed)
    assert d.cell("ma_cross#9", 4) == "failed: ZeroDivisionError in on_bar"
    assert d.panel.model.rowCount() == 1  # the same row, changed
    other = StrategyConfig(10, "rsi_reversion", "GBPUSD", Timeframe.M5, {"period": 3})
    d.panel.on_strategy(StrategyStatus(other, StrategyState.RUNNING, last_log=("12:00:00 hello",)))
    # A click on a row shows that instance's last lines.
    table = d.panel.table
    rect = table.visualRect(table.model().index(1, 0))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert d.panel.log_title.text() == "Last log lines of rsi_reversion#10"
    assert d.panel.log_lines.toPlainText() == "12:00:00 hello"
    d.panel.on_strategy(StrategyStatus(config, StrategyState.STOPPED, detached=True))
    assert d.panel.model.rowCount() == 1


def test_the_newest_log_line_is_in_view_and_a_word_goes_after_a_while(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    panel = d.panel
    panel.show()
    qtbot.waitExposed(panel)
    config = StrategyConfig(3, "ma_cross", "EURUSD", Timeframe.M1, {"fast": 5, "slow": 20})
    lines = tuple(f"12:00:{n:02} line {n}" for n in range(40))  # more than a pane shows
    panel.on_strategy(StrategyStatus(config, StrategyState.RUNNING, last_log=lines))
    panel.select("ma_cross#3")
    QApplication.processEvents()
    bar = panel.log_lines.verticalScrollBar()
    assert bar.maximum() > 0, "the test needs more lines than the pane shows"
    assert bar.value() == bar.maximum()  # the newest line, not the oldest, in view
    panel._message_timer.setInterval(50)
    panel.start()  # running already: a word, then it goes
    assert panel.message.isVisibleTo(panel) and "running already" in panel.message.text()
    qtbot.waitUntil(lambda: not panel.message.isVisibleTo(panel), timeout=2_000)
