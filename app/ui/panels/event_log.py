"""The event log: every fact the engine reports, newest first, bounded in size."""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.domain.enums import LogLevel
from app.domain.notices import LogEvent
from app.ui.widgets.table_model import RowTableModel
from app.ui.widgets.theme import LOSS, MUTED, WARNING

_Index = QModelIndex | QPersistentModelIndex
_LEVEL_COLORS: dict[LogLevel, QColor] = {
    LogLevel.DEBUG: MUTED,
    LogLevel.WARNING: WARNING,
    LogLevel.ERROR: LOSS,
}


class EventLogModel(RowTableModel):
    """Row 0 is the newest event. Old rows fall off past ``max_rows``."""

    HEADERS = ("Time", "Level", "Source", "Message")

    def __init__(self, max_rows: int = 10_000) -> None:
        super().__init__()
        self._rows: deque[LogEvent] = deque()
        self._max_rows = max_rows

    def add(self, event: LogEvent) -> None:
        if len(self._rows) >= self._max_rows:
            last = len(self._rows) - 1
            self.beginRemoveRows(QModelIndex(), last, last)
            self._rows.pop()
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.appendleft(event)
        self.endInsertRows()

    def messages(self) -> list[str]:
        return [e.message for e in self._rows]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        event = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return event.time.astimezone().strftime("%H:%M:%S.%f")[:-3]
            if column == 1:
                return event.level.label
            if column == 2:
                return event.source
            return event.message
        if role == Qt.ItemDataRole.ForegroundRole and column in (1, 3):
            return _LEVEL_COLORS.get(event.level)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return event.source
        if role == Qt.ItemDataRole.ToolTipRole and event.client_id:
            return f"order {event.client_id}"
        return None


class EventLogView(QTableView):
    def __init__(self, model: EventLogModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(20)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        # Widths from the longest text each column holds, not from the rows seen so far
        # (ResizeToContents measured an empty log and cut the time to "21…").
        metrics = self.fontMetrics()
        # The source: the longest of the engine's own, or a strategy instance's name
        # such as "donchian_b#12" (a longer one is cut; its tooltip has it whole).
        for column, widest in enumerate(("23:59:59.999", "Warning", "donchian_b#12")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(widest) + 18)
