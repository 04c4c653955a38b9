"""The attach/edit form and the Strategies panel as a trader meets them, on real widgets.

The engine is not needed here: the form's ``send`` keeps the command, and the
engine's answer is handed back as the host words it (``ma_cross: MA cross fast:
must be …``). The panel runs on a real main window where its size matters.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

import pytest
from pydantic import Field
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
)
from pytestqt.qtbot import QtBot

from app.domain.commands import Command
from app.domain.strategies import (
    AttachStrategy,
    StrategyDescriptor,
    StrategyReply,
)
from app.optimiser.space import OptimiserError, build_space
from app.strategies.catalog import load_catalog
from app.strategies.params import StrategyParams, option, param, specs
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
    assert form.problem.width() >= 300  # a paragraph, not a column of words
