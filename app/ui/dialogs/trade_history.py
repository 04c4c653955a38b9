"""The trade history window: journaled orders and deals for a date range.

It never touches the journal itself: it sends ``RequestTradeHistory`` through the
bus and draws the ``TradeHistory`` the engine answers with, so the GUI thread
never waits on the database. Dates are UTC days, both ends included.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.commands import Command, RequestTradeHistory
from app.domain.history import daily_realized_pnl
from app.domain.market import utc_from_msc
from app.domain.trading import Fill, HistoryOrder, TradeHistory
from app.ui.desk.model import DeskModel
from app.ui.history.account_report import AccountReportWindow
from app.ui.runtime.window_state import fit_to_screen
from app.ui.widgets.table_model import RowTableModel
from app.ui.widgets.theme import LOSS, PROFIT

_Index = QModelIndex | QPersistentModelIndex
ALL_SYMBOLS = "All symbols"
DEFAULT_DAYS = 30
ChoosePath = Callable[[str], str | None]


def ask_csv_path(suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(None, "Export CSV", suggested, "CSV files (*.csv)")
    return path or None


class RowsModel(RowTableModel):
    """A read-only table of display strings; numeric columns align right."""

    def __init__(self, headers: Sequence[str], numeric: Sequence[int] = ()) -> None:
        super().__init__()
        self.HEADERS = tuple(headers)
        self._numeric = frozenset(numeric)
        self._rows: list[tuple[str, ...]] = []
        self._colors: list[object] = []

    def set_rows(self, rows: list[tuple[str, ...]], colors: list[object] | None = None) -> None:
        self.beginResetModel()
        self._rows = rows
        self._colors = colors or [None] * len(rows)
        self.endResetModel()

    def rows(self) -> list[tuple[str, ...]]:
        return list(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self._numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == len(self.HEADERS) - 1:
            return self._colors[index.row()]
        return None


class HistoryWindow(QWidget):
    """A separate window; ``send`` puts commands on the bus."""

    def __init__(
        self,
        send: Callable[[Command], None],
        desk: DeskModel,
        *,
        choose_path: ChoosePath = ask_csv_path,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Trade history")
        self.setObjectName("HistoryWindow")
        self.resize(980, 520)
        self._send = send
        self._desk = desk
        self._choose_path = choose_path
        self._pending: RequestTradeHistory | None = None
        self.history: TradeHistory | None = None

        end = today()
        self.start_edit = _date_edit(end - timedelta(days=DEFAULT_DAYS))
        self.end_edit = _date_edit(end)
        self.symbol_box = QComboBox()
        self.symbol_box.addItem(ALL_SYMBOLS)
        self.symbol_box.setMinimumWidth(120)
        self.show_button = QPushButton("&Show")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.request)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.clicked.connect(self.export_current)
        self.report_button = QPushButton("&Report…")
        self.report_button.setToolTip("The tester's report for the deals shown")
        self.report_button.clicked.connect(self.show_report)
        self.report_window: AccountReportWindow | None = None
        self.status = QLabel("")
        self.status.setObjectName("history_status")

        self.orders_model = RowsModel(
            (
                "Time (UTC)",
                "Order",
                "Ticket",
                "Symbol",
                "Side",
                "Type",
                "Volume",
                "Price",
                "SL",
                "TP",
                "Source",
                "Owner",
                "Status",
            ),
            numeric=(2, 6, 7, 8, 9),
        )
        self.deals_model = RowsModel(
            (
                "Time (UTC)",
                "Deal",
                "Position",
                "Order",
                "Symbol",
                "Side",
                "Volume",
                "Price",
                "Reason",
                "Owner",
                "P&L",
            ),
            numeric=(1, 2, 6, 7, 9),
        )
        self.daily_model = RowsModel(("Day (UTC)", "Closing deals", "Realised P&L"), (1, 2))
        self.tabs = QTabWidget()
        for title, model in (
            ("Orders", self.orders_model),
            ("Deals", self.deals_model),
            ("P&&L per day", self.daily_model),  # && : a literal ampersand in a tab title
        ):
            self.tabs.addTab(_table(model), title)

        controls = QHBoxLayout()
        for label, widget in (("From", self.start_edit), ("to", self.end_edit)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.symbol_box)
        controls.addWidget(self.show_button)
        controls.addStretch(1)
        controls.addWidget(self.report_button)
        controls.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        fit_to_screen(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc closes the window, as it closes a dialog."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- inputs -----------------------------------------------------------------------
    def set_symbols(self) -> None:
        """The desk's symbols in the symbol filter (the choice is kept if still listed)."""
        specs = self._desk.specs
        current = self.symbol_box.currentText()
        self.symbol_box.clear()
        self.symbol_box.addItems([ALL_SYMBOLS, *specs])
        self.symbol_box.setCurrentText(current if current in specs else ALL_SYMBOLS)

    def request(self) -> bool:
        """Ask the engine for the chosen range; a bad range is refused in words."""
        start, end = _to_date(self.start_edit.date()), _to_date(self.end_edit.date())
        if start > end:
            self.status.setText(f"The start date {start} is after the end date {end}")
            return False
        symbol = self.symbol_box.currentText()
        command = RequestTradeHistory(start, end, None if symbol == ALL_SYMBOLS else symbol)
        self._pending = command
        self.status.setText("Loading…")
        self._send(command)
        return True

    # -- the engine's answer ------------------------------------------------------------
    def on_trade_history(self, history: TradeHistory) -> None:
        pending = self._pending
        if pending is None or (history.start, history.end, history.symbol) != (
            pending.start,
            pending.end,
            pending.symbol,
        ):
            return  # an answer to an older request
        self._pending = None
        if history.error:
            self.status.setText(history.error)
            return
        self.history = history
        self.orders_model.set_rows([self._order_row(o) for o in history.orders])
        deals = history.deals
        self.deals_model.set_rows(
            [self._deal_row(d) for d in deals],
            [_pnl_color(d.realized_pnl) if d.closes_position else None for d in deals],
        )
        daily = daily_realized_pnl(deals)
        self.daily_model.set_rows(
            [(day.isoformat(), str(count), f"{pnl:,.2f}") for day, pnl, count in daily],
            [_pnl_color(pnl) for _, pnl, _ in daily],
        )
        total = sum(pnl for _, pnl, _ in daily)
        self.status.setText(
            f"{len(history.orders)} orders, {len(deals)} deals, realised P&L {total:+,.2f}"
        )

    def show_report(self) -> AccountReportWindow | None:
        """The tester's report for the deals of the range shown, in a window of its own."""
        if self.history is None:
            self.status.setText("Show a range first: the report covers its deals")
            return None
        if self.report_window is not None:
            self.report_window.close()
        account = self._desk.account
        window = AccountReportWindow(
            self.history,
            balance_now=account.balance if account is not None else 0.0,
            currency=self._desk.currency,
            points={name: spec.point for name, spec in self._desk.specs.items()},
            parent=self,
        )
        self.report_window = window
        window.show()
        return window

    # -- export -------------------------------------------------------------------------
    def export_current(self) -> str | None:
        """Write the visible tab to a CSV file the user picks; returns the path written."""
        index = self.tabs.currentIndex()
        model = (self.orders_model, self.deals_model, self.daily_model)[index]
        name = ("orders", "deals", "daily-pnl")[index]
        start, end = _to_date(self.start_edit.date()), _to_date(self.end_edit.date())
        path = self._choose_path(f"tradeterm-{name}-{start}-{end}.csv")
        if not path:
            return None
        try:
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(model.HEADERS)
                writer.writerows(model.rows())
        except OSError as exc:
            self.status.setText(f"Could not write {path}: {exc.strerror or exc}")
            return None
        self.status.setText(f"Exported {model.rowCount()} rows to {path}")
        return path

    # -- formatting ---------------------------------------------------------------------
    def _price(self, symbol: str, price: float | None) -> str:
        return self._desk.format_price(symbol, price)

    def _order_row(self, order: HistoryOrder) -> tuple[str, ...]:
        kind = "close" if order.action == "close" else str(order.order_type)
        return (
            order.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            order.client_id,
            str(order.broker_ticket or ""),
            order.symbol,
            str(order.side),
            kind,
            f"{order.volume:g}",
            self._price(order.symbol, order.price),
            self._price(order.symbol, order.sl),
            self._price(order.symbol, order.tp),
            str(order.source),
            self._desk.owner_label(order.owner),
            order.status.replace("_", " ") + (f": {order.reason}" if order.reason else ""),
        )

    def _deal_row(self, deal: Fill) -> tuple[str, ...]:
        return (
            utc_from_msc(deal.time_msc).strftime("%Y-%m-%d %H:%M:%S"),
            str(deal.deal_ticket),
            str(deal.position_ticket),
            deal.client_id,
            deal.symbol,
            str(deal.side),
            f"{deal.volume:g}",
            self._price(deal.symbol, deal.price),
            deal.reason,
            self._desk.owner_label(deal.owner),
            f"{deal.realized_pnl:,.2f}" if deal.closes_position else "",
        )


def _date_edit(value: date) -> QDateEdit:
    edit = QDateEdit(QDate(value.year, value.month, value.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _table(model: RowsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _pnl_color(pnl: float) -> object:
    return PROFIT if pnl > 0 else LOSS if pnl < 0 else None
