"""The tested bars with the test's trades drawn on them.

The candles are the terminal's own chart item (``CandlestickItem``, with the
chart's time and price axes), built from the bars the strategy saw over the
tested range. Each trade is an entry marker (an arrow up for a buy, down for
a sell) at its entry bar and price, a dot at its exit, and a dashed
line between them, green for a profit and red for a loss — as MetaTrader 5's
tester draws its deals on the visual chart. Like the live chart, x is the bar
index (weekends leave no holes) and the price range follows what is in view.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from app.domain.timeframes import Timeframe
from app.reporting import Trade
from app.ui.panels.chart.candles import CandlestickItem, GridItem
from app.ui.panels.chart.palette import ASK_COLOR, BID_COLOR, ChartPalette, palette
from app.ui.panels.chart.panel import MAX_TICK_LEVEL, BarTimeAxis, PriceAxis
from app.ui.widgets.theme import LOSS, PROFIT

BUY_COLOR = BID_COLOR
SELL_COLOR = ASK_COLOR
#: Bars on each side of a trade when the chart is moved to it.
AROUND_TRADE = 60
#: Bars in view after a run: the newest ones, readable candle by candle (as the live chart).
SHOWN_BARS = 400


def _arrow(up: bool) -> QPainterPath:
    """A marker symbol beside its point, not on it: a buy's arrow points up from below the
    entry price, a sell's down from above, so the exit marker of the trade before (a
    reversal exits and enters at one price) stays visible. Symbol units: +y is down, and
    pyqtgraph draws a symbol within the square of ±0.5 around its point (so the marker
    size is twice the arrow's)."""
    sign = 1.0 if up else -1.0
    path = QPainterPath()
    path.moveTo(0.0, 0.06 * sign)
    path.lineTo(-0.24, 0.5 * sign)
    path.lineTo(0.24, 0.5 * sign)
    path.closeSubpath()
    return path


BUY_ARROW = _arrow(up=True)
SELL_ARROW = _arrow(up=False)


def _dashed(colour: str) -> QPen:
    pen: QPen = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine)
    return pen


