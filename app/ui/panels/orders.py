"""Working (pending) orders: sortable, keyboard-driven; cancel with Delete, modify with F2."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from app.domain.enums import OrderType, Side, TimeInForce
from app.domain.market import utc_from_msc
from app.domain.trading import WorkingOrder
from app.ui.desk.model import DeskChange, DeskModel
from app.ui.widgets.table_model import SORT_ROLE, ActionTableView, RowTableModel

_Index = QModelIndex | QPersistentModelIndex


class OrdersModel(RowTableModel):
    """One row per working order; the distance to the market updates with the quotes."""

    HEADERS = (
        "Ticket",
        "Symbol",
        "Type",
        "Volume",
        "Price",
        "Limit",
        "SL",
        "TP",
        "Expires",
        "Market",
        "Owner",
        "Comment",
    )
    TOOLTIPS = ("",) * 10 + (
        "Whose it is: Manual (yours), External (another program's, an MT5 Expert Advisor)"
        " or the strategy instance that placed it",
    )
    MARKET_COLUMN = 9
    OWNER_COLUMN = 10
    #: Wide enough for "Strategy #12" and most instance names; the trader may widen it.
    OWNER_CHARS = 13

    def __init__(self, desk: DeskModel) -> None:
        super().__init__()
        self.desk = desk
        self._rows: list[WorkingOrder] = []

    def update_orders(self, orders: Sequence[WorkingOrder]) -> None:
        self.beginResetModel()
        self._rows = list(orders)
        self.endResetModel()

    def quotes_changed(self, symbols: Collection[str]) -> None:
        """Repaint the market column of the orders whose symbol ticked."""
        rows = [i for i, o in enumerate(self._rows) if o.symbol in symbols]
        if rows:
            column = self.MARKET_COLUMN
            self.dataChanged.emit(self.index(rows[0], column), self.index(rows[-1], column))

    def owners_changed(self) -> None:
        """Repaint the Owner column: a strategy instance's name became known."""
        if self._rows:
            column = self.OWNER_COLUMN
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column))

    def order_at(self, row: int) -> WorkingOrder:
        return self._rows[row]

    @property
    def orders(self) -> list[WorkingOrder]:
        return list(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        o = self._rows[index.row()]
        column = index.column()
        if role == SORT_ROLE:
            return _sort_value(o, column, self.desk.owner_label(o.owner))
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(o, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and 3 <= column <= 9:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.OWNER_COLUMN:
            return self.desk.owner_tooltip(o.owner)
        return None

    def _market(self, o: WorkingOrder) -> float | None:
        quote = self.desk.quotes.get(o.symbol)
        if quote is None:
            return None
        return quote.ask if o.side is Side.BUY else quote.bid

    def _display(self, o: WorkingOrder, column: int) -> str:
        def price(value: float | None) -> str:
            return self.desk.format_price(o.symbol, value)

        match column:
            case 0:
                return str(o.ticket)
            case 1:
                return o.symbol
            case 2:
                kind = "stop-limit" if o.order_type is OrderType.STOP_LIMIT else o.order_type
                return f"{o.side.capitalize()} {kind}"
            case 3:
                return self.desk.format_volume(o.symbol, o.volume)
            case 4:
                return price(o.price)
            case 5:
                return price(o.stop_limit)
            case 6:
                return price(o.sl)
            case 7:
                return price(o.tp)
            case 8:
                return _expiry(o)
            case 9:
                return price(self._market(o))
            case 10:
                return self.desk.owner_label(o.owner)
            case _:
                return o.comment


def _expiry(o: WorkingOrder) -> str:
    if o.time_in_force is TimeInForce.DAY:
        return "today"
    if o.time_in_force is TimeInForce.SPECIFIED and o.expiration_msc is not None:
        return f"{utc_from_msc(o.expiration_msc).astimezone():%Y-%m-%d %H:%M}"
    return "GTC"


def _sort_value(o: WorkingOrder, column: int, owner: str) -> object:
    values = (
        o.ticket,
        o.symbol,
        f"{o.side}{o.order_type}",
        o.volume,
        o.price,
        o.stop_limit or 0.0,
        o.sl or 0.0,
        o.tp or 0.0,
        o.expiration_msc or 0,
        o.price,
        owner,  # by its label: instances of one strategy together
        o.comment,
    )
    return values[column]


class OrdersView(ActionTableView):
    """Delete cancels the selected orders (after confirmation); F2 modifies one."""

    cancel_requested = Signal(list)  # list[WorkingOrder]
    modify_requested = Signal(object)  # WorkingOrder

    def __init__(self, model: OrdersModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.source_model = model
        self.cancel_action = self._action("Cancel order", "Delete", self._request_cancel)
        self.modify_action = self._action("Modify order…", "F2", self._request_modify)
        self._size_owner_column()
        # A long owner name keeps its instance number in view: ma_cr…ss#12.
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        model.desk.subscribe(self._on_desk)

    def _size_owner_column(self) -> None:
        """The Owner column starts narrow (the others keep their default width)."""
        metrics = self.fontMetrics()
        column = OrdersModel.OWNER_COLUMN
        width = max(
            metrics.horizontalAdvance("0") * OrdersModel.OWNER_CHARS,
            metrics.horizontalAdvance(OrdersModel.HEADERS[column]),
        )
        self.horizontalHeader().resizeSection(column, width + 14)  # as size_columns does

    def _on_desk(self, change: DeskChange) -> None:
        if change.orders:
            self.source_model.update_orders(self.source_model.desk.orders)
        elif change.quotes:
            self.source_model.quotes_changed(change.quotes)
        if change.strategies:
            self.source_model.owners_changed()

    @property
    def actions_in_menu(self) -> tuple[QAction, ...]:
        return (self.cancel_action, self.modify_action)

    def selected_orders(self) -> list[WorkingOrder]:
        return [self.source_model.order_at(r) for r in self.selected_rows()]

    def _request_cancel(self) -> None:
        orders = self.selected_orders()
        if orders:
            self.cancel_requested.emit(orders)

    def _request_modify(self) -> None:
        orders = self.selected_orders()
        if orders:
            self.modify_requested.emit(orders[0])
