"""The indicator dialogs: one indicator's parameters and style, and the chart's list of them.

:class:`StudyDialog` is generated from the indicator's parameter model
(:func:`app.indicators.params.describe`): one field per parameter with its
range in the tooltip, a colour per output, a line width. The typed text goes
to the model unchanged, so a value out of range (or MACD's slow not above its
fast) is refused with the library's own one-line message and the dialog stays
open; nothing on the chart changes until the values pass.

:class:`StudiesDialog` (Ctrl+I) lists what can be added and what is on the
chart, for the keyboard: Enter adds or edits, Delete removes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.indicators import INDICATORS, Placement
from app.indicators.params import IndicatorParamError, describe
from app.ui.panels.chart.studies.layer import ChartStudies
from app.ui.panels.chart.studies.spec import MAX_WIDTH, MIN_WIDTH, StudySpec, StudyStyle, validated

#: Pixels beside the widest entry, so it does not touch the list's edge.
LIST_SLACK_PX = 12
#: A title bar's icon and buttons, beside the title's text.
TITLE_BAR_SLACK_PX = 140
#: Most of the screen's width (and height) the list of indicators may take.
MAX_LIST_SHARE = 0.45


def _number(value: float) -> str:
    return f"{value:g}"


def _typed(text: str) -> int | float | str:
    """The field's text as a number if it reads as one; else as typed, for the model to refuse."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


