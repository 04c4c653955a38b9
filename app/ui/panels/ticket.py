"""The order ticket: a command line and a form that always say the same thing.

A trader who lives on the keyboard types ``buy 0.5 eurusd sl 1.0850`` and presses
Enter; one who prefers fields fills them in. Every keystroke in either asks the
order desk for a proposal, fills the other side and shows, in the preview line,
exactly what Enter will send at the live quotes (with its margin and money at
risk), or why it cannot be sent — including what the risk gate will say. The
preview follows the quotes as they move. Nothing is sent from here directly:
the order desk confirms and sends. An empty command line sends nothing.
"""

from __future__ import annotations

import math
import time
from itertools import pairwise

from PySide6.QtCore import QDateTime, QEvent, QObject, QStringListModel, Qt, QTimer
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

from app.domain.command_parser import ParseError, typed_number
from app.domain.enums import OrderSource, OrderStatus, OrderType, Side, TimeInForce, TradingState
from app.domain.market import Tick
from app.domain.normalize import step_volume
from app.domain.trading import OrderUpdate
from app.ui.desk.model import DeskChange
from app.ui.desk.orders import OrderDesk, Outcome, Proposal, Verdict, typed_stops
from app.ui.widgets.steady_label import SteadyLabel
from app.ui.widgets.theme import LOSS, MUTED, PROFIT, WARNING

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
#: Preview refreshes per second driven by moving quotes (typing refreshes at once).
PREVIEW_HZ = 10


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
    """Turns the command line or the form into command lines for the order desk.

    It keeps no copy of the specs, quotes or positions: it reads the desk model,
    and every order it makes goes through ``OrderDesk.submit``.
    """

    def __init__(self, desk: OrderDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._desk = desk
        self._model = desk.model
        self._mine: set[str] = set()  # client ids this ticket sent
        self._syncing = False
        self._form_edited = False  # the trader typed in the form since the last send
        # The preview follows the quotes at most PREVIEW_HZ times a second.
        self._preview_next = 0.0
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.timeout.connect(self._refresh_preview)
        # The Buy and Sell buttons show their prices, at most PREVIEW_HZ times a second:
        # a button's new text re-lays out the ticket.
        self._button_tick: Tick | None = None
        self._buttons_next = 0.0
        self._buttons_timer = QTimer(self)
        self._buttons_timer.setSingleShot(True)
        self._buttons_timer.timeout.connect(self._show_button_prices)

        self.command = CommandLine()
        self.command.setObjectName("ticket_command")
        self.command.setPlaceholderText("buy 0.1 eurusd sl 20p tp 2r  ·  close #1234  ·  flat")
        self.preview = QLabel()
        self.preview.setObjectName("ticket_preview")
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_banner = QLabel()
        self.state_banner.setObjectName("ticket_state")
        self.state_banner.setWordWrap(True)
        self.state_banner.hide()

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
        self.volume = QLineEdit(f"{self.default_volume:g}")
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
        self.expiry_time.setMinimumWidth(60)
        self.comment = QLineEdit()
        self.comment.setObjectName("ticket_comment")
        self.comment.setMaxLength(31)
        # Changes with every frame: a fixed-size label (no window re-layout per
        # change) painting its own background (no repaint of the dock behind it).
        self.quote = SteadyLabel("—")
        self.quote.setObjectName("ticket_quote")
        self.quote.setToolTip("Bid / ask")
        self.quote.setAutoFillBackground(True)
        self.buy_button = QPushButton("Buy")
        self.buy_button.setObjectName("ticket_buy")
        self.sell_button = QPushButton("Sell")
        self.sell_button.setObjectName("ticket_sell")
        for button, colour in ((self.buy_button, PROFIT), (self.sell_button, LOSS)):
            button.setMinimumWidth(48)  # a narrow ticket keeps both buttons and the quote
            button.setStyleSheet(
                f"QPushButton {{ background: {colour.name()}; color: white; font-weight: bold }}"
                f" QPushButton:disabled {{ background: {MUTED.name()}; color: #e0e0e0 }}"
            )
        self.error = QLabel()
        self.error.setObjectName("ticket_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {LOSS.name()}")
        self.status = QLabel()
        self.status.setObjectName("ticket_status")
        self.status.setWordWrap(True)

        form = QFormLayout()
        self._form = form
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
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
        self._expiry_row = expiry
        buttons = QHBoxLayout()  # Sell · bid / ask · Buy, as a one-click panel reads
        buttons.addWidget(self.sell_button, 1)
        buttons.addWidget(self.quote)
        buttons.addWidget(self.buy_button, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.command)
        layout.addWidget(self.preview)
        layout.addWidget(self.state_banner)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addLayout(form)
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
        self._show_state()
        self._model.subscribe(self._on_desk)

    @property
    def default_volume(self) -> float:
        return self._desk.default_volume

    # -- the desk model -------------------------------------------------------------
    def _on_desk(self, change: DeskChange) -> None:
        model = self._model
        if change.symbols:
            self._set_symbols()
        if change.symbol and model.symbol and model.symbol != self.symbol.currentText():
            self.symbol.setCurrentText(model.symbol)  # -> _on_symbol_changed
        if change.quotes:
            current = change.quotes.get(self.symbol.currentText())
            if current is not None:
                self._show_quote(current)
        if change.state:
            self._show_state()
        if not self.command.text().strip():
            return
        if change.state:
            self._refresh_preview()  # what the gate will say changed: say it at once
        elif change.quotes or change.positions or change.orders or change.risk:
            self._schedule_preview()

    def _set_symbols(self) -> None:
        names = list(self._model.specs)
        self.command.symbols.setStringList(names)
        self.symbol.blockSignals(True)
        self.symbol.clear()
        self.symbol.addItems(names)
        self.symbol.blockSignals(False)
        if self._model.symbol in self._model.specs:
            self.symbol.setCurrentText(self._model.symbol)
        self._on_symbol_changed(self.symbol.currentText())

    def _show_state(self) -> None:
        """The trading state before the trader types: a banner, and Buy/Sell off while HALTED."""
        model = self._model
        state, reason = model.state, model.state_reason
        if state is TradingState.ACTIVE:
            self.state_banner.hide()
            tip = ""
        else:
            passes = (
                "only closes and cancels pass"
                if state is TradingState.HALTED
                else "only orders that reduce a position pass"
            )
            colour = LOSS if state is TradingState.HALTED else WARNING
            tip = f"Trading {state.upper()}: {reason}; {passes}"
            self.state_banner.setText(f"<b>Trading {state.upper()}</b> — {reason}; {passes}")
            self.state_banner.setStyleSheet(
                f"background: {colour.name()}; color: white; padding: 4px; border-radius: 3px"
            )
            self.state_banner.show()
        for button in (self.buy_button, self.sell_button):
            button.setEnabled(state is not TradingState.HALTED)
            button.setToolTip(tip)
        # Why the last order was refused may no longer hold in the new state.
        self.error.clear()
        if self.status.property("refusal"):
            self._set_status("", ok=True)

    def on_order_update(self, update: OrderUpdate) -> None:
        if update.client_id not in self._mine:
            return
        what = f"{update.side} {update.volume:g} {update.symbol}"
        if update.status is OrderStatus.FILLED:
            price = self._model.format_price(update.symbol, update.price) if update.price else ""
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

    # -- what Enter sends -----------------------------------------------------------
    def current_text(self) -> str:
        """The command line: the one thing Enter sends (an empty line sends nothing)."""
        return self.command.text().strip()

    def proposal(self) -> Proposal | ParseError | None:
        """What Enter would send now, as the preview shows it (``None``: nothing typed)."""
        text = self.current_text()
        if not text:
            return None
        return self._desk.propose(text, OrderSource.TICKET, preview=True)

    # -- sending --------------------------------------------------------------------
    def submit(self, side: Side | None = None) -> Outcome | None:
        """Enter sends the command line; Buy and Sell send the form's order on that side."""
        if side is not None:
            if Side(self.side.currentData()) is not side:
                self.side.setCurrentIndex(self.side.findData(side))  # rewrites the command line
            text, problem = self.form_text()
            if problem:
                self._show_problem(problem)
                return None
        else:
            text = self.current_text()
            if not text:
                _form, problem = self.form_text()
                if not (self._form_edited and problem):
                    problem = "Nothing to send: type an order (e.g. buy 0.1) or press Buy or Sell"
                self._show_problem(problem)  # the form's leftovers are never a trade
                return None
        outcome = self._desk.submit(text, OrderSource.TICKET)
        self._shown(outcome)
        if outcome.sent:
            self.command.remember(text)
            self.command.clear()
            self._form_edited = False
            self._reset_form(keep_trade=True)
            self._refresh_preview()
        return outcome

    def _shown(self, outcome: Outcome) -> None:
        """Say what became of an order the ticket made."""
        self.error.clear()
        if outcome.verdict is Verdict.REFUSED:
            self._show_problem(outcome.message)
            return
        if outcome.verdict is Verdict.DECLINED:
            self._set_status(outcome.message, ok=False)
            return
        proposal = outcome.proposal
        request = proposal.parsed.request if proposal is not None else None
        if request is not None:
            self._mine.add(request.client_id)
            self._set_status(
                f"Sending {request.side} {request.volume:g} {request.symbol}…", ok=True
            )
        else:
            self._set_status(outcome.message, ok=True)

    def step_volume(self, steps: int) -> None:
        """Alt+Up / Alt+Down: the volume one step up or down, within the symbol's limits."""
        spec = self._model.spec(self.symbol.currentText())
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
        self._form_edited = False
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
        self._form_edited = True
        self._enable_fields()
        text, problem = self.form_text()
        self.error.clear()
        if problem:
            self.command.clear()  # the line cannot say what the form says: Enter shows why
            self._refresh_preview()
            self._show_problem(problem)
            return
        self.command.setText(text)
        self._refresh_preview()

    def _on_command_edited(self, _text: str) -> None:
        self.error.clear()
        proposal = self._refresh_preview()
        if isinstance(proposal, Proposal) and proposal.parsed.request is not None:
            self._fill_form(proposal)

    def _schedule_preview(self) -> None:
        """Refresh the preview for new quotes now, or at the next of PREVIEW_HZ's steps."""
        wait = self._preview_next - time.monotonic()
        if wait <= 0:
            self._refresh_preview()
        elif not self._preview_timer.isActive():
            self._preview_timer.start(math.ceil(wait * 1000))

    def _refresh_preview(self) -> Proposal | ParseError | None:
        """Show what Enter sends now: the order at the live quotes, or why it cannot be sent."""
        self._preview_timer.stop()
        self._preview_next = time.monotonic() + 1 / PREVIEW_HZ
        proposal = self.proposal()
        if proposal is None:
            text, colour = "", ""
        elif isinstance(proposal, ParseError):
            text, colour = proposal.message, f"color: {LOSS.name()}"
        elif proposal.refusal is not None:
            text, colour = f"Refused: {proposal.refusal}", f"color: {LOSS.name()}"
        else:
            text, colour = f"Enter sends: {proposal.summary}", ""
        if self.preview.text() != text:
            self.preview.setText(text)
        if self.preview.styleSheet() != colour:
            self.preview.setStyleSheet(colour)
        return proposal

    def _fill_form(self, proposal: Proposal) -> None:
        request = proposal.parsed.request
        assert request is not None
        spec = self._model.spec(request.symbol)
        typed = typed_stops(proposal.text)

        def price(value: float | None) -> str:
            if value is None:
                return ""
            return spec.format_price(value) if spec else f"{value:g}"

        def stop(word: str, value: float | None) -> str:
            """As typed (a distance stays a distance), none as an empty field."""
            if value is None:
                return ""
            return typed.get(word) or price(value)

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
            self.sl.setText(stop("sl", request.sl))
            self.tp.setText(stop("tp", request.tp))
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
        """Only the fields the order type uses are shown: a market order needs no price."""
        kind = OrderType(self.order_type.currentData())
        self.price.setEnabled(kind.is_pending)
        self.stop_limit.setEnabled(kind is OrderType.STOP_LIMIT)
        self.expiry.setEnabled(kind.is_pending)
        self.expiry_time.setEnabled(
            kind.is_pending and TimeInForce(self.expiry.currentData()) is TimeInForce.SPECIFIED
        )
        form = self._form
        form.setRowVisible(self.price, kind.is_pending)
        form.setRowVisible(self.stop_limit, kind is OrderType.STOP_LIMIT)
        form.setRowVisible(self._expiry_row, kind.is_pending)

    # -- internals ------------------------------------------------------------------
    def _on_symbol_changed(self, symbol: str) -> None:
        quote = self._model.quotes.get(symbol)
        if quote is not None:
            self._show_quote(quote)
        else:
            self.quote.setText("—")
            self._button_tick = None
            self._show_button_prices()
        self.error.clear()
        if not self._syncing and self.command.text().strip():
            self._on_form_edited()
        else:
            self._refresh_preview()
        if symbol:
            self._model.select(symbol)  # the chart and the market watch follow

    def _show_quote(self, tick: Tick) -> None:
        spec = self._model.spec(tick.symbol)
        if spec is None:
            return
        self.quote.setText(f"{spec.format_price(tick.bid)} / {spec.format_price(tick.ask)}")
        self._button_tick = tick
        wait = self._buttons_next - time.monotonic()
        if wait <= 0:
            self._show_button_prices()
        elif not self._buttons_timer.isActive():
            self._buttons_timer.start(math.ceil(wait * 1000))

    def _show_button_prices(self) -> None:
        """Sell shows the bid it sells at, Buy the ask it buys at (the form's symbol)."""
        self._buttons_timer.stop()
        self._buttons_next = time.monotonic() + 1 / PREVIEW_HZ
        tick = self._button_tick
        spec = self._model.spec(tick.symbol) if tick is not None else None
        if tick is None or spec is None or tick.symbol != self.symbol.currentText():
            self.sell_button.setText("Sell")
            self.buy_button.setText("Buy")
            return
        self.sell_button.setText(f"Sell\n{spec.format_price(tick.bid)}")
        self.buy_button.setText(f"Buy\n{spec.format_price(tick.ask)}")

    def _show_problem(self, message: str) -> None:
        self.error.setText(message)

    def _set_status(self, text: str, *, ok: bool) -> None:
        self.status.setText(text)
        self.status.setProperty("refusal", bool(text) and not ok)
        self.status.setStyleSheet(f"color: {(PROFIT if ok else LOSS).name()}")


def _plain(text: str) -> str:
    """A field's text as one command-line word (no inner spaces)."""
    return "".join(text.split())
