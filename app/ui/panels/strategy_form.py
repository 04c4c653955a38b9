"""The form that attaches a strategy or edits an instance, generated from its parameters.

Each field comes from the strategy's declared parameter model (the catalogue's
``ParamSpec``: kind, default, range and step), so a whole number is a spin box
that cannot leave its range and a switch is a check box; the instance's budget
is a second group, one field per limit. What a field alone cannot check (the
fast period below the slow one) the engine checks with the model itself: the
form sends the command with a request id and waits for the ``StrategyReply``;
a refusal stays in the form, in red, in the same words as the event log, and
nothing was stored. The form never blocks: it is shown with ``open()``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, QTimer
from PySide6.QtGui import QFocusEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.commands import Command
from app.domain.enums import OrderSource
from app.domain.strategies import (
    AttachStrategy,
    EditStrategy,
    ParamSpec,
    StrategyBudget,
    StrategyConfig,
    StrategyDescriptor,
    StrategyReply,
)
from app.domain.timeframes import Timeframe
from app.ui.widgets.theme import LOSS

_requests = itertools.count(1)
_BIG = 1e12  # a float field without a bound
_INT_LIMIT = 2**31 - 1  # a QSpinBox holds a C int; wider whole numbers go in a WholeBox
_EXACT = 2**53  # a double holds every whole number up to this

#: Budget fields in words (the dataclass names them for code).
BUDGET_LABELS = {
    "max_order_volume": "Max lots per order",
    "max_open_positions": "Max open positions",
    "max_net_position": "Max net lots per symbol",
    "max_orders_per_minute": "Max orders per minute",
    "max_daily_loss": "Max daily loss",
    "max_drawdown": "Max drawdown",
}

BUDGET_TIPS = {
    "max_daily_loss": (
        "Money in the account currency, not a percentage: the instance halts when its "
        "own P&L today (its closed trades plus its open positions' floating P&L) has "
        "lost this much. 0 turns the limit off."
    ),
    "max_drawdown": (
        "Money in the account currency, not a percentage: the instance halts when its "
        "own P&L has fallen this much from its highest point. 0 turns the limit off."
    ),
}
_MONEY = ("max_daily_loss", "max_drawdown")


def budget_text(budget: StrategyBudget, currency: str) -> str:
    """The instance's budget in one line per limit, for a tooltip on its row."""
    lines = []
    for item in fields(StrategyBudget):
        value = getattr(budget, item.name)
        label = BUDGET_LABELS.get(item.name, item.name)
        if not value:
            shown = "off"
        elif item.name in _MONEY:
            shown = f"{value:,.2f} {currency}".strip()
        else:
            shown = f"{value:g}"
        lines.append(f"{label}: {shown}")
    return "Budget\n" + "\n".join(lines)


Field = QSpinBox | QDoubleSpinBox | QCheckBox | QLineEdit | QComboBox


def _select_all_on_focus(box: QAbstractSpinBox) -> None:
    """Select the text now and once the event that gave the focus is done.

    A click lands the cursor somewhere in "0.00"; what is typed then goes around
    the zeros ("60" gives 600.00 or 060.00) or is refused past the decimals. With
    the text selected, typing replaces it, however the focus came (Tab, a click,
    a shortcut): 60 is 60. Qt selects only for Tab.
    """
    box.selectAll()
    QTimer.singleShot(0, box, box.selectAll)  # after the click that placed the cursor


class IntBox(QSpinBox):
    """A whole-number field whose text is selected when it gets the focus."""

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        _select_all_on_focus(self)


class FloatBox(QDoubleSpinBox):
    """A number field whose text is selected when it gets the focus."""

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        _select_all_on_focus(self)


class WholeBox(FloatBox):
    """A whole number beyond a C int's range (a QSpinBox would overflow); read as int."""

    def whole(self) -> int:
        return round(self.value())


def _decimals(step: float | None, value: object = None) -> int:
    """Decimals a float field shows: as many as its step has (0.01 → 2), else 4, and
    at least as many as its value has (up to 8), so an untouched field sends it as is."""
    if not step or not math.isfinite(step) or step <= 0:
        wanted = 4
    else:
        wanted = max(1, min(8, -math.floor(math.log10(step) + 1e-9)))
    if isinstance(value, float) and math.isfinite(value):
        written = f"{value:.8f}".rstrip("0").partition(".")[2]
        wanted = max(wanted, len(written))
    return wanted


