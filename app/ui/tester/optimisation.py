"""The Tester window's Optimisation tab: every pass as it finishes, a heat map, the best curves.

The tab reads an :class:`~app.optimiser.OptimisationRun` (plain Python) and never
blocks the GUI thread: ``start(workers)`` runs the optimisation on a thread of
its own (the passes themselves run in worker processes or on a cluster), and a
timer picks up the rows that arrived since the last look — the table streams in,
the heat map and the best curves follow. Sorting is by any column, on the
numbers. "Run this pass" emits ``run_pass_requested`` with the selected pass's
parameters, so the window can open its full report.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.optimiser import FIGURES, OptimisationRun, PassRow, State
from app.ui.widgets.table_model import SORT_ROLE, RowTableModel
from app.ui.widgets.theme import LOSS, PROFIT

_Index = QModelIndex | QPersistentModelIndex
REFRESH_MS = 250
CURVES_SHOWN = 4
TABLE_FIGURES = (
    "trades",
    "net_profit",
    "profit_factor",
    "sharpe_ratio",
    "recovery_factor",
    "max_drawdown_pct",
)
OUT_FIGURES = ("trades", "net_profit", "profit_factor")


class PassTableModel(RowTableModel):
    """One row per pass: its number, parameters, objective and figures, in and out of sample."""

    def __init__(self, parameters: Sequence[str], forward: bool) -> None:
        super().__init__()
        self.parameters = tuple(parameters)
        self.forward = forward
        columns: list[tuple[str, Callable[[PassRow], Any]]] = [("Pass", lambda r: r.index)]
        columns += [(name, _param_getter(name)) for name in self.parameters]
        columns.append(("Objective", lambda r: r.score))
        if forward:
            columns.append(("Objective (out)", lambda r: r.score_out))
        columns += [(FIGURES[name], _figure_getter(name)) for name in TABLE_FIGURES]
        if forward:
            columns += [
                (f"{FIGURES[name]} (out)", _figure_getter(name, out=True)) for name in OUT_FIGURES
            ]
        self._columns = columns
        self.HEADERS = tuple(title for title, _ in columns)
        counts = {"Pass", FIGURES["trades"], f"{FIGURES['trades']} (out)"}
        self._figure_columns = frozenset(
            i
            for i, title in enumerate(self.HEADERS)
            if title not in counts and title not in self.parameters
        )
        self.rows: list[PassRow] = []
        self._rows = self.rows

    def add(self, rows: Sequence[PassRow]) -> None:
        if not rows:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def column(self, title: str) -> int:
        return self.HEADERS.index(title)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        value = self._columns[index.column()][1](row)
        if role == Qt.ItemDataRole.DisplayRole:
            if row.error and index.column() == len(self.parameters) + 1:
                return row.error
            if index.column() in self._figure_columns:
                return _figure_text(value)
            return _text(value)
        if role == SORT_ROLE:
            if value is None or isinstance(value, str):
                return -math.inf
            return float(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and self._coloured(index.column(), value):
            return PROFIT if value > 0 else LOSS
        if role == Qt.ItemDataRole.ToolTipRole and not row.feasible and not row.error:
            return "breaks a constraint: ranked below every pass that keeps them"
        return None

    def _coloured(self, column: int, value: Any) -> bool:
        """Money and objectives are green above 0, red below."""
        title = self.HEADERS[column]
        return isinstance(value, float) and value != 0 and title.startswith(("Objective", "Net"))


def _param_getter(name: str) -> Callable[[PassRow], Any]:
    return lambda r: r.params.get(name)


def _figure_getter(name: str, *, out: bool = False) -> Callable[[PassRow], Any]:
    if out:
        return lambda r: (r.figures_out or {}).get(name)
    return lambda r: r.figures.get(name)


def _figure_text(value: Any) -> str:
    """Money, objectives and ratios: always two decimals, so a column's figures line up
    (159.00 beside 151.80, never 159)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value:,.2f}"
    return _text(value)


