"""The first-run welcome: which broker orders go to, and where to change it.

The first paragraph follows ``broker.kind``: a welcome that says "paper mode"
while the terminal is set up for a real MetaTrader 5 account would tell a trader
their orders are practice when they are not.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

PAPER_TEXT = """
<h2>Welcome to Tradeterm</h2>
<p>You are in <b>paper mode</b>: a simulated broker with live-moving demo prices and a
10,000&nbsp;USD practice account. Nothing you do here touches real money.</p>
<p>Try it from the keyboard: press <b>F9</b>, type <b>buy 0.1 eurusd sl 20p</b> (or just
<b>b</b>) and press <b>Enter</b>. Watch the position appear with its live profit, and every
step in the event log.</p>
<p>To trade a real account, open <b>Settings → Preferences → Broker</b>, choose
<i>mt5</i> and fill in the <i>MetaTrader 5</i> tab (terminal path, login, server).
MetaTrader 5 runs on Windows.</p>
"""

MT5_TEXT = """
<h2>Welcome to Tradeterm</h2>
<p>Tradeterm is set up for your <b>MetaTrader 5</b> account (<i>broker.kind = "mt5"</i>):
orders you send go through your MetaTrader 5 terminal to your broker, and on a live
account they trade <b>real money</b>. The status bar shows whether the terminal is
connected, and the event log says why when it is not.</p>
<p>The terminal path, login and server are in <b>Settings → Preferences → MetaTrader 5</b>.
To practise first, choose <i>sim</i> under <b>Settings → Preferences → Broker</b>: the
paper broker has live-moving demo prices and a practice account.</p>
"""


def welcome_text(broker_kind: str) -> str:
    return MT5_TEXT if broker_kind == "mt5" else PAPER_TEXT


class WelcomeDialog(QDialog):
    """``open_settings`` is True when the user chose to go to the settings right away."""

    def __init__(self, parent: QWidget | None = None, *, broker_kind: str = "sim") -> None:
        super().__init__(parent)
        self.setObjectName("welcome_dialog")
        self.setWindowTitle("Welcome to Tradeterm")
        self.open_settings = False
        text = QLabel(welcome_text(broker_kind))
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.dont_show_again = QCheckBox("Don't show this again")
        buttons = QDialogButtonBox()
        start = buttons.addButton(
            "Start" if broker_kind == "mt5" else "Start on paper",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        start.setDefault(True)
        settings = buttons.addButton("Open settings…", QDialogButtonBox.ButtonRole.ActionRole)
        settings.clicked.connect(self._go_to_settings)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.dont_show_again)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def _go_to_settings(self) -> None:
        self.open_settings = True
        self.accept()
