"""A strategy's inputs, generated from its pydantic parameter model.

One row per declared parameter (``app.strategies.params.specs``): a text field
for a number, a check box for a switch, the range and step beside it, and a
line under it that says what is wrong as soon as it is wrong. The model itself
judges (bounds, whole numbers, rules between two parameters such as fast below
slow), so the form refuses exactly what a test or a live attach would refuse,
in the same words.
"""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.strategies import ParamSpec
from app.strategies.params import ParamError, StrategyParams, choice_for, specs
from app.ui.widgets.theme import LOSS, MUTED


def _number(value: float) -> str:
    return f"{value:g}"


def _range_text(spec: ParamSpec) -> str:
    parts = []
    if spec.minimum is not None and spec.maximum is not None:
        parts.append(f"{_number(spec.minimum)} … {_number(spec.maximum)}")
    if spec.step:
        parts.append(f"step {_number(spec.step)}")
    return ", ".join(parts)


class ParamsForm(QWidget):
    """``changed`` fires on every edit; ``problem()`` is the first message, or None."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: type[StrategyParams] | None = None
        self._specs: tuple[ParamSpec, ...] = ()
        self.editors: dict[str, QLineEdit | QCheckBox] = {}
        self.messages: dict[str, QLabel] = {}
        self._grid = QGridLayout()
        self._grid.setColumnStretch(2, 1)
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.setObjectName("tester_params_reset")
        self.reset_button.clicked.connect(self.reset)
        self.empty = QLabel("This strategy has no parameters.")
        layout = QVBoxLayout(self)
        layout.addLayout(self._grid)
        layout.addWidget(self.empty)
        layout.addStretch(1)
        layout.addWidget(self.reset_button)
        self._problem: str | None = None

    def set_model(self, model: type[StrategyParams] | None) -> None:
        """Build the rows of ``model`` (None: no strategy), at their defaults."""
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # gone now, not only when the event loop deletes it
                widget.deleteLater()
        self.editors.clear()
        self.messages.clear()
        self._model = model
        self._specs = specs(model) if model is not None else ()
        for row, spec in enumerate(self._specs):
            field = model.model_fields[spec.name] if model is not None else None
            title = (field.title if field is not None else None) or spec.description or spec.name
            label = QLabel(title)
            label.setToolTip(spec.name)
            editor: QLineEdit | QCheckBox
            if spec.kind == "bool":
                editor = QCheckBox()
                editor.toggled.connect(self._edited)
            else:
                editor = QLineEdit()
                editor.setMaximumWidth(140)
                editor.textChanged.connect(self._edited)
            editor.setObjectName(f"tester_param_{spec.name}")
            hint = QLabel(_range_text(spec))
            hint.setStyleSheet(f"color: {MUTED.name()}")
            message = QLabel("")
            message.setObjectName(f"tester_param_{spec.name}_message")
            message.setStyleSheet(f"color: {LOSS.name()}")
            message.setWordWrap(True)
            message.hide()
            label.setBuddy(editor)
            self._grid.addWidget(label, 2 * row, 0)
            self._grid.addWidget(editor, 2 * row, 1)
            self._grid.addWidget(hint, 2 * row, 2)
            self._grid.addWidget(message, 2 * row + 1, 1, 1, 2)
            self.editors[spec.name] = editor
            self.messages[spec.name] = message
        self.empty.setVisible(model is not None and not self._specs)
        self.reset_button.setVisible(bool(self._specs))
        self.reset()

    def reset(self) -> None:
        for spec in self._specs:
            self._show(spec, spec.default)
        self._validate()

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values`` (by name; the others keep theirs)."""
        for spec in self._specs:
            if spec.name in values:
                self._show(spec, values[spec.name])
        self._validate()

    def _show(self, spec: ParamSpec, value: Any) -> None:
        editor = self.editors[spec.name]
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        else:
            editor.setText(_number(value) if isinstance(value, int | float) else str(value))

    def raw(self) -> dict[str, Any]:
        """What the fields say: numbers where the text is one (else the text, which the
        model then refuses in words), bools for switches."""
        out: dict[str, Any] = {}
        for spec in self._specs:
            editor = self.editors[spec.name]
            if isinstance(editor, QCheckBox):
                out[spec.name] = editor.isChecked()
                continue
            found, choice = choice_for(spec, editor.text().strip())
            if found:  # "2" is the 2 of Literal[1, 2], not the text "2"
                out[spec.name] = choice
                continue
            text = editor.text().strip().replace(",", ".")
            out[spec.name] = text
            kind = int if spec.kind == "int" else float if spec.kind == "float" else None
            if kind is not None:
                with contextlib.suppress(ValueError):  # the model says why in words
                    out[spec.name] = kind(text)
        return out

    def values(self) -> dict[str, Any] | None:
        """Every parameter as the model typed it, or None while a field is wrong."""
        if self._model is None or self._problem is not None:
            return None
        return dict(self._model.parse(self.raw()).model_dump(mode="json"))

    def problem(self) -> str | None:
        """The first thing wrong, in one line (``MA cross fast: must be at least 2``)."""
        return self._problem

    def _edited(self) -> None:
        self._validate()
        self.changed.emit()

    def _validate(self) -> None:
        """Every field's message: the model names one wrong field at a time, so each is
        set back to its default in turn until the rest passes."""
        self._problem = None
        wrong: dict[str, str] = {}
        if self._model is not None:
            values = self.raw()
            defaults = {spec.name: spec.default for spec in self._specs}
            for _ in range(len(values) + 1):
                try:
                    self._model.parse(values)
                    break
                except ParamError as exc:
                    name = exc.parameter or ""
                    if self._problem is None:
                        self._problem = str(exc)
                    if name not in values or name in wrong:
                        break
                    wrong[name] = exc.message
                    values[name] = defaults[name]
        for name, label in self.messages.items():
            label.setText(wrong.get(name, ""))
            label.setVisible(name in wrong)
