"""The attach/edit form and the Strategies panel as a trader meets them, on real widgets.

The engine is not needed here: the form's ``send`` keeps the command, and the
engine's answer is handed back as the host words it (``ma_cross: MA cross fast:
must be …``). The panel runs on a real main window where its size matters.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.domain.commands import Command
from app.domain.strategies import (
    AttachStrategy,
    StrategyConfig,
    StrategyDescriptor,
    StrategyReply,
    StrategyState,
    StrategyStatus,
)
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState
from app.engine.bus import EventBus
from app.optimiser.space import OptimiserError, build_space
from app.strategies.catalog import load_catalog
from app.strategies.params import StrategyParams, option, param, specs
from app.ui.desk.model import DeskModel
from app.ui.main_window import MainWindow
from app.ui.panels.strategies import InstancesModel, StrategiesPanel
from app.ui.panels.strategy_form import StrategyForm
from app.ui.tester.optimise_form import RangeRow
from app.ui.tester.params_form import ParamsForm


class Speed(Enum):
    SLOW = "slow"
    FAST = "fast"


class WordyParams(StrategyParams):
    indicator = "Wordy"

    period: int = param(10, ge=2, le=500, step=1, title="Period")
    mode: str = option("fast", title="Mode")
    note: str = Field("hello", title="Note")  # a plain pydantic field
    side: Literal["long", "short", "both"] = option("both", title="Side")
    speed: Speed = option(Speed.FAST, title="Speed")
    budget_cents: int = param(5, ge=0, le=10**12, step=1, title="Budget in cents")


def _descriptor(key: str = "ma_cross") -> StrategyDescriptor:
    catalog = load_catalog(None, entry_points=False).fact()
    return next(d for d in catalog.available if d.key == key)


def _wordy() -> StrategyDescriptor:
    return StrategyDescriptor("wordy", "Wordy", "Words.", specs(WordyParams), "built-in")


def _open(qtbot: QtBot, form: StrategyForm) -> StrategyForm:
    qtbot.addWidget(form)
    form.open()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow, timeout=5_000)
    return form


def _label(form: StrategyForm, widget: QWidget) -> str:
    layout = widget.parentWidget().layout()
    assert isinstance(layout, QFormLayout)
    label = layout.labelForField(widget)
    assert isinstance(label, QLabel)
    return label.text()


def test_text_choice_and_wide_whole_number_parameters_get_fields_that_send_their_values(
    qtbot: QtBot,
) -> None:
    sent: list[Command] = []
    form = _open(qtbot, StrategyForm(_wordy(), sent.append, symbols=["EURUSD"], symbol="EURUSD"))
    mode, note = form.params["mode"], form.params["note"]
    side, speed = form.params["side"], form.params["speed"]
    big = form.params["budget_cents"]
    assert isinstance(mode, QLineEdit) and mode.text() == "fast"
    assert isinstance(note, QLineEdit) and note.text() == "hello"
    assert isinstance(side, QComboBox) and side.currentText() == "both"
    assert [side.itemText(i) for i in range(side.count())] == ["long", "short", "both"]
    assert isinstance(speed, QComboBox) and speed.currentText() == "fast"
    # 10**12 is past a QSpinBox's 32 bits: a whole-number box that still reaches it.
    assert isinstance(big, QDoubleSpinBox) and big.decimals() == 0
    assert big.maximum() == 10**12

    QTest.mouseDClick(mode, Qt.MouseButton.LeftButton)
    mode.selectAll()
    QTest.keyClicks(mode, "careful")
    side.setCurrentIndex(side.findText("short"))
    speed.setCurrentIndex(speed.findText("slow"))
    big.setFocus()
    QTest.keyClicks(big, "123456789012")
    form.submit()
    [command] = sent
    assert isinstance(command, AttachStrategy)
    assert command.params["mode"] == "careful" and command.params["side"] == "short"
    assert command.params["speed"] == "slow"
    assert command.params["budget_cents"] == 123_456_789_012
    assert isinstance(command.params["budget_cents"], int)
    parsed = WordyParams.parse(command.params)  # what the engine checks passes
    assert parsed.speed is Speed.SLOW  # type: ignore[attr-defined]


def test_the_tester_and_the_optimiser_take_text_and_choice_parameters(qtbot: QtBot) -> None:
    declared = specs(WordyParams)
    kinds = {spec.name: spec.kind for spec in declared}
    assert kinds == {
        "period": "int",
        "mode": "str",
        "note": "str",
        "side": "choice",
        "speed": "choice",
        "budget_cents": "int",
    }
    space = build_space(["side=long,short", "period=2:4:1"], declared)
    assert {axis.name: axis.values for axis in space.axes}["side"] == ("long", "short")
    with pytest.raises(OptimiserError, match="mode has no declared range"):
        build_space(["mode"], declared)
    tester = ParamsForm()
    qtbot.addWidget(tester)
    tester.set_model(WordyParams)
    assert tester.problem() is None
    values = tester.values()
    assert values is not None and values["mode"] == "fast" and values["side"] == "both"
    row = RangeRow(next(s for s in declared if s.name == "side"))
    assert row.start.placeholderText() == "a,b,c"


@pytest.mark.parametrize("how", ["click", "tab", "focus", "select all"])
def test_typing_a_number_into_a_budget_field_gives_that_number(qtbot: QtBot, how: str) -> None:
    form = _open(qtbot, StrategyForm(_descriptor(), lambda _c: None, symbols=["EURUSD"]))
    box = form.budget["max_drawdown"]
    daily = form.budget["max_daily_loss"]
    assert isinstance(box, QDoubleSpinBox) and box.lineEdit().text() == "0.00"
    if how == "click":  # where a click lands in "0.00" must not matter
        edit = box.lineEdit()
        QTest.mouseClick(edit, Qt.MouseButton.LeftButton, pos=edit.rect().center())
    elif how == "tab":
        daily.setFocus()
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    elif how == "focus":
        box.setFocus()
    else:  # the trader selects it all first
        QTest.mouseClick(box.lineEdit(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(box.hasFocus, timeout=2_000)
    QApplication.processEvents()
    if how == "select all":
        QTest.keyClick(
            QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
        )
    else:
        assert box.lineEdit().selectedText() == "0.00"  # typing replaces it
    QTest.keyClicks(QApplication.focusWidget(), "60")
    assert box.lineEdit().text() == "60"
    assert box.value() == 60.0 and form.budget_value().max_drawdown == 60.0
    # A whole-number field the same way.
    count = form.budget["max_open_positions"]
    assert isinstance(count, QSpinBox)
    QTest.mouseClick(count.lineEdit(), Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    QTest.keyClicks(QApplication.focusWidget(), "12")
    assert count.value() == 12


def test_a_refusal_is_said_once_and_the_form_grows_to_show_it(qtbot: QtBot) -> None:
    sent: list[Command] = []
    form = _open(
        qtbot, StrategyForm(_descriptor(), sent.append, symbols=["EURUSD"], symbol="EURUSD")
    )
    form.params["fast"].setValue(50)  # type: ignore[union-attr]
    form.submit()
    assert sent
    fields = [*form.params.values(), *form.budget.values()]
    before = [w.mapTo(form, w.rect().topLeft()) for w in fields]
    # The host's words: the strategy's key, then the model's own name, then the reason.
    why = (
        "ma_cross: MA cross fast: must be below slow (30) (got 50); pick a fast period "
        "under the slow one, or raise the slow period first and then the fast one"
    )
    form.on_reply(StrategyReply(form.request_id, False, why))
    qtbot.waitUntil(form.problem.isVisible, timeout=2_000)
    QApplication.processEvents()
    text = form.problem.text()
    assert text.startswith("fast: must be below slow (30) (got 50)")
    assert "ma_cross" not in text and "MA cross" not in text
    assert form.params["fast"].hasFocus()  # to be typed over at once
    # Nothing squashed: every field as tall as it asks to be, every red line shown.
    for widget in [*form.params.values(), *form.budget.values()]:
        assert widget.height() >= widget.sizeHint().height(), widget.objectName()
    assert form.problem.height() >= form.problem.heightForWidth(form.problem.width())
    # Typing a new fast period may mend it: the old refusal goes, not left standing.
    QTest.keyClicks(form.params["fast"], "12")
    assert form.problem.isHidden()
    # The fields stay where they were under the mouse, with the red lines and after.
    QApplication.processEvents()
    assert [w.mapTo(form, w.rect().topLeft()) for w in fields] == before


def test_each_number_field_says_its_range_beside_its_name(qtbot: QtBot) -> None:
    """A spin box keeps what is typed inside its range without a word: the range is shown."""
    form = _open(qtbot, StrategyForm(_descriptor(), lambda _c: None, symbols=["EURUSD"]))
    layout = form.params["slow"].parentWidget().layout()
    assert isinstance(layout, QFormLayout)
    label = layout.labelForField(form.params["slow"])
    assert isinstance(label, QLabel) and label.text().endswith("(slow, 3–2000)")
    assert form.problem.width() >= 300  # a paragraph, not a column of words


def _panel(qtbot: QtBot, desk: DeskModel, **more: object) -> StrategiesPanel:
    sent: list[Command] = []
    panel = StrategiesPanel(sent.append, desk, confirm=lambda _t, _q: True, **more)  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.on_catalog(load_catalog(None, entry_points=False).fact())
    return panel


def _desk() -> DeskModel:
    desk = DeskModel()
    desk.set_symbols(
        [
            SymbolSpec("EURUSD", "", 5, 0.00001, 100_000, 0.01, 100, 0.01, "EUR", "USD"),
            SymbolSpec("GBPUSD", "", 5, 0.00001, 100_000, 0.01, 100, 0.01, "GBP", "USD"),
        ]
    )
    return desk


def test_the_attach_form_starts_on_the_active_chart_s_symbol_and_timeframe(qtbot: QtBot) -> None:
    desk = _desk()
    desk.select("GBPUSD")  # the chart's symbol is the desk's
    panel = _panel(qtbot, desk, timeframe=lambda: Timeframe.H4)
    form = panel.attach()
    assert form is not None
    assert form.symbol.currentText() == "GBPUSD" and form.timeframe.currentText() == "H4"
    # Its first line names the strategy (a title bar is not always there to say it).
    assert form.heading.text() == f"Attach {form.descriptor.title}" and form.heading.font().bold()
    form.close()


def test_without_the_chart_s_timeframe_the_next_attach_takes_the_last_one(qtbot: QtBot) -> None:
    panel = _panel(qtbot, _desk())
    form = panel.attach()
    assert form is not None and form.timeframe.currentText() == "M15"
    form.timeframe.setCurrentText("H1")
    form.submit()
    form.on_reply(StrategyReply(form.request_id, True, "attached", "ma_cross#1"))
    again = panel.attach()
    assert again is not None and again.timeframe.currentText() == "H1"
    again.close()


def test_the_money_limits_say_they_are_money_in_the_account_s_currency(qtbot: QtBot) -> None:
    desk = _desk()
    desk.account = AccountState("EUR", 10_000, 10_000, 0, 10_000, 0, 0, 100)
    form = _panel(qtbot, desk).attach()
    assert form is not None
    daily, drawdown = form.budget["max_daily_loss"], form.budget["max_drawdown"]
    assert _label(form, daily) == "Max daily loss (EUR)"
    assert _label(form, drawdown) == "Max drawdown (EUR)"
    assert "EUR" in daily.toolTip() and "not a percentage" in daily.toolTip()
    assert "not a percentage" in drawdown.toolTip()
    form.close()
    desk.account = None  # not connected yet: no currency is guessed
    form = _panel(qtbot, desk).attach()
    assert form is not None
    assert _label(form, form.budget["max_daily_loss"]) == "Max daily loss (account currency)"
    form.close()


def test_an_empty_table_says_how_to_attach_and_where_user_strategies_go(
    qtbot: QtBot, tmp_path: Path
) -> None:
    folder = tmp_path / "strategies"
    panel = _panel(qtbot, _desk(), user_folder=folder)
    panel.show()
    qtbot.waitExposed(panel)
    hint = panel.hint
    assert hint.isVisible()
    assert "press Enter" in hint.text() and "Insert" in hint.text()
    assert str(folder) in hint.text()
    config = StrategyConfig(1, "ma_cross", "EURUSD", Timeframe.M15, {"fast": 5, "slow": 20})
    panel.on_strategy(StrategyStatus(config, StrategyState.STOPPED))
    assert not hint.isVisible()
    panel.on_strategy(StrategyStatus(config, StrategyState.STOPPED, detached=True))
    assert hint.isVisible()


def _strategies_in_window(
    qtbot: QtBot,
    tmp_path: Path,
    first: Callable[[StrategiesPanel], None] = lambda _p: None,
    instances: int = 2,
    size: tuple[int, int] = (1366, 768),
) -> StrategiesPanel:
    """The Strategies panel of a main window of ``size``, with two instances attached (or
    the first only); ``first`` is done to the panel before the window is shown."""
    window = MainWindow(
        EventBus(),
        default_symbol="EURUSD",
        default_volume=0.1,
        state_file=tmp_path / "window.ini",
        confirm=lambda _t, _q: True,
    )
    qtbot.addWidget(window)
    first(window.strategies)
    # A first start opens maximized (on the test platform's 800x800 screen): the
    # trader's 1366x768 window is a normal one of that size.
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.show_panel("strategies")
    panel = window.strategies
    panel.on_catalog(load_catalog(None, entry_points=False).fact())  # the built-in three
    params = {"fast": 10, "slow": 30, "volume": 0.1, "atr_stop": False, "atr_period": 14}
    rows = [
        StrategyStatus(
            StrategyConfig(1, "ma_cross", "EURUSD", Timeframe.M15, params),
            StrategyState.RUNNING,
            day_pnl=-1234.5,
            open_positions=1,
            trades=3,
        ),
        StrategyStatus(
            StrategyConfig(2, "donchian_breakout", "GBPUSD", Timeframe.H1, {"entry": 20}),
            StrategyState.HALTED,
            "daily loss 50.00 reached",
            -50.0,
        ),
    ]
    for status in rows[:instances]:
        panel.on_strategy(status)
    table = panel.table
    qtbot.waitUntil(lambda: table.isVisible() and table.viewport().width() > 0, timeout=2_000)
    _settle(qtbot, table)
    return panel


def _settle(qtbot: QtBot, table: QTableView) -> None:
    """Until the table's layout stops changing. Qt shows a scroll bar a turn or two of
    the event loop after its range changes; a horizontal one can bring a vertical one,
    which narrows the viewport, and the columns are fitted again."""

    def layout() -> tuple[object, ...]:
        bars = (table.horizontalScrollBar(), table.verticalScrollBar())
        header = table.horizontalHeader()
        sizes = tuple(header.sectionSize(c) for c in range(header.count()))
        return (table.viewport().width(), sizes, *((b.isVisible(), b.maximum()) for b in bars))

    last, same = layout(), 0
    for _ in range(200):
        qtbot.wait(10)
        now = layout()
        same = same + 1 if now == last else 0
        if same == 5:
            return
        last = now
    raise AssertionError(f"the table's layout never settles: {last}")


def _out_of_view(table: QTableView) -> list[int]:
    """The columns not wholly inside the table's viewport as it is scrolled now."""
    header = table.horizontalHeader()
    room = table.viewport().width()
    return [
        c
        for c in range(header.count())
        if not 0 <= header.sectionViewportPosition(c) <= room - header.sectionSize(c)
    ]


