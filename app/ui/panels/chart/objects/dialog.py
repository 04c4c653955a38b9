"""Editing a drawing object by typing, and the list of a chart's objects.

:class:`ObjectDialog` shows each point as a time (``YYYY-MM-DD HH:MM``, UTC like
the chart) and a price, the text of a note, a colour and a line width; what it
cannot use it refuses with one line naming the field, and nothing changes.
:class:`ObjectsDialog` lists the objects for the keyboard: Enter or F2 edits,
Delete removes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.panels.chart.objects.model import (
    MAX_WIDTH,
    MIN_WIDTH,
    TITLES,
    Anchor,
    DrawingObject,
    ObjectError,
    ObjectKind,
    check,
    new_object,
)

if TYPE_CHECKING:
    from app.ui.panels.chart.objects.layer import ChartObjects

TIME_FORMAT = "%Y-%m-%d %H:%M"


def format_time(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> int:
    """``YYYY-MM-DD HH:MM`` (or with seconds, or a date alone), UTC, as epoch seconds."""
    text = " ".join(text.split())
    for pattern in (TIME_FORMAT, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return int(datetime.strptime(text, pattern).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    raise ValueError(f"not a time like 2026-12-02 14:30 (got {text!r})")


def describe_points(obj: DrawingObject, price: Callable[[float], str]) -> str:
    if obj.kind is ObjectKind.HLINE:
        return price(obj.anchors[0].price)
    if obj.kind is ObjectKind.VLINE:
        return format_time(obj.anchors[0].time)
    return " → ".join(f"{format_time(a.time)} {price(a.price)}" for a in obj.anchors)


class ObjectDialog(QDialog):
    """One object's points, text and style; ``result_object`` holds the accepted result."""

    def __init__(
        self,
        kind: ObjectKind,
        anchors: tuple[Anchor, ...],
        current: DrawingObject | None,
        check_time: Callable[[int], str],
        price: Callable[[float], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("object_dialog")
        self.setWindowTitle(TITLES[kind])
        self._kind = kind
        self._current = current
        self._check_time = check_time
        self.result_object: DrawingObject | None = None
        form = QFormLayout()
        self.times: list[QLineEdit | None] = []
        self.prices: list[QLineEdit | None] = []
        for number, anchor in enumerate(anchors, start=1):
            time_field = price_field = None
            if kind is not ObjectKind.HLINE:
                time_field = QLineEdit(format_time(anchor.time))
                time_field.setObjectName(f"time_{number}")
                time_field.setToolTip("UTC, as on the chart: YYYY-MM-DD HH:MM")
                form.addRow(f"Point {number} time:", time_field)
            if kind is not ObjectKind.VLINE:
                price_field = QLineEdit(price(anchor.price))
                price_field.setObjectName(f"price_{number}")
                form.addRow(f"Point {number} price:", price_field)
            self.times.append(time_field)
            self.prices.append(price_field)
        self._anchors = anchors
        self.text_field = QLineEdit(current.text if current else "")
        self.text_field.setObjectName("object_text")
        if kind is ObjectKind.TEXT:
            form.addRow("Text:", self.text_field)
        self.colour_field = QLineEdit(current.colour if current else "")  # empty: the default
        self.colour_field.setObjectName("object_colour")
        self.colour_field.setPlaceholderText("default")
        form.addRow("Colour (#rrggbb):", self.colour_field)
        self.width_field = QSpinBox()
        self.width_field.setObjectName("object_width")
        self.width_field.setRange(MIN_WIDTH, MAX_WIDTH)
        self.width_field.setValue(current.width if current else 1)
        form.addRow("Line width:", self.width_field)
        self.fill_field = QCheckBox("Fill the inside")
        self.fill_field.setObjectName("object_fill")
        self.fill_field.setChecked(current.fill if current else False)
        if kind is ObjectKind.RECTANGLE:
            form.addRow("", self.fill_field)
        self.error = QLabel("")
        self.error.setObjectName("object_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ef5350;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if kind is ObjectKind.TEXT and current is None:
            self.text_field.setFocus()

    def accept(self) -> None:
        try:
            result = self._read()
        except (ValueError, ObjectError) as exc:
            self.error.setText(str(exc))
            return
        self.result_object = result
        super().accept()

    def _read(self) -> DrawingObject:
        anchors = []
        for number, (anchor, time_field, price_field) in enumerate(
            zip(self._anchors, self.times, self.prices, strict=True), start=1
        ):
            stamp = anchor.time
            if time_field is not None:
                try:
                    stamp = parse_time(time_field.text())
                except ValueError as exc:
                    raise ValueError(f"Point {number} time: {exc}") from None
                why = self._check_time(stamp)
                if why:
                    raise ValueError(f"Point {number} time: {why}")
            value = anchor.price
            if price_field is not None:
                text = price_field.text().strip().replace(",", ".")
                try:
                    value = float(text)
                except ValueError:
                    raise ValueError(f"Point {number} price: not a number ({text!r})") from None
                if not math.isfinite(value) or value <= 0:
                    raise ValueError(f"Point {number} price: must be above 0 (got {text})")
            anchors.append(Anchor(stamp, value))
        colour = self.colour_field.text().strip()
        if colour and not QColor.isValidColorName(colour):
            raise ValueError(f"Colour: not a colour ({colour!r})")
        colour = QColor(colour).name() if colour else ""
        text = self.text_field.text().strip()
        width = self.width_field.value()
        fill = self._kind is ObjectKind.RECTANGLE and self.fill_field.isChecked()
        if self._current is None:
            return new_object(
                self._kind, tuple(anchors), text=text, colour=colour, width=width, fill=fill
            )
        result = replace(
            self._current, anchors=tuple(anchors), text=text, colour=colour, width=width, fill=fill
        )
        check(result)
        return result


class ObjectsDialog(QDialog):
    """The chart's objects, one row each; Enter or F2 edits, Delete removes."""

    def __init__(self, objects: Callable[[], ChartObjects], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("objects_dialog")
        self.setWindowTitle("Objects")
        self._objects = objects
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("objects_table")
        self.table.setHorizontalHeaderLabels(["Object", "Points", "Text"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.installEventFilter(self)
        self.table.itemActivated.connect(lambda _item: self.edit_selected())
        self.table.currentCellChanged.connect(lambda row, *_: self._select_on_chart(row))
        edit = QPushButton("&Edit…")
        edit.clicked.connect(self.edit_selected)
        delete = QPushButton("&Delete")
        delete.clicked.connect(self.delete_selected)
        delete_all = QPushButton("Delete &all")
        delete_all.clicked.connect(lambda: self._objects().remove_all())
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        for button in (edit, delete, delete_all):
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        close.setAutoDefault(False)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        self.heading = QLabel("")
        layout.addWidget(self.heading)
        layout.addWidget(self.table)
        layout.addLayout(row)
        self.resize(620, 360)
        layer = objects()
        layer.on_change(self.refresh)
        self.finished.connect(lambda _result: layer.off_change(self.refresh))
        self.refresh()

    def refresh(self) -> None:
        layer = self._objects()
        items = layer.objects
        self.heading.setText(
            f"{layer.symbol or 'No symbol'}: {len(items)} object(s), on every chart of it"
        )
        price = layer.item.price_text
        current = self.table.currentRow()
        self.table.blockSignals(True)
        self.table.setRowCount(len(items))
        for row, obj in enumerate(items):
            for column, text in enumerate((obj.title, describe_points(obj, price), obj.text)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        selected = layer.item.selected
        rows = [i for i, o in enumerate(items) if o.id == selected]
        if rows:
            self.table.setCurrentCell(rows[0], 0)
        elif items:
            self.table.setCurrentCell(min(max(current, 0), len(items) - 1), 0)
        self.table.blockSignals(False)

    def _row_object(self, row: int) -> DrawingObject | None:
        items = self._objects().objects
        return items[row] if 0 <= row < len(items) else None

    def _select_on_chart(self, row: int) -> None:
        obj = self._row_object(row)
        if obj is not None:
            self._objects().select(obj.id)

    def edit_selected(self) -> ObjectDialog | None:
        obj = self._row_object(self.table.currentRow())
        return self._objects().edit(obj.id) if obj is not None else None

    def delete_selected(self) -> None:
        obj = self._row_object(self.table.currentRow())
        if obj is not None:
            self._objects().remove(obj.id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            if event.key() == Qt.Key.Key_Delete:
                self.delete_selected()
                return True
            if event.key() == Qt.Key.Key_F2:
                self.edit_selected()
                return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # the table acts on Enter; QDialog would press an editor's OK
        super().keyPressEvent(event)
