"""The event log's table: a strategy instance's name in the Source column, uncut."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.enums import LogLevel
from app.domain.notices import LogEvent
from app.ui.panels.event_log import EventLogModel, EventLogView


def test_an_instance_s_name_fits_the_source_column_and_its_tooltip_has_it_whole(
    qtbot: QtBot,
) -> None:
    model = EventLogModel()
    view = EventLogView(model)
    qtbot.addWidget(view)
    view.resize(900, 200)
    view.show()
    for source in ("ma_cross#12", "donchian_breakout#3"):
        model.add(LogEvent(LogLevel.INFO, source, "Filled: buy 0.10 EURUSD", client_id="c"))
    width = view.horizontalHeader().sectionSize(2)
    assert view.fontMetrics().horizontalAdvance("ma_cross#12") + 8 <= width
    long_name = model.index(0, 2)  # newest first
    assert model.data(long_name, Qt.ItemDataRole.ToolTipRole) == "donchian_breakout#3"
    assert model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole) == "order c"