def _every_column_within_reach(table: QTableView) -> bool:
    """Asserts that every column is in view, or that the visible horizontal scroll bar
    brings it wholly into view somewhere along its range; True if it takes the bar."""
    headers = InstancesModel.HEADERS
    hidden = _out_of_view(table)
    if not hidden:
        return False
    bar = table.horizontalScrollBar()
    assert bar.isVisible() and bar.maximum() > bar.minimum(), [headers[c] for c in hidden]
    start = bar.value()
    for value in [*range(bar.minimum(), bar.maximum(), 4), bar.maximum()]:
        bar.setValue(value)
        hidden = [c for c in hidden if c in _out_of_view(table)]
    bar.setValue(start)
    assert not hidden, [headers[c] for c in hidden]  # no place of the bar shows these
    return True


def _wide_enough(table: QTableView, *, names: bool = True) -> None:
    """The short columns hold their title and their text uncut (as Qt measures a cell);
    with ``names``, the instance and its state hold a short one (a longer one is cut in
    the middle, the whole text in a tooltip)."""
    header = table.horizontalHeader()
    model = table.model()
    titles = header.fontMetrics()
    for column in (1, 2, 5, 6, 7):
        title = str(model.headerData(column, Qt.Orientation.Horizontal))
        need = max(table.sizeHintForColumn(column), titles.horizontalAdvance(title) + 8)
        assert header.sectionSize(column) >= need, (title, header.sectionSize(column), need)
    for column, text in ((0, "ma_cross#1"), (4, "running")) if names else ():
        assert header.sectionSize(column) >= table.fontMetrics().horizontalAdvance(text) + 6, text


