"""A form generated from the pydantic settings model, so every setting is editable.

Editors follow each field's type: a check box for ``bool``, a combo box for a
``Literal``, a line edit for numbers, text and lists (comma separated), a group
for a nested section. Values go back to pydantic as text and it does the
validation, so the form and the settings files obey exactly the same rules.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.ui.widgets.theme import LOSS

Editor = QCheckBox | QComboBox | QLineEdit


@dataclass
class FieldEditor:
    """One leaf setting: its dotted key, its editor and the label for its error."""

    key: str
    annotation: Any
    widget: Editor
    error: QLabel

    def value(self) -> object:
        widget = self.widget
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        text = widget.text().strip()
        if _is_list(self.annotation):
            return [item.strip() for item in text.split(",") if item.strip()]
        return text

    def set_value(self, value: object) -> None:
        widget = self.widget
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            index = widget.findData(value)
            widget.setCurrentIndex(max(0, index))
        elif isinstance(value, list):
            widget.setText(", ".join(str(v) for v in value))
        else:
            widget.setText("" if value is None else str(value))


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def _literal_choices(annotation: Any) -> tuple[object, ...] | None:
    return typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else None


def _named_choices(model: type[BaseModel], info: Any) -> dict[str, str] | None:
    """Choices a model registers at run time (``json_schema_extra={"choices": ATTR}``)."""
    extra = info.json_schema_extra
    attribute = extra.get("choices") if isinstance(extra, dict) else None
    choices = getattr(model, attribute, None) if isinstance(attribute, str) else None
    return dict(choices) if choices else None


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _is_editable(annotation: Any) -> bool:
    """Scalars, literals, lists of scalars and nested sections; not dicts or unions of them."""
    return typing.get_origin(annotation) not in (dict, typing.Union, types.UnionType)


def humanize(key: str) -> str:
    return key.replace("_", " ").capitalize()


class SettingsForm(QWidget):
    """Editors for one section model (or the top-level scalars of Settings)."""

    def __init__(
        self, model: BaseModel, prefix: str, *, skip: frozenset[str] = frozenset()
    ) -> None:
        super().__init__()
        self.editors: list[FieldEditor] = []
        layout = QFormLayout(self)
        self._build(layout, model, prefix, skip)

    def _build(
        self, layout: QFormLayout, model: BaseModel, prefix: str, skip: frozenset[str]
    ) -> None:
        for name, info in type(model).model_fields.items():
            if name in skip:
                continue
            key = f"{prefix}{name}"
            annotation = info.annotation
            value = getattr(model, name)
            nested = _nested_model(annotation)
            if nested is not None:
                group = QGroupBox(humanize(name))
                inner = QFormLayout(group)
                self._build(inner, value, f"{key}.", frozenset())
                layout.addRow(group)
                continue
            if not _is_editable(annotation):
                note = QLabel("edit in the settings file")
                note.setEnabled(False)
                layout.addRow(humanize(name), note)
                continue
            editor = self._editor_for(key, annotation, _named_choices(type(model), info))
            editor.set_value(value)
            tip = info.description or ""
            editor.widget.setToolTip(tip)
            label = QLabel(humanize(name))
            label.setToolTip(tip)
            layout.addRow(label, editor.widget)
            layout.addRow("", editor.error)
            self.editors.append(editor)

    def _editor_for(
        self, key: str, annotation: Any, named: dict[str, str] | None = None
    ) -> FieldEditor:
        widget: Editor
        if annotation is bool:
            widget = QCheckBox()
        elif named:
            widget = QComboBox()
            for name, about in named.items():
                widget.addItem(f"{name} — {about}", name)
        elif (choices := _literal_choices(annotation)) is not None:
            widget = QComboBox()
            for choice in choices:
                widget.addItem(str(choice), choice)
        else:
            widget = QLineEdit()
            if _is_list(annotation):
                widget.setPlaceholderText("comma separated")
        widget.setObjectName(f"setting:{key}")
        error = QLabel()
        error.setObjectName(f"error:{key}")
        error.setStyleSheet(f"color: {LOSS.name()}")
        error.hide()
        return FieldEditor(key, annotation, widget, error)


def iter_editors(forms: list[SettingsForm]) -> Iterator[FieldEditor]:
    for form in forms:
        yield from form.editors


def set_nested(data: dict[str, Any], dotted: str, value: object) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
