"""The form that creates or edits an alert: its condition, level, trigger, expiry and actions.

It edits what a trader changes on a list (the condition among those its watch
allows, the level or the channel's edges, the trigger, the count, the expiry,
the actions and the note); what it does not show (an indicator, a trend line, a
position) is kept as it was. The engine judges the result (``alert_problems``
and, for a new webhook, a test POST): the form sends the command with a request
id and stays open until the ``AlertReply``; a refusal is shown in the form and
nothing was stored.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.alert_facts import AlertReply, CreateAlert, EditAlert
from app.domain.alerts import ALLOWED, AlertActions, AlertSpec, Condition, Trigger, Watch
from app.domain.commands import Command
from app.domain.enums import OrderSource
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.ui.widgets.theme import LOSS

_requests = itertools.count(1)
_BIG = 1e12

CONDITION_LABELS = {
    Condition.CROSSES: "crosses (either way)",
    Condition.CROSSES_UP: "crosses up",
    Condition.CROSSES_DOWN: "crosses down",
    Condition.ABOVE: "is above",
    Condition.BELOW: "is below",
    Condition.ENTERS_CHANNEL: "enters the channel",
    Condition.EXITS_CHANNEL: "leaves the channel",
    Condition.MOVES_UP: "rises by",
    Condition.MOVES_DOWN: "falls by",
    Condition.AT: "at a time",
}
TRIGGER_LABELS = {
    Trigger.ONCE: "once",
    Trigger.ONCE_PER_BAR: "once per bar",
    Trigger.ONCE_PER_BAR_CLOSE: "once per bar close",
    Trigger.EVERY: "every time (at most every …)",
}


def _combo(name: str, items: Mapping[Any, str], current: object) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for value, text in items.items():
        box.addItem(text, value)
    index = box.findData(current)
    box.setCurrentIndex(max(0, index))
    return box


def _number(name: str, value: float, digits: int) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setObjectName(name)
    box.setDecimals(digits)
    box.setRange(-_BIG, _BIG)
    box.setSingleStep(10.0**-digits)
    box.setValue(value)
    return box


def _count(name: str, value: int, high: int, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(0, high)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class AlertForm(QDialog):
    """Create an alert (``number`` None) or edit alert ``number`` from ``spec``."""

    def __init__(
        self,
        spec: AlertSpec,
        send: Callable[[Command], None],
        *,
        number: int | None = None,
        symbols: Mapping[str, SymbolSpec] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        telegram_on: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        """``telegram_on``: whether the bot runs (off: its box says so, it reaches nobody)."""
        super().__init__(parent)
        self.setObjectName("alert_form")
        self.spec = spec
        self.number = number
        self._send = send
        self._symbols = symbols or {}
        self.request_id = ""
        self.reply: AlertReply | None = None
        self.setWindowTitle(f"Edit alert {number}" if number is not None else "New alert")
        symbol_spec = self._symbols.get(spec.symbol)
        digits = symbol_spec.digits if symbol_spec is not None and spec.watch.is_price else 2

        form = QFormLayout()
        self.symbol = QComboBox()
        self.symbol.setObjectName("alert_symbol")
        self.symbol.setEditable(True)
        self.symbol.addItems(list(self._symbols))
        self.symbol.setCurrentText(spec.symbol)
        self.symbol.setEnabled(number is None)
        form.addRow("Symbol", self.symbol)
        prices = {w: w.value for w in (Watch.BID, Watch.ASK, Watch.LAST)}
        self.watch = _combo(
            "alert_watch",
            prices if spec.watch.is_price else {spec.watch: spec.watch.value},
            spec.watch,
        )
        self.watch.setEnabled(spec.watch.is_price)
        form.addRow("Watch", self.watch)
        allowed = [c for c in Condition if c in ALLOWED[spec.watch]]
        self.condition = _combo(
            "alert_condition", {c: CONDITION_LABELS[c] for c in allowed}, spec.condition
        )
        form.addRow("Condition", self.condition)
        self.level = _number("alert_level", spec.level or 0.0, digits)
        self.upper = _number("alert_upper", spec.upper or spec.level or 0.0, digits)
        levels = QHBoxLayout()
        levels.addWidget(self.level)
        self.upper_label = QLabel("to")
        levels.addWidget(self.upper_label)
        levels.addWidget(self.upper)
        form.addRow("Level", levels)

        self.trigger = _combo("alert_trigger", TRIGGER_LABELS, spec.trigger)
        form.addRow("Fires", self.trigger)
        self.timeframe = _combo(
            "alert_timeframe", {tf: tf.name for tf in Timeframe}, spec.timeframe or Timeframe.M15
        )
        form.addRow("Bar timeframe", self.timeframe)
        self.interval = _count("alert_interval", spec.interval_s, 7 * 86_400, " s")
        form.addRow("At most every", self.interval)
        self.max_count = _count("alert_max_count", spec.max_count, 1_000_000)
        self.max_count.setSpecialValueText("no limit")
        form.addRow("Max firings", self.max_count)
        expiry = QHBoxLayout()
        self.expires = QCheckBox("Expires")
        self.expires.setObjectName("alert_expires")
        self.expiry = QDateTimeEdit()
        self.expiry.setObjectName("alert_expiry")
        self.expiry.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.expiry.setCalendarPopup(True)
        when = (
            datetime.fromtimestamp(spec.expires_msc / 1000, UTC)
            if spec.expires_msc is not None
            else now() + timedelta(days=1)
        )
        self.expiry.setDateTime(QDateTime.fromMSecsSinceEpoch(int(when.timestamp() * 1000)))
        self.expires.setChecked(spec.expires_msc is not None)
        expiry.addWidget(self.expires)
        expiry.addWidget(self.expiry, 1)
        form.addRow("Expiry", expiry)

        actions = spec.actions
        self.sound = QCheckBox("Sound")
        self.sound.setChecked(actions.sound)
        self.notify = QCheckBox("Desktop notification")
        self.notify.setChecked(actions.notify)
        self.telegram = QCheckBox("Telegram" if telegram_on else "Telegram (off)")
        self.telegram.setObjectName("alert_telegram")
        self.telegram.setChecked(actions.telegram)
        if not telegram_on:
            self.telegram.setToolTip(
                "Telegram is off (Settings → Telegram…): a firing sends it nothing"
            )
        ticks = QHBoxLayout()
        for box in (self.sound, self.notify, self.telegram):
            ticks.addWidget(box)
        form.addRow("Actions", ticks)
        self.webhook = QLineEdit(actions.webhook)
        self.webhook.setObjectName("alert_webhook")
        self.webhook.setPlaceholderText("optional: https://… (gets a JSON POST)")
        form.addRow("Webhook", self.webhook)
        repeat = QHBoxLayout()
        self.repeat = QCheckBox("Repeat until acknowledged, every")
        self.repeat.setObjectName("alert_repeat")
        self.repeat.setChecked(actions.repeat_until_ack)
        self.repeat_every = _count("alert_repeat_every", actions.repeat_every_s, 86_400, " s")
        repeat.addWidget(self.repeat)
        repeat.addWidget(self.repeat_every, 1)
        form.addRow("", repeat)
        self.note = QLineEdit(spec.note)
        self.note.setObjectName("alert_note")
        form.addRow("Note", self.note)
        if actions.order is not None:
            order = actions.order
            state = "on" if actions.trade else "off (not opted in)"
            form.addRow(
                "Order",
                QLabel(f"{order.side.upper()} {order.volume:g} {order.symbol} at market: {state}"),
            )

        self.problem = QLabel("")
        self.problem.setObjectName("alert_form_problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {LOSS.name()}; font-weight: bold")
        self.problem.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Save" if number is not None else "Create")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.condition.currentIndexChanged.connect(self._follow)
        self.trigger.currentIndexChanged.connect(self._follow)
        self.expires.toggled.connect(self._follow)
        self.repeat.toggled.connect(self._follow)
        self._follow()

    def _follow(self, *_: object) -> None:
        """Only the fields the chosen condition and trigger use are enabled."""
        condition = Condition(self.condition.currentData())
        channel = condition.is_channel
        self.level.setEnabled(self._uses_level(condition))
        self.upper.setVisible(channel)
        self.upper_label.setVisible(channel)
        trigger = Trigger(self.trigger.currentData())
        self.timeframe.setEnabled(trigger in (Trigger.ONCE_PER_BAR, Trigger.ONCE_PER_BAR_CLOSE))
        self.interval.setEnabled(trigger is Trigger.EVERY)
        self.max_count.setEnabled(trigger is not Trigger.ONCE)
        self.expiry.setEnabled(self.expires.isChecked())
        self.repeat_every.setEnabled(self.repeat.isChecked())

    def _uses_level(self, condition: Condition) -> bool:
        """A fixed level: not a move, a time, a trend line or another indicator."""
        spec = self.spec
        fixed = spec.line is None and spec.other is None
        return fixed and not condition.is_move and condition is not Condition.AT

    # -- what the trader chose --------------------------------------------------------
    def edited_spec(self) -> AlertSpec:
        spec = self.spec
        condition = Condition(self.condition.currentData())
        trigger = Trigger(self.trigger.currentData())
        bars = trigger in (Trigger.ONCE_PER_BAR, Trigger.ONCE_PER_BAR_CLOSE)
        expires = self.expiry.dateTime().toMSecsSinceEpoch() if self.expires.isChecked() else None
        actions: AlertActions = replace(
            spec.actions,
            sound=self.sound.isChecked(),
            notify=self.notify.isChecked(),
            telegram=self.telegram.isChecked(),
            webhook=self.webhook.text().strip(),
            repeat_until_ack=self.repeat.isChecked(),
            repeat_every_s=self.repeat_every.value(),
        )
        has_level = self._uses_level(condition)
        return replace(
            spec,
            symbol=self.symbol.currentText().strip().upper(),
            watch=Watch(self.watch.currentData()),
            condition=condition,
            level=self.level.value() if has_level else spec.level,
            upper=self.upper.value() if condition.is_channel else None,
            trigger=trigger,
            timeframe=Timeframe(self.timeframe.currentData()) if bars else None,
            interval_s=self.interval.value() if trigger is Trigger.EVERY else 0,
            max_count=self.max_count.value() if trigger is not Trigger.ONCE else 0,
            expires_msc=expires,
            actions=actions,
            note=self.note.text().strip(),
        )

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    # -- to the engine and back -------------------------------------------------------
    def submit(self) -> None:
        if self.request_id:
            return
        spec = self.edited_spec()
        if not spec.symbol:
            self.show_problem("Choose a symbol")
            return
        self.request_id = f"alert-form-{next(_requests)}"
        command: Command
        if self.number is None:
            command = CreateAlert(spec, self.request_id, OrderSource.PANEL)
        else:
            command = EditAlert(self.number, spec, self.request_id, OrderSource.PANEL)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.problem.hide()
        self._send(command)

    def on_reply(self, reply: AlertReply) -> bool:
        if not self.request_id or reply.request_id != self.request_id:
            return False
        self.request_id = ""
        self.reply = reply
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        if reply.ok:
            self.accept()
        else:
            self.show_problem(reply.text)
        return True
