"""The risk panel: trading state, every rule's usage as a gauge, the kill switch.

It draws what the engine says (``RiskSnapshot`` in each frame, risk facts as they
happen) and asks for actions through signals; it never decides anything itself.
The main window turns the signals into commands (and asks before flattening).
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import TradingState
from app.domain.risk_facts import RiskBreach, RiskFact, RiskSnapshot, RiskWarning, UsageLevel
from app.domain.risk_limits import RiskRule
from app.ui.widgets.theme import LOSS, PROFIT, WARNING

MAX_BREACHES = 20
_ROUND_MONEY = re.compile(r"(\d{1,3}(?:,\d{3})+)\.00\b")


def compact(text: str) -> str:
    """A round amount without its cents: "1,000,000.00 USD" reads "1,000,000 USD"."""
    return _ROUND_MONEY.sub(r"\1", text)


_STATE_COLORS = {
    TradingState.ACTIVE: PROFIT,
    TradingState.REDUCING: WARNING,
    TradingState.HALTED: LOSS,
}
_LEVEL_COLORS = {UsageLevel.OK: PROFIT, UsageLevel.WARNING: WARNING, UsageLevel.BREACH: LOSS}


class RiskPanel(QWidget):
    """``halt_requested(flatten)`` and ``resume_requested`` go to the main window."""

    halt_requested = Signal(bool)
    resume_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = TradingState.ACTIVE
        self._banner_shows: tuple[TradingState, str] | None = None
        self._last: RiskSnapshot | None = None

        self.banner = QLabel()
        self.banner.setObjectName("risk_state")
        self.banner.setWordWrap(True)

        self.kill_button = QPushButton("HALT  (Ctrl+Shift+H)")
        self.kill_button.setObjectName("risk_kill")
        self.kill_button.setToolTip("Kill switch: stop all new orders at once")
        self.kill_button.setStyleSheet(
            f"background: {LOSS.name()}; color: white; font-weight: bold"
        )
        self.kill_button.clicked.connect(lambda: self.halt_requested.emit(False))
        self.flatten_button = QPushButton("Flatten…")
        self.flatten_button.setObjectName("risk_flatten")
        self.flatten_button.setToolTip("Halt, cancel every order and close every position")
        self.flatten_button.clicked.connect(lambda: self.halt_requested.emit(True))
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("risk_resume")
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(self.resume_requested.emit)
        # HALT on a row of its own, as wide as the panel: the button a trader must find.
        buttons = QGridLayout()
        buttons.addWidget(self.kill_button, 0, 0, 1, 2)
        buttons.addWidget(self.flatten_button, 1, 0)
        buttons.addWidget(self.resume_button, 1, 1)
        for button in (self.kill_button, self.flatten_button, self.resume_button):
            button.setMinimumWidth(60)  # a narrow column keeps all three whole

        grid = QGridLayout()
        grid.setVerticalSpacing(2)
        for column, title in enumerate(("Rule", "Limit", "Now", "")):
            header = QLabel(f"<b>{title}</b>")
            grid.addWidget(header, 0, column)
        self.limit_labels: dict[RiskRule, QLabel] = {}
        self.usage_labels: dict[RiskRule, QLabel] = {}
        self.gauges: dict[RiskRule, QProgressBar] = {}
        self._levels: dict[RiskRule, UsageLevel | None] = {}
        rules = [r for r in RiskRule if r not in (RiskRule.TRADING_STATE, RiskRule.STRATEGY_BUDGET)]
        for row, rule in enumerate(rules, start=1):
            limit, usage, gauge = QLabel("—"), QLabel("—"), QProgressBar()
            for label in (limit, usage):
                label.setWordWrap(True)  # a long figure wraps rather than widen the panel
            gauge.setRange(0, 100)
            # A thin bar, at least twice as wide as high: a 12×14 box at 0 % was taken
            # for an unticked check box.
            gauge.setFixedHeight(8)
            gauge.setMinimumWidth(20)
            gauge.setTextVisible(False)
            gauge.setObjectName(f"gauge_{rule.value}")
            gauge.setVisible(False)
            name = QLabel(rule.label)
            name.setWordWrap(True)
            grid.addWidget(name, row, 0)
            grid.addWidget(limit, row, 1)
            grid.addWidget(usage, row, 2)
            grid.addWidget(gauge, row, 3)
            self.limit_labels[rule], self.usage_labels[rule] = limit, usage
            self.gauges[rule] = gauge
            self._levels[rule] = None
        grid.setColumnStretch(3, 1)

        self.breaches = QListWidget()
        self.breaches.setObjectName("risk_breaches")
        self.breaches.setMaximumHeight(110)

        self._show_state(TradingState.ACTIVE, "waiting for the engine")
        # The state and the kill switch, which the window may place above the account.
        self.controls = QWidget()
        self.controls.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # where Resume leaves it
        controls = QVBoxLayout(self.controls)
        controls.setContentsMargins(4, 4, 4, 0)
        controls.addWidget(self.banner)
        controls.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.controls)
        layout.addLayout(grid)
        layout.addWidget(QLabel("Last breaches"))
        layout.addWidget(self.breaches)

    # -- engine state ---------------------------------------------------------------
    def update_snapshot(self, snapshot: RiskSnapshot) -> None:
        if snapshot == self._last:
            return
        self._last = snapshot
        self._show_state(snapshot.state, snapshot.reason)
        for usage in snapshot.rules:
            if usage.rule not in self.gauges:
                continue
            # Wrapping labels re-lay out the panel: set them only when their text changes
            # (at most ten snapshots a second).
            for label, text in (
                (self.limit_labels[usage.rule], compact(usage.limit_text)),
                (self.usage_labels[usage.rule], compact(usage.usage_text)),
            ):
                if label.text() != text:
                    label.setText(text)
            gauge = self.gauges[usage.rule]
            gauge.setVisible(usage.fraction is not None)
            if usage.fraction is None:
                continue
            gauge.setValue(max(0, min(100, round(usage.fraction * 100))))
            if self._levels[usage.rule] is not usage.level:
                self._levels[usage.rule] = usage.level
                color = _LEVEL_COLORS[usage.level].name()
                gauge.setStyleSheet(f"QProgressBar::chunk {{ background: {color}; }}")
                gauge.setToolTip(f"{usage.rule.label}: {usage.level}")

    def level(self, rule: RiskRule) -> UsageLevel | None:
        """The colour band a gauge is in (for tests and tooltips)."""
        return self._levels.get(rule)

    def add_fact(self, fact: RiskFact) -> None:
        """Breaches and warnings go to the list, newest first."""
        if isinstance(fact, RiskBreach | RiskWarning):
            kind = "⚠" if isinstance(fact, RiskWarning) else "✖"
            line = f"{fact.time.astimezone():%H:%M:%S} {kind} {fact.message}"
            self.breaches.insertItem(0, line)
            while self.breaches.count() > MAX_BREACHES:
                self.breaches.takeItem(self.breaches.count() - 1)

    def _show_state(self, state: TradingState, reason: str) -> None:
        if (state, reason) == self._banner_shows:
            return  # re-styling the banner costs a polish and a re-layout: only on change
        self._banner_shows = (state, reason)
        self.state = state
        color = _STATE_COLORS[state]
        self.banner.setText(f"<b>{state.upper()}</b> — {reason}")
        self.banner.setStyleSheet(
            f"background: {color.name()}; color: white; padding: 6px; border-radius: 3px"
        )
        active = state is TradingState.ACTIVE
        if active and self.resume_button.hasFocus():
            # Disabled while focused, Qt would hand the focus to the next widget, the
            # breaches list at the foot of the column, and scroll HALT out of view.
            self.controls.setFocus(Qt.FocusReason.OtherFocusReason)
        self.resume_button.setEnabled(not active)
