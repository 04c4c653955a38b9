"""The trading hotkeys and table actions, and the one rule for confirming orders.

Every trading action of the window ends in ``trade(parsed)``: it asks for
confirmation unless one-click trading is on (bulk actions — close all, flat,
cancel all — always ask) and then puts the commands on the bus. Table actions
are written as command lines (``close #1234 0.3``, ``reverse #1234``) and parsed,
so they are validated and previewed exactly like typed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.domain.command_parser import ParsedCommand, ParseError, parse
from app.domain.commands import Command
from app.domain.enums import OrderSource, Side
from app.domain.symbols import SymbolSpec
from app.domain.trading import Position, WorkingOrder
from app.ui.dialogs.trade import TradeDialogs, confirmation_text, confirmation_title
from app.ui.panels.orders import OrdersView
from app.ui.panels.positions import PositionsView
from app.ui.panels.ticket import OrderTicket

ConfirmFn = Callable[[str, str], bool]
UNDO_MESSAGE = "Trades cannot be undone"


class TradingActions:
    """Owns the trading ``QAction``s (parented to the window); the window adds them to its
    Trade menu. A plain object, not a QObject: it needs no signals of its own."""

    def __init__(
        self,
        window: QWidget,
        ticket: OrderTicket,
        positions: PositionsView,
        orders: OrdersView,
        *,
        specs: Callable[[], Mapping[str, SymbolSpec]],
        confirm: ConfirmFn,
        one_click: bool,
        emit: Callable[[Command], None],
        status: Callable[[str], None],
    ) -> None:
        self._window = window
        self._ticket = ticket
        self._positions = positions
        self._orders = orders
        self._specs = specs
        self._confirm = confirm
        self.one_click = one_click
        self._emit = emit
        self._status = status
        self.dialogs = TradeDialogs(window)  # tests replace this: dialogs are modal

        self.buy_action = self._action("Market &buy (default volume)", "Ctrl+B", self.market_buy)
        self.sell_action = self._action("Market &sell (default volume)", "Ctrl+S", self.market_sell)
        self.volume_up_action = self._action(
            "Volume &up one step", "Alt+Up", lambda: ticket.step_volume(1)
        )
        self.volume_down_action = self._action(
            "Volume &down one step", "Alt+Down", lambda: ticket.step_volume(-1)
        )
        self.clear_action = self._action("&Clear ticket", "Esc", ticket.clear, context=ticket)
        self.flatten_all_action = self._action(
            "&Flatten all (always asks)…", "Ctrl+Shift+X", self.flatten_all
        )
        self.undo_action = self._action("Undo (trades cannot be undone)", "Ctrl+Z", self.no_undo)

        positions.partial_close_requested.connect(self.partial_close)
        positions.modify_requested.connect(self.modify_position)
        positions.reverse_requested.connect(self.reverse)
        positions.close_by_requested.connect(self.close_by)
        orders.cancel_requested.connect(self.cancel_orders)
        orders.modify_requested.connect(self.modify_order)

    def _action(
        self,
        text: str,
        keys: str,
        slot: Callable[[], object],
        *,
        context: QWidget | None = None,
    ) -> QAction:
        action = QAction(text, self._window)
        action.setShortcut(QKeySequence(keys))
        if context is None:
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self._window.addAction(action)
        else:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            context.addAction(action)
        action.triggered.connect(lambda _=False: slot())
        return action

    def populate(self, menu: QMenu) -> None:
        """Put every trading action, with its shortcut, into the Trade menu."""
        for action in (
            self.buy_action,
            self.sell_action,
            self.volume_up_action,
            self.volume_down_action,
            self.clear_action,
        ):
            menu.addAction(action)
        menu.addSeparator()
        for action in self._positions.actions_in_menu:
            if action is not self._positions.close_action:
                menu.addAction(action)
        menu.addAction(self._orders.cancel_action)
        menu.addAction(self._orders.modify_action)
        menu.addSeparator()
        menu.addAction(self.flatten_all_action)
        menu.addAction(self.undo_action)

    # -- the one road out --------------------------------------------------------------
    def trade(self, parsed: ParsedCommand) -> bool:
        """Confirm (unless one-click; bulk always) and send; False if the trader said no."""
        if (parsed.bulk or not self.one_click) and not self._confirm(
            confirmation_title(parsed), confirmation_text(parsed)
        ):
            return False
        for command in parsed.commands:
            self._emit(command)
        return True

    # -- hotkeys ------------------------------------------------------------------------
    def market_buy(self) -> None:
        self._ticket.quick_market(Side.BUY)

    def market_sell(self) -> None:
        self._ticket.quick_market(Side.SELL)

    def flatten_all(self) -> None:
        """Ctrl+Shift+X: cancel every working order and close every position; always asks."""
        self._ticket.send_text("flat")

    def no_undo(self) -> None:
        """Ctrl+Z does nothing on purpose: a trade is never silently reverted."""
        self._status(UNDO_MESSAGE)

    # -- table actions ------------------------------------------------------------------
    def _send(self, text: str) -> object:
        return self._ticket.send_text(text, OrderSource.TABLE)

    def partial_close(self, position: Position) -> None:
        spec = self._specs().get(position.symbol)
        if spec is None:
            return
        volume = self.dialogs.close_volume(position, spec)
        if volume is not None:
            self._send(f"close #{position.ticket} {spec.format_volume(volume)}")

    def modify_position(self, position: Position) -> None:
        spec = self._specs().get(position.symbol)
        if spec is None:
            return
        words = self.dialogs.position_levels(position, spec)
        if words is not None:
            self._send(f"modify #{position.ticket} {words}")

    def reverse(self, position: Position) -> None:
        self._send(f"reverse #{position.ticket}")

    def close_by(self, position: Position) -> None:
        choices = [
            p
            for p in self._positions.source_model.positions
            if p.symbol == position.symbol and p.side is not position.side
        ]
        if not choices:
            self._status(f"No opposite {position.symbol} position to close #{position.ticket} by")
            return
        other = self.dialogs.opposite_position(position, choices)
        if other is not None:
            self._send(f"close #{position.ticket} by #{other.ticket}")

    def cancel_orders(self, orders: Sequence[WorkingOrder]) -> None:
        self.send_many([f"cancel #{o.ticket}" for o in orders])

    def modify_order(self, order: WorkingOrder) -> None:
        spec = self._specs().get(order.symbol)
        if spec is None:
            return
        words = self.dialogs.order_levels(order, spec)
        if words is not None:
            self._send(f"modify #{order.ticket} {words}")

    def send_many(self, texts: Sequence[str]) -> bool:
        """Several command lines confirmed once, as one list; nothing if any is invalid."""
        context = replace(self._ticket.context(), source=OrderSource.TABLE)
        parsed: list[ParsedCommand] = []
        for text in texts:
            result = parse(text, context)
            if isinstance(result, ParseError):
                self._status(result.message)
                return False
            parsed.append(result)
        if not parsed:
            return False
        combined = ParsedCommand(
            tuple(c for p in parsed for c in p.commands), "\n".join(p.preview for p in parsed)
        )
        return self.trade(combined)
