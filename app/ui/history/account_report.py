"""The account report: the tester's report for the live account's journaled deals.

The same ``app.reporting.build_report`` the tester uses, over the deals of the
Trade history window's range, so a trader compares a backtest and real trading
figure by figure. The journal keeps deals, not the prices between them, so the
equity curve is the balance curve and the trades carry no MFE/MAE; the report
says so. The balance the range started with is the balance now less what the
range's deals added — right when the range runs to today with no deposits or
withdrawals in it, otherwise the trader corrects it and the figures follow.

A figures table beside a balance curve; a fuller report view can take its place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.trading import TradeHistory
from app.reporting import Report, build_report, write_html
from app.reporting.export import figure_rows
from app.ui.runtime.window_state import fit_to_screen
from app.ui.widgets.theme import PROFIT

ChoosePath = Callable[[str], str | None]
NO_PRICES = (
    "From the journal: equity is known only at deals (the balance curve), "
    "and trades have no MFE/MAE"
)


def ask_html_path(suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(None, "Save report", suggested, "HTML files (*.html)")
    return path or None


def starting_balance(history: TradeHistory, balance_now: float) -> float:
    """The balance before the range's deals: the balance now less what they added."""
    return round(balance_now - sum(d.realized_pnl for d in history.deals), 2)


def account_report(
    history: TradeHistory, *, deposit: float, currency: str, points: Mapping[str, float]
) -> Report:
    what = history.symbol or "all symbols"
    return build_report(
        history.deals,
        deposit=deposit,
        currency=currency,
        points=points,
        title=f"Account history, {what}, {history.start} to {history.end}",
        notes=(NO_PRICES,),
    )


class AccountReportWindow(QWidget):
    """A separate window: the report's figures and its balance curve."""

    def __init__(
        self,
        history: TradeHistory,
        *,
        balance_now: float,
        currency: str,
        points: Mapping[str, float],
        choose_path: ChoosePath = ask_html_path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("AccountReportWindow")
        self.resize(1100, 680)
        self._history = history
        self._currency = currency
        self._points = dict(points)
        self.choose_path = choose_path
        self.report: Report | None = None

        self.deposit_box = QDoubleSpinBox()
        self.deposit_box.setObjectName("report_deposit")
        self.deposit_box.setRange(0.0, 1e12)
        self.deposit_box.setDecimals(2)
        self.deposit_box.setGroupSeparatorShown(True)
        self.deposit_box.setSuffix(f" {currency}")
        self.deposit_box.setValue(starting_balance(history, balance_now))
        self.deposit_box.setToolTip(
            "The balance before the first deal of the range (the balance now less what "
            "the range's deals added); correct it if money was deposited or withdrawn"
        )
        self.deposit_box.valueChanged.connect(lambda _value: self.rebuild())
        self.html_button = QPushButton("Save &HTML…")
        self.html_button.clicked.connect(self.save_html)
        self.note = QLabel(NO_PRICES)
        self.note.setWordWrap(True)
        self.status = QLabel("")
        self.status.setObjectName("report_status")
        self.figures = QTableWidget(0, 2)
        self.figures.setObjectName("report_figures")
        self.figures.setHorizontalHeaderLabels(["Figure", "Value"])
        self.figures.verticalHeader().setVisible(False)
        self.figures.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.figures.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.figures.horizontalHeader().setStretchLastSection(True)
        self.figures.verticalHeader().setDefaultSectionSize(22)
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.plot.setObjectName("report_curve")
        self.plot.setBackground("w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("left", f"Balance ({currency})")
        # The balance holds between deals: a step after each one, never a slope.
        self.curve = self.plot.plot(pen=pg.mkPen(PROFIT, width=2), stepMode="right")

        top = QHBoxLayout()
        top.addWidget(QLabel("Balance at the start"))
        top.addWidget(self.deposit_box)
        top.addStretch(1)
        top.addWidget(self.html_button)
        split = QSplitter()
        split.addWidget(self.figures)
        split.addWidget(self.plot)
        split.setSizes([380, 720])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        fit_to_screen(self)
        self.rebuild()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            event.accept()
            return
        super().keyPressEvent(event)

    def rebuild(self) -> Report:
        """Compute the report again (plain Python over the range's deals: milliseconds)."""
        report = account_report(
            self._history,
            deposit=self.deposit_box.value(),
            currency=self._currency,
            points=self._points,
        )
        self.report = report
        self.setWindowTitle(report.title)
        rows = figure_rows(report.figures)
        self.figures.setRowCount(len(rows))
        for r, (label, text) in enumerate(rows):
            self.figures.setItem(r, 0, QTableWidgetItem(label))
            value = QTableWidgetItem(text)
            value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.figures.setItem(r, 1, value)
        curve = report.curve
        self.curve.setData(np.asarray(curve.time_msc) / 1000.0, np.asarray(curve.balance))
        f = report.figures
        self.status.setText(
            f"{f.trades:,} trades from {f.deals:,} deals; net profit {f.net_profit:+,.2f} "
            f"{self._currency}" + (" — no closed trades in the range" if not f.trades else "")
        )
        return report

    def save_html(self) -> Path | None:
        """The self-contained HTML report (the tester's format), to a file the trader picks."""
        if self.report is None:
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        path = self.choose_path(f"tradeterm-account-report-{stamp}.html")
        if not path:
            return None
        target = Path(path)
        try:
            write_html(self.report, target)
        except OSError as exc:
            self.status.setText(f"Could not write {target}: {exc.strerror or exc}")
            return None
        self.status.setText(f"Saved the report to {target}")
        return target