class StudyDialog(QDialog):
    """Parameters and style of one indicator; ``spec`` holds the accepted result."""

    def __init__(
        self, name: str, current: StudySpec | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        cls = INDICATORS[name]
        self.setObjectName("study_dialog")
        named = f"{cls.title} ({cls.short})"
        self.setWindowTitle(f"{'Edit' if current is not None else 'Add'} {named}")
        where = "on the price" if cls.placement is Placement.OVERLAY else "in its own pane"
        # Named in the dialog too: a title bar elides a long title and some desktops have none.
        self.heading = QLabel(f"<b>{named}</b> — {where}")
        self.heading.setObjectName("study_heading")
        self._name = name
        self.spec: StudySpec | None = None
        start = current or StudySpec(name)
        style = start.resolved_style()
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        for info in describe(cls.Params):
            field = QLineEdit(_number(start.params.get(info.name, info.default)))
            field.setObjectName(f"param_{info.name}")
            kind = "whole number" if info.kind is int else "number"
            field.setToolTip(
                f"{info.description or info.title}: a {kind} from "
                f"{_number(info.minimum)} to {_number(info.maximum)}"
            )
            form.addRow(f"{info.title}:", field)
            self.fields[info.name] = field
        self.colours: dict[str, QLineEdit] = {}
        for output, colour in zip(cls.outputs, style.colours, strict=True):
            form.addRow(f"Colour of {output.replace('_', ' ')}:", self._colour_row(output, colour))
        self.width_field = QSpinBox()
        self.width_field.setObjectName("style_width")
        self.width_field.setRange(MIN_WIDTH, MAX_WIDTH)
        self.width_field.setValue(style.width)
        self.width_field.setSuffix(" px")
        form.addRow("Line width:", self.width_field)
        self.error = QLabel("")
        self.error.setObjectName("study_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ef5350;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        # Wide enough that the title bar shows the whole title beside its buttons.
        title_width = self.fontMetrics().horizontalAdvance(self.windowTitle()) + TITLE_BAR_SLACK_PX
        self.setMinimumWidth(max(self.sizeHint().width(), title_width))

    def _colour_row(self, output: str, colour: str) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        field = QLineEdit(colour)
        field.setObjectName(f"colour_{output}")
        field.setToolTip("#rrggbb")
        pick = QPushButton("…")
        pick.setObjectName(f"pick_{output}")
        pick.setFixedWidth(28)
        pick.clicked.connect(lambda: self._pick(field))
        box.addWidget(field)
        box.addWidget(pick)
        self.colours[output] = field
        return row

    def _pick(self, field: QLineEdit) -> None:
        chosen = QColorDialog.getColor(QColor(field.text()), self, "Colour")
        if chosen.isValid():
            field.setText(chosen.name())

    def accept(self) -> None:
        """Close only if every value passes the indicator's model; else say what is wrong."""
        values = {name: _typed(field.text()) for name, field in self.fields.items()}
        colours = []
        for output, field in self.colours.items():
            text = field.text().strip()
            if not QColor.isValidColorName(text):
                self._refuse(f"Colour of {output.replace('_', ' ')}: not a colour ({text!r})")
                return
            colours.append(QColor(text).name())
        try:
            self.spec = validated(
                self._name, values, StudyStyle(tuple(colours), self.width_field.value())
            )
        except IndicatorParamError as exc:
            self._refuse(str(exc), exc.parameter)
            return
        super().accept()

    def _refuse(self, message: str, parameter: str | None = None) -> None:
        self.error.setText(message)
        field = self.fields.get(parameter or "")
        if field is not None:
            field.setFocus()
            field.selectAll()


class StudiesDialog(QDialog):
    """What can be added (left) and what is on the chart (right); Enter, F2 and Delete work."""

    def __init__(self, studies: Callable[[], ChartStudies], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("studies_dialog")
        self.setWindowTitle("Indicators")
        self._studies = studies
        self.available = QListWidget()
        self.available.setObjectName("available_indicators")
        for name, cls in INDICATORS.items():
            where = "price" if cls.placement is Placement.OVERLAY else "own pane"
            item = QListWidgetItem(f"{cls.title} ({cls.short}) — {where}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.available.addItem(item)
        self.available.setCurrentRow(0)
        self.available.itemActivated.connect(lambda _item: self.add_selected())
        self.on_chart = QListWidget()
        self.on_chart.setObjectName("chart_indicators")
        self.on_chart.itemActivated.connect(lambda _item: self.edit_selected())
        self.on_chart.installEventFilter(self)
        add = QPushButton("&Add…")
        add.clicked.connect(self.add_selected)
        edit = QPushButton("&Edit…")
        edit.clicked.connect(self.edit_selected)
        remove = QPushButton("&Remove")
        remove.clicked.connect(self.remove_selected)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        for button in (add, edit, remove, close):  # Enter belongs to the lists
            button.setAutoDefault(False)
        lists = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(QLabel("Available (Enter adds):"))
        left.addWidget(self.available)
        left.addWidget(add)
        right = QVBoxLayout()
        right.addWidget(QLabel("On this chart (Enter edits, Delete removes):"))
        right.addWidget(self.on_chart)
        row = QHBoxLayout()
        row.addWidget(edit)
        row.addWidget(remove)
        right.addLayout(row)
        lists.addLayout(left)
        lists.addLayout(right)
        layout = QVBoxLayout(self)
        layout.addLayout(lists)
        layout.addWidget(close, alignment=Qt.AlignmentFlag.AlignRight)
        self.editor: StudyDialog | None = None
        self.refresh()
        self._fit_to_content()

    def _fit_to_content(self) -> None:
        """Every indicator's whole entry shown, no sideways scrolling, within the screen.

        A list widget's size hint ignores its entries, so the dialog opened too narrow
        for "Exponential Moving Average (EMA) — price" and cut it behind a scrollbar.
        """
        screen = (self.parentWidget() or self).screen().availableGeometry()
        listed = self.available
        frame = 2 * listed.frameWidth()
        wanted = listed.sizeHintForColumn(0) + frame + listed.verticalScrollBar().sizeHint().width()
        # Both lists side by side, the dialog's margins between: never wider than the screen.
        listed.setMinimumWidth(min(wanted + LIST_SLACK_PX, int(screen.width() * MAX_LIST_SHARE)))
        rows = listed.count() * max(listed.sizeHintForRow(0), 1) + frame
        listed.setMinimumHeight(min(rows, int(screen.height() * MAX_LIST_SHARE)))
        self.adjustSize()

    def refresh(self) -> None:
        row = self.on_chart.currentRow()
        self.on_chart.clear()
        for study in self._studies().studies:
            self.on_chart.addItem(study.label)
        if self.on_chart.count():
            self.on_chart.setCurrentRow(min(max(row, 0), self.on_chart.count() - 1))

    def add_selected(self) -> StudyDialog | None:
        item = self.available.currentItem()
        if item is None:
            return None
        name = str(item.data(Qt.ItemDataRole.UserRole))
        return self._open(StudyDialog(name, None, self), None)

    def edit_selected(self) -> StudyDialog | None:
        index = self.on_chart.currentRow()
        studies = self._studies().studies
        if not 0 <= index < len(studies):
            return None
        spec = studies[index].spec
        return self._open(StudyDialog(spec.name, spec, self), index)

    def remove_selected(self) -> None:
        index = self.on_chart.currentRow()
        if 0 <= index < len(self._studies().studies):
            self._studies().remove(index)
            self.refresh()

    def _open(self, editor: StudyDialog, index: int | None) -> StudyDialog:
        """Show ``editor`` (window-modal, not blocking); apply its result when accepted."""

        def apply() -> None:
            if editor.spec is None:
                return
            studies = self._studies()
            if index is None:
                studies.add(editor.spec)
            elif index < len(studies.studies):
                studies.edit(index, editor.spec)
            self.refresh()
            if index is None:
                self.on_chart.setCurrentRow(self.on_chart.count() - 1)

        editor.accepted.connect(apply)
        self.editor = editor
        editor.open()
        return editor

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete and F2 on the chart's list (the list itself would swallow F2)."""
        if (
            watched is self.on_chart
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            key = event.key()
            if key == Qt.Key.Key_Delete:
                self.remove_selected()
                return True
            if key == Qt.Key.Key_F2:
                self.edit_selected()
                return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # The lists act on Enter themselves; QDialog would press the default
            # button of any child, such as the OK of the editor just opened.
            return
        super().keyPressEvent(event)
