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
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from app.reporting import Curve
from app.ui.widgets.theme import LOSS, PROFIT

BALANCE_COLOR = "#5b9bd5"
EQUITY_COLOR = "#7cb342"


def _colours(widget: QWidget) -> tuple[QColor, QColor]:
    palette = widget.palette()
    return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)


def styled_plot(parent: QWidget, title: str, *, time_axis: bool = False) -> pg.PlotWidget:
    axes = {"bottom": pg.DateAxisItem(utcOffset=0)} if time_axis else {}
    plot = pg.PlotWidget(parent, axisItems=axes)
    background, text = _colours(parent)
    plot.setBackground(background)
    item = plot.getPlotItem()
    set_title(plot, title)
    item.getAxis("left").setWidth(64)  # room for 10,000.00 before the first paint
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
    item.showGrid(x=True, y=True, alpha=0.15)
    item.setMenuEnabled(False)
    plot.setMouseEnabled(x=True, y=False)
    return plot


def set_title(plot: pg.PlotWidget, title: str) -> None:
    _background, text = _colours(plot)
    plot.getPlotItem().setTitle(title, color=text.name(), size="10pt")


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


def draw_bars(
    plot: pg.PlotWidget, labels: Sequence[str], values: Sequence[float], *, most: int = 12
) -> None:
    """One bar per label, green above zero and red below; at most ``most`` labels shown."""
    item = plot.getPlotItem()
    item.clear()
    if not labels:
        return
    x = np.arange(len(labels), dtype=np.float64)
    heights = np.asarray(values, dtype=np.float64)
    brushes = [pg.mkBrush(PROFIT if v >= 0 else LOSS) for v in heights]
    item.addItem(pg.BarGraphItem(x=x, height=heights, width=0.7, brushes=brushes, pen=None))
    every = max(1, -(-len(labels) // most))
    item.getAxis("bottom").setTicks([[(i, labels[i]) for i in range(0, len(labels), every)]])
    item.setXRange(-0.6, len(labels) - 0.4, padding=0)
    low, high = float(min(0.0, heights.min())), float(max(0.0, heights.max()))
    margin = (high - low) * 0.08 or 1.0
    item.setYRange(low - margin, high + margin, padding=0)
