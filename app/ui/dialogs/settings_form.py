"""The Settings dialog's editors: one per setting, the right kind for its value.

Each ``SettingField`` (``settings_fields.py``) becomes a labelled row: a spin box
with its unit for a number (saying "off" where 0 switches a rule off), a check
box, a choice list, a symbol list, the broker choice with what each broker is,
a path with a Browse… button. Values go back to pydantic, which validates them,
so the dialog and the settings files obey exactly the same rules; a problem is
shown under its field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings import BrokerSettings
from app.ui.dialogs.settings_fields import BROKERS, SettingField
from app.ui.widgets.theme import LOSS, MUTED


class SymbolList(QWidget):
    """An ordered list of symbols: type one and press Add (or Enter), select one to remove."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("symbols_list")
        self.list.setDragDropMode(QListWidget.DragDropMode.InternalMove)  # drag to reorder
        self.list.setMaximumHeight(110)
        self.entry = QLineEdit()
        self.entry.setObjectName("symbols_entry")
        self.entry.setPlaceholderText("e.g. EURUSD")
        add, remove = QPushButton("&Add"), QPushButton("&Remove")
        add.clicked.connect(self.add_entry)
        self.entry.returnPressed.connect(self.add_entry)
        remove.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(add)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)

    def symbols(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_symbols(self, symbols: list[str]) -> None:
        self.list.clear()
        self.list.addItems(symbols)
        self.changed.emit()

    def add_entry(self) -> None:
        name = self.entry.text().strip().upper()
        if name and name not in self.symbols():
            self.list.addItem(name)
            self.changed.emit()
        self.entry.clear()

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.changed.emit()


def broker_kinds() -> list[tuple[str, str, str]]:
    """(kind, name, what it is) of every broker the registry knows, friendliest words first.

    The broker packages register their kinds in ``BrokerSettings.KINDS`` (a new
    broker needs no edit here); the dialog's own words are used for the ones it knows.
    """
    known = {kind: (name, about) for kind, name, about in BROKERS}
    registered = BrokerSettings.KINDS or {kind: about for kind, _name, about in BROKERS}
    return [(kind, *known.get(kind, (kind, about))) for kind, about in registered.items()]


class BrokerChoice(QWidget):
    """One radio button per broker, each with a sentence saying what it is."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for kind, title, explanation in broker_kinds():
            button = QRadioButton(title)
            button.setObjectName(f"broker_{kind}")
            note = QLabel(explanation)
            note.setWordWrap(True)
            note.setStyleSheet(f"color: {MUTED.name()}; margin-left: 22px")
            self.group.addButton(button)
            self.buttons[kind] = button
            button.toggled.connect(lambda _on: self.changed.emit())
            layout.addWidget(button)
            layout.addWidget(note)

    def kind(self) -> str:
        return next((k for k, b in self.buttons.items() if b.isChecked()), next(iter(self.buttons)))

    def set_kind(self, kind: str) -> None:
        self.buttons.get(kind, next(iter(self.buttons.values()))).setChecked(True)


class PathEdit(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", self.edit.text())
        if path:
            self.edit.setText(path)


Widget = QWidget


@dataclass
class FieldEditor:
    """One setting's editor: its dotted key, the widget and the label for its error."""

    field: SettingField
    widget: Widget
    error: QLabel
    row: QWidget  # the label a form row starts with (hidden with the row)

    @property
    def key(self) -> str:
        return self.field.key

    def value(self) -> object:
        w = self.widget
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox | QDoubleSpinBox):
            return w.value()
        if isinstance(w, SymbolList):
            return w.symbols()
        if isinstance(w, BrokerChoice):
            return w.kind()
        if isinstance(w, PathEdit):
            return w.edit.text().strip()
        assert isinstance(w, QLineEdit)
        text = w.text().strip()
        if self.field.kind == "ids":
            return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        return text

    def set_value(self, value: object) -> None:
        w = self.widget
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            index = w.findData(value)
            w.setCurrentIndex(max(0, index))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))  # type: ignore[call-overload]
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(float(value))  # type: ignore[arg-type]
        elif isinstance(w, SymbolList):
            w.set_symbols(list(value))  # type: ignore[call-overload]
        elif isinstance(w, BrokerChoice):
            w.set_kind(str(value))
        elif isinstance(w, PathEdit):
            w.edit.setText(str(value or ""))
        elif isinstance(w, QLineEdit):
            if isinstance(value, list):
                w.setText(", ".join(str(v) for v in value))
            else:
                w.setText("" if value is None else str(value))


def editor_for(field: SettingField) -> Widget:
    """The widget that edits ``field``, named ``setting:<key>`` for tests and tools."""
    widget: Widget
    if field.kind == "bool":
        widget = QCheckBox()
    elif field.kind == "choice":
        widget = QComboBox()
        for text, data in field.choices:
            widget.addItem(text, data)
    elif field.kind in ("int", "float"):
        widget = QSpinBox() if field.kind == "int" else QDoubleSpinBox()
        if isinstance(widget, QDoubleSpinBox):
            widget.setDecimals(field.decimals)
            widget.setRange(field.minimum, field.maximum)
        else:  # a QSpinBox holds a 32-bit int
            widget.setRange(int(max(field.minimum, -(2**31))), int(min(field.maximum, 2**31 - 1)))
        widget.setGroupSeparatorShown(True)
        if field.unit:
            widget.setSuffix(f" {field.unit}")
        if field.off_at_zero:
            widget.setSpecialValueText("off")  # 0 switches the rule off
        widget.setAlignment(Qt.AlignmentFlag.AlignRight)
    elif field.kind == "symbols":
        widget = SymbolList()
    elif field.kind == "broker":
        widget = BrokerChoice()
    elif field.kind == "path":
        widget = PathEdit()
    else:
        widget = QLineEdit()
        if field.kind == "ids":
            widget.setPlaceholderText("comma separated")
    widget.setObjectName(f"setting:{field.key}")
    return widget


class SettingsForm(QWidget):
    """One page of settings: label, editor, a line of help and room for an error."""

    def __init__(self, fields: tuple[SettingField, ...], values: Callable[[str], Any]) -> None:
        super().__init__()
        self.editors: list[FieldEditor] = []
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for field in fields:
            widget = editor_for(field)
            label = QLabel(field.label)
            label.setToolTip(field.help)
            widget.setToolTip(field.help)
            error = QLabel()
            error.setObjectName(f"error:{field.key}")
            error.setWordWrap(True)
            error.setStyleSheet(f"color: {LOSS.name()}")
            error.hide()
            editor = FieldEditor(field, widget, error, label)
            editor.set_value(values(field.key))
            layout.addRow(label, widget)
            if field.help:
                note = QLabel(field.help)
                note.setWordWrap(True)
                note.setStyleSheet(f"color: {MUTED.name()}")
                layout.addRow("", note)
            layout.addRow("", error)
            self.editors.append(editor)

    def editor(self, key: str) -> FieldEditor | None:
        return next((e for e in self.editors if e.key == key), None)


def iter_editors(forms: list[SettingsForm]) -> Iterator[FieldEditor]:
    for form in forms:
        yield from form.editors


def get_nested(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node[part]
    return node


def set_nested(data: dict[str, Any], dotted: str, value: object) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
