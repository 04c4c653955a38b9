"""The Data Window: the bar under the crosshair and every indicator's value there, as in MT5.

A two-column table (name, value) the window docks beside the chart. The chart
refreshes it at the readout's pace (the hovered bar, or the newest one while
the crosshair is away), so a burst of ticks never re-lays it out more than a
few times a second; rows are rebuilt only when indicators are added or removed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from app.ui.panels.chart.candles import BarTuple

_BAR_ROWS = ("Date", "Time", "Open", "High", "Low", "Close", "Volume")


class DataWindow(QTableWidget):
    """Name and value of the hovered bar's prices and of each indicator output."""

    def __init__(self) -> None:
        super().__init__(0, 2)
        self.setObjectName("data_window")
        self.setHorizontalHeaderLabels(["", "Value"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._studies: list[tuple[str, tuple[str, ...]]] = []
        self.set_studies([])

    def set_studies(self, studies: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        """One row per output of each indicator (``label``, ``outputs``), under the bar's rows."""
        self._studies = list(studies)
        names = list(_BAR_ROWS)
        for label, outputs in self._studies:
            if len(outputs) == 1:
                names.append(label)
            else:
                names.extend(f"{label} {output}" for output in outputs)
        self.setRowCount(len(names))
        for row, name in enumerate(names):
            self.setItem(row, 0, QTableWidgetItem(name))
            self.setItem(row, 1, QTableWidgetItem(""))

    def show_bar(
        self,
        bar: BarTuple | None,
        study_values: Sequence[Sequence[str]],
        price: Callable[[float], str],
    ) -> None:
        """The values of one bar: its prices, then each indicator's (already formatted)."""
        texts: list[str]
        if bar is None:
            texts = [""] * len(_BAR_ROWS)
        else:
            time, o, h, low, c, v = bar
            moment = datetime.fromtimestamp(time, UTC)
            texts = [
                moment.strftime("%Y-%m-%d"),
                moment.strftime("%H:%M"),
                price(o),
                price(h),
                price(low),
                price(c),
                f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}",
            ]
        for (_label, outputs), values in zip(self._studies, study_values, strict=False):
            texts.extend(values[i] if i < len(values) else "" for i in range(len(outputs)))
        for row, text in enumerate(texts[: self.rowCount()]):
            item = self.item(row, 1)
            if item is not None and item.text() != text:
                item.setText(text)

    def value(self, name: str) -> str:
        """The value shown beside ``name`` ("" if there is no such row)."""
        for row in range(self.rowCount()):
            label = self.item(row, 0)
            if label is not None and label.text() == name:
                value = self.item(row, 1)
                return value.text() if value is not None else ""
        return ""