class BigWholeEdit(QLineEdit):
    """A whole number too wide for a double to hold exactly: typed as digits, read as int
    (text that is not one goes as it is, for the model to refuse in words)."""

    def whole(self) -> int | str:
        text = self.text().strip()
        try:
            return int(text)
        except ValueError:
            return text


def _span(spec: ParamSpec) -> str:
    """``2–500``, ``≥ 0`` or ``≤ 1``: a number parameter's range in a few characters."""
    if spec.kind not in ("int", "float"):
        return ""
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        return f"{low:g}–{high:g}"
    if low is not None:
        return f"≥ {low:g}"
    return f"≤ {high:g}" if high is not None else ""


def plain_words(docstring: str) -> str:
    """A docstring as one paragraph of prose (no line breaks, no ``code`` marks)."""
    return " ".join(docstring.replace("``", "").split())


def param_field(spec: ParamSpec, value: Any) -> Field:
    """The widget for one parameter, holding ``value``; its range is the parameter's."""
    widget: Field
    if spec.kind == "bool":
        widget = QCheckBox()
        widget.setChecked(bool(value))
    elif spec.kind == "int":
        low = math.ceil(spec.minimum) if spec.minimum is not None else -_INT_LIMIT
        high = math.floor(spec.maximum) if spec.maximum is not None else _INT_LIMIT
        step = max(1, int(spec.step or 1))
        if low >= -_INT_LIMIT and high <= _INT_LIMIT:
            whole = IntBox()
            whole.setRange(low, high)
            whole.setSingleStep(step)
            whole.setValue(int(value))
            widget = whole
        elif low >= -_EXACT and high <= _EXACT:
            wide = WholeBox()
            wide.setDecimals(0)
            wide.setRange(low, high)
            wide.setSingleStep(step)
            wide.setValue(float(value))
            widget = wide
        else:
            digits = BigWholeEdit(str(int(value)))
            digits.setValidator(QRegularExpressionValidator(QRegularExpression(r"-?\d*")))
            widget = digits
    elif spec.kind == "float":
        widget = FloatBox()
        widget.setDecimals(_decimals(spec.step, value))
        widget.setRange(
            spec.minimum if spec.minimum is not None else -_BIG,
            spec.maximum if spec.maximum is not None else _BIG,
        )
        if spec.step:
            widget.setSingleStep(spec.step)
        widget.setValue(float(value))
    elif spec.kind == "choice":
        combo = QComboBox()
        for choice in getattr(spec, "choices", ()):
            combo.addItem(str(choice), choice)  # the value itself is what is sent
        if combo.findData(value) < 0:  # a stored value no longer offered: shown, then refused
            combo.addItem(str(value), value)
        combo.setCurrentIndex(combo.findData(value))
        widget = combo
    else:
        widget = QLineEdit("" if value is None else str(value))
        widget.setProperty("empty_is_none", spec.default is None)  # an optional value
    widget.setObjectName(f"param_{spec.name}")
    bounds = []
    if spec.minimum is not None:
        bounds.append(f"from {spec.minimum:g}")
    if spec.maximum is not None:
        bounds.append(f"to {spec.maximum:g}")
    widget.setToolTip(" ".join([spec.name + ":", spec.description, *bounds]).strip())
    return widget


def field_value(widget: Field) -> Any:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, WholeBox):
        return widget.whole()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, BigWholeEdit):
        return widget.whole()
    text = widget.text()  # as shown: spaces the strategy gave its default are kept
    if not text.strip() and widget.property("empty_is_none"):
        return None
    return text


