"""Open positions with live P&L; close from the keyboard (Delete) or the context menu."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from app.domain.market import utc_from_msc
from app.domain.trading import Position
from app.ui.desk.model import DeskChange, DeskModel
from app.ui.widgets.table_model import SORT_ROLE, ActionTableView, RowTableModel
from app.ui.widgets.theme import pnl_color

_Index = QModelIndex | QPersistentModelIndex


#: Columns in the order a trader reads a position (MetaTrader 5's order, Profit before
#: the bookkeeping columns so it stays in view). Owner says whose it is: the trader's
#: ("Manual"), another program's ("External") or a strategy instance's (its name).
COLUMNS = (
    "Symbol",
    "Type",
    "Volume",
    "Open price",
    "SL",
    "TP",
    "Current",
    "Swap",
    "Profit",
    "Owner",
    "Open time",
    "Ticket",
    "Comment",
)
(SYMBOL, TYPE, VOLUME, OPEN, SL, TP, CURRENT, SWAP, PROFIT, OWNER, TIME, TICKET, COMMENT) = range(
    len(COLUMNS)
)
#: Typical widths in characters (or the header's, if wider): Profit stays in view.
COLUMN_CHARS = (6, 4, 4, 7, 7, 7, 7, 5, 8, 13, 15, 7, 12)
OWNER_TOOLTIP = (
    "Whose it is: Manual (yours), External (another program's, an MT5 Expert Advisor)"
    " or the strategy instance that opened it"
)
COLUMN_TOOLTIPS = ("",) * OWNER + (OWNER_TOOLTIP,)
_NUMERIC = frozenset({VOLUME, OPEN, SL, TP, CURRENT, SWAP, PROFIT, TICKET})


class PositionsModel(RowTableModel):
    """One row per position. A new snapshot with the same tickets updates cells in place.

    Prices and volumes are shown in each symbol's digits, read from the desk model.
    """

    HEADERS = COLUMNS
    TOOLTIPS = COLUMN_TOOLTIPS
    LIVE_COLUMNS = (CURRENT, SWAP, PROFIT)

    def __init__(self, desk: DeskModel) -> None:
        super().__init__()
        self.desk = desk
        self._rows: list[Position] = []

    def update_positions(self, positions: Sequence[Position]) -> None:
        same_rows = [p.ticket for p in positions] == [p.ticket for p in self._rows]
        if same_rows and all(
            (p.volume, p.sl, p.tp) == (q.volume, q.sl, q.tp)
            for p, q in zip(positions, self._rows, strict=True)
        ):
            self._rows = list(positions)
            if self._rows:
                last = len(self._rows) - 1
                self.dataChanged.emit(
                    self.index(0, self.LIVE_COLUMNS[0]), self.index(last, self.LIVE_COLUMNS[-1])
                )
            return
        self.beginResetModel()
        self._rows = list(positions)
        self.endResetModel()

    def owners_changed(self) -> None:
        """Repaint the Owner column: a strategy instance's name became known."""
        if self._rows:
            self.dataChanged.emit(self.index(0, OWNER), self.index(len(self._rows) - 1, OWNER))

    def position_at(self, row: int) -> Position:
        return self._rows[row]

    @property
    def positions(self) -> list[Position]:
        return list(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        p = self._rows[index.row()]
        column = index.column()
        if role == SORT_ROLE:
            return _sort_value(p, column, self.desk.owner_label(p.owner))
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(p, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == PROFIT:
            return pnl_color(p.profit)
        if role == Qt.ItemDataRole.ToolTipRole and column == OWNER:
            return self.desk.owner_tooltip(p.owner)
        return None

    def _display(self, p: Position, column: int) -> str:
        desk = self.desk
        match column:
            case 0:
                return p.symbol
            case 1:
                return p.side.capitalize()
            case 2:
                return desk.format_volume(p.symbol, p.volume)
            case 3:
                return desk.format_price(p.symbol, p.price_open)
            case 4:
                return desk.format_price(p.symbol, p.sl)
            case 5:
                return desk.format_price(p.symbol, p.tp)
            case 6:
                return desk.format_price(p.symbol, p.price_current)
            case 7:
                return f"{p.swap:,.2f}"
            case 8:
                return f"{p.profit:+,.2f}"
            case 9:
                return desk.owner_label(p.owner)
            case 10:
                return f"{utc_from_msc(p.time_msc).astimezone():%Y-%m-%d %H:%M}"
            case 11:
                return str(p.ticket)
            case _:
                return p.comment


def _sort_value(p: Position, column: int, owner: str) -> object:
    values = (
        p.symbol,
        p.side,
        p.volume,
        p.price_open,
        p.sl or 0.0,
        p.tp or 0.0,
        p.price_current,
        p.swap,
        p.profit,
        owner,  # by its label: instances of one strategy together
        p.time_msc,
        p.ticket,
        p.comment,
    )
    return values[column]


class PositionsView(ActionTableView):
    """Sortable, keyboard-driven table of positions.

    Delete closes the selected positions (several at once), Shift+Delete closes
    part of one, F2 modifies its SL/TP, Ctrl+R reverses it and Alt+Delete closes
    it by an opposite one. Each action only emits a signal: the main window asks
    for confirmation and sends.
    """

    close_requested = Signal(list)  # list[Position]
    partial_close_requested = Signal(object)  # Position
    modify_requested = Signal(object)  # Position
    reverse_requested = Signal(object)  # Position
    close_by_requested = Signal(object)  # Position

    def __init__(self, model: PositionsModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent, sort_column=TIME)
        self.source_model = model
        self.size_columns(COLUMN_CHARS)
        # A long owner name keeps its instance number in view: ma_cr…ss#12.
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        model.desk.subscribe(self._on_desk)
        self.close_action = self._action("Close position", "Delete", self.request_close_selected)
        self.partial_close_action = self._action(
            "Partial close…", "Shift+Delete", lambda: self._one(self.partial_close_requested)
        )
        self.modify_action = self._action(
            "Modify SL/TP…", "F2", lambda: self._one(self.modify_requested)
        )
        self.reverse_action = self._action(
            "Reverse", "Ctrl+R", lambda: self._one(self.reverse_requested)
        )
        self.close_by_action = self._action(
            "Close by opposite…", "Alt+Delete", lambda: self._one(self.close_by_requested)
        )

    def _on_desk(self, change: DeskChange) -> None:
        if change.positions:
            self.source_model.update_positions(self.source_model.desk.positions)
        if change.strategies:
            self.source_model.owners_changed()

    @property
    def actions_in_menu(self) -> tuple[QAction, ...]:
        return (
            self.close_action,
            self.partial_close_action,
            self.modify_action,
            self.reverse_action,
            self.close_by_action,
        )

    def selected_positions(self) -> list[Position]:
        return [self.source_model.position_at(r) for r in self.selected_rows()]

    def request_close_selected(self) -> None:
        positions = self.selected_positions()
        if positions:
            self.close_requested.emit(positions)

    def _one(self, signal: SignalInstance) -> None:
        """Single-position actions act on the current row."""
        row = self.current_row()
        if row is not None:
            position = self.source_model.position_at(row)
        else:
            chosen = self.selected_positions()
            if not chosen:
                return
            position = chosen[0]
        signal.emit(position)
