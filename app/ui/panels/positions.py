"""Open positions with live P&L; close from the keyboard (Delete) or the context menu."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from app.domain.symbols import SymbolSpec
from app.domain.trading import Position
from app.ui.widgets.table_model import SORT_ROLE, ActionTableView, RowTableModel
from app.ui.widgets.theme import pnl_color

_Index = QModelIndex | QPersistentModelIndex


class PositionsModel(RowTableModel):
    """One row per position. A new snapshot with the same tickets updates cells in place."""

    HEADERS = ("Ticket", "Symbol", "Side", "Volume", "Open", "Current", "SL", "TP", "Profit")
    LIVE_COLUMNS = (5, 8)

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Position] = []
        self._specs: dict[str, SymbolSpec] = {}

    def set_specs(self, specs: Mapping[str, SymbolSpec]) -> None:
        self._specs = dict(specs)

    def update_positions(self, positions: Sequence[Position]) -> None:
        same_rows = [p.ticket for p in positions] == [p.ticket for p in self._rows]
        if same_rows and all(
            (p.volume, p.sl, p.tp) == (q.volume, q.sl, q.tp)
            for p, q in zip(positions, self._rows, strict=True)
        ):
            self._rows = list(positions)
            if self._rows:
                for column in self.LIVE_COLUMNS:
                    top, bottom = self.index(0, column), self.index(len(self._rows) - 1, column)
                    self.dataChanged.emit(top, bottom)
            return
        self.beginResetModel()
        self._rows = list(positions)
        self.endResetModel()

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
            return _sort_value(p, column)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(p, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 8:
            return pnl_color(p.profit)
        return None

    def _display(self, p: Position, column: int) -> str:
        spec = self._specs.get(p.symbol)

        def price(value: float | None) -> str:
            if value is None:
                return ""
            return spec.format_price(value) if spec else f"{value:g}"

        match column:
            case 0:
                return str(p.ticket)
            case 1:
                return p.symbol
            case 2:
                return p.side.capitalize()
            case 3:
                return spec.format_volume(p.volume) if spec else f"{p.volume:g}"
            case 4:
                return price(p.price_open)
            case 5:
                return price(p.price_current)
            case 6:
                return price(p.sl)
            case 7:
                return price(p.tp)
            case _:
                return f"{p.profit:+,.2f}"


def _sort_value(p: Position, column: int) -> object:
    values = (
        p.ticket,
        p.symbol,
        p.side,
        p.volume,
        p.price_open,
        p.price_current,
        p.sl or 0.0,
        p.tp or 0.0,
        p.profit,
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
        super().__init__(model, parent)
        self.source_model = model
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