class StrategyForm(QDialog):
    """Attach ``descriptor`` (``config`` None) or edit the instance ``config``.

    ``send`` puts the command on the bus; the owner hands every ``StrategyReply``
    to ``on_reply``. ``accepted`` fires only after the engine said yes.
    """

    def __init__(
        self,
        descriptor: StrategyDescriptor,
        send: Callable[[Command], None],
        *,
        symbols: Sequence[str] = (),
        symbol: str = "",
        timeframe: Timeframe = Timeframe.M15,
        config: StrategyConfig | None = None,
        currency: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("strategy_form")
        self.descriptor = descriptor
        self.config = config
        self._send = send
        self.request_id = ""
        self.reply: StrategyReply | None = None
        editing = config is not None
        what = config.name if config is not None else descriptor.title
        self.setWindowTitle(f"Edit {what}" if editing else f"Attach {what}")
        # The title bar is not always in view (or there): the form names what it attaches.
        named = f"{what} ({descriptor.title})" if editing else descriptor.title
        self.heading = QLabel(f"{'Edit' if editing else 'Attach'} {named}")
        self.heading.setObjectName("strategy_form_heading")
        bold = self.heading.font()
        bold.setBold(True)
        self.heading.setFont(bold)

        about = QLabel(plain_words(descriptor.description) or descriptor.title)
        about.setWordWrap(True)
        where = QFormLayout()
        self.symbol = QComboBox()
        self.symbol.setObjectName("strategy_symbol")
        self.symbol.addItems(list(symbols))
        self.symbol.setEditable(True)
        self.symbol.setCurrentText(config.symbol if config is not None else symbol)
        self.timeframe = QComboBox()
        self.timeframe.setObjectName("strategy_timeframe")
        self.timeframe.addItems([tf.name for tf in Timeframe])
        self.timeframe.setCurrentText((config.timeframe if config else timeframe).name)
        for box in (self.symbol, self.timeframe):
            box.setEnabled(not editing)  # an instance keeps its symbol and timeframe
        where.addRow("Symbol", self.symbol)
        where.addRow("Timeframe", self.timeframe)

        values: Mapping[str, Any] = config.params if config is not None else {}
        self.params: dict[str, Field] = {}
        params_box = QGroupBox("Parameters")
        params_form = QFormLayout(params_box)
        for spec in descriptor.params:
            widget = param_field(spec, values.get(spec.name, spec.default))
            self.params[spec.name] = widget
            label = spec.description or spec.name
            # Its range in view: a spin box silently keeps a typed value inside it.
            notes = ", ".join(
                w for w in (spec.name if label != spec.name else "", _span(spec)) if w
            )
            params_form.addRow(f"{label} ({notes})" if notes else label, widget)
        if not descriptor.params:
            params_form.addRow(QLabel("This strategy has no parameters."))

        budget = config.budget if config is not None else StrategyBudget()
        self.budget: dict[str, Field] = {}
        budget_box = QGroupBox("Budget (0 turns a limit off)")
        budget_form = QFormLayout(budget_box)
        for item in fields(StrategyBudget):
            number = getattr(budget, item.name)
            kind = "int" if isinstance(number, int) else "float"
            spec = ParamSpec(
                item.name, kind, number, minimum=0.0, step=1 if kind == "int" else 0.01
            )
            widget = param_field(spec, number)
            self.budget[item.name] = widget
            words = BUDGET_LABELS.get(item.name, item.name)
            if item.name in _MONEY:  # money, not a percentage: in the account's currency
                words = f"{words} ({currency or 'account currency'})"
                tip = BUDGET_TIPS[item.name]
                widget.setToolTip(
                    tip.replace("the account currency", currency) if currency else tip
                )
            budget_form.addRow(words, widget)

        self.autostart = QCheckBox("Start by itself when Tradeterm starts")
        self.autostart.setObjectName("strategy_autostart")
        self.autostart.setChecked(config.autostart if config is not None else False)
        self.start_now = QCheckBox("Start it now")
        self.start_now.setObjectName("strategy_start_now")
        self.start_now.setVisible(not editing)

        self.problem = QLabel("")
        self.problem.setObjectName("strategy_form_problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {LOSS.name()}; font-weight: bold")
        self.problem.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Save" if editing else "Attach")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        # Side by side: one above the other is taller than a 768-pixel screen holds.
        boxes = QHBoxLayout()
        boxes.addWidget(params_box, 1, Qt.AlignmentFlag.AlignTop)
        boxes.addWidget(budget_box, 1, Qt.AlignmentFlag.AlignTop)

        layout = self._layout = QVBoxLayout(self)
        # The window grows to what it holds (a refusal's lines too) instead of squashing.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(self.heading)
        layout.addWidget(about)
        layout.addLayout(where)
        layout.addLayout(boxes)
        layout.addWidget(self.autostart)
        layout.addWidget(self.start_now)
        layout.addWidget(self.problem)
        # The height a refusal's lines leave behind goes here, under them: the fields
        # never move under the trader's mouse when a refusal shows or goes.
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._watch_edits()

    # -- what the trader typed ------------------------------------------------------
    def param_values(self) -> dict[str, Any]:
        return {name: field_value(widget) for name, widget in self.params.items()}

    def budget_value(self) -> StrategyBudget:
        return StrategyBudget.from_dict({n: field_value(w) for n, w in self.budget.items()})

    def _watch_edits(self) -> None:
        """A refusal in red describes what was sent: any edit may have mended it."""
        hide = self.problem.hide
        for widget in [*self.params.values(), *self.budget.values()]:
            if isinstance(widget, QCheckBox):
                widget.toggled.connect(hide)
            elif isinstance(widget, QSpinBox | QDoubleSpinBox):
                widget.valueChanged.connect(hide)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(hide)
            else:
                widget.textEdited.connect(hide)
        self.symbol.editTextChanged.connect(hide)
        self.timeframe.currentIndexChanged.connect(hide)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        if text:
            self._fit()

    def _fit(self) -> None:
        """Grow to hold every field at its height and all the red lines (never shrink)."""
        layout = self._layout
        layout.activate()
        width = self.width()
        need = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
        need = max(need, layout.totalSizeHint().height())
        if self.height() < need:
            self.resize(width, need)

    def _waiting(self, waiting: bool) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not waiting)
        if waiting:
            self.problem.hide()

    # -- to the engine and back -------------------------------------------------------
    def submit(self) -> None:
        """Send the attach or edit; the form stays open until the engine answers."""
        if self.request_id:
            return  # one question at a time
        symbol = self.symbol.currentText().strip().upper()
        if not symbol:
            self.show_problem("Choose a symbol")
            return
        try:
            budget = self.budget_value()
        except ValueError as exc:
            self.show_problem(str(exc))
            return
        self.request_id = f"strategy-form-{next(_requests)}"
        command: Command
        if self.config is None:
            command = AttachStrategy(
                self.descriptor.key,
                symbol,
                Timeframe[self.timeframe.currentText()],
                self.param_values(),
                budget,
                autostart=self.autostart.isChecked(),
                start=self.start_now.isChecked(),
                source=OrderSource.PANEL,
                request_id=self.request_id,
            )
        else:
            command = EditStrategy(
                self.config.name,
                self.param_values(),
                budget,
                self.autostart.isChecked(),
                source=OrderSource.PANEL,
                request_id=self.request_id,
            )
        self._waiting(True)
        self._send(command)

    def on_reply(self, reply: StrategyReply) -> bool:
        """The engine's answer; True if it was this form's. A refusal stays in the form."""
        if not self.request_id or reply.request_id != self.request_id:
            return False
        self.request_id = ""
        self.reply = reply
        self._waiting(False)
        if reply.ok:
            self.accept()
        else:
            self.show_problem(self.reason(reply.text))
        return True

    def reason(self, text: str) -> str:
        """The engine's refusal without the names the form's title already says.

        The event log's line names the strategy for a reader who sees many
        (``ma_cross: MA cross fast: must be …``); in its own form that is noise,
        so the reason is said once, from the parameter on (``fast: must be …``),
        and that field gets the focus to be typed over.
        """
        names = {self.descriptor.key, self.descriptor.title}
        if self.config is not None:
            names.add(self.config.name)
        shorter = True
        while shorter:
            shorter = False
            for name in names:
                if name and text.startswith(f"{name}: "):
                    text, shorter = text[len(name) + 2 :], True
        head, colon, rest = text.partition(": ")
        words = head.split(" ")
        if colon and words[-1] in self.params:  # "<the model's name> fast: must be …"
            text = f"{words[-1]}: {rest}"
            self.params[words[-1]].setFocus(Qt.FocusReason.OtherFocusReason)
        return text
