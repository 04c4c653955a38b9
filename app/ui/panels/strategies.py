"""The Strategies panel: what can be attached, what is attached, and what each instance does.

Three parts side by side, for a dock along the bottom: the catalogue (every
strategy that loaded, and one red line per file or class that did not), the
instances (strategy × symbol × timeframe × parameters, with their state, today's
P&L, open positions and trades), and the newest log lines of the instance under
the cursor. Everything goes through the bus: the panel sends the strategy
commands and draws the engine's ``StrategyCatalog``, ``StrategyStatus`` and
``StrategyReply`` facts; it never decides an instance's state itself.

Keys (in the panel): Insert attaches, F2 edits, F5 starts, Shift+F5 stops,
Delete detaches (after asking); the same actions are in the context menus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QFontMetrics, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.domain.commands import Command
from app.domain.enums import OrderSource
from app.domain.strategies import (
    DetachStrategy,
    RequestStrategies,
    StartStrategy,
    StopStrategy,
    StrategyCatalog,
    StrategyDescriptor,
    StrategyReply,
    StrategyState,
    StrategyStatus,
)
from app.domain.timeframes import Timeframe
from app.paths import user_data_dir
from app.strategies.catalog import USER_FOLDER
from app.ui.panels.strategy_form import StrategyForm, budget_text, plain_words
from app.ui.widgets.table_model import SORT_ROLE, ActionTableView, RowTableModel
from app.ui.widgets.theme import LOSS, MUTED, PROFIT, WARNING, signed_money

if TYPE_CHECKING:
    from app.engine.bus import EventBus
    from app.ui.desk.model import DeskModel

_Index = QModelIndex | QPersistentModelIndex
Confirm = Callable[[str, str], bool]
CloseTheirs = Callable[[StopStrategy | None, Sequence[int], str], object]
"""``close(stop, tickets, name)``: the order desk closes instance ``name``'s ``tickets``
(after ``stop``, if given)."""
ShowIndicators = Callable[[StrategyStatus], str]
"""``show(status)``: a chart of the instance's symbol and timeframe draws its indicators;
returns the word for the trader."""

MESSAGE_SHOWN_MS = 15_000  # how long the panel's word under the log lines stays
_STATE_COLOURS = {
    StrategyState.RUNNING: PROFIT,
    StrategyState.WARMING_UP: WARNING,
    StrategyState.REDUCING: WARNING,
    StrategyState.HALTED: LOSS,
    StrategyState.FAILED: LOSS,
    StrategyState.STOPPED: MUTED,
}


def state_text(status: StrategyStatus) -> str:
    """ "running", or "halted: its daily loss …" with the reason the engine gave."""
    if status.reason and status.state in (
        StrategyState.HALTED,
        StrategyState.FAILED,
        StrategyState.REDUCING,
    ):
        return f"{status.state}: {status.reason}"
    if (
        status.state is StrategyState.STOPPED
        and status.reason
        and not (status.reason.startswith(("stopped by", "detached by")))
    ):  # stopped by something other than the trader's own Stop: say what
        return f"{status.state}: {status.reason}"
    return str(status.state)


def params_text(status: StrategyStatus, order: Sequence[str] = ()) -> str:
    """``fast=10, slow=30, …`` in the order the strategy declares them (``order``)."""
    params = status.config.params
    names = [n for n in order if n in params] + [n for n in params if n not in order]
    return ", ".join(_param(n, params[n]) for n in names)


def _param(name: str, value: object) -> str:
    if isinstance(value, bool):
        return f"{name}={'on' if value else 'off'}"
    return f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"


class InstancesModel(RowTableModel):
    """One row per attached instance, in the order they were attached."""

    HEADERS = ("Instance", "Symbol", "TF", "Parameters", "State", "Today P&L", "Pos.", "Trades")
    TOOLTIPS = (
        "The strategy and its number (its owner tag at the broker)",
        "",
        "Timeframe of its bars",
        "",
        "Stopped, warming up, running, halted by its budget, or failed (with the reason)",
        "Its realised P&L today plus its open positions' floating P&L",
        "Its open positions",
        "Deals that closed a position of its own",
    )
    STATE_COLUMN = 4

    def __init__(self, currency: Callable[[], str]) -> None:
        super().__init__()
        self._currency = currency
        self._rows: list[StrategyStatus] = []
        self._order: dict[str, tuple[str, ...]] = {}  # strategy -> its parameters' order

    def set_catalog(self, catalog: StrategyCatalog) -> None:
        self._order = {d.key: tuple(p.name for p in d.params) for d in catalog.available}
        if self._rows:
            self.dataChanged.emit(self.index(0, 3), self.index(len(self._rows) - 1, 3))

    def params_of(self, s: StrategyStatus) -> str:
        return params_text(s, self._order.get(s.config.strategy, ()))

    @property
    def statuses(self) -> list[StrategyStatus]:
        return list(self._rows)

    def status_at(self, row: int) -> StrategyStatus:
        return self._rows[row]

    def row_of(self, name: str) -> int | None:
        return next((i for i, s in enumerate(self._rows) if s.name == name), None)

    def apply(self, status: StrategyStatus) -> None:
        """A new status replaces the old one; a detached instance's row goes."""
        row = self.row_of(status.name)
        if status.detached:
            if row is not None:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
            return
        if row is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(status)
            self.endInsertRows()
            return
        self._rows[row] = status
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        s = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(s, column)
        if role == SORT_ROLE:
            values = (
                s.config.number,
                s.config.symbol,
                s.config.timeframe.seconds,
                self.params_of(s),
                str(s.state),
                s.day_pnl,
                s.open_positions,
                s.trades,
            )
            return values[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.STATE_COLUMN:
                return QBrush(_STATE_COLOURS[s.state])
            if column == 5 and s.day_pnl:
                return QBrush(PROFIT if s.day_pnl > 0 else LOSS)
        if role == Qt.ItemDataRole.ToolTipRole and column in (0, 5):
            # The budget of a running instance too (F2 edits only a stopped one).
            text = budget_text(s.config.budget, self._currency())
            return f"{s.name}\n{text}" if column == 0 else text
        if role == Qt.ItemDataRole.ToolTipRole and column in (3, self.STATE_COLUMN):
            return self._display(s, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, s: StrategyStatus, column: int) -> str:
        match column:
            case 0:
                return s.name
            case 1:
                return s.config.symbol
            case 2:
                return s.config.timeframe.name
            case 3:
                return self.params_of(s)
            case 4:
                auto = " (starts by itself)" if s.config.autostart else ""
                return state_text(s) + (auto if s.state is StrategyState.STOPPED else "")
            case 5:
                return signed_money(s.day_pnl, self._currency())
            case 6:
                return str(s.open_positions)
            case _:
                return str(s.trades)


class InstancesView(ActionTableView):
    """The instances table; its actions are the panel's (keys and context menu)."""

    def __init__(self, model: InstancesModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.setObjectName("strategies_table")
        self.source_model = model
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.menu_actions: tuple[QAction, ...] = ()
        self.last_menu: QMenu | None = None
        #: Called with True as the row menu opens and False as it closes (the panel
        #: greys out, in the menu only, what cannot apply; the keys always answer).
        self.menu_shown: Callable[[bool], None] = lambda _shown: None
        self.size_columns((12, 8, 4, 28, 12, 12, 4, 6))
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        # The parameters take the room that is left (cut, the whole text in the tooltip);
        # the other columns are as wide as what they hold, the instance and its state up
        # to a cap (then cut in the middle, with the same tooltip). A column the trader
        # resized keeps the width given.
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        # Should the columns still not fit (a wider font, a narrower window), a scroll bar
        # reaches the rest, pixel by pixel so the last column comes wholly into view.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # ma_cro…ut#12 keeps its number
        self._fitting = False
        self._resized: set[int] = set()
        header.sectionResized.connect(self._on_resized)
        model.rowsInserted.connect(lambda *_: self.fit_columns())
        model.modelReset.connect(lambda *_: self.fit_columns())
        model.dataChanged.connect(lambda *_: self.fit_columns())
        self.fit_columns()

    CAPS: ClassVar[dict[int, int]] = {
        0: 24,
        4: 40,
    }  # the instance and its state: at most this many characters
    SQUEEZE = (4, 0)  # what gives way first when the table is narrow: the state, then the name
    # Characters each keeps however narrow the table is: ma_cross#1, running.
    FLOORS: ClassVar[dict[int, int]] = {0: 10, 4: 8}
    PARAMETERS = 4  # characters the parameters keep (cut, the whole text in a tooltip)

    def fit_columns(self) -> None:
        """Every column but the parameters as wide as its title and its text.

        The instance and the state are capped, and when the table is narrow (half a
        1366-pixel screen) they give way, down to a floor, so that the short columns
        (positions, trades) stay in view without a horizontal scroll bar; if even
        that is too wide, the scroll bar reaches them. A title is measured without the
        room Qt keeps for a sort arrow. Called again when the font changes.
        """
        header = self.horizontalHeader()
        metrics = self.fontMetrics()
        char = char_width(metrics)
        # The parameters may give way to a few characters (cut, the whole text in their
        # tooltip); Qt's default least width would push Pos./Trades out of view.
        least_parameters = round(char * self.PARAMETERS)
        model = self.model()
        widths: dict[int, int] = {}
        floors: dict[int, int] = {}
        for column in range(model.columnCount()):
            if column == 3 or column in self._resized:
                continue
            title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            least = metrics.horizontalAdvance(title) + 14
            wanted = max(self.sizeHintForColumn(column), least)
            if column in self.CAPS:
                wanted = min(wanted, round(char * self.CAPS[column]))
                floors[column] = min(wanted, max(least, round(char * self.FLOORS[column])))
            widths[column] = wanted
        kept = sum(header.sectionSize(c) for c in self._resized)
        room = self.viewport().width() - least_parameters
        over = sum(widths.values()) + kept - room
        for column in self.SQUEEZE:
            if over > 0 and column in widths:
                cut = min(over, widths[column] - floors[column])
                widths[column] -= cut
                over -= cut
        self._fitting = True
        try:
            if header.minimumSectionSize() != least_parameters:
                header.setMinimumSectionSize(least_parameters)
            for column, width in widths.items():
                if header.sectionSize(column) != width:
                    header.resizeSection(column, width)
            if over > 0 and header.sectionSize(3) != least_parameters:
                # No room to stretch into: Qt would leave the parameters as wide as they
                # were, and the scroll bar would have that much further to go.
                header.resizeSection(3, least_parameters)
        finally:
            self._fitting = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.fit_columns()  # the widths were the old font's

    def _on_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting and column != 3:
            self._resized.add(column)  # the trader's width: fitting leaves it alone

    @property
    def actions_in_menu(self) -> tuple[QAction, ...]:
        return self.menu_actions

    def selected(self) -> StrategyStatus | None:
        rows = self.selected_rows()
        return self.source_model.status_at(rows[0]) if rows else None

    def _show_menu(self, pos: QPoint) -> None:
        """The menu on a row acts on it; on empty space it still offers Attach."""
        menu = QMenu(self)
        chosen = self.menu_actions if self.selected_rows() else self.menu_actions[:3]
        for action in chosen:
            menu.addAction(action)
        self.last_menu = menu
        self.menu_shown(True)
        menu.aboutToHide.connect(lambda: self.menu_shown(False))
        menu.popup(self.viewport().mapToGlobal(pos))


class StrategiesPanel(QWidget):
    """The dock's widget. ``listen(bus)`` connects it; it asks for the state itself."""

    def __init__(
        self,
        send: Callable[[Command], None],
        desk: DeskModel,
        *,
        confirm: Confirm,
        timeframe: Callable[[], Timeframe | None] | None = None,
        user_folder: Path | None = None,
        close_positions: CloseTheirs | None = None,
        show_indicators: ShowIndicators | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``timeframe`` tells the active chart's timeframe, the one a new instance
        starts on; without it, the one the last instance was attached on (else M15).
        ``user_folder`` is where user strategy files go, said in the empty table's hint.
        ``close_positions`` is the order desk's road for an instance's positions (its
        preview, its one confirmation and the risk gate's word, as for any close).
        ``show_indicators`` puts an instance's indicators on a chart (the window's).
        """
        super().__init__(parent)
        self.setObjectName("strategies_panel")
        self._send = send
        self._desk = desk
        self._confirm = confirm
        self._close_positions = close_positions
        self._show_indicators = show_indicators
        self._chart_timeframe = timeframe
        self._last_timeframe = Timeframe.M15
        folder = user_folder if user_folder is not None else user_data_dir() / USER_FOLDER
        self.catalog = StrategyCatalog(())
        self.form: StrategyForm | None = None
        self.last_message = ""

        self.available = QListWidget()
        self.available.setObjectName("strategies_available")
        self.available.setWordWrap(True)
        self.available.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.available.itemActivated.connect(lambda _item: self.attach())
        self.available.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.available.customContextMenuRequested.connect(self._available_menu)

        self.model = InstancesModel(lambda: desk.currency)
        self.table = InstancesView(self.model)
        self.hint = QLabel(
            "Nothing is attached. To attach a strategy, choose it under Available and "
            "press Enter (or Insert anywhere in this panel). Your own strategies: .py "
            f"files in {folder}"
        )
        self.hint.setObjectName("strategies_hint")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint.setStyleSheet(f"color: {MUTED.name()}")
        self.log_title = QLabel("Last log lines")
        # A long instance name wraps onto a second line: never a reason for the log pane
        # to take the table's room, and never cut.
        self.log_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.log_title.setWordWrap(True)
        self.log_lines = QPlainTextEdit()
        self.log_lines.setObjectName("strategies_log")
        self.log_lines.setReadOnly(True)
        self.log_lines.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        self.message = QLabel("")
        self.message.setObjectName("strategies_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {WARNING.name()}")
        self.message.hide()
        # A word answers a key: news for a while, then the log lines get the room back.
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(MESSAGE_SHOWN_MS)
        self._message_timer.timeout.connect(lambda: self._say(""))

        # Attach from anywhere in the panel; the rest act on the table's row.
        self.attach_action = self._action("&Attach…", "Insert", self.attach, self)
        self.edit_action = self._action("&Edit parameters…", "F2", self.edit, self.table)
        self.start_action = self._action("&Start", "F5", self.start, self.table)
        self.stop_action = self._action("S&top", "Shift+F5", self.stop, self.table)
        self.detach_action = self._action("&Detach…", "Delete", self.detach, self.table)
        self.close_action = self._action(
            "&Close its positions…", "Ctrl+Delete", self.close_positions, self.table
        )
        self.chart_action = self._action(
            "Show its indicators on a c&hart", "Ctrl+G", self.show_on_chart, self.table
        )
        self.start_all_action = self._action("Start a&ll", "Ctrl+F5", self.start_all, self)
        self.stop_all_action = self._action("Stop all…", "Ctrl+Shift+F5", self.stop_all, self)
        self.table.doubleClicked.connect(lambda _index: self.edit())  # as F2
        self.table.menu_shown = self._menu_shown
        # The actions on the selected row (the rest act on the panel).
        self._row_actions = (
            self.edit_action,
            self.start_action,
            self.stop_action,
            self.close_action,
            self.chart_action,
            self.detach_action,
        )
        self.table.menu_actions = (
            self.attach_action,
            self.start_all_action,
            self.stop_all_action,
            *self._row_actions,
        )
        # The selection, not the current index: it changes after currentChanged fires.
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        self.model.dataChanged.connect(lambda *_: self._show_selected())
        self.model.rowsInserted.connect(lambda *_: self._show_selected())
        self.model.rowsRemoved.connect(lambda *_: self._show_selected())
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            signal.connect(lambda *_: self.hint.setVisible(not self.model.rowCount()))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(_titled("Available", self.available))
        splitter.addWidget(_titled_widget(QLabel("Attached"), self.hint, self.table))
        log_box = _titled_widget(self.log_title, self.log_lines, self.message)
        splitter.addWidget(log_box)
        # The table first: its eight columns need the room more than the log lines do.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 4)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([140, 900, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._enable_actions(None)

    def _action(self, text: str, keys: str, slot: Callable[[], object], where: QWidget) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _=False: slot())
        where.addAction(action)
        return action

    # -- the bus --------------------------------------------------------------------
    def listen(self, bus: EventBus) -> None:
        bus.strategy_catalog.connect(self.on_catalog)
        bus.strategy.connect(self.on_strategy)
        bus.connection.connect(lambda _state: self.request())
        self.request()

    def request(self) -> None:
        """Ask for the catalogue and every instance (answered if the engine runs)."""
        self._send(RequestStrategies())

    def on_catalog(self, catalog: StrategyCatalog) -> None:
        self.catalog = catalog
        self.model.set_catalog(catalog)
        chosen = self.chosen_strategy()
        self.available.clear()
        for descriptor in catalog.available:
            item = QListWidgetItem(f"{descriptor.title} ({descriptor.key})")
            item.setData(Qt.ItemDataRole.UserRole, descriptor.key)
            about = plain_words(descriptor.description)
            item.setToolTip(f"{about}\nFrom: {descriptor.origin}".strip())
            self.available.addItem(item)
            if chosen is not None and descriptor.key == chosen.key:
                self.available.setCurrentItem(item)
        for problem in catalog.problems:
            item = QListWidgetItem(f"Not loaded: {problem}")
            item.setForeground(QBrush(LOSS))
            item.setToolTip(problem)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.available.addItem(item)
        if self.available.currentRow() < 0 and catalog.available:
            self.available.setCurrentRow(0)
        self._fit_available(catalog)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_available(self.catalog)  # the children have the new font by now

    def _fit_available(self, catalog: StrategyCatalog) -> None:
        """Wide enough for the longest word of a title: the names wrap onto lines, and
        none hides behind a scroll bar on a small screen."""
        metrics = self.available.fontMetrics()
        # The titles' words: a long key in brackets may be cut (its tooltip says it);
        # the table's columns need the room more at 1366x768.
        words = [w for d in catalog.available for w in d.title.split()]
        widest = max((metrics.horizontalAdvance(w) for w in words), default=0)
        self.available.setMinimumWidth(min(widest + 28, 240))

    def on_strategy(self, fact: object) -> None:
        if isinstance(fact, StrategyStatus):
            self.model.apply(fact)
        elif isinstance(fact, StrategyReply) and self.form is not None:
            self.form.on_reply(fact)

    # -- what the trader chose ------------------------------------------------------
    def chosen_strategy(self) -> StrategyDescriptor | None:
        item = self.available.currentItem()
        key = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        found = [d for d in self.catalog.available if d.key == key]
        if found:
            return found[0]
        return self.catalog.available[0] if self.catalog.available else None

    def selected(self) -> StrategyStatus | None:
        return self.table.selected()

    def select(self, name: str) -> None:
        row = self.model.row_of(name)
        if row is None:
            return
        proxy = self.table.model()
        index = proxy.mapFromSource(self.model.index(row, 0))  # type: ignore[attr-defined]
        self.table.setCurrentIndex(index)
        self.table.selectRow(index.row())

    def _menu_shown(self, shown: bool) -> None:
        """In the row menu what cannot apply is grey; for the keys every action of a
        selected row stays on, and says in words why it does nothing."""
        status = self.selected()
        if shown:
            self._enable_actions(status)
            return
        for action in self._row_actions:
            action.setEnabled(status is not None)

    def _enable_actions(self, status: StrategyStatus | None) -> None:
        """The row's actions that can apply to it: Start for one that does not run, Stop
        for one that does, Close for one that holds positions."""
        runs = status is not None and status.state.runs
        holds = status is not None and any(
            p.owner == status.config.number for p in self._desk.positions
        )
        self.start_action.setEnabled(status is not None and not runs)
        self.stop_action.setEnabled(runs)
        self.close_action.setEnabled(holds or (status is not None and status.open_positions > 0))
        # Ctrl+G answers in words for one that has not started (nothing to draw yet).
        for action in (self.edit_action, self.detach_action, self.chart_action):
            action.setEnabled(status is not None)

    def _show_selected(self) -> None:
        self._menu_shown(False)
        status = self.selected()
        if status is None and self.model.rowCount():
            status = self.model.status_at(0)
        if status is None:
            self.log_title.setText("Last log lines")
            self.log_lines.setPlainText("")
            return
        self.log_title.setText(f"Last log lines of {status.name}")
        lines = "\n".join(status.last_log) or "(nothing logged yet)"
        if self.log_lines.toPlainText() != lines:
            self.log_lines.setPlainText(lines)
            bar = self.log_lines.verticalScrollBar()
            bar.setValue(bar.maximum())  # the newest line in view

    def _say(self, text: str) -> None:
        """A word under the log lines (the panel has no status bar of its own)."""
        self.last_message = text
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if text:
            self._message_timer.start()

    # -- actions --------------------------------------------------------------------
    def attach(self) -> StrategyForm | None:
        descriptor = self.chosen_strategy()
        if descriptor is None:
            self._say("No strategy is loaded")
            return None
        symbols = list(self._desk.specs)
        chart = self._chart_timeframe() if self._chart_timeframe is not None else None
        form = StrategyForm(
            descriptor,
            self._send,
            symbols=symbols,
            symbol=self._desk.symbol or (symbols[0] if symbols else ""),
            timeframe=chart or self._last_timeframe,
            currency=self._account_currency(),
            parent=self,
        )
        return self._open(form)

    def _account_currency(self) -> str:
        """The account's currency, or "" before the account is known (never a guess)."""
        account = self._desk.account
        return account.currency if account is not None else ""

    def edit(self) -> StrategyForm | None:
        status = self.selected()
        if status is None:
            return None
        descriptor = next(
            (d for d in self.catalog.available if d.key == status.config.strategy), None
        )
        if descriptor is None:
            self._say(f"{status.name}: its strategy {status.config.strategy!r} is not loaded")
            return None
        form = StrategyForm(
            descriptor,
            self._send,
            symbols=list(self._desk.specs),
            config=status.config,
            currency=self._account_currency(),
            parent=self,
        )
        if status.state.runs:
            form.show_problem(f"{status.name} is running: stop it (Shift+F5) before saving")
        return self._open(form)

    def _open(self, form: StrategyForm) -> StrategyForm:
        if self.form is not None:
            self.form.close()
        self.form = form
        form.accepted.connect(lambda: self._formed(form))
        form.open()
        return form

    def _formed(self, form: StrategyForm) -> None:
        if form.config is None:  # the next attach starts on the timeframe this one took
            self._last_timeframe = Timeframe[form.timeframe.currentText()]
        if form.reply is not None and form.reply.name:
            self.select(form.reply.name)
            # After the dialog has given the focus back to where it was.
            QTimer.singleShot(0, self._focus_table)

    def focus(self) -> None:
        """Keys go to the instances table (or the catalogue if nothing is attached)."""
        if self.model.rowCount():
            if self.selected() is None:
                self.select(self.model.status_at(0).name)
            self.table.setFocus()
        else:
            self.available.setFocus()

    def _focus_table(self) -> None:
        self.window().activateWindow()
        self.table.setFocus()

    def start(self) -> None:
        status = self.selected()
        self._say("")  # an earlier word about another action is no longer the news
        if status is not None and status.state.runs:
            self._say(f"{status.name} is {status.state} already")
        elif status is not None:
            self._send(StartStrategy(status.name, OrderSource.PANEL))

    def stop(self) -> None:
        status = self.selected()
        self._say("")
        if status is not None and not status.state.runs:
            self._say(f"{status.name} is not running ({status.state})")
        elif status is not None:
            self._send(StopStrategy(status.name, OrderSource.PANEL))

    def start_all(self) -> None:
        """Every instance that is not running (after a Resume, say), one command each:
        the engine refuses, in words, one that may not start (its budget, a halt)."""
        for status in self.model.statuses:
            if not status.state.runs:
                self._send(StartStrategy(status.name, OrderSource.PANEL))

    def stop_all(self) -> None:
        running = [s.name for s in self.model.statuses if s.state.runs]
        if not running:
            return
        question = (
            f"Stop {', '.join(running)}? Their working orders are cancelled; their open "
            "positions stay as they are."
        )
        if self._confirm("Stop all strategies", question):
            for name in running:
                self._send(StopStrategy(name, OrderSource.PANEL))

    def close_positions(self) -> None:
        """The selected instance's open positions closed at market; a running
        instance is stopped first, in the same question (it would trade again)."""
        status = self.selected()
        if status is None or self._close_positions is None:
            return
        tickets = [p.ticket for p in self._desk.positions if p.owner == status.config.number]
        if not tickets:
            self._say(f"{status.name} has no open positions")
            return
        running = status.state.runs
        stop = StopStrategy(status.name, OrderSource.PANEL, then_close=True) if running else None
        self._close_positions(stop, tickets, status.name)

    def show_on_chart(self) -> None:
        """The selected instance's indicators on a chart of its symbol and timeframe."""
        status = self.selected()
        if status is None or self._show_indicators is None:
            return
        if not status.indicators:
            self._say(f"{status.name} shows its indicators once it has started (F5)")
            return
        self._say(self._show_indicators(status))
        self.table.setFocus()  # the chart was made active: the keys stay here, for the next

    def detach(self) -> None:
        status = self.selected()
        if status is None:
            return
        question = (
            f"Detach {status.name} ({status.config.symbol} {status.config.timeframe.name})? "
            "It stops, its working orders are cancelled and its settings are forgotten; "
            "its open positions stay as they are."
        )
        if self._confirm("Detach strategy", question):
            self._send(DetachStrategy(status.name, OrderSource.PANEL))

    def _available_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.attach_action)
        menu.exec(self.available.viewport().mapToGlobal(pos))


_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def char_width(metrics: QFontMetrics) -> float:
    """The width of a typical character of a name or a state, measured on real text.

    Not ``averageCharWidth()``: it is the font file's own figure, which font engines
    read differently (DejaVu Sans at 9 pt: 6 px on Linux, 9 px on Windows, where its
    text is about 7 px a character on both).
    """
    return metrics.horizontalAdvance(_ALPHABET) / len(_ALPHABET)


def _titled(title: str, widget: QWidget) -> QWidget:
    return _titled_widget(QLabel(title), widget)


def _titled_widget(label: QLabel, *widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.setSpacing(2)
    label.setStyleSheet("font-weight: bold")
    layout.addWidget(label)
    for widget in widgets:
        layout.addWidget(widget)
    return box
