"""The order ticket: a command line and a form that always say the same thing.

A trader who lives on the keyboard types ``buy 0.5 eurusd sl 1.0850`` and presses
Enter; one who prefers fields fills them in. Every keystroke in either re-parses
the order with the domain parser, fills the other side and shows, in the preview
line, exactly what Enter will send (with its margin and money at risk) or why it
cannot be sent. Nothing is sent from here directly: ``send`` (the main window)
asks for confirmation and puts the commands on the bus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import pairwise

from PySide6.QtCore import QDateTime, QEvent, QObject, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.command_parser import (
    ParseContext,
    ParsedCommand,
    ParseError,
    parse,
    typed_number,
)
from app.domain.enums import OrderSource, OrderStatus, OrderType, Side, TimeInForce
from app.domain.market import Tick
from app.domain.normalize import step_volume
from app.domain.symbols import SymbolSpec
from app.domain.trading import AccountState, OrderUpdate, Position, WorkingOrder
from app.ui.widgets.steady_label import SteadyLabel
from app.ui.widgets.theme import LOSS, PROFIT

SendFn = Callable[[ParsedCommand], bool]
"""Confirms (unless one-click) and sends; returns whether it was sent."""

TYPE_CHOICES = (
    ("Market", OrderType.MARKET),
    ("Limit", OrderType.LIMIT),
    ("Stop", OrderType.STOP),
    ("Stop-limit", OrderType.STOP_LIMIT),
)
EXPIRY_CHOICES = (
    ("GTC", TimeInForce.GTC),
    ("Today", TimeInForce.DAY),
    ("Until…", TimeInForce.SPECIFIED),
)
HISTORY_LIMIT = 200


def parse_number(text: str, what: str, *, optional: bool) -> tuple[float | None, str | None]:
    """Read a number typed in a form field: '0.5', '0,5', ' 1.0850 '. Returns (value, error).

    The command line's own rules (``typed_number``), so a field and the line never
    read the same text differently: a comma that may separate thousands (``1,000``)
    is refused, and only the digits 0-9 are numbers.
    """
    value, problem = typed_number(text, what)
    if problem is not None:
        return None, problem
    if value is None:
        return (None, None) if optional else (None, f"{what} is required")
    return value, None


class CommandLine(QLineEdit):
    """A line edit with command history on Up/Down and symbol completion per word."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: list[str] = []
        self._cursor: int | None = None  # index into history while browsing
        self._draft = ""
        self.symbols = QStringListModel(self)
        self.completer_ = QCompleter(self.symbols, self)
        self.completer_.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer_.setWidget(self)
        self.completer_.activated.connect(self.insert_completion)
        self._popup().installEventFilter(self)  # runs before the completer's own filter
        self.textEdited.connect(self._offer_completion)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Tab or Enter in the symbol popup takes the highlighted (or first) symbol."""
        popup = self.completer_.popup()
        if (
            watched is popup
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and popup is not None
            and popup.isVisible()
        ):
            index = popup.currentIndex()
            text = index.data() if index.isValid() else self.completer_.currentCompletion()
            popup.hide()
            if text:
                self.insert_completion(str(text))
            return True
        return super().eventFilter(watched, event)

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
            del self.history[:-HISTORY_LIMIT]
        self._cursor = None

    def _popup(self) -> QAbstractItemView:
        popup = self.completer_.popup()
        assert popup is not None  # QCompleter always has one
        return popup

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self._popup()
        if not popup.isVisible() and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._browse(-1 if event.key() == Qt.Key.Key_Up else 1)
            event.accept()
            return
        super().keyPressEvent(event)

    def _browse(self, step: int) -> None:
        if not self.history:
            return
        if self._cursor is None:
            if step > 0:
                return
            self._draft = self.text()
            self._cursor = len(self.history)
        self._cursor = max(0, self._cursor + step)
        if self._cursor >= len(self.history):
            self._cursor = None
            text = self._draft
        else:
            text = self.history[self._cursor]
        self.setText(text)
        self.textEdited.emit(text)

    def _current_word(self) -> str:
        before = self.text()[: self.cursorPosition()]
        return before.split(" ")[-1] if before and not before.endswith(" ") else ""

    def _offer_completion(self, _text: str) -> None:
        word = self._current_word()
        if len(word) < 2 or word[0].isdigit() or word.startswith("#"):
            self._popup().hide()
            return
        self.completer_.setCompletionPrefix(word)
        if self.completer_.completionCount() == 0 or (
            self.completer_.completionCount() == 1
            and self.completer_.currentCompletion().upper() == word.upper()
        ):
            self._popup().hide()
            return
        self.completer_.complete()

    def insert_completion(self, symbol: str) -> None:
        """Replace the word under the cursor with ``symbol``."""
        position = self.cursorPosition()
        before, after = self.text()[:position], self.text()[position:]
        word = self._current_word()
        before = before[: len(before) - len(word)] + symbol
        suffix = after if after.startswith(" ") else " " + after.lstrip()
        text = before + suffix
        self.setText(text)
        self.setCursorPosition(len(before) + 1)
        self.textEdited.emit(text)


class OrderTicket(QWidget):
    """Builds ``ParsedCommand``s from the command line or the form; ``send`` sends them."""

    symbol_changed = Signal(str)
    problem = Signal(str)  # why something typed, clicked or dragged was not sent

    def __init__(
        self,
        send: SendFn,
        default_volume: float,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        super().__init__(parent)
        self._send = send
        self.default_volume = default_volume
        self._clock = clock
        self._specs: dict[str, SymbolSpec] = {}
        self._quotes: dict[str, Tick] = {}
        self._positions: tuple[Position, ...] = ()
        self._orders: tuple[WorkingOrder, ...] = ()
        self._currency = "USD"
        self._leverage = 100
        self._mine: set[str] = set()  # client ids this ticket sent
        self._syncing = False

        self.command = CommandLine()
        self.command.setObjectName("ticket_command")
        self.command.setPlaceholderText("buy 0.1 eurusd sl 20p tp 2r  ·  close #1234  ·  flat")
        self.preview = QLabel()
        self.preview.setObjectName("ticket_preview")
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.symbol = QComboBox()
        self.symbol.setObjectName("ticket_symbol")
        self.side = QComboBox()
        self.side.setObjectName("ticket_side")
        self.side.addItem("Buy", Side.BUY)
        self.side.addItem("Sell", Side.SELL)
        self.order_type = QComboBox()
        self.order_type.setObjectName("ticket_type")
        for label, kind in TYPE_CHOICES:
            self.order_type.addItem(label, kind)
        self.volume = QLineEdit(f"{default_volume:g}")
        self.volume.setObjectName("ticket_volume")
        self.price = QLineEdit()
        self.price.setObjectName("ticket_price")
        self.price.setPlaceholderText("limit / stop price")
        self.stop_limit = QLineEdit()
        self.stop_limit.setObjectName("ticket_stop_limit")
        self.stop_limit.setPlaceholderText("limit price of a stop-limit")
        self.sl = QLineEdit()
        self.sl.setObjectName("ticket_sl")
        self.sl.setPlaceholderText("optional: price, 20p, 150pt")
        self.tp = QLineEdit()
        self.tp.setObjectName("ticket_tp")
        self.tp.setPlaceholderText("optional: price, 40p, 2r")
        self.expiry = QComboBox()
        self.expiry.setObjectName("ticket_expiry")
        for label, tif in EXPIRY_CHOICES:
            self.expiry.addItem(label, tif)
        self.expiry_time = QDateTimeEdit()
        self.expiry_time.setObjectName("ticket_expiry_time")
        self.expiry_time.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.expiry_time.setDateTime(QDateTime.currentDateTime().addSecs(3600))
        self.expiry_time.setEnabled(False)
        self.comment = QLineEdit()
        self.comment.setObjectName("ticket_comment")
        self.comment.setMaxLength(31)
        # Changes with every frame: a fixed-size label (no window re-layout per
        # change) painting its own background (no repaint of the dock behind it).
        self.quote = SteadyLabel("—")
        self.quote.setObjectName("ticket_quote")
        self.quote.setAutoFillBackground(True)
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
        form.addRow("T&ype", self.order_type)
        form.addRow("&Volume (lots)", self.volume)
        form.addRow("&Price", self.price)
        form.addRow("Stop-li&mit price", self.stop_limit)
        form.addRow("Stop &loss", self.sl)
        form.addRow("&Take profit", self.tp)
        expiry = QHBoxLayout()
        expiry.addWidget(self.expiry)
        expiry.addWidget(self.expiry_time, 1)
        expiry_label = QLabel("E&xpiration")
        expiry_label.setBuddy(self.expiry)  # a layout has no focus: the mnemonic needs a buddy
        form.addRow(expiry_label, expiry)
        form.addRow("Co&mment", self.comment)
        form.addRow("Bid / Ask", self.quote)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sell_button)
        buttons.addWidget(self.buy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.command)
        layout.addWidget(self.preview)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addStretch(1)
        # Tab goes from the command line through the fields a trader changes most.
        chain = (
            self.command, self.side, self.volume, self.sl, self.tp, self.order_type,
            self.price, self.stop_limit, self.expiry, self.expiry_time, self.comment,
            self.sell_button, self.buy_button, self.symbol,
        )  # fmt: skip
        for first, second in pairwise(chain):
            self.setTabOrder(first, second)

        self.buy_button.clicked.connect(lambda: self.submit(Side.BUY))
        self.sell_button.clicked.connect(lambda: self.submit(Side.SELL))
        self.symbol.currentTextChanged.connect(self._on_symbol_changed)
        self.command.textEdited.connect(self._on_command_edited)
        for edit in (self.volume, self.price, self.stop_limit, self.sl, self.tp, self.comment):
            edit.textEdited.connect(self._on_form_edited)
        for combo in (self.side, self.order_type, self.expiry):
            combo.currentIndexChanged.connect(self._on_form_edited)
        self.expiry_time.dateTimeChanged.connect(self._on_form_edited)
        self._enable_fields()

    # -- inputs from the engine ---------------------------------------------------
    def set_symbols(self, specs: Mapping[str, SymbolSpec], current: str | None = None) -> None:
        self._specs = dict(specs)
        self.command.symbols.setStringList(list(specs))
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

    def update_positions(self, positions: Sequence[Position]) -> None:
        self._positions = tuple(positions)

    def update_orders(self, orders: Sequence[WorkingOrder]) -> None:
        self._orders = tuple(orders)

    def update_account(self, account: AccountState) -> None:
        self._currency, self._leverage = account.currency, account.leverage

    def on_order_update(self, update: OrderUpdate) -> None:
        if update.client_id not in self._mine:
            return
        spec = self._specs.get(update.symbol)
        what = f"{update.side} {update.volume:g} {update.symbol}"
        if update.status is OrderStatus.FILLED:
            price = spec.format_price(update.price) if spec and update.price else ""
            self._set_status(f"Filled: {what} at {price}", ok=True)
        elif update.status is OrderStatus.PARTIALLY_FILLED:
            self._set_status(f"Partly filled: {update.filled_volume:g} of {what}", ok=True)
        elif update.status is OrderStatus.REJECTED:
            self._set_status(f"Rejected: {what}: {update.reason}", ok=False)
        elif update.status is OrderStatus.WORKING:
            self._set_status(f"Placed: {what}", ok=True)
        elif update.status is OrderStatus.DONE:
            ticket = f" #{update.broker_ticket}" if update.broker_ticket else ""
            self._set_status(f"Done: {update.reason}{ticket}", ok=True)
        elif update.status is OrderStatus.UNKNOWN:
            self._set_status(f"Outcome unknown: {what}: checking with the broker", ok=False)
        elif update.status.is_final:
            self._set_status(f"{update.status.capitalize()}: {what}", ok=False)
        if update.status.is_final:
            self._mine.discard(update.client_id)

    # -- parsing --------------------------------------------------------------------
    def context(self, *, for_preview: bool = False) -> ParseContext:
        """What the parser needs now; a preview parse uses no real client ids."""
        base = ParseContext(
            specs=self._specs,
            quotes=self._quotes,
            current_symbol=self.symbol.currentText() or None,
            default_volume=self.default_volume,
            positions=self._positions,
            orders=self._orders,
            currency=self._currency,
            leverage=self._leverage,
            now=self._clock(),
            source=OrderSource.TICKET,
        )
        return replace(base, new_id=lambda: "preview") if for_preview else base

    def current_text(self) -> str:
        """The command Enter sends: the command line, or the form's order if it is empty."""
        text = self.command.text().strip()
        if text:
            return text
        form_text, _problem = self.form_text()
        return form_text

    def parse_current(self, *, for_preview: bool = False) -> ParsedCommand | ParseError:
        """The command line parsed; with an empty line, the form (or why it is incomplete)."""
        if not self.command.text().strip():
            _form, problem = self.form_text()
            if problem:
                return ParseError(problem)
        return parse(self.current_text(), self.context(for_preview=for_preview))

    # -- sending --------------------------------------------------------------------
    def submit(self, side: Side | None = None) -> ParsedCommand | None:
        """Send what the ticket says (Enter, or the Buy/Sell buttons); None if nothing."""
        if side is not None and Side(self.side.currentData()) is not side:
            self.side.setCurrentIndex(self.side.findData(side))  # rewrites the command line
        parsed = self.parse_current()
        if isinstance(parsed, ParseError):
            self._show_problem(parsed.message)
            return None
        return self.send_parsed(parsed, self.current_text())

    def send_text(
        self, text: str, source: OrderSource = OrderSource.TICKET
    ) -> ParsedCommand | None:
        """Parse and send ``text`` as if typed (hotkeys, tables, the chart). The command
        line and the form are left as they are; a problem is shown and emitted."""
        parsed = parse(text, replace(self.context(), source=source))
        if isinstance(parsed, ParseError):
            self._show_problem(parsed.message)
            return None
        return parsed if self._dispatch(parsed) else None

    def _dispatch(self, parsed: ParsedCommand) -> bool:
        self.error.clear()
        if not self._send(parsed):
            self._set_status("Not sent: you said no", ok=False)
            return False
        if parsed.request is not None:
            self._mine.add(parsed.request.client_id)
            r = parsed.request
            self._set_status(f"Sending {r.side} {r.volume:g} {r.symbol}…", ok=True)
        else:
            self._set_status(f"Sent: {parsed.preview}", ok=True)
        return True

    def send_parsed(self, parsed: ParsedCommand, text: str) -> ParsedCommand | None:
        """Send what the command line says; on success it goes to history and clears."""
        if not self._dispatch(parsed):
            return None
        self.command.remember(text)
        self.command.clear()
        self._reset_form(keep_trade=True)
        self._refresh_preview()
        return parsed

    def quick_market(self, side: Side) -> ParsedCommand | None:
        """Ctrl+B / Ctrl+S: a market order of the default volume on the current symbol."""
        symbol = self.symbol.currentText()
        return self.send_text(f"{side} {self.default_volume:g} {symbol}")

    def step_volume(self, steps: int) -> None:
        """Alt+Up / Alt+Down: the volume one step up or down, within the symbol's limits."""
        spec = self._specs.get(self.symbol.currentText())
        if spec is None:
            return
        value, problem = parse_number(self.volume.text(), "Volume", optional=False)
        new = step_volume(spec, self.default_volume if problem or value is None else value, steps)
        self.volume.setText(spec.format_volume(new))
        self._on_form_edited()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            event.accept()
            return
        super().keyPressEvent(event)

    def clear(self) -> None:
        """Esc: empty the command line and the form's optional fields."""
        self.command.clear()
        self._reset_form(keep_trade=False)
        self.error.clear()
        self._refresh_preview()

    def focus(self) -> None:
        """F9: the cursor in the command line, ready to type."""
        self.command.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.command.selectAll()

    # -- keeping the two views in sync ---------------------------------------------
    def form_text(self) -> tuple[str, str | None]:
        """The form as a command line, or the first problem that stops it being one."""
        symbol = self.symbol.currentText()
        if not symbol:
            return "", "Choose a symbol first"
        _volume, problem = parse_number(self.volume.text(), "Volume", optional=False)
        if problem:
            return "", problem
        kind = OrderType(self.order_type.currentData())
        side = Side(self.side.currentData())
        parts = [str(side), _plain(self.volume.text()), symbol]
        if kind.is_pending:
            price, problem = parse_number(self.price.text(), "Price", optional=False)
            if problem:
                return "", f"A {kind} order needs a price" if price is None else problem
            parts += [str(kind), _plain(self.price.text())]
            if kind is OrderType.STOP_LIMIT:
                _limit, problem = parse_number(
                    self.stop_limit.text(), "Limit price", optional=False
                )
                if problem:
                    return "", problem
                parts.append(_plain(self.stop_limit.text()))
        for field, word in ((self.sl, "sl"), (self.tp, "tp")):
            text = field.text().strip()
            if text:
                parts += [word, _plain(text)]
        if kind.is_pending:
            tif = TimeInForce(self.expiry.currentData())
            if tif is TimeInForce.DAY:
                parts += ["exp", "today"]
            elif tif is TimeInForce.SPECIFIED:
                parts += ["exp", self.expiry_time.dateTime().toString("yyyy-MM-dd HH:mm")]
        if self.comment.text().strip():
            parts += ["comment", self.comment.text().strip()]
        return " ".join(parts), None

    def _on_form_edited(self, *_: object) -> None:
        if self._syncing:
            return
        self._enable_fields()
        text, problem = self.form_text()
        self.error.clear()
        if problem:
            self.command.clear()  # the line cannot say what the form says: Enter shows why
            self._show_problem(problem)
            return
        self.command.setText(text)
        self._refresh_preview()

    def _on_command_edited(self, _text: str) -> None:
        self.error.clear()
        parsed = self._refresh_preview()
        if isinstance(parsed, ParsedCommand) and parsed.request is not None:
            self._fill_form(parsed)

    def _refresh_preview(self) -> ParsedCommand | ParseError:
        parsed = self.parse_current(for_preview=True)
        if isinstance(parsed, ParseError):
            typed = bool(self.command.text().strip())
            self.preview.setText(parsed.message if typed else "")
            self.preview.setStyleSheet(f"color: {LOSS.name()}")
        else:
            self.preview.setText(f"Enter sends: {parsed.preview}")
            self.preview.setStyleSheet("")
        return parsed

    def _fill_form(self, parsed: ParsedCommand) -> None:
        request = parsed.request
        assert request is not None
        spec = self._specs.get(request.symbol)

        def price(value: float | None) -> str:
            if value is None:
                return ""
            return spec.format_price(value) if spec else f"{value:g}"

        self._syncing = True
        try:
            if request.symbol != self.symbol.currentText():
                self.symbol.setCurrentText(request.symbol)
            self.side.setCurrentIndex(self.side.findData(request.side))
            self.order_type.setCurrentIndex(self.order_type.findData(request.order_type))
            self.volume.setText(
                spec.format_volume(request.volume) if spec else f"{request.volume:g}"
            )
            self.price.setText(price(request.price))
            self.stop_limit.setText(price(request.stop_limit))
            self.sl.setText(price(request.sl))
            self.tp.setText(price(request.tp))
            self.expiry.setCurrentIndex(self.expiry.findData(request.time_in_force))
            if request.expiration_msc is not None:
                self.expiry_time.setDateTime(QDateTime.fromMSecsSinceEpoch(request.expiration_msc))
            self.comment.setText(request.comment)
            self._enable_fields()
        finally:
            self._syncing = False

    def _reset_form(self, *, keep_trade: bool) -> None:
        self._syncing = True
        try:
            for field in (self.price, self.stop_limit, self.sl, self.tp, self.comment):
                field.clear()
            self.order_type.setCurrentIndex(0)
            self.expiry.setCurrentIndex(0)
            if not keep_trade:
                self.volume.setText(f"{self.default_volume:g}")
            self._enable_fields()
        finally:
            self._syncing = False

    def _enable_fields(self) -> None:
        kind = OrderType(self.order_type.currentData())
        self.price.setEnabled(kind.is_pending)
        self.stop_limit.setEnabled(kind is OrderType.STOP_LIMIT)
        self.expiry.setEnabled(kind.is_pending)
        self.expiry_time.setEnabled(
            kind.is_pending and TimeInForce(self.expiry.currentData()) is TimeInForce.SPECIFIED
        )

    # -- internals ------------------------------------------------------------------
    def _on_symbol_changed(self, symbol: str) -> None:
        quote = self._quotes.get(symbol)
        if quote is not None:
            self._show_quote(quote)
        else:
            self.quote.setText("—")
        self.error.clear()
        if not self._syncing and self.command.text().strip():
            self._on_form_edited()
        if symbol:
            self.symbol_changed.emit(symbol)

    def _show_quote(self, tick: Tick) -> None:
        spec = self._specs.get(tick.symbol)
        if spec is None:
            return
        self.quote.setText(f"{spec.format_price(tick.bid)} / {spec.format_price(tick.ask)}")

    def _show_problem(self, message: str) -> None:
        self.error.setText(message)
        self.problem.emit(message)

    def _set_status(self, text: str, *, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {(PROFIT if ok else LOSS).name()}")


def _plain(text: str) -> str:
    """A field's text as one command-line word (no inner spaces)."""
    return "".join(text.split())
