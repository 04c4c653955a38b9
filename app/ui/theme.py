"""Colours shared by the panels, so profit and loss read the same everywhere."""

from __future__ import annotations

from PySide6.QtGui import QColor

PROFIT = QColor("#26a69a")
LOSS = QColor("#ef5350")
WARNING = QColor("#f5a623")
MUTED = QColor("#8a8f98")


def pnl_color(value: float) -> QColor | None:
    if value > 0:
        return PROFIT
    if value < 0:
        return LOSS
    return None


def money(value: float, currency: str = "") -> str:
    text = f"{value:,.2f}"
    return f"{text} {currency}".rstrip()


def signed_money(value: float, currency: str = "") -> str:
    text = f"{value:+,.2f}"
    return f"{text} {currency}".rstrip()
