"""A trading report on screen: what was tested, the figures, the curves, the periods, the trades.

Reusable: it takes any :class:`app.reporting.Report` — the Strategy Tester's
after a run, or one built from the journal's deals for the live account — and
shows the same figures as MetaTrader 5's report, in the words and formats of
the HTML file (``app.reporting.export.figure_rows``), so what is on screen and
what is exported never disagree. Export HTML / CSV write through
``app.reporting`` on a thread of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.reporting import Report, Trade, write_csv, write_html
from app.reporting.export import MONTHS, figure_rows
from app.ui.tester.background_call import BackgroundCall
from app.ui.tester.report_charts import (
    draw_bars,
    draw_curves,
    draw_drawdown,
    styled_plot,
)
from app.ui.widgets.table_model import RowTableModel
from app.ui.widgets.theme import LOSS, MUTED, PROFIT

_Index = QModelIndex | QPersistentModelIndex
AskPath = Callable[[str, str, str], Path | None]
"""``(caption, suggested file name, filter)`` -> the path chosen, or None."""


def ask_save_path(caption: str, suggested: str, file_filter: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(None, caption, suggested, file_filter)
    return Path(path) if path else None


def _time(msc: int | None) -> str:
    if msc is None:
        return ""
    return datetime.fromtimestamp(msc / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _price(value: float | None) -> str:
    return "" if value is None else f"{value:.10g}"


def _optional(value: float | None, fmt: str = ".2f") -> str:
    return "" if value is None else format(value, fmt)


class TradesModel(RowTableModel):
    """The report's trades, oldest first: one row per closing deal."""

    HEADERS = (
        "#",
        "Position",
        "Side",
        "Volume",
        "Entry time",
        "Entry",
        "Exit time",
        "Exit",
        "Points",
        "Commission",
        "Profit",
        "MFE",
        "MAE",
        "Reason",
    )
    _LEFT = frozenset({2, 4, 6, 13})

    def __init__(self) -> None:
        super().__init__()
        self.trades: tuple[Trade, ...] = ()
        self._rows = self.trades

    def set_trades(self, trades: tuple[Trade, ...]) -> None:
        self.beginResetModel()
        self.trades = self._rows = trades
        self.endResetModel()

    def cells(self, row: int) -> list[str]:
        t = self.trades[row]
        return [
            str(row + 1),
            str(t.position),
            "buy" if t.is_long else "sell",
            f"{t.volume:g}",
            _time(t.entry_time_msc),
            _price(t.entry_price),
            _time(t.exit_time_msc),
            _price(t.exit_price),
            _optional(t.points, "g"),
            f"{t.commission:.2f}",
            f"{t.profit:,.2f}",
            _optional(t.mfe),
            _optional(t.mae),
            t.reason,
        ]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(index.row())[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignLeft
                if index.column() in self._LEFT
                else Qt.AlignmentFlag.AlignRight
            )
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 10:
            profit = self.trades[index.row()].profit
            return PROFIT if profit > 0 else LOSS if profit < 0 else None
        return None


def pairs_table(name: str) -> QTableWidget:
    """A read-only table of label/value pairs (see :func:`fill_pairs`)."""
    table = QTableWidget(0, 4)
    table.setObjectName(name)
    table.horizontalHeader().hide()
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    for column in range(4):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def fill_pairs(table: QTableWidget, rows: list[tuple[str, str]]) -> None:
    """Label/value pairs two to a row, down the first pair of columns and then the
    second, as MetaTrader 5's report lays them out."""
    per_column = -(-len(rows) // 2) if rows else 0
    table.clearContents()
    table.setRowCount(per_column)
    bold = QFont(table.font())
    bold.setBold(True)
    for i, (label, value) in enumerate(rows):
        row, pair = i % per_column, i // per_column
        label_item = QTableWidgetItem(label)
        label_item.setForeground(MUTED)
        value_item = QTableWidgetItem(value)
        value_item.setFont(bold)
        value_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, 2 * pair, label_item)
        table.setItem(row, 2 * pair + 1, value_item)
    table.resizeColumnsToContents()
    table.resizeRowsToContents()


