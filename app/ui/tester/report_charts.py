"""The report's pictures with pyqtgraph: balance and equity, drawdown, and bars per period.

Each is a ``pg.PlotWidget`` coloured from the window's palette, so the report
reads in the dark and the light theme alike. Times on the curves' axis are
the data's clock, shown as UTC (``DateAxisItem(utcOffset=0)``), as the report's
tables and the HTML file show them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette, QResizeEvent
from PySide6.QtWidgets import QWidget

from app.reporting import Curve
from app.ui.widgets.theme import LOSS, PROFIT

BALANCE_COLOR = "#5b9bd5"
EQUITY_COLOR = "#7cb342"
LABEL_OVERHANG = 32  # px a bar label may pass the end of its axis


def _colours(widget: QWidget) -> tuple[QColor, QColor]:
    palette = widget.palette()
    return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)


class ReportPlot(pg.PlotWidget):
    """A plot whose title and bar labels fit whatever width the window gives it.

    pyqtgraph sizes a plot's layout to at least its title's width: a title wider
    than the widget pushes the right of the plot (the newest months) out of
    sight. So the title is shortened with "…" to the width there is (the whole
    title is the tooltip), and the bar labels are thinned to those that fit side
    by side, again on every resize.
    """

    TITLE_MARGIN = 16  # px left free beside the title
    LABEL_GAP = 10  # px at least between two bar labels

    def __init__(self, parent: QWidget, axisItems: dict[str, pg.AxisItem]) -> None:
        super().__init__(parent, axisItems=axisItems)
        self.full_title = ""
        self.bar_labels: list[str] = []
        self.getPlotItem().getViewBox().sigResized.connect(self._fit_labels)
        # A label centred on the first or last bar may pass the axis' end by half its
        # width; pyqtgraph would hide it (the "Jan 2024" under the first month).
        self.getPlotItem().getAxis("bottom").setStyle(hideOverlappingLabels=LABEL_OVERHANG)

    def set_full_title(self, title: str) -> None:
        self.full_title = title
        self.setToolTip(title)
        self.resizeEvent(None)  # fits the title, then lays the plot out again

    def set_bar_labels(self, labels: Sequence[str]) -> None:
        self.bar_labels = list(labels)
        self._fit_labels()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        # The title first: the plot is laid out at the new size no narrower than the
        # title's minimum width, so a title too wide would push the plot's right out.
        if "full_title" in self.__dict__:  # pyqtgraph resizes once inside its own __init__
            self._fit_title()
        super().resizeEvent(event)

    def _fit_title(self) -> None:
        item = self.getPlotItem()
        _background, text = _colours(self)
        item.setTitle(self.full_title, color=text.name(), size="10pt")
        # The title sits above the plot area, right of the value axis.
        room = self.width() - item.getAxis("left").width() - self.TITLE_MARGIN
        needed = item.titleLabel.itemRect().width()
        if needed <= room:
            return
        font = QFont(self.font())
        font.setPointSizeF(10)
        metrics = QFontMetrics(font)
        frame = needed - metrics.horizontalAdvance(self.full_title)  # the label's own margins
        shown = metrics.elidedText(
            self.full_title, Qt.TextElideMode.ElideRight, max(0, int(room - frame))
        )
        item.setTitle(shown, color=text.name(), size="10pt")

    def _fit_labels(self) -> None:
        labels = self.bar_labels
        axis = self.getPlotItem().getAxis("bottom")
        if not labels:
            axis.setTicks(None)
            return
        metrics = QFontMetrics(axis.font())
        widest = max(metrics.horizontalAdvance(label) for label in labels) + self.LABEL_GAP
        room = self.getPlotItem().getViewBox().width()
        most = max(1, int(room // widest)) if room > 0 else len(labels)
        every = max(1, -(-len(labels) // most))
        axis.setTicks([[(i, labels[i]) for i in range(0, len(labels), every)]])


def styled_plot(parent: QWidget, title: str, *, time_axis: bool = False) -> ReportPlot:
    axes = {"bottom": pg.DateAxisItem(utcOffset=0)} if time_axis else {}
    plot = ReportPlot(parent, axisItems=axes)
    background, text = _colours(parent)
    plot.setBackground(background)
    item = plot.getPlotItem()
    plot.set_full_title(title)
    item.getAxis("left").setWidth(64)  # room for 10,000.00 before the first paint
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
    # No vertical grid under bars: pyqtgraph's grid would also hide the labels that
    # pass the axis' ends (its bounding box becomes the plot's).
    item.showGrid(x=time_axis, y=True, alpha=0.15)
    item.setMenuEnabled(False)
    plot.setMouseEnabled(x=True, y=False)
    return plot


def drawdown_pct(curve: Curve, deposit: float) -> np.ndarray:
    """How far the equity is below its running peak at each point, in percent (<= 0)."""
    equity = np.asarray(curve.equity, dtype=np.float64)
    if not len(equity):
        return equity
    peaks = np.maximum.accumulate(np.maximum(equity, deposit))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peaks > 0, (equity - peaks) / peaks * 100.0, 0.0)


def draw_curves(plot: pg.PlotWidget, curve: Curve) -> None:
    item = plot.getPlotItem()
    item.clear()
    if not len(curve):
        return
    x = curve.time_msc / 1000.0
    legend = item.addLegend(offset=(10, 10))
    ground, text = _colours(plot)
    ground.setAlpha(200)
    legend.setBrush(pg.mkBrush(ground))
    legend.setLabelTextColor(text)
    item.plot(x, curve.balance, pen=pg.mkPen(BALANCE_COLOR, width=2), name="Balance")
    item.plot(x, curve.equity, pen=pg.mkPen(EQUITY_COLOR, width=1), name="Equity")
    item.enableAutoRange()


def draw_drawdown(plot: pg.PlotWidget, curve: Curve, deposit: float) -> None:
    item = plot.getPlotItem()
    item.clear()
    if not len(curve):
        return
    x = curve.time_msc / 1000.0
    fill = QColor(LOSS)
    fill.setAlpha(90)
    item.plot(x, drawdown_pct(curve, deposit), pen=pg.mkPen(LOSS), fillLevel=0.0, brush=fill)
    item.enableAutoRange()


def draw_bars(plot: ReportPlot, labels: Sequence[str], values: Sequence[float]) -> None:
    """One bar per label, green above zero and red below; as many labels as fit shown."""
    item = plot.getPlotItem()
    item.clear()
    plot.set_bar_labels(labels)
    if not labels:
        return
    x = np.arange(len(labels), dtype=np.float64)
    heights = np.asarray(values, dtype=np.float64)
    brushes = [pg.mkBrush(PROFIT if v >= 0 else LOSS) for v in heights]
    item.addItem(pg.BarGraphItem(x=x, height=heights, width=0.7, brushes=brushes, pen=None))
    item.setXRange(-0.6, len(labels) - 0.4, padding=0)
    low, high = float(min(0.0, heights.min())), float(max(0.0, heights.max()))
    margin = (high - low) * 0.08 or 1.0
    item.setYRange(low - margin, high + margin, padding=0)