def _text(value: Any) -> str:
    """Parameters and counts as typed: 20 for 20.0, 1.5 for 1.5."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:,.2f}"
    return str(value)


class HeatMap(QWidget):
    """The objective over two parameters (the best pass where other parameters vary)."""

    def __init__(self, run: OptimisationRun, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._axes = {axis.name: axis.values for axis in run.optimisation.space.axes}
        names = list(self._axes)
        self.x_box, self.y_box = QComboBox(), QComboBox()
        self.x_box.addItems(names)
        self.y_box.addItems(names)
        self.y_box.setCurrentIndex(1 if len(names) > 1 else 0)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        self.matrix = np.zeros((0, 0))
        self._rows: list[PassRow] = []
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Heat map of the objective:"))
        pick.addWidget(QLabel("x"))
        pick.addWidget(self.x_box)
        pick.addWidget(QLabel("y"))
        pick.addWidget(self.y_box)
        pick.addStretch(1)
        self.range_label = QLabel("")
        pick.addWidget(self.range_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(pick)
        layout.addWidget(self.plot, 1)
        self.x_box.currentIndexChanged.connect(lambda _: self.redraw())
        self.y_box.currentIndexChanged.connect(lambda _: self.redraw())

    def show_rows(self, rows: list[PassRow]) -> None:
        self._rows = rows
        self.redraw()

    def redraw(self) -> None:
        x_name, y_name = self.x_box.currentText(), self.y_box.currentText()
        xs, ys = self._axes[x_name], self._axes[y_name]
        x_at = {v: i for i, v in enumerate(xs)}
        y_at = {v: i for i, v in enumerate(ys)}
        matrix = np.full((len(xs), len(ys)), np.nan)  # ImageItem's order: [x, y]
        for row in self._rows:
            if row.score is None or row.error or not row.feasible:
                continue
            i, j = x_at[row.params[x_name]], y_at[row.params[y_name]]
            if math.isnan(matrix[i, j]) or row.score > matrix[i, j]:
                matrix[i, j] = row.score
        self.matrix = matrix
        known = matrix[np.isfinite(matrix)]
        if known.size:
            low, high = float(known.min()), float(known.max())
            self.image.setImage(matrix, levels=(low, high if high > low else low + 1))
            self.range_label.setText(f"dark {_figure_text(low)} … bright {_figure_text(high)}")
        else:
            self.image.clear()
            self.range_label.setText("no pass yet")
        self._ticks(self.plot.getAxis("bottom"), xs, x_name)
        self._ticks(self.plot.getAxis("left"), ys, y_name)
        self.plot.setXRange(0, max(1, len(xs)), padding=0)
        self.plot.setYRange(0, max(1, len(ys)), padding=0)

    @staticmethod
    def _ticks(axis: pg.AxisItem, values: Sequence[Any], name: str) -> None:
        every = max(1, math.ceil(len(values) / 12))
        axis.setTicks([[(i + 0.5, _text(v)) for i, v in enumerate(values) if i % every == 0]])
        axis.setLabel(name)


class BestCurves(QWidget):
    """The best passes' equity curves side by side: in sample, then out of sample."""

    def __init__(self, run: OptimisationRun, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._run = run
        self.plots: list[pg.PlotWidget] = []
        self.shown: list[int] = []
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        legend = QLabel(
            "Equity of the best passes: <span style='color:#4aa3df'>in sample</span>, then "
            "<span style='color:#f5a623'>out of sample</span> (each from the deposit)"
        )
        layout.addWidget(legend, 0, 0, 1, CURVES_SHOWN)
        for i in range(CURVES_SHOWN):
            plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
            plot.setMenuEnabled(False)
            plot.setMinimumHeight(120)
            layout.addWidget(plot, 1, i)
            self.plots.append(plot)

    def show_best(self) -> None:
        names = self._run.optimisation.space.names
        best = [r for r in self._run.results.best(CURVES_SHOWN) if not r.error]
        indexes = [r.index for r in best]
        if indexes == self.shown:
            return
        self.shown = indexes
        for plot in self.plots:
            plot.clear()
            plot.setTitle("")
        for plot, row in zip(self.plots, best, strict=False):
            curves = self._run.results.curves(row.index)
            params = ", ".join(f"{n}={_text(row.params[n])}" for n in names)
            plot.setTitle(f"#{row.index}: {params}", size="9pt")
            if curves is None:
                continue
            for times, equity in curves.in_sample:
                plot.plot(times / 1000, equity, pen=pg.mkPen("#4aa3df", width=1.5))
            for times, equity in curves.out_of_sample:
                plot.plot(times / 1000, equity, pen=pg.mkPen("#f5a623", width=1.5))


class OptimisationTab(QWidget):
    """Results table, heat map, best curves and "Run this pass" for one optimisation run."""

    run_pass_requested = Signal(dict)
    """The parameters of the pass to run in full (every parameter, fixed ones included)."""

    def __init__(self, run: OptimisationRun, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = run
        self._seen = 0
        self._thread: threading.Thread | None = None
        self.model = PassTableModel(run.optimisation.space.names, run.optimisation.forward)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.sortByColumn(self.model.column("Objective"), Qt.SortOrder.DescendingOrder)
        self.table.doubleClicked.connect(lambda _: self.request_selected())
        self.heat_map = HeatMap(run)
        self.curves = BestCurves(run)
        self.status = QLabel("")
        self.run_button = QPushButton("Run this pass")
        self.run_button.setToolTip("Test the selected pass in full and open its report")
        self.run_button.clicked.connect(self.request_selected)
        self.cancel_button = QPushButton("Stop")
        self.cancel_button.clicked.connect(run.cancel)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.run_button)
        bar.addWidget(self.cancel_button)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.heat_map)
        right.addWidget(self.curves)
        right.setSizes([600, 260])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(right)
        split.setSizes([900, 900])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def start(self, workers: Any) -> None:
        """Run the optimisation on ``workers`` off the GUI thread; rows stream in."""
        self._thread = threading.Thread(
            target=self.run.execute, args=(workers,), name="optimisation", daemon=True
        )
        self._thread.start()

    def refresh(self) -> None:
        """Take the rows that arrived, redraw what they change, say how far it is."""
        new = self.run.results.since(self._seen)
        if new:
            self._seen += len(new)
            self.model.add(new)
            self.heat_map.show_rows(self.model.rows)
            self.curves.show_best()
        self.status.setText(self._progress_text())
        self.cancel_button.setEnabled(self.run.state in (State.READY, State.RUNNING))

    def _progress_text(self) -> str:
        p, state = self.run.progress, self.run.state
        ran = p.done - p.skipped
        if state is State.RUNNING:
            elapsed = max(1e-9, time.monotonic() - p.started)
            share = p.done / p.total if p.total else 0.0
            left = elapsed / share - elapsed if share > 0 else 0.0
            return (
                f"{p.done:,} of {p.total:,} passes, {ran / elapsed:.1f} passes/s on "
                f"{self.run.where}, {_clock(left)} left"
            )
        if state is State.FAILED:
            return f"Stopped: {self.run.error}"
        text = f"{state.value.capitalize()}: {ran:,} passes"
        if p.skipped:
            text += f", {p.skipped:,} skipped (parameters the strategy refuses)"
        if self.run.where:
            text += f" on {self.run.where}"
        return text + f"; {self.run.optimisation.goal.describe()}"

    def selected_row(self) -> PassRow | None:
        picked = self.table.selectionModel().selectedRows()
        if not picked:
            return None
        return self.model.rows[self.proxy.mapToSource(picked[0]).row()]

    def request_selected(self) -> None:
        row = self.selected_row()
        if row is None or row.error:
            return
        self.run_pass_requested.emit(dict(row.params))

    def stop(self) -> None:
        """Cancel the run and wait for its thread (the window closing)."""
        self.run.cancel()
        self._timer.stop()
        if self._thread is not None:
            self._thread.join(timeout=30)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
