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

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
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

#: Budget fields in words (the dataclass names them for code).
BUDGET_LABELS = {
    "max_order_volume": "Max lots per order",
    "max_open_positions": "Max open positions",
    "max_net_position": "Max net lots per symbol",
    "max_orders_per_minute": "Max orders per minute",
    "max_daily_loss": "Max daily loss",
    "max_drawdown": "Max drawdown",
}

Field = QSpinBox | QDoubleSpinBox | QCheckBox | QLineEdit


def _decimals(step: float | None) -> int:
    """Decimals a float field shows: as many as its step has (0.01 → 2), else 4."""
    if not step or not math.isfinite(step) or step <= 0:
        return 4
    return max(1, min(8, -math.floor(math.log10(step) + 1e-9)))


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
        widget = QSpinBox()
        low = int(spec.minimum) if spec.minimum is not None else -(2**31) + 1
        high = int(spec.maximum) if spec.maximum is not None else 2**31 - 1
        widget.setRange(low, high)
        widget.setSingleStep(max(1, int(spec.step or 1)))
        widget.setValue(int(value))
    elif spec.kind == "float":
        widget = QDoubleSpinBox()
        widget.setDecimals(_decimals(spec.step))
        widget.setRange(
            spec.minimum if spec.minimum is not None else -_BIG,
            spec.maximum if spec.maximum is not None else _BIG,
        )
        if spec.step:
            widget.setSingleStep(spec.step)
        widget.setValue(float(value))
    else:
        widget = QLineEdit(str(value))
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
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    return widget.text().strip()


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
            params_form.addRow(f"{label} ({spec.name})" if label != spec.name else label, widget)
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
            budget_form.addRow(BUDGET_LABELS.get(item.name, item.name), widget)

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

        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(where)
        layout.addWidget(params_box)
        layout.addWidget(budget_box)
        layout.addWidget(self.autostart)
        layout.addWidget(self.start_now)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    # -- what the trader typed ------------------------------------------------------
    def param_values(self) -> dict[str, Any]:
        return {name: field_value(widget) for name, widget in self.params.items()}

    def budget_value(self) -> StrategyBudget:
        return StrategyBudget.from_dict({n: field_value(w) for n, w in self.budget.items()})

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

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
            self.show_problem(reply.text)
        return True
