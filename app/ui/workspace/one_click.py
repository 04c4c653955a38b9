"""The one-click trading panel on a chart: Sell at bid | volume | Buy at ask, live.

Like MetaTrader 5's (Alt+O toggles it here): the two buttons show the prices they
trade at and the spread between them, and move with every frame. A click hands
the order desk the same command line the ticket would (``sell 0.10 EURUSD``), so
the desk's preview of the risk gate, the one confirmation rule (no dialog only
with one-click trading switched on) and the engine's gate all apply: panel →
``OrderDesk.submit`` → bus. Up and Down in the volume field step the volume by
the symbol's volume step, within its limits. The field takes only digits and one
decimal mark (letters typed into it by mistake never land there), and a volume
left empty or zero snaps back to the last good one.

The prices change every frame, so the buttons and the spread label keep a fixed
size that only grows (no re-layout of the window per tick, see ``SteadyLabel``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.domain.command_parser import typed_number
from app.domain.enums import OrderSource, Side, TradingState
from app.domain.market import Tick
from app.domain.normalize import step_volume
from app.ui.desk.model import DeskChange
from app.ui.desk.orders import OrderDesk, Outcome
from app.ui.widgets.steady_label import SteadyLabel
from app.ui.widgets.theme import LOSS, MUTED

BUY_COLOUR = "#2962ff"
#: Pixels reserved beyond a price's text so a longer price rarely grows a button.
_SLACK = 12


class SteadyButton(QPushButton):
    """A push button whose size only grows: new text every frame re-lays out nothing."""

    def setText(self, text: str) -> None:
        super().setText(text)
        hint = self.sizeHint()
        if hint.width() > self.minimumWidth() or hint.height() > self.minimumHeight():
            self.setFixedSize(
                max(hint.width() + _SLACK, self.minimumWidth()),
                max(hint.height(), self.minimumHeight()),
            )


#: Lots as a person types them: digits with at most one decimal mark (``0.1``, ``0,25``).
VOLUME_PATTERN = r"\d{0,6}([.,]\d{0,4})?"


class VolumeEdit(QLineEdit):
    """The lots to trade; Up and Down step them (the panel says by how much).

    Only a number can be typed: a command typed here by mistake (the focus was
    not in the command line) changes nothing instead of leaving letters behind.
    """

    def __init__(self, step: Callable[[int], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._step = step
        self.setValidator(QRegularExpressionValidator(QRegularExpression(VOLUME_PATTERN), self))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._step(1 if event.key() == Qt.Key.Key_Up else -1)
            event.accept()
            return
        if event.key() in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self._step(10 if event.key() == Qt.Key.Key_PageUp else -10)
            event.accept()
            return
        super().keyPressEvent(event)


class OneClickPanel(QWidget):
    """Sell | volume | Buy for the chart's symbol; every click goes through the order desk."""

    def __init__(self, desk: OrderDesk, symbol: Callable[[], str | None]) -> None:
        super().__init__()
        self.setObjectName("one_click")
        self._desk = desk
        self._model = desk.model
        self._symbol = symbol
        self.last_outcome: Outcome | None = None
        self.sell_button = SteadyButton("SELL")
        self.sell_button.setObjectName("one_click_sell")
        self.buy_button = SteadyButton("BUY")
        self.buy_button.setObjectName("one_click_buy")
        for button, colour in ((self.sell_button, LOSS.name()), (self.buy_button, BUY_COLOUR)):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay in the volume field
            button.setStyleSheet(
                f"QPushButton {{ background: {colour}; color: white; font-weight: bold;"
                f" padding: 2px 8px; border: none; border-radius: 2px }}"
                f" QPushButton:disabled {{ background: {MUTED.name()} }}"
            )
        self.volume = VolumeEdit(self.step_volume)
        self.volume.setObjectName("one_click_volume")
        self.volume.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.volume.setFixedWidth(self.volume.fontMetrics().horizontalAdvance("000.00") + 16)
        self.volume.setToolTip("Lots; Up / Down step the volume")
        self.volume.setText(f"{desk.default_volume:g}")
        self._good_volume = self.volume.text()
        self.volume.editingFinished.connect(self._settle_volume)
        self.spread = SteadyLabel("")
        self.spread.setObjectName("one_click_spread")
        self.spread.setToolTip("Spread in points")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(4)
        layout.addWidget(self.sell_button)
        layout.addWidget(self.volume)
        layout.addWidget(self.buy_button)
        layout.addWidget(self.spread)
        layout.addStretch(1)
        self.sell_button.clicked.connect(lambda: self.trade(Side.SELL))
        self.buy_button.clicked.connect(lambda: self.trade(Side.BUY))
        self._listening = True
        self._model.subscribe(self._on_desk)
        self._show_state()

    def detach(self) -> None:
        if self._listening:
            self._listening = False
            self._model.unsubscribe(self._on_desk)

    # -- what it shows --------------------------------------------------------------
    def _on_desk(self, change: DeskChange) -> None:
        if change.state:
            self._show_state()
        if change.symbol or change.symbols:
            self.refresh()

    def refresh(self) -> None:
        """Show the chart's symbol's latest quote (after a symbol change)."""
        symbol = self._symbol()
        quote = self._model.quotes.get(symbol) if symbol else None
        if quote is not None:
            self.show_quote(quote)
        else:
            self.sell_button.setText("SELL")
            self.buy_button.setText("BUY")
            self.spread.setText("")

    def show_quote(self, tick: Tick) -> None:
        """The bid on Sell, the ask on Buy, the spread in points between (this symbol only)."""
        if tick.symbol != self._symbol() or not self.isVisible():
            return
        spec = self._model.spec(tick.symbol)
        if spec is None:
            return
        self.sell_button.setText(f"SELL {spec.format_price(tick.bid)}")
        self.buy_button.setText(f"BUY {spec.format_price(tick.ask)}")
        self.spread.setText(f"{round((tick.ask - tick.bid) / spec.point):d}")

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()

    def _show_state(self) -> None:
        """While HALTED the buttons say so; a click is still answered with the gate's reason."""
        state = self._model.state
        tip = (
            ""
            if state is TradingState.ACTIVE
            else f"Trading {state.upper()}: {self._model.state_reason}"
        )
        for button in (self.sell_button, self.buy_button):
            button.setToolTip(tip)

    # -- trading --------------------------------------------------------------------
    def volume_text(self) -> tuple[str | None, str | None]:
        """The volume as the symbol formats it, or why it is not a volume."""
        value, problem = typed_number(self.volume.text(), "Volume")
        if problem is not None:
            return None, problem
        if value is None:
            return None, "Type a volume first"
        spec = self._model.spec(self._symbol())
        return (spec.format_volume(value) if spec else f"{value:g}"), None

    def trade(self, side: Side) -> Outcome | None:
        """Sell or buy the panel's volume at market through the order desk."""
        symbol = self._symbol()
        if not symbol:
            self._desk.report("No symbol on this chart yet")
            return None
        volume, problem = self.volume_text()
        if problem is not None or volume is None:
            self._desk.report(problem or "Type a volume first")
            return None
        outcome = self._desk.submit(f"{side} {volume} {symbol}", OrderSource.CHART)
        self.last_outcome = outcome
        return outcome

    def step_volume(self, steps: int) -> None:
        """Up / Down: one volume step of the symbol up or down, within its limits."""
        spec = self._model.spec(self._symbol())
        if spec is None:
            return
        value, problem = typed_number(self.volume.text(), "Volume")
        base = self._desk.default_volume if problem or value is None else value
        self.volume.setText(spec.format_volume(step_volume(spec, base, steps)))
        self._good_volume = self.volume.text()

    def _settle_volume(self) -> None:
        """Leaving the field: keep a volume, or snap back to the last good one and say so."""
        value, problem = typed_number(self.volume.text(), "Volume")
        if problem is None and value is not None and value > 0:
            self._good_volume = self.volume.text()
            return
        self._desk.report(
            f"Volume {self.volume.text()!r} is not a volume: back to {self._good_volume}"
        )
        self.volume.setText(self._good_volume)
