"""Help → Keyboard shortcuts (F1): every key of the terminal on one page.

The table is the README's, kept in one place here; a test checks that each
window-wide key listed is really bound in the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.runtime.window_state import fit_to_screen

#: (where, keys, what they do), in the order a trader meets them.
SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("Window", "F9", "New order: cursor in the ticket's command line"),
    ("Ticket", "Enter", "Send what the command line says (asks first unless one-click)"),
    ("Window", "Ctrl+B / Ctrl+S", "Market buy / sell, default volume, current symbol"),
    ("Window", "Alt+Up / Alt+Down", "Ticket volume one step up / down"),
    ("Ticket", "Esc", "Clear the ticket"),
    ("Ticket", "Up / Down", "Previous / next command"),
    ("Ticket", "Tab", "Complete the symbol (symbol list open)"),
    ("Window", "Ctrl+Shift+X", "Flatten all: cancel every order, close every position (asks)"),
    ("Anywhere", "Ctrl+Shift+H", "Kill switch: halt trading at once"),
    ("Window", "Ctrl+Z", "Nothing: trades cannot be undone"),
    ("Window", "Ctrl+1 … Ctrl+7", "Chart timeframe M1, M5, M15, M30, H1, H4, D1"),
    ("Chart", "Left / Right, + / −, Home", "Pan, zoom, jump to the newest bar"),
    ("Window", "Ctrl+N / Ctrl+W", "New chart (of the market watch's symbol) / close the chart"),
    ("Window", "Ctrl+Tab / Ctrl+Shift+Tab", "Next / previous chart: ticket and hotkeys follow"),
    ("Window", "Alt+1 / Alt+2 / Alt+3", "Bars / candlesticks / line"),
    ("Window", "Alt+R", "Tile the charts (Window menu: tabs, cascade, maximise)"),
    ("Window", "Alt+O", "One-click panel on the chart: Sell | volume | Buy"),
    ("One-click", "Up / Down, PageUp / PageDown", "Volume one step / ten steps"),
    ("Chart", "Drag a line / right-click", "Modify an SL, TP or order / pending order here"),
    ("Positions", "Delete / Shift+Delete", "Close selected / close part of one"),
    ("Positions", "F2 / Ctrl+R / Alt+Delete", "Modify SL-TP / reverse / close by opposite"),
    ("Orders", "Delete / F2", "Cancel selected / modify price, SL, TP"),
    ("Window", "Ctrl+Shift+T / Ctrl+Shift+A", "Strategies tab / Alerts tab"),
    ("Strategies", "Insert / F2", "Attach a strategy / edit a stopped instance"),
    ("Strategies", "F5 / Shift+F5 / Delete", "Start / stop / detach (asks) the selected instance"),
    ("Strategies", "Ctrl+Delete", "Close the selected instance's positions (asks; stops it first)"),
    ("Strategies", "Ctrl+G", "The selected instance's indicators on a chart of its symbol"),
    ("Strategies", "Ctrl+F5 / Ctrl+Shift+F5", "Start every stopped instance / stop all (asks)"),
    ("Alerts", "Insert / F2 / Space", "New alert / edit / switch on or off"),
    ("Alerts", "Ctrl+K / Ctrl+Shift+K / Delete", "Acknowledge / acknowledge all / delete (asks)"),
    ("Chart", "Alt+A / right-click", 'Alert at the crosshair\'s price / "Alert at …"'),
    ("Chart", "Drag an alert line", "Move the alert's level"),
    ("Window", "Ctrl+I", "Indicators: Enter adds or edits, F2 edits, Delete removes"),
    ("Window", "Ctrl+D", "Data Window: the bar and the indicators under the crosshair"),
    ("Window", "Ctrl+L", "Objects list: Enter or F2 edits, Delete removes"),
    ("Chart", "H V T R B F N", "Place a line, vertical line, trend, ray, box, Fibonacci, note"),
    ("Chart", "Shift+arrows / Enter / Delete", "Move / edit / delete the selected object"),
    ("Chart", "Ctrl (drawing)", "Snap to the bar's open, high, low or close"),
    ("Window", "Ctrl+H", "Trade history (Esc closes it)"),
    ("Window", "Ctrl+Shift+R", "Strategy Tester (Esc closes it; a running test goes on)"),
    ("Window", "Ctrl+,", "Settings"),
    ("Anywhere", "F1", "This list"),
    ("Window", "Ctrl+Q", "Quit (the layout is restored next time)"),
)


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcuts_dialog")
        self.table = QTableWidget(len(SHORTCUTS), 3)
        self.table.setHorizontalHeaderLabels(["Where", "Keys", "What it does"])
        for row, cells in enumerate(SHORTCUTS):
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, column, item)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(760, 560)
        fit_to_screen(self)