def test_at_1366_by_768_every_column_of_the_instances_table_is_within_reach(
    qtbot: QtBot, tmp_path: Path
) -> None:
    panel = _strategies_in_window(qtbot, tmp_path)
    table = panel.table
    _wide_enough(table)  # Pos. and Trades too
    took_the_bar = _every_column_within_reach(table)
    if sys.platform.startswith("linux"):  # its fonts are known: everything fits
        assert not took_the_bar and not table.horizontalScrollBar().isVisible()
    # The strategies to attach: every word of their titles in view, no scroll bar.
    listed = panel.available
    assert not listed.horizontalScrollBar().isVisible()
    titles = [listed.item(i).text().rpartition(" (")[0] for i in range(listed.count())]
    words = {w for title in titles for w in title.split()}
    room = listed.viewport().width()
    assert all(listed.fontMetrics().horizontalAdvance(w) < room for w in words), room
    # A name cut for room keeps its whole text in the tooltip.
    index = panel.model.index(1, 0)
    tip = str(panel.model.data(index, Qt.ItemDataRole.ToolTipRole))
    assert tip.startswith("donchian_breakout#2\nBudget\n")
    # The budget of a running instance is in view too, though F2 edits only a stopped one.
    assert "Max lots per order: 1\n" in tip and "Max daily loss: off" in tip