def bar_index(times: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """The bar each moment falls in (the newest bar opened at or before it)."""
    index = np.searchsorted(times, seconds, side="right") - 1
    return np.clip(index, 0, max(0, len(times) - 1))


class TradesChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tester_chart")
        app = QApplication.instance()
        self._palette: ChartPalette = palette(
            str(app.property("tradeterm_theme") or "") if app else ""
        )
        self._digits = 5
        self._bar_seconds = 3600
        self.trades: tuple[Trade, ...] = ()
        self.candles = CandlestickItem()
        self._time_axis = BarTimeAxis(lambda: self.candles.time, lambda: self._bar_seconds)
        self._price_axis = PriceAxis(lambda: self._digits)
        self._grid = GridItem(
            self._time_axis.tickValues,
            self._price_axis.tickValues,
            self._palette.grid,
            MAX_TICK_LEVEL,
        )
        self.plot = pg.PlotWidget(
            background=self._palette.background,
            axisItems={"bottom": self._time_axis, "right": self._price_axis},
        )
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.showAxis("right")
        item.hideButtons()
        item.setMenuEnabled(False)
        foreground = pg.mkPen(self._palette.foreground)
        for name in ("bottom", "right"):
            axis = item.getAxis(name)
            axis.setPen(foreground)
            axis.setTextPen(foreground)
            axis.enableAutoSIPrefix(False)
        view = item.getViewBox()
        view.setMouseEnabled(x=True, y=False)
        view.disableAutoRange()
        item.addItem(self._grid, ignoreBounds=True)
        item.addItem(self.candles)
        # A pairs plot has one pen: the winning and the losing trades' lines are two items.
        self.won_links = pg.PlotDataItem(connect="pairs", pen=_dashed(PROFIT.name()))
        self.lost_links = pg.PlotDataItem(connect="pairs", pen=_dashed(LOSS.name()))
        self.entries = pg.ScatterPlotItem(size=30, pen=None)
        self.exits = pg.ScatterPlotItem(size=8, symbol="o", pen=pg.mkPen(self._palette.background))
        for extra in (self.won_links, self.lost_links, self.entries, self.exits):
            item.addItem(extra, ignoreBounds=True)
        view.sigXRangeChanged.connect(self._fit_prices)
        self.caption = QLabel("The tested bars and the trades show here after a run")
        self.caption.setObjectName("tester_chart_caption")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot, 1)

    def set_data(
        self,
        bars: np.ndarray,
        trades: Sequence[Trade],
        *,
        timeframe: Timeframe,
        digits: int,
        title: str = "",
    ) -> None:
        """Show ``bars`` (RATES_DTYPE) and draw ``trades`` on them."""
        self._digits, self._bar_seconds = digits, timeframe.seconds
        self.trades = tuple(t for t in trades if t.entry_time_msc is not None)
        self.candles.set_data(
            bars["time"], bars["open"], bars["high"], bars["low"], bars["close"],
            bars["tick_volume"],
        )  # fmt: skip
        hint = "drag to scroll, wheel to zoom; double-click a trade in the report to find it"
        text = title or f"{len(bars):,} bars, {len(self.trades):,} trades"
        self.caption.setText(f"{text}  ({hint})")
        self._draw_trades(np.asarray(bars["time"], dtype=np.int64))
        self.show_newest()

    def _draw_trades(self, times: np.ndarray) -> None:
        trades = self.trades
        if not trades or not len(times):
            self.won_links.setData([], [])
            self.lost_links.setData([], [])
            self.entries.setData([], [])
            self.exits.setData([], [])
            return
        entry_x = bar_index(times, np.array([t.entry_time_msc for t in trades]) // 1000)
        exit_x = bar_index(times, np.array([t.exit_time_msc for t in trades]) // 1000)
        entry_y = np.array([t.entry_price for t in trades], dtype=np.float64)
        exit_y = np.array([t.exit_price for t in trades], dtype=np.float64)
        won = np.array([t.profit > 0 for t in trades])
        for links, chosen in ((self.won_links, won), (self.lost_links, ~won)):
            x = np.column_stack((entry_x[chosen], exit_x[chosen])).ravel().astype(np.float64)
            links.setData(x, np.column_stack((entry_y[chosen], exit_y[chosen])).ravel())
        self.entries.setData(
            entry_x.astype(np.float64),
            entry_y,
            symbol=[BUY_ARROW if t.is_long else SELL_ARROW for t in trades],
            brush=[pg.mkBrush(BUY_COLOR if t.is_long else SELL_COLOR) for t in trades],
        )
        self.exits.setData(
            exit_x.astype(np.float64),
            exit_y,
            brush=[pg.mkBrush(PROFIT if w else LOSS) for w in won],
        )

    @property
    def entry_count(self) -> int:
        return len(self.entries.data)

    @property
    def exit_count(self) -> int:
        return len(self.exits.data)

    def show_newest(self, bars: int = SHOWN_BARS) -> None:
        n = len(self.candles)
        if n:
            self.plot.getPlotItem().setXRange(max(-1, n - bars), n, padding=0.01)
            self._fit_prices()

    def focus_trade(self, trade: Trade) -> None:
        """Move the view to ``trade``, with some bars around it."""
        times = self.candles.time
        if not len(times) or trade.entry_time_msc is None:
            return
        first = int(bar_index(times, np.array([trade.entry_time_msc // 1000]))[0])
        last = int(bar_index(times, np.array([trade.exit_time_msc // 1000]))[0])
        self.plot.getPlotItem().setXRange(first - AROUND_TRADE, last + AROUND_TRADE, padding=0)

    def _fit_prices(self, *_: object) -> None:
        (x0, x1), _y = self.plot.getPlotItem().getViewBox().viewRange()
        span = self.candles.visible_y_range(x0, x1)
        if span is None:
            return
        low, high = span
        margin = (high - low) * 0.06 or abs(high) * 1e-4 or 1e-4
        self.plot.getPlotItem().setYRange(low - margin, high + margin, padding=0)