class ReportView(QWidget):
    """Shows one report; ``trade_activated(Trade)`` when a trade is double-clicked (or
    Enter pressed on it)."""

    trade_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, ask_path: AskPath = ask_save_path):
        super().__init__(parent)
        self.setObjectName("report_view")
        self._ask_path = ask_path
        self.report: Report | None = None
        self._jobs: list[BackgroundCall] = []

        self.title = QLabel("No report yet: run a test")
        self.title.setObjectName("report_title")
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.status = QLabel("")
        self.status.setObjectName("report_status")
        self.html_button = QPushButton("Export HTML…")
        self.html_button.setObjectName("report_export_html")
        self.html_button.clicked.connect(lambda: self.export_html())
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setObjectName("report_export_csv")
        self.csv_button.clicked.connect(lambda: self.export_csv())
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.status)
        header.addWidget(self.html_button)
        header.addWidget(self.csv_button)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(f"color: {MUTED.name()}")

        self.settings_line = QLabel("")
        self.settings_line.setObjectName("report_settings")
        self.settings_line.setWordWrap(True)
        self.settings_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figures_table = pairs_table("report_figures")

        self.equity_plot = styled_plot(self, "Balance and equity", time_axis=True)
        self.drawdown_plot = styled_plot(self, "Equity drawdown, %", time_axis=True)
        self.drawdown_plot.getPlotItem().setXLink(self.equity_plot.getPlotItem())
        self.months_plot = styled_plot(self, "Monthly returns, %")
        # Short titles: three charts share a laptop's width; the tooltips say the rest.
        self.hours_plot = styled_plot(self, "Profit by hour")
        self.hours_plot.setToolTip(
            "Profit by hour: the trades' profit by the hour they were entered (UTC)"
        )
        self.weekdays_plot = styled_plot(self, "Profit by weekday")
        self.weekdays_plot.setToolTip(
            "Profit by weekday: the trades' profit by the weekday they were entered"
        )
        periods = QWidget()
        row = QHBoxLayout(periods)
        row.setContentsMargins(0, 0, 0, 0)
        for plot in (self.months_plot, self.hours_plot, self.weekdays_plot):
            row.addWidget(plot)
        charts = QSplitter(Qt.Orientation.Vertical)
        charts.addWidget(self.equity_plot)
        charts.addWidget(self.drawdown_plot)
        charts.addWidget(periods)
        charts.setSizes([450, 180, 260])
        summary = QSplitter(Qt.Orientation.Horizontal)
        summary.setObjectName("report_summary")
        summary.addWidget(self.figures_table)
        summary.addWidget(charts)
        summary.setStretchFactor(0, 0)
        summary.setStretchFactor(1, 1)
        self._summary = summary

        self.trades_model = TradesModel()
        self.trades_view = QTableView()
        self.trades_view.setObjectName("report_trades")
        self.trades_view.setModel(self.trades_model)
        self.trades_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.trades_view.setAlternatingRowColors(True)
        self.trades_view.verticalHeader().hide()
        self.trades_view.horizontalHeader().setStretchLastSection(True)
        self.trades_view.activated.connect(self._activated)  # double-click or Enter

        self.tabs = QTabWidget()
        self.tabs.setObjectName("report_tabs")
        self.tabs.addTab(summary, "Summary")
        self.tabs.addTab(self.trades_view, "Trades")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.settings_line)
        layout.addWidget(self.notes)
        layout.addWidget(self.tabs, 1)
        self.set_report(None)

    # -- showing -------------------------------------------------------------------------

    def set_report(self, report: Report | None) -> None:
        self.report = report
        self.html_button.setEnabled(report is not None)
        self.csv_button.setEnabled(report is not None)
        self.status.setText("")
        if report is None:
            self.title.setText("No report yet: run a test")
            self.notes.hide()
            self.settings_line.hide()
            self._fill_table([])
            self.trades_model.set_trades(())
            for plot in self._plots():
                plot.getPlotItem().clear()
                plot.set_bar_labels(())
            return
        self.title.setText(report.title)
        notes = list(report.notes)
        if not report.equity_marked:
            notes.append("No prices between deals: the equity is the balance at each deal.")
        self.notes.setText(" ".join(notes))
        self.notes.setVisible(bool(notes))
        self.settings_line.setText(settings_text(report.settings))
        self.settings_line.setVisible(bool(report.settings))
        currency = f" ({report.currency})" if report.currency else ""
        rows = figure_rows(report.figures)
        self._fill_table(rows)
        self.figures_table.setToolTip(f"Money in the account currency{currency}")
        self.trades_model.set_trades(report.trades)
        self.trades_view.resizeColumnsToContents()
        deposit = report.figures.initial_deposit
        draw_curves(self.equity_plot, report.curve)
        draw_drawdown(self.drawdown_plot, report.curve, deposit)
        draw_bars(
            self.months_plot,
            [
                f"{MONTHS[m.month - 1]} {m.year}" if i == 0 or m.month == 1 else MONTHS[m.month - 1]
                for i, m in enumerate(report.months)
            ],
            [m.return_pct or 0.0 for m in report.months],
        )
        period = ""
        if report.months:  # the labels name the years; the whole span is the tooltip
            first, last = report.months[0], report.months[-1]
            period = (
                f" ({MONTHS[first.month - 1]} {first.year} – {MONTHS[last.month - 1]} {last.year})"
            )
        self.months_plot.setToolTip(f"Monthly returns, %{period}")
        draw_bars(
            self.hours_plot, [b.label for b in report.hours], [b.profit for b in report.hours]
        )
        draw_bars(
            self.weekdays_plot,
            [b.label[:3] for b in report.weekdays],
            [b.profit for b in report.weekdays],
        )

    def figure(self, label: str) -> str | None:
        """The text shown beside ``label`` in the figures table (None if not there)."""
        table = self.figures_table
        for row in range(table.rowCount()):
            for column in range(0, table.columnCount(), 2):
                item = table.item(row, column)
                if item is not None and item.text() == label:
                    value = table.item(row, column + 1)
                    return value.text() if value is not None else None
        return None

    def _plots(self) -> tuple:
        return (
            self.equity_plot,
            self.drawdown_plot,
            self.months_plot,
            self.hours_plot,
            self.weekdays_plot,
        )

    def _fill_table(self, rows: list[tuple[str, str]]) -> None:
        table = self.figures_table
        fill_pairs(table, rows)
        width = sum(table.columnWidth(c) for c in range(table.columnCount()))
        table.setMinimumWidth(width + 2 * table.frameWidth() + 24)

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.trade_activated.emit(self.trades_model.trades[index.row()])

    # -- export ----------------------------------------------------------------------------

    def export_html(self, path: Path | None = None) -> bool:
        """Write the report as one self-contained HTML file; False if nothing was asked."""
        return self._export(path, "Export the report", "report.html", "HTML files (*.html)", True)

    def export_csv(self, path: Path | None = None) -> bool:
        """Write the trades as CSV (and the figures beside them)."""
        return self._export(path, "Export the trades", "trades.csv", "CSV files (*.csv)", False)

    def _export(
        self, path: Path | None, caption: str, suggested: str, file_filter: str, html: bool
    ) -> bool:
        report = self.report
        if report is None:
            return False
        if path is None:
            path = self._ask_path(caption, suggested, file_filter)
            if path is None:
                return False
        target = Path(path)
        self.status.setText(f"Writing {target.name}…")

        def write() -> str:
            if html:
                write_html(report, target)
                return f"Report written to {target}"
            figures = write_csv(report, target)
            return f"Trades written to {target.name}, figures to {figures.name}"

        def failed(exc: BaseException) -> None:
            reason = getattr(exc, "strerror", None) or str(exc)
            self._say(f"Could not write {target}: {reason}", error=True)

        self._jobs = [job for job in self._jobs if job.pending]
        self._jobs.append(BackgroundCall(write, self._say, failed, self))
        return True

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {LOSS.name()}" if error else "")


def settings_text(settings: Mapping[str, object]) -> str:
    """What was tested, on one wrapped line: ``Strategy: ma_cross · Parameters: fast=10 …``."""
    return "  ·  ".join(f"{name.capitalize()}: {value}" for name, value in settings.items())
