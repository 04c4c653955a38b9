"""The account's money at a glance, updated every frame.

Today's P&L is the risk gate's figure (equity now minus the equity when the
trading day began, which the engine restores from the journal after a restart),
so the number a trader reads is the number the daily-loss rule enforces.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from app.domain.risk_facts import RiskSnapshot
from app.domain.trading import AccountState
from app.ui.widgets.steady_label import SteadyLabel
from app.ui.widgets.theme import money, pnl_color, signed_money


class AccountPanel(QWidget):
    """Balance, equity, margin, free margin, margin level, floating and today's P&L."""

    FIELDS = (
        ("balance", "Balance"),
        ("equity", "Equity"),
        ("margin", "Margin"),
        ("free_margin", "Free margin"),
        ("margin_level", "Margin level"),
        ("floating_pnl", "Floating P&&L"),  # && : a literal ampersand in a Qt label
        ("day_pnl", "Today's P&&L"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QFormLayout(self)
        self.values: dict[str, QLabel] = {}
        for key, title in self.FIELDS:
            label = SteadyLabel("—")  # changes with every tick while positions are open
            label.setObjectName(f"account_{key}")
            label.setMinimumWidth(90)
            font = label.font()
            font.setBold(key in ("equity", "day_pnl"))
            label.setFont(font)
            self.values[key] = label
            layout.addRow(title, label)
        self._last: AccountState | None = None

    def update_account(self, account: AccountState) -> None:
        if account == self._last:
            return
        self._last = account
        ccy = account.currency
        v = self.values
        v["balance"].setText(money(account.balance, ccy))
        v["equity"].setText(money(account.equity, ccy))
        v["margin"].setText(money(account.margin, ccy))
        v["free_margin"].setText(money(account.free_margin, ccy))
        level = account.margin_level
        v["margin_level"].setText("—" if level is None else f"{level:,.1f} %")
        self._show_pnl("floating_pnl", account.floating_pnl, ccy)

    def update_day_pnl(self, snapshot: RiskSnapshot, currency: str) -> None:
        """Today's P&L as the daily-loss rule counts it ("—" until the gate knows it)."""
        if snapshot.day_pnl is None:
            self.values["day_pnl"].setText("—")
            return
        self._show_pnl("day_pnl", snapshot.day_pnl, currency)

    def _show_pnl(self, key: str, value: float, currency: str) -> None:
        label = self.values[key]
        label.setText(signed_money(value, currency))
        color = pnl_color(value)
        sheet = f"color: {color.name()}" if color else ""
        if label.styleSheet() != sheet:  # re-styling costs a polish: only on a sign change
            label.setStyleSheet(sheet)
