"""The Alerts tab: every alert with its condition, trigger, actions, state, count and expiry,
and the history of the firings of the one under the cursor.

The engine owns the alerts; the tab sends the alert commands (create, edit,
enable/disable, delete, acknowledge, history) and draws the engine's facts
through the shared :class:`~app.ui.panels.alert_book.AlertBook`, which the
chart's alert lines read too. A refusal comes back as an ``AlertReply`` and is
shown in the form that asked, or under the history.

Keys (on the table): Insert new alert, F2 edit, Space switch on/off, Ctrl+K
acknowledge, Ctrl+Shift+K acknowledge all, Delete delete (after asking); the
same actions are in the context menu.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.alert_facts import (
    AcknowledgeAlert,
    AlertFired,
    AlertFiring,
    AlertHistory,
    AlertReply,
    AlertStatus,
    DeleteAlert,
    EnableAlert,
    RequestAlertHistory,
    RequestAlerts,
)
from app.domain.alerts import (
    AlertSpec,
    AlertState,
    Condition,
    Watch,
    condition_words,
    local_moment,
    trigger_words,
)
from app.domain.commands import Command
from app.domain.enums import OrderSource
from app.ui.panels.alert_book import AlertBook
from app.ui.panels.alert_form import AlertForm
from app.ui.widgets.table_model import SORT_ROLE, ActionTableView, RowTableModel
from app.ui.widgets.theme import LOSS, MUTED, PROFIT, WARNING

if TYPE_CHECKING:
    from app.engine.bus import EventBus
    from app.ui.desk.model import DeskModel

_Index = QModelIndex | QPersistentModelIndex
Confirm = Callable[[str, str], bool]
_requests = itertools.count(1)
HISTORY_LIMIT = 100

_STATE_COLOURS = {
    AlertState.ACTIVE: PROFIT,
    AlertState.DISABLED: MUTED,
    AlertState.DONE: MUTED,
    AlertState.EXPIRED: MUTED,
}


def _when(time_msc: int | None) -> str:
    if time_msc is None:
        return ""
    return f"{local_moment(time_msc):%Y-%m-%d %H:%M:%S}"


def waiting_for_ack(status: AlertStatus) -> bool:
    """It fired and repeats until the trader acknowledges it."""
    return status.unacknowledged and status.spec.actions.repeat_until_ack


def state_text(status: AlertStatus) -> str:
    if waiting_for_ack(status):
        return f"{status.state} · not acknowledged"
    return str(status.state)


def count_text(status: AlertStatus) -> str:
    limit = status.spec.limit
    return f"{status.count} / {limit}" if limit else str(status.count)


def actions_text(spec: AlertSpec, *, telegram_on: bool = True) -> str:
    """The chosen actions besides the event log's line, which every firing gets.

    With Telegram off its message goes nowhere, so the list says "Telegram (off)".
    """
    chosen = [
        "Telegram (off)" if n == "Telegram" and not telegram_on else n
        for n in spec.actions.names()
        if n != "log"
    ]
    return ", ".join(chosen) or "log only"


class AlertsModel(RowTableModel):
    """One row per alert (not deleted), by number; reads the book."""

    HEADERS = (
        "#",
        "Symbol",
        "Condition",
        "Trigger",
        "Actions",
        "State",
        "Count",
        "Expires",
        "Last fired",
    )
    STATE_COLUMN = 5

    def __init__(self, book: AlertBook, desk: DeskModel) -> None:
        super().__init__()
        self.book = book
        self._desk = desk
        self._rows: list[AlertStatus] = []
        self.telegram_on = False  # until the bot says it is connecting or online
        book.subscribe(self._changed)

    def set_telegram_on(self, on: bool) -> None:
        """Telegram switched on or off: the Actions column says whether it reaches anyone."""
        if on != self.telegram_on:
            self.telegram_on = on
            if self._rows:
                self.dataChanged.emit(self.index(0, 4), self.index(len(self._rows) - 1, 4))

    def _changed(self, numbers: set[int]) -> None:
        fresh = self.book.ordered()
        if [a.number for a in fresh] != [a.number for a in self._rows]:
            self.beginResetModel()
            self._rows = fresh
            self.endResetModel()
            return
        self._rows = fresh
        rows = [i for i, a in enumerate(fresh) if a.number in numbers]
        if rows:
            last = len(self.HEADERS) - 1
            self.dataChanged.emit(self.index(rows[0], 0), self.index(rows[-1], last))

    def status_at(self, row: int) -> AlertStatus:
        return self._rows[row]

    def row_of(self, number: int) -> int | None:
        return next((i for i, a in enumerate(self._rows) if a.number == number), None)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        a = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._display(a, column)
        if role == SORT_ROLE:
            if column == 0:
                return a.number
            if column == 6:
                return a.count
            if column == 7:
                return a.spec.expires_msc or 0
            if column == 8:
                return a.last_fired_msc or 0
            return self._display(a, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STATE_COLUMN:
            return QBrush(WARNING if waiting_for_ack(a) else _STATE_COLOURS[a.state])
        if role == Qt.ItemDataRole.FontRole and waiting_for_ack(a) and column == self.STATE_COLUMN:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, a: AlertStatus, column: int) -> str:
        spec = a.spec
        match column:
            case 0:
                return str(a.number)
            case 1:
                return spec.symbol or "—"
            case 2:
                words = condition_words(spec, self._desk.spec(spec.symbol))
                return words.removeprefix(f"{spec.symbol} ") if spec.symbol else words
            case 3:
                return trigger_words(spec).split(", until ")[0]
            case 4:
                return actions_text(spec, telegram_on=self.telegram_on)
            case 5:
                return state_text(a)
            case 6:
                return count_text(a)
            case 7:
                return _when(spec.expires_msc)[:16] if spec.expires_msc is not None else "never"
            case _:
                return _when(a.last_fired_msc)


class AlertsView(ActionTableView):
    def __init__(self, model: AlertsModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.setObjectName("alerts_table")
        self.source_model = model
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.menu_actions: tuple[QAction, ...] = ()
        self.last_menu: QMenu | None = None
        self.size_columns((3, 8, 24, 12, 20, 9, 6, 12, 19))
        header = self.horizontalHeader()  # the actions take what the others leave
        header.setStretchLastSection(False)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    @property
    def actions_in_menu(self) -> tuple[QAction, ...]:
        return self.menu_actions

    def selected(self) -> AlertStatus | None:
        rows = self.selected_rows()
        return self.source_model.status_at(rows[0]) if rows else None

    def _show_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        chosen = self.menu_actions if self.selected_rows() else self.menu_actions[:1]
        for action in chosen:
            menu.addAction(action)
        self.last_menu = menu
        menu.popup(self.viewport().mapToGlobal(pos))


class AlertsPanel(QWidget):
    """The dock's widget; ``listen(bus)`` connects it and asks for the list."""

    def __init__(
        self,
        send: Callable[[Command], None],
        desk: DeskModel,
        *,
        confirm: Confirm,
        book: AlertBook | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("alerts_panel")
        self._send = send
        self._desk = desk
        self._confirm = confirm
        self.book = book or AlertBook()
        self.form: AlertForm | None = None
        self.firings: tuple[AlertFiring, ...] = ()
        self._asked: dict[str, str] = {}  # request id -> what was asked (for a refusal)
        self._history_of: int | None = None

        self.model = AlertsModel(self.book, desk)
        self.table = AlertsView(self.model)
        self.history_title = QLabel("History of firings")
        self.history = QTableWidget(0, 3)
        self.history.setObjectName("alerts_history")
        self.history.setHorizontalHeaderLabels(["Time", "#", "What happened"])
        history_header = self.history.horizontalHeader()
        for column in (0, 1):
            history_header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.verticalHeader().setDefaultSectionSize(22)
        self.message = QLabel("")
        self.message.setObjectName("alerts_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {LOSS.name()}")
        self.message.hide()

        self.new_action = self._action("&New alert…", "Insert", self.new_alert, self)
        self.edit_action = self._action("&Edit…", "F2", self.edit, self.table)
        self.toggle_action = self._action("Switch &on / off", "Space", self.toggle, self.table)
        self.ack_action = self._action("&Acknowledge", "Ctrl+K", self.acknowledge, self.table)
        self.ack_all_action = self._action(
            "Acknowledge a&ll", "Ctrl+Shift+K", self.acknowledge_all, self
        )
        self.delete_action = self._action("&Delete…", "Delete", self.delete, self.table)
        self.table.menu_actions = (
            self.new_action,
            self.edit_action,
            self.toggle_action,
            self.ack_action,
            self.ack_all_action,
            self.delete_action,
        )
        self._history_timer = QTimer(self)
        self._history_timer.setSingleShot(True)
        self._history_timer.setInterval(200)  # a burst of firings asks once
        self._history_timer.timeout.connect(self.request_history)
        # The selection, not the current index: it changes after currentChanged fires.
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_moved())
        self.model.modelReset.connect(self._selection_moved)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(_titled(QLabel("Alerts"), self.table))
        splitter.addWidget(_titled(self.history_title, self.history, self.message))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1300, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _action(self, text: str, keys: str, slot: Callable[[], object], where: QWidget) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _=False: slot())
        where.addAction(action)
        return action

    # -- the bus --------------------------------------------------------------------
    def listen(self, bus: EventBus) -> None:
        bus.alerts.connect(self.on_alert_fact)
        bus.alert_fired.connect(self.on_fired)
        bus.connection.connect(lambda _state: self._send(RequestAlerts()))
        self._send(RequestAlerts())

    def on_alert_fact(self, fact: object) -> None:
        if isinstance(fact, AlertHistory):
            self._show_history(fact)
        elif isinstance(fact, AlertReply):
            self._on_reply(fact)
        else:
            self.book.apply(fact)

    def on_fired(self, fired: AlertFired) -> None:
        if fired.number == self._history_of and not fired.repeat:
            self._history_timer.start()

    def _on_reply(self, reply: AlertReply) -> None:
        if self.form is not None and self.form.on_reply(reply):
            return
        if self._asked.pop(reply.request_id, None) is not None:
            self.say("" if reply.ok else reply.text)

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- selection and history --------------------------------------------------------
    def selected(self) -> AlertStatus | None:
        return self.table.selected()

    def select(self, number: int) -> None:
        row = self.model.row_of(number)
        if row is None:
            return
        proxy = self.table.model()
        index = proxy.mapFromSource(self.model.index(row, 0))  # type: ignore[attr-defined]
        self.table.setCurrentIndex(index)
        self.table.selectRow(index.row())

    def focus(self) -> None:
        if self.model.rowCount() and self.selected() is None:
            self.select(self.model.status_at(0).number)
        self.table.setFocus()

    def _selection_moved(self) -> None:
        status = self.selected()
        number = status.number if status is not None else None
        if number != self._history_of:
            self._history_of = number
            self.history.setRowCount(0)
            self.history_title.setText(
                f"History of alert {number}" if number is not None else "History of firings"
            )
            if number is not None:
                self.request_history()

    def request_history(self) -> None:
        if self._history_of is not None:
            self._send(RequestAlertHistory(self._history_of, HISTORY_LIMIT))

    def _show_history(self, history: AlertHistory) -> None:
        if history.number != self._history_of:
            return  # a late answer about another alert
        self.firings = history.firings
        if history.error:
            self.say(f"History not read: {history.error}")
        rows = self.history
        rows.setRowCount(len(history.firings))
        for row, firing in enumerate(history.firings):
            text = firing.text + (
                f" · order {firing.order_client_id}" if firing.order_client_id else ""
            )
            for column, value in enumerate((_when(firing.time_msc), str(firing.count), text)):
                item = QTableWidgetItem(value)
                item.setToolTip(text)
                rows.setItem(row, column, item)
        if not history.firings:
            rows.setRowCount(1)
            rows.setItem(0, 2, QTableWidgetItem("(it has not fired yet)"))

    # -- actions --------------------------------------------------------------------
    def _ask(self, command: Command, what: str) -> None:
        request_id = getattr(command, "request_id", "")
        if request_id:
            self._asked[request_id] = what
        self.say("")
        self._send(command)

    def new_alert(self, level: float | None = None) -> AlertForm:
        symbol = self._desk.symbol or next(iter(self._desk.specs), "")
        quote = self._desk.quotes.get(symbol)
        price = level if level is not None else (quote.bid if quote is not None else 0.0)
        spec = AlertSpec(symbol, Watch.BID, Condition.CROSSES, level=price)
        return self._open(
            AlertForm(
                spec,
                self._send,
                symbols=self._desk.specs,
                telegram_on=self.model.telegram_on,
                parent=self,
            )
        )

    def edit(self) -> AlertForm | None:
        status = self.selected()
        if status is None:
            return None
        form = AlertForm(
            status.spec,
            self._send,
            number=status.number,
            symbols=self._desk.specs,
            telegram_on=self.model.telegram_on,
            parent=self,
        )
        return self._open(form)

    def _open(self, form: AlertForm) -> AlertForm:
        if self.form is not None:
            self.form.close()
        self.form = form
        form.accepted.connect(lambda: self._formed(form))
        form.open()
        return form

    def _formed(self, form: AlertForm) -> None:
        if form.reply is not None and form.reply.number is not None:
            self.select(form.reply.number)
        QTimer.singleShot(0, self._focus_table)

    def _focus_table(self) -> None:
        self.window().activateWindow()
        self.table.setFocus()

    def toggle(self) -> None:
        status = self.selected()
        if status is None:
            return
        on = status.state is not AlertState.ACTIVE
        request = f"alerts-tab-{next(_requests)}"
        self._ask(EnableAlert(status.number, on, request, OrderSource.PANEL), "switch")

    def acknowledge(self) -> None:
        status = self.selected()
        if status is not None:
            request = f"alerts-tab-{next(_requests)}"
            self._ask(AcknowledgeAlert(status.number, request, OrderSource.PANEL), "acknowledge")

    def acknowledge_all(self) -> None:
        request = f"alerts-tab-{next(_requests)}"
        self._ask(AcknowledgeAlert(None, request, OrderSource.PANEL), "acknowledge")

    def delete(self) -> None:
        status = self.selected()
        if status is None:
            return
        question = f"Delete alert {status.number} ({status.text})?"
        if self._confirm("Delete alert", question):
            request = f"alerts-tab-{next(_requests)}"
            self._ask(DeleteAlert(status.number, request, OrderSource.PANEL), "delete")


def _titled(label: QLabel, *widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.setSpacing(2)
    label.setStyleSheet("font-weight: bold")
    layout.addWidget(label)
    for widget in widgets:
        layout.addWidget(widget)
    return box
