"""Settings → Risk limits…: edit the gate's limits while the terminal runs.

The dialog only builds a new ``RiskLimits`` and checks it with the domain's own
validation; bad input is shown in words and the dialog stays open. The engine
applies the change (and refuses to loosen anything while trading is HALTED), so
the dialog never decides policy, it only proposes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import fields

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.command_parser import typed_number
from app.domain.risk_limits import WEEKDAYS, RiskLimits, SymbolLimits, TradingHours, parse_window
from app.settings import RiskSettings, validation_problems
from app.ui.widgets.theme import LOSS

# (field, label) of every plain number the dialog edits, by tab, in the panel's order.
ORDER_FIELDS: tuple[tuple[str, str], ...] = (
    ("max_order_volume", "Max volume per order (lots)"),
    ("max_order_notional", "Max notional per order"),
    ("max_net_volume", "Max net position (lots)"),
    ("max_total_exposure", "Max total exposure"),
    ("max_open_positions", "Max open positions"),
    ("max_working_orders", "Max working orders"),
    ("max_orders_per_second", "Max orders per second"),
    ("max_orders_per_minute", "Max orders per minute"),
    ("max_price_distance_pct", "Price collar (% from market)"),
    ("max_spread_multiple", "Spread collar (× typical)"),
    ("spread_window", "Typical spread window (ticks)"),
    ("stale_quote_seconds", "Stale quote guard (s)"),
)
LOSS_FIELDS: tuple[tuple[str, str], ...] = (
    ("max_daily_loss", "Max daily loss"),
    ("max_drawdown_pct", "Max drawdown (%)"),
    ("min_margin_level_pct", "Min margin level (%)"),
    ("warning_fraction", "Warning at (fraction of a limit)"),
)
NUMBER_FIELDS = ORDER_FIELDS + LOSS_FIELDS
# Limits in money of the account's currency (the label names it, as the gate's messages do).
MONEY_FIELDS = frozenset({"max_order_notional", "max_total_exposure", "max_daily_loss"})
_INT_FIELDS = frozenset(f.name for f in fields(RiskLimits) if f.type in ("int", int))
_OVERRIDE_KEYS = tuple(f.name for f in fields(SymbolLimits))


class RiskLimitsDialog(QDialog):
    """``result_limits`` holds the accepted limits after ``accepted``."""

    def __init__(
        self,
        limits: RiskLimits,
        parent: QWidget | None = None,
        *,
        known_symbols: Iterable[str] | None = None,
        currency: str | None = None,
    ) -> None:
        """``known_symbols``: the configured ones; limits naming another are refused here.
        ``currency``: the account's, for the money limits' labels (None: not connected)."""
        super().__init__(parent)
        self._symbols = tuple(known_symbols) if known_symbols is not None else None
        self.setWindowTitle("Risk limits")
        self.setObjectName("risk_limits_dialog")
        self.result_limits: RiskLimits | None = None
        self.numbers: dict[str, QLineEdit] = {}
        orders, losses, symbols = QFormLayout(), QFormLayout(), QFormLayout()
        for form, fields_of in ((orders, ORDER_FIELDS), (losses, LOSS_FIELDS)):
            for name, label in fields_of:
                edit = QLineEdit(_number_text(getattr(limits, name)))
                edit.setObjectName(f"limit_{name}")
                self.numbers[name] = edit
                if name in MONEY_FIELDS:
                    label = f"{label} ({currency or 'account currency'})"
                form.addRow(label, edit)
        self.reduce_on_warning = QCheckBox("A loss warning moves trading to REDUCING")
        self.reduce_on_warning.setChecked(limits.reduce_on_warning)
        self.reduce_on_warning.setToolTip(
            "REDUCING: only market orders that reduce the net position pass (closes, "
            "modifications and cancels too); new exposure is refused until you resume. "
            "It applies to each strategy's own budget as well: an instance near its own "
            "loss limit may then only reduce what it holds."
        )
        losses.addRow("", self.reduce_on_warning)
        self.reset_time = QLineEdit(limits.daily_reset_time)
        losses.addRow("Trading day starts at (HH:MM)", self.reset_time)
        self.reset_zone = QLineEdit(limits.daily_reset_timezone)
        losses.addRow("…in time zone", self.reset_zone)
        self.allowed_symbols = QLineEdit(", ".join(limits.allowed_symbols))
        self.allowed_symbols.setPlaceholderText("all symbols")
        symbols.addRow("Allowed symbols", self.allowed_symbols)
        self.hours: dict[str, QLineEdit] = {}
        for index, day in enumerate(WEEKDAYS):
            spans = limits.trading_hours.describe(index)
            edit = QLineEdit("" if spans == "closed" else spans)
            edit.setPlaceholderText("closed")
            self.hours[day] = edit
            symbols.addRow(f"{day.capitalize()} (UTC)", edit)
        self.overrides = QPlainTextEdit(_overrides_text(limits))
        self.overrides.setPlaceholderText("XAUUSD max_order_volume=1 max_net_volume=2")
        self.overrides.setMaximumHeight(80)
        symbols.addRow("Per-symbol overrides", self.overrides)
        # Three tabs, so the dialog fits a 1366×768 screen at 150 % (about 510 pixels high).
        self.tabs = QTabWidget()
        for form, title in (
            (orders, "&Orders"),
            (losses, "&Losses"),
            (symbols, "&Symbols and hours"),
        ):
            page = QWidget()
            page.setLayout(form)
            self.tabs.addTab(page, title)

        self.error = QLabel("")
        self.error.setObjectName("risk_limits_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {LOSS.name()}")
        hint = QLabel(
            "0 switches a rule off. Loosening a limit needs trading ACTIVE. A change "
            "applies at once and is saved in your settings file: it holds after a restart."
        )
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._base = limits

    def build(self) -> tuple[RiskLimits | None, list[str]]:
        """The limits typed in, or the problems with them in words."""
        problems: list[str] = []
        values: dict[str, object] = {}
        labels = dict(NUMBER_FIELDS)
        for name, edit in self.numbers.items():
            # The command line's reading: "1,5" is 1.5 (never 15), "1,000" is refused.
            number, problem = typed_number(edit.text(), "")
            if number is None:
                problems.append(f"{labels[name]}: {problem or f'{edit.text()!r} is not a number'}")
                continue
            if not math.isfinite(number):
                problems.append(f"{labels[name]}: must be a finite number")
                continue
            if name in _INT_FIELDS:
                if number != int(number):
                    problems.append(f"{labels[name]}: must be a whole number")
                    continue
                values[name] = int(number)
            else:
                values[name] = number
        days: dict[str, list[str]] = {}
        for day, edit in self.hours.items():
            spans = [part.strip() for part in edit.text().split(",") if part.strip()]
            for span in spans:
                try:
                    parse_window(span)
                except ValueError as exc:
                    problems.append(f"{day.capitalize()}: {exc}")
            days[day] = spans
        overrides, override_problems = _parse_overrides(self.overrides.toPlainText())
        problems += override_problems
        if problems:
            return None, problems
        symbols = tuple(
            s.strip().upper() for s in self.allowed_symbols.text().split(",") if s.strip()
        )
        limits = self._base.with_values(
            **values,
            reduce_on_warning=self.reduce_on_warning.isChecked(),
            allowed_symbols=symbols,
            daily_reset_time=self.reset_time.text().strip(),
            daily_reset_timezone=self.reset_zone.text().strip(),
            trading_hours=TradingHours.parse(days),
            symbols=overrides,
        )
        problems = limits.problems()
        if self._symbols is not None:
            problems += limits.unknown_symbols(self._symbols)
        if not problems:
            problems += _unsaveable(limits)
        return (None, problems) if problems else (limits, [])

    def accept(self) -> None:
        limits, problems = self.build()
        if limits is None:
            self.error.setText("; ".join(problems))
            return
        self.error.setText("")
        self.result_limits = limits
        super().accept()


def _unsaveable(limits: RiskLimits) -> list[str]:
    """What the settings file would refuse (an accepted change is saved there)."""
    try:
        RiskSettings.from_limits(limits)
    except ValidationError as exc:
        return validation_problems(exc)
    return []


def _number_text(value: float) -> str:
    """A limit as a trader types it: 1000000, 0.5, 20 (never 1e+06); read back with the
    command line's number rules."""
    if isinstance(value, float):
        return f"{value:.10f}".rstrip("0").rstrip(".") or "0"
    return str(value)


def _overrides_text(limits: RiskLimits) -> str:
    lines = []
    for symbol, override in sorted(limits.symbols.items()):
        parts = [
            f"{key}={getattr(override, key):g}"
            for key in _OVERRIDE_KEYS
            if getattr(override, key) is not None
        ]
        lines.append(" ".join([symbol, *parts]))
    return "\n".join(lines)


def _parse_overrides(text: str) -> tuple[dict[str, SymbolLimits], list[str]]:
    """``XAUUSD max_order_volume=1 max_net_volume=2`` per line."""
    out: dict[str, SymbolLimits] = {}
    problems: list[str] = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        symbol, values = words[0].upper(), {}
        for word in words[1:]:
            key, sep, raw = word.partition("=")
            if not sep or key not in _OVERRIDE_KEYS:
                problems.append(
                    f"Override {symbol}: {word!r} is not one of {', '.join(_OVERRIDE_KEYS)}=N"
                )
                continue
            try:
                values[key] = float(raw)
            except ValueError:
                problems.append(f"Override {symbol}: {raw!r} is not a number")
        out[symbol] = SymbolLimits(**values)
    return out, problems
