"""The shape every table in the terminal shares: a list of rows, fixed columns, and actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Sized

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTableView, QWidget

_Index = QModelIndex | QPersistentModelIndex
#: The role a model answers with a value that sorts right (a number, not its text).
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class RowTableModel(QAbstractTableModel):
    """Counts rows in ``self._rows`` and titles columns from ``HEADERS``.

    Subclasses fill ``_rows`` (any sized sequence) and implement ``data``.
    """

    HEADERS: tuple[str, ...] = ()
    TOOLTIPS: tuple[str, ...] = ()  # what a shortened header means, shown on hover

    def __init__(self) -> None:
        super().__init__()
        self._rows: Sized = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section < len(self.TOOLTIPS):
            return self.TOOLTIPS[section]
        return None


class ActionTableView(QTableView):
    """A sortable, row-selecting table whose actions are shortcuts and a context menu.

    Subclasses create their actions with ``_action`` and list them in
    ``actions_in_menu``; the rows they act on come from ``selected_rows`` and
    ``current_row`` (rows of the model, whatever the sort order on screen).
    """

    def __init__(
        self, model: RowTableModel, parent: QWidget | None = None, *, sort_column: int = 0
    ) -> None:
        super().__init__(parent)
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(model)
        self._proxy.setSortRole(SORT_ROLE)
        self.setModel(self._proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setStretchLastSection(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)

    @property
    def actions_in_menu(self) -> tuple[QAction, ...]:
        return ()

    def size_columns(self, chars: Sequence[int]) -> None:
        """Start each column ``chars`` digits wide, or as wide as its title (the trader
        may resize them)."""
        metrics = self.fontMetrics()
        digit = metrics.horizontalAdvance("0")
        header = self.horizontalHeader()
        model = self.model()
        for column, count in enumerate(chars):
            title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            header.resizeSection(column, max(digit * count, metrics.horizontalAdvance(title)) + 14)

    def _action(self, text: str, keys: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def selected_rows(self) -> list[int]:
        """Model rows of the selection, else of the current row; in model order."""
        proxy = self._proxy
        rows = {proxy.mapToSource(i).row() for i in self.selectionModel().selectedRows()}
        current = self.current_row()
        if not rows and current is not None:
            rows = {current}
        return sorted(rows)

    def current_row(self) -> int | None:
        current = self.currentIndex()
        return self._proxy.mapToSource(current).row() if current.isValid() else None

    def _show_menu(self, pos: QPoint) -> None:
        if not self.selected_rows():
            return
        menu = QMenu(self)
        for action in self.actions_in_menu:
            menu.addAction(action)
        menu.exec(self.viewport().mapToGlobal(pos))
