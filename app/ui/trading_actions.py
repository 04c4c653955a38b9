"""The trading menu, hotkeys and table actions: each hands the order desk a command line.

Every order the window makes goes through ``OrderDesk.submit`` (parse, preview,
gate check, the one confirmation rule, send), tagged with where it came from:
a menu item sends with source ``menu``, the same item's key with ``hotkey``, a
table action with ``table``. Table actions are written as command lines
(``close #1234 0.3``, ``reverse #1234``) so they are validated and previewed
exactly like typed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QWidget

from app.domain.commands import Halt, Resume
from app.domain.enums import OrderSource, Side
from app.domain.trading import Position, WorkingOrder
from app.ui.desk.orders import OrderDesk, Outcome
from app.ui.dialogs.trade import TradeDialogs
from app.ui.panels.orders import OrdersView
from app.ui.panels.positions import PositionsView
from app.ui.panels.ticket import OrderTicket

UNDO_MESSAGE = "Trades cannot be undone"
HALT_QUESTION = "Halt trading, cancel every working order and close every position?"


def source_action(
    window: QWidget,
    text: str,
    keys: str,
    slot: Callable[[OrderSource], object],
    *,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
) -> QAction:
    """A menu item that calls ``slot(MENU)``, and its key that calls ``slot(HOTKEY)``.

    A ``QAction`` cannot tell a click from its shortcut, so the key is a
    ``QShortcut`` of its own; the menu shows it after a tab, as Qt shows shortcuts.
    """
    label = f"{text}\t{QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)}"
    action = QAction(label if keys else text, window)
    action.triggered.connect(lambda _=False: slot(OrderSource.MENU))
    if keys:
        shortcut = QShortcut(QKeySequence(keys), window)
        shortcut.setContext(context)
        shortcut.activated.connect(lambda: slot(OrderSource.HOTKEY))
        action.setData(shortcut)  # kept with its action
    return action


class TradingActions:
    """Owns the trading actions (parented to the window); the window puts them in its menus.

    A plain object, not a QObject: it needs no signals of its own.
    """

    def __init__(
        self,
        window: QWidget,
        desk: OrderDesk,
        ticket: OrderTicket,
        positions: PositionsView,
        orders: OrdersView,
        *,
        status: Callable[[str], None],
    ) -> None:
        self._window = window
        self._desk = desk
        self._ticket = ticket
        self._positions = positions
        self._orders = orders
        self._status = status
        self.dialogs = TradeDialogs(window)  # tests replace this: dialogs are modal

        self.buy_action = source_action(
            window, "Market &buy (default volume)", "Ctrl+B", lambda s: self.market(Side.BUY, s)
        )
        self.sell_action = source_action(
            window, "Market &sell (default volume)", "Ctrl+S", lambda s: self.market(Side.SELL, s)
        )
        self.flatten_all_action = source_action(
            window, "&Flatten all (always asks)…", "Ctrl+Shift+X", self.flatten_all
        )
        self.halt_action = source_action(
            window,
            "&Halt trading (kill switch)",
            "Ctrl+Shift+H",
            lambda s: self.halt(s, flatten=False),
            context=Qt.ShortcutContext.ApplicationShortcut,  # from any window of the app
        )
        self.halt_action.setObjectName("action_halt")
        self.halt_flatten_action = source_action(
            window, "Halt and &flatten everything…", "", lambda s: self.halt(s, flatten=True)
        )
        self.resume_action = source_action(window, "&Resume trading", "", self.resume)
        self.volume_up_action = self._action(
            "Volume &up one step", "Alt+Up", lambda: ticket.step_volume(1)
        )
        self.volume_down_action = self._action(
            "Volume &down one step", "Alt+Down", lambda: ticket.step_volume(-1)
        )
        self.clear_action = self._action("&Clear ticket", "Esc", ticket.clear, context=ticket)
        self.undo_action = self._action("Undo (trades cannot be undone)", "Ctrl+Z", self.no_undo)

        positions.close_requested.connect(self.close_positions)
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
        """Put every trading action, with its key, into the Trade menu."""
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
            menu.addAction(action)
        menu.addAction(self._orders.cancel_action)
        menu.addAction(self._orders.modify_action)
        menu.addSeparator()
        menu.addAction(self.flatten_all_action)
        menu.addAction(self.undo_action)
        menu.addSeparator()
        for action in (self.halt_action, self.halt_flatten_action, self.resume_action):
            menu.addAction(action)

    # -- hotkeys and menu items ---------------------------------------------------------
    def market(self, side: Side, source: OrderSource) -> Outcome | None:
        """Ctrl+B / Ctrl+S: a market order of the default volume on the desk's symbol."""
        symbol = self._desk.model.symbol
        if symbol is None:
            self._status("No symbol yet: wait for the broker's symbols")
            return None
        return self._desk.submit(f"{side} {self._desk.default_volume:g} {symbol}", source)

    def flatten_all(self, source: OrderSource) -> Outcome:
        """Ctrl+Shift+X: cancel every working order and close every position; always asks."""
        return self._desk.submit("flat", source)

    def halt(self, source: OrderSource, *, flatten: bool) -> bool:
        """The kill switch halts at once; flattening everything asks first."""
        if flatten and not self._desk.confirm("Halt and flatten", HALT_QUESTION):
            return False
        reason = "kill switch, flatten everything" if flatten else "kill switch"
        self._desk.emit(Halt(reason, flatten=flatten, source=source))
        return True

    def resume(self, source: OrderSource) -> None:
        self._desk.emit(Resume(source=source))

    def no_undo(self) -> None:
        """Ctrl+Z does nothing on purpose: a trade is never silently reverted."""
        self._status(UNDO_MESSAGE)

    # -- table actions ------------------------------------------------------------------
    def _send(self, text: str) -> Outcome:
        return self._desk.submit(text, OrderSource.TABLE)

    def close_positions(self, positions: Sequence[Position]) -> Outcome | None:
        """Delete in the positions table: one confirmation for all the selected positions."""
        if not positions:
            return None
        return self._desk.submit_many([f"close #{p.ticket}" for p in positions], OrderSource.TABLE)

    def partial_close(self, position: Position) -> None:
        spec = self._desk.model.spec(position.symbol)
        if spec is None:
            return
        volume = self.dialogs.close_volume(position, spec)
        if volume is not None:
            self._send(f"close #{position.ticket} {spec.format_volume(volume)}")

    def modify_position(self, position: Position) -> None:
        spec = self._desk.model.spec(position.symbol)
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
            for p in self._desk.model.positions
            if p.symbol == position.symbol and p.side is not position.side
        ]
        if not choices:
            self._status(f"No opposite {position.symbol} position to close #{position.ticket} by")
            return
        other = self.dialogs.opposite_position(position, choices)
        if other is not None:
            self._send(f"close #{position.ticket} by #{other.ticket}")

    def cancel_orders(self, orders: Sequence[WorkingOrder]) -> Outcome | None:
        if not orders:
            return None
        return self._desk.submit_many([f"cancel #{o.ticket}" for o in orders], OrderSource.TABLE)

    def modify_order(self, order: WorkingOrder) -> None:
        spec = self._desk.model.spec(order.symbol)
        if spec is None:
            return
        words = self.dialogs.order_levels(order, spec)
        if words is not None:
            self._send(f"modify #{order.ticket} {words}")
