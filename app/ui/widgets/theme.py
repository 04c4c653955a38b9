"""Colours shared by the panels, so profit and loss read the same everywhere."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

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


def resolve_theme(choice: str, system_is_dark: bool) -> str:
    """'dark' or 'light' for a settings choice of 'system', 'dark' or 'light'."""
    if choice in ("dark", "light"):
        return choice
    return "dark" if system_is_dark else "light"


def apply_theme(app: QApplication, choice: str) -> str:
    """Fusion style with a dark or light palette; 'system' follows the OS setting."""
    system_is_dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    theme = resolve_theme(choice, system_is_dark)
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if theme == "dark" else app.style().standardPalette())
    app.setProperty("tradeterm_theme", theme)
    return theme


def _dark_palette() -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    base, window, text = QColor("#161a25"), QColor("#1e222d"), QColor("#d1d4dc")
    for r, c in (
        (role.Window, window),
        (role.WindowText, text),
        (role.Base, base),
        (role.AlternateBase, window),
        (role.ToolTipBase, window),
        (role.ToolTipText, text),
        (role.Text, text),
        (role.Button, QColor("#2a2e39")),
        (role.ButtonText, text),
        (role.BrightText, QColor("#ffffff")),
        (role.Highlight, QColor("#2962ff")),
        (role.HighlightedText, QColor("#ffffff")),
        (role.PlaceholderText, MUTED),
        (role.Link, QColor("#5b9cf6")),
    ):
        palette.setColor(r, c)
    for r in (role.Text, role.ButtonText, role.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, r, MUTED)
    return palette
