"""The indicator dialogs read whole: every entry of Ctrl+I's list uncut, within the
screen, and each parameter dialog names the indicator it is for."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.indicators import INDICATORS
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.studies.dialog import StudiesDialog, StudyDialog
from app.ui.panels.chart.studies.spec import validated
from tests.specs import fx_spec
from tests.ui.test_chart_studies import history


def chart(qtbot: QtBot) -> ChartPanel:
    panel = ChartPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.set_symbol_spec(fx_spec())
    panel.set_history(history(300))
    panel.show()
    return panel


def test_the_indicators_list_shows_every_entry_whole_and_fits_the_screen(qtbot: QtBot) -> None:
    panel = chart(qtbot)
    dialog = StudiesDialog(lambda: panel.studies, panel)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    listed = dialog.available
    assert listed.count() == len(INDICATORS)
    assert not listed.horizontalScrollBar().isVisible()
    room = listed.viewport().width()
    metrics = listed.fontMetrics()
    texts = [listed.item(i).text() for i in range(listed.count())]
    assert "Exponential Moving Average (EMA) — price" in texts
    for text in texts:
        assert metrics.horizontalAdvance(text) <= room, (text, room)
    assert dialog.width() <= dialog.screen().availableGeometry().width()
    assert dialog.height() <= dialog.screen().availableGeometry().height()


def test_the_parameter_dialog_names_its_indicator_in_the_title_and_the_dialog(
    qtbot: QtBot,
) -> None:
    panel = chart(qtbot)
    dialog = StudiesDialog(lambda: panel.studies, panel)
    qtbot.addWidget(dialog)
    dialog.available.setCurrentRow(list(INDICATORS).index("ema"))
    editor = dialog.add_selected()
    assert isinstance(editor, StudyDialog)
    qtbot.addWidget(editor)
    assert editor.windowTitle() == "Add Exponential Moving Average (EMA)"
    assert "Exponential Moving Average (EMA)" in editor.heading.text()
    assert "on the price" in editor.heading.text()
    title = editor.fontMetrics().horizontalAdvance(editor.windowTitle())
    assert editor.minimumWidth() > title  # room for the whole title beside the bar's buttons

    panel.studies.add(validated("rsi", {"period": 9}))
    dialog.refresh()
    dialog.on_chart.setCurrentRow(0)
    edited = dialog.edit_selected()
    assert isinstance(edited, StudyDialog)
    qtbot.addWidget(edited)
    assert edited.windowTitle() == "Edit Relative Strength Index (RSI)"
    assert "in its own pane" in edited.heading.text()