def test_a_font_whose_average_character_width_overstates_its_letters_fits_as_well(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows reads DejaVu Sans's average character width as 9 px at 9 pt, Linux as 6;
    its letters are about 7 px on both. Caps and floors measured with that figure
    pushed Trades behind the scroll bar at 1366x768 on Windows, with room to spare."""
    real = QFontMetrics.averageCharWidth
    monkeypatch.setattr(QFontMetrics, "averageCharWidth", lambda m: real(m) * 3 // 2)
    panel = _strategies_in_window(qtbot, tmp_path)
    table = panel.table
    _wide_enough(table)
    took_the_bar = _every_column_within_reach(table)
    if sys.platform.startswith("linux"):  # the same letters fit as without the patch
        assert not took_the_bar and not table.horizontalScrollBar().isVisible()


def _bigger_font(widget: QWidget) -> None:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * 1.6)
    widget.setFont(font)


NARROW = (1024, 700)


@pytest.mark.parametrize("when", ["from the start", "after the rows"])
@pytest.mark.parametrize("where", ["panel", "table"])
def test_with_a_much_bigger_font_trades_is_still_within_reach(
    qtbot: QtBot, tmp_path: Path, where: str, when: str
) -> None:
    """Wider letters than any platform's default (a larger font on the panel or on the
    table alone, from the start or once the rows are in): the columns are fitted
    again, and what no longer fits is a short scroll away, never cut."""

    def enlarge(panel: StrategiesPanel) -> None:
        _bigger_font(panel if where == "panel" else panel.table)

    # A narrow window (a 1024-pixel laptop screen): the larger letters cannot all fit.
    if when == "from the start":  # one instance: the parameters had room to stretch into
        panel = _strategies_in_window(qtbot, tmp_path, enlarge, instances=1, size=NARROW)
    else:
        panel = _strategies_in_window(qtbot, tmp_path, size=NARROW)
        enlarge(panel)
    table = panel.table
    _settle(qtbot, table)
    assert table.fontMetrics().height() > QFontMetrics(QApplication.font()).height()
    _wide_enough(table, names=False)  # measured in the new font: Trades is not cut
    # Eight columns in this room cannot all fit: the bar reaches Trades,
    # and no further than it must: the parameters (in a tooltip) are down to their least.
    assert _every_column_within_reach(table)
    header = table.horizontalHeader()
    assert header.sectionSize(3) == header.minimumSectionSize()
    bar = table.horizontalScrollBar()
    bar.setValue(bar.maximum())
    assert 7 not in _out_of_view(table)
    # The catalogue's words are measured in the panel's font.
    listed = panel.available
    words = {w for i in range(listed.count()) for w in listed.item(i).text().split()[:-1]}
    room = listed.viewport().width()
    assert all(listed.fontMetrics().horizontalAdvance(w) < room for w in words), room


class Untouched(StrategyParams):
    """Defaults a form could bend: more decimals than the step, past a double's whole
    numbers, spaces in text, an optional number, an Enum and a number choice."""

    indicator = "Untouched"
    ratio: float = param(0.015, ge=0.0, le=1.0, step=0.01, title="Ratio")
    tiny: float = param(0.00003, ge=0.0, le=1.0, step=0.0001, title="Tiny")
    seed: int = param(2**53 + 1, ge=0, le=2**62, step=1, title="Seed")
    limit: int | None = option(None, title="Optional limit")
    tag: str = option("  x ", title="Tag")
    speed: Speed = option(Speed.FAST, title="Speed")
    size: Literal[1, 2, 3] = option(2, title="Size")


def test_an_untouched_attach_form_sends_exactly_the_defaults(qtbot: QtBot) -> None:
    sent: list[Command] = []
    descriptor = StrategyDescriptor("u", "U", "U.", specs(Untouched), "test")
    form = StrategyForm(descriptor, sent.append, symbols=["EURUSD"], symbol="EURUSD")
    qtbot.addWidget(form)
    form.submit()
    [command] = sent
    assert isinstance(command, AttachStrategy)
    assert command.params == Untouched.parse({}).model_dump(mode="json")
    Untouched.parse(command.params)  # and the model takes them back


def test_start_all_and_stop_all_act_on_every_instance_from_the_keyboard(qtbot: QtBot) -> None:
    """After a Resume every instance is stopped: one key starts them all again."""
    sent: list[Command] = []
    asked: list[str] = []

    def confirm(_title: str, question: str) -> bool:
        asked.append(question)
        return True

    panel = StrategiesPanel(sent.append, _desk(), confirm=confirm)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.on_catalog(load_catalog(None, entry_points=False).fact())
    states = (StrategyState.STOPPED, StrategyState.RUNNING, StrategyState.HALTED)
    for number, each in enumerate(states, 1):
        config = StrategyConfig(number, "ma_cross", "EURUSD", Timeframe.M1, {"fast": 5})
        panel.on_strategy(StrategyStatus(config, each))
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=5_000)
    panel.table.setFocus()
    QTest.keyClick(panel.table, Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier)
    assert [(type(c).__name__, c.name) for c in sent] == [  # type: ignore[attr-defined]
        ("StartStrategy", "ma_cross#1"),
        ("StartStrategy", "ma_cross#3"),
    ]
    sent.clear()
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(panel.table, Qt.Key.Key_F5, modifiers)
    assert asked == [
        "Stop ma_cross#2? Their working orders are cancelled; their open positions stay as "
        "they are."
    ]
    assert [(type(c).__name__, c.name) for c in sent] == [("StopStrategy", "ma_cross#2")]  # type: ignore[attr-defined]


def test_a_double_click_on_an_instance_opens_its_form_as_f2_does(qtbot: QtBot) -> None:
    panel = _panel(qtbot, _desk())
    panel.show()
    qtbot.waitExposed(panel)
    config = StrategyConfig(1, "ma_cross", "EURUSD", Timeframe.M1, {"fast": 5, "slow": 20})
    panel.on_strategy(StrategyStatus(config, StrategyState.STOPPED))
    table = panel.table
    centre = table.visualRect(table.model().index(0, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    form = panel.findChild(StrategyForm)
    assert form is not None and form.windowTitle() == "Edit ma_cross#1"
    assert form.heading.text() == f"Edit ma_cross#1 ({form.descriptor.title})"
    assert form.params["fast"].value() == 5  # type: ignore[union-attr]
