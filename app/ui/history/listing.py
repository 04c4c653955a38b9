"""The table of what the history store holds: one row per series, gaps on hover."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.engine.history_library import StoredSeries
from app.ui.widgets.table_model import RowTableModel

_Index = QModelIndex | QPersistentModelIndex
SHOWN_GAPS = 20
"""How many gaps a row's tooltip lists (the command line's ``--gaps`` lists them all)."""


def seconds_text(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _span(seconds: int) -> str:
    return f"{seconds / 3600:.1f} h" if seconds < 2 * 86_400 else f"{seconds / 86_400:.1f} days"


def gaps_tooltip(series: StoredSeries) -> str:
    if not series.gaps:
        return "No gaps (weekends and breaks under an hour are not gaps)"
    lines = [
        f"{seconds_text(start)} to {seconds_text(end)} ({_span(end - start)})"
        for start, end in series.gaps[:SHOWN_GAPS]
    ]
    if len(series.gaps) > SHOWN_GAPS:
        lines.append(f"… and {len(series.gaps) - SHOWN_GAPS} more (tradeterm history --gaps)")
    return "Gaps:\n" + "\n".join(lines)


class SeriesModel(RowTableModel):
    HEADERS = ("Symbol", "Series", "From", "To", "Count", "Gaps")
    TOOLTIPS = (
        "",
        "Bars of a timeframe, or ticks",
        "First bar's open time (or first tick), on the data's clock",
        "Last bar's open time (or last tick)",
        "Bars or ticks stored",
        "Breaks in the data longer than an hour that are not weekends",
    )

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[StoredSeries] = []

    def set_series(self, series: list[StoredSeries]) -> None:
        self.beginResetModel()
        self._rows = list(series)
        self.endResetModel()

    def series(self, row: int) -> StoredSeries:
        return self._rows[row]

    def all_series(self) -> list[StoredSeries]:
        return list(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        s = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                s.symbol,
                s.series,
                seconds_text(s.first),
                seconds_text(s.last),
                f"{s.count:,}",
                str(len(s.gaps)),
            )[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == 5:
            return gaps_tooltip(s)
        return None


def series_table(model: SeriesModel, parent: QWidget | None = None) -> QTableView:
    view = QTableView(parent)
    view.setObjectName("stored_series_table")
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(False)
    return view
