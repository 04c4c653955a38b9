"""The order ticket: symbol, side, volume, optional SL/TP; fully usable from the keyboard.

Tab moves through the fields, Enter sends with the selected side, the Buy and Sell
buttons send with theirs. Input is checked here with the same domain rules the
engine applies; anything wrong is shown inline in words and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.commands import Command, SubmitOrder, new_client_id
from app.domain.enums import OrderSource, OrderStatus, Side
from app.domain.events import OrderRequest, OrderUpdate, Tick
from app.domain.symbols import SymbolSpec
from app.domain.validation import order_problems
from app.ui.theme import LOSS, PROFIT


def parse_number(text: str, what: str, *, optional: bool) -> tuple[float | None, str | None]:
    """Read a number typed by a person: '0.5', '0,5', ' 1.0850 '. Returns (value, error)."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return (None, None) if optional else (None, f"{what} is required")
    try:
        value = float(cleaned)
    except ValueError:
        return None, f"{what} '{text.strip()}' is not a number"
    if value != value or value in (float("inf"), float("-inf")):
        return None, f"{what} '{text.strip()}' is not a number"
    return value, None


class OrderTicket(QWidget):
    """Sends ``SubmitOrder`` commands through ``send``; shows each order's outcome."""

    symbol_changed = Signal(str)

    def __init__(
        self, send: Callable[[Command], None], default_volume: float, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._send = send
        self._specs: dict[str, SymbolSpec] = {}
        self._quotes: dict[str, Tick] = {}
        self._mine: set[str] = set()  # client ids this ticket sent

        self.symbol = QComboBox()
        self.symbol.setObjectName("ticket_symbol")
        self.side = QComboBox()
        self.side.setObjectName("ticket_side")
        self.side.addItem("Buy", Side.BUY)
        self.side.addItem("Sell", Side.SELL)
        self.volume = QLineEdit(f"{default_volume:g}")
        self.volume.setObjectName("ticket_volume")
        self.sl = QLineEdit()
        self.sl.setObjectName("ticket_sl")
        self.sl.setPlaceholderText("optional price")
        self.tp = QLineEdit()
        self.tp.setObjectName("ticket_tp")
        self.tp.setPlaceholderText("optional price")
        self.quote = QLabel("—")
        self.quote.setObjectName("ticket_quote")
        self.buy_button = QPushButton("Buy")
        self.buy_button.setObjectName("ticket_buy")
        self.sell_button = QPushButton("Sell")
        self.sell_button.setObjectName("ticket_sell")
        self.buy_button.setStyleSheet(
            f"background: {PROFIT.name()}; color: white; font-weight: bold"
        )
        self.sell_button.setStyleSheet(
            f"background: {LOSS.name()}; color: white; font-weight: bold"
        )
        self.error = QLabel()
        self.error.setObjectName("ticket_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {LOSS.name()}")
        self.status = QLabel()
        self.status.setObjectName("ticket_status")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Symbol", self.symbol)
        form.addRow("Si&de", self.side)
        form.addRow("&Volume (lots)", self.volume)
        form.addRow("Stop &loss", self.sl)
        form.addRow("&Take profit", self.tp)
        form.addRow("Bid / Ask", self.quote)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sell_button)
        buttons.addWidget(self.buy_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addStretch(1)

        self.buy_button.clicked.connect(lambda: self.submit(Side.BUY))
        self.sell_button.clicked.connect(lambda: self.submit(Side.SELL))
        self.symbol.currentTextChanged.connect(self._on_symbol_changed)
        for field in (self.volume, self.sl, self.tp):
            field.textEdited.connect(lambda _text: self.error.clear())

    # -- inputs from the engine ---------------------------------------------------
    def set_symbols(self, specs: Mapping[str, SymbolSpec], current: str | None = None) -> None:
        self._specs = dict(specs)
        self.symbol.blockSignals(True)
        self.symbol.clear()
        self.symbol.addItems(list(specs))
        self.symbol.blockSignals(False)
        if current and current in specs:
            self.symbol.setCurrentText(current)
        self._on_symbol_changed(self.symbol.currentText())

    def set_current_symbol(self, symbol: str) -> None:
        if symbol != self.symbol.currentText() and symbol in self._specs:
            self.symbol.setCurrentText(symbol)

    def update_quotes(self, quotes: Mapping[str, Tick]) -> None:
        self._quotes.update(quotes)
        current = quotes.get(self.symbol.currentText())
        if current is not None:
            self._show_quote(current)

    def on_order_update(self, update: OrderUpdate) -> None:
        if update.client_id not in self._mine:
            return
        spec = self._specs.get(update.symbol)
        what = f"{update.side} {update.volume:g} {update.symbol}"
        if update.status is OrderStatus.FILLED:
            price = spec.format_price(update.price) if spec and update.price else ""
            self._set_status(f"Filled: {what} at {price}", ok=True)
        elif update.status is OrderStatus.REJECTED:
            self._set_status(f"Rejected: {what}: {update.reason}", ok=False)
        elif update.status is OrderStatus.WORKING:
            self._set_status(f"Placed: {what}", ok=True)
        if update.status.is_final:
            self._mine.discard(update.client_id)

    # -- sending --------------------------------------------------------------------
    def submit(self, side: Side | None = None) -> OrderRequest | None:
        """Check the form and send the order; returns what was sent, or None."""
        side = side or Side(self.side.currentData())
        request, problem = self._build_request(side)
        if request is None:
            self.error.setText(problem or "")
            return None
        self.error.clear()
        self._mine.add(request.client_id)
        self._set_status(f"Sending {request.side} {request.volume:g} {request.symbol}…", ok=True)
        self._send(SubmitOrder(request))
        return request

    def _build_request(self, side: Side) -> tuple[OrderRequest | None, str | None]:
        symbol = self.symbol.currentText()
        spec = self._specs.get(symbol)
        if spec is None:
            return None, "Choose a symbol first" if not symbol else f"Unknown symbol {symbol}"
        volume, err = parse_number(self.volume.text(), "Volume", optional=False)
        if err:
            return None, err
        sl, err = parse_number(self.sl.text(), "Stop loss", optional=True)
        if err:
            return None, err
        tp, err = parse_number(self.tp.text(), "Take profit", optional=True)
        if err:
            return None, err
        assert volume is not None
        request = OrderRequest(
            client_id=new_client_id(),
            symbol=symbol,
            side=side,
            volume=volume,
            sl=sl,
            tp=tp,
            source=OrderSource.TICKET,
        )
        problems = order_problems(request, spec, self._quotes.get(symbol))
        if problems:
            return None, "; ".join(problems)
        return request, None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)

    def clear(self) -> None:
        self.sl.clear()
        self.tp.clear()
        self.error.clear()

    def focus(self) -> None:
        """F9: put the cursor in the volume field, ready to type."""
        self.volume.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.volume.selectAll()

    # -- internals ------------------------------------------------------------------
    def _on_symbol_changed(self, symbol: str) -> None:
        quote = self._quotes.get(symbol)
        if quote is not None:
            self._show_quote(quote)
        else:
            self.quote.setText("—")
        self.error.clear()
        if symbol:
            self.symbol_changed.emit(symbol)

    def _show_quote(self, tick: Tick) -> None:
        spec = self._specs.get(tick.symbol)
        if spec is None:
            return
        self.quote.setText(f"{spec.format_price(tick.bid)} / {spec.format_price(tick.ask)}")

    def _set_status(self, text: str, *, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {(PROFIT if ok else LOSS).name()}")
