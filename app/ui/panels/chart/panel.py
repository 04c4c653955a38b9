"""The price chart panel: candles, bid/ask lines, a crosshair readout and keyboard navigation.

The panel is a thin shell around :class:`~app.ui.panels.chart.candles.CandlestickItem`.
Everything that runs per live update is O(1) in the length of the history, and
everything that runs per frame or per pan is O(visible bars): pyqtgraph's own
auto-range is switched off because it would scan all the data on every change.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QKeyEvent, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsScene,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.domain.market import Bar, BarHistory, Tick
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.ui.panels.chart.candles import (
    BarTuple,
    CandlestickItem,
    GridItem,
    PriceLine,
)
from app.ui.panels.chart.objects.layer import ChartObjects
from app.ui.panels.chart.palette import ASK_COLOR, BID_COLOR, DARK, ChartPalette, palette
from app.ui.panels.chart.price_styles import ChartType, CloseLineItem, OhlcBarsItem
from app.ui.panels.chart.studies.layer import ChartStudies
from app.ui.panels.chart.studies.spec import StudyStateError
from app.ui.panels.chart.tags import AxisTag
from app.ui.panels.chart.time_axis import time_ticks
from app.ui.panels.chart.volume import VolumeItem
from app.ui.widgets.steady_label import Piece, SteadyLabel

#: Share of the chart's height the volume pane starts with (the trader may drag it).
VOLUME_PANE_SHARE = 0.2

#: Bars shown after ``set_history`` and kept by ``Home``.
INITIAL_VISIBLE_BARS = 150
#: Empty bars kept right of the newest one so the forming candle is not glued to the axis.
RIGHT_MARGIN_BARS = 3.0
#: With the chart shift on, the share of the visible width left empty right of the newest bar.
CHART_SHIFT_SHARE = 0.15
#: The version of the dict ``ChartPanel.state`` returns (templates and profiles carry it).
CHART_STATE_VERSION = 1
#: Fraction of the visible price range added above and below the visible bars.
Y_PADDING = 0.05
#: During live updates the y range is kept until it is this many times the fitted one.
Y_LOOSE_LIMIT = 1.4
#: When a live bar breaks out of the range, the fraction of the fitted range left free
#: beyond it: a trend then refits the view (a full repaint) every few points, not every tick.
Y_BREAKOUT_ROOM = 0.15
#: Fraction of the visible width moved by Left/Right.
PAN_FRACTION = 0.10
ZOOM_IN_FACTOR = 0.8
MIN_VISIBLE_BARS = 10.0
#: Price decimals before a symbol spec arrives.
DEFAULT_DIGITS = 5
#: Refreshes per second of the readout while it shows the live bar. A person reads
#: it; the candle itself moves in every frame. Re-laying out and repainting its
#: two lines in every frame cost about 6 % of a frame at 10,000 ticks/s.
READOUT_LIVE_HZ = 10
#: How long after its step a held readout change waits for a frame to show it with.
READOUT_LATE_MS = 40
#: Max crosshair updates per second (mouse moves arrive far faster than frames).
CROSSHAIR_RATE_LIMIT = 60

#: Axis tick levels to draw (major + minor). Every level adds full-height grid lines,
#: and grid lines dominate the frame time in Qt's raster engine.
MAX_TICK_LEVEL = 1


#: Pixels of a value axis beside its widest label (tick and margins).
AXIS_MARGIN_PX = 16


class BarTimeAxis(pg.AxisItem):
    """Bottom axis mapping bar index → UTC time, since x is an index, not a timestamp.

    Using the index keeps weekends and session gaps from leaving holes in the
    chart. Which bars get a label and what it says is ``time_axis.time_ticks``:
    round periods, spaced for the pixels a bar takes now, never overlapping.
    """

    def __init__(self, times: Callable[[], np.ndarray], bar_seconds: Callable[[], int]) -> None:
        super().__init__(orientation="bottom")
        self._times = times
        self._bar_seconds = bar_seconds
        font = QFont(QApplication.font())
        self.setStyle(tickFont=font)
        self._metrics = QFontMetricsF(font)
        self._labels: dict[int, str] = {}

    def _width(self, text: str) -> float:
        return self._metrics.horizontalAdvance(text)

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        times = self._times()
        i0, i1 = max(0, math.ceil(minVal)), min(times.size, math.floor(maxVal) + 1)
        if i1 <= i0 or maxVal <= minVal or size <= 0:
            self._labels = {}
            return []
        px_per_bar = size / (maxVal - minVal)
        ticks = time_ticks(times, i0, i1, self._bar_seconds(), px_per_bar, self._width)
        self._labels = dict(ticks)
        return [(1.0, [float(i) for i, _ in ticks])]

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        return [self._labels.get(round(v), "") for v in values]


class PriceAxis(pg.AxisItem):
    """Price axis that prints the symbol's own number of decimals."""

    def __init__(self, digits: Callable[[], int]) -> None:
        super().__init__(orientation="right")
        self._digits = digits

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:
        digits = self._digits()
        return [f"{v * scale:.{digits}f}" for v in values]


def _dashed_pen(color: str) -> QPen:
    pen: QPen = pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine)
    return pen


def _crosshair_line(angle: int) -> pg.InfiniteLine:
    line = pg.InfiniteLine(angle=angle, movable=False, pen=_dashed_pen(DARK.crosshair))
    line.setZValue(20)
    line.setVisible(False)
    return line


class VolumeAxis(pg.AxisItem):
    """The volume pane's right edge: no numbers, only the price axis' width, so the
    two panes' bars line up."""

    def tickValues(
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        return []


class ChartPanel(QWidget):
    """Candlestick chart for one symbol, with its volume in a pane underneath.

    The price pane and the volume pane are two plots in a splitter (drag the
    handle to resize, hide the volume pane from the toolbar), x-linked so they
    always show the same bars; the time axis runs under the lowest pane shown.

    Signals:
        painted: the first frame with candles reached the screen after data arrived.
        frame_painted: every frame in which the candle item painted.
    """

    painted = Signal()
    frame_painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec: SymbolSpec | None = None
        self._level_source: Callable[[], Sequence[float]] | None = None
        self._symbol: str | None = None
        self._timeframe: Timeframe | None = None
        self._hover: int | None = None  # bar index under the crosshair
        self._moving = False  # True while the panel itself moves the view
        self._awaiting_paint = False
        self._readout_next = 0.0  # monotonic time before which a live bar waits to show
        self._readout_timer = QTimer(self)
        self._readout_timer.setSingleShot(True)
        self._readout_timer.timeout.connect(self._refresh_readout)
        app = QApplication.instance()
        self._palette = palette(str(app.property("tradeterm_theme") or "") if app else "")
        self._palette_listeners: list[Callable[[ChartPalette], None]] = []

        self._candles = CandlestickItem()
        self._chart_type = ChartType.CANDLES
        self._bars_item = OhlcBarsItem(self._candles)
        self._line_item = CloseLineItem(self._candles, self._palette.name)
        self._chart_shift = False
        self._auto_scroll = True
        self._fixed_scale: tuple[float, float] | None = None
        self._volume = VolumeItem(self._candles, self._palette.volume_up, self._palette.volume_down)
        self._time_axis = BarTimeAxis(lambda: self._candles.time, self._bar_seconds)
        self._volume_time_axis = BarTimeAxis(lambda: self._candles.time, self._bar_seconds)
        self._price_axis = PriceAxis(self._digits)
        self._volume_axis = VolumeAxis(orientation="right")
        self._grid = GridItem(
            self._time_axis.tickValues,
            self._price_axis.tickValues,
            self._palette.grid,
            MAX_TICK_LEVEL,
        )
        self._volume_grid = GridItem(
            self._volume_time_axis.tickValues, lambda *_: [], self._palette.grid, MAX_TICK_LEVEL
        )
        self._plot_widget = pg.PlotWidget(
            background=self._palette.background,
            axisItems={"bottom": self._time_axis, "right": self._price_axis},
        )
        self._volume_widget = pg.PlotWidget(
            background=self._palette.background,
            axisItems={"bottom": self._volume_time_axis, "right": self._volume_axis},
        )
        self._readout = SteadyLabel("", self._plot_widget)  # changes with every tick
        self._crosshair_v = _crosshair_line(angle=90)
        self._crosshair_h = _crosshair_line(angle=0)
        self._volume_crosshair = _crosshair_line(angle=90)
        # The ask label sits above its line and the bid label below its own, so the
        # two stay readable when the spread is a pixel or two.
        self._bid_line = PriceLine(BID_COLOR, label_above=False)
        self._ask_line = PriceLine(ASK_COLOR, label_above=True)
        self._price_tag = AxisTag(self._price_axis, vertical=True)
        self._time_tags = (
            AxisTag(self._time_axis, vertical=False),
            AxisTag(self._volume_time_axis, vertical=False),
        )
        self._build_plot(
            self._plot_widget, (self._grid, self._candles, self._bars_item, self._line_item)
        )
        for item in (self._bars_item, self._line_item):
            item.setVisible(False)
            item.sigPainted.connect(self._on_candles_painted)
        self._build_plot(self._volume_widget, (self._volume_grid, self._volume))
        self._link_panes()
        self.studies = ChartStudies(self, self._digits)  # indicators: studies/
        self.objects = ChartObjects(self)  # drawing objects: objects/
        self._build_readout()
        self._mouse_proxies = [
            pg.SignalProxy(
                widget.scene().sigMouseMoved,
                rateLimit=CROSSHAIR_RATE_LIMIT,
                slot=lambda args, pane=widget: self.on_mouse_moved(args[0], pane),
            )
            for widget in (self._plot_widget, self._volume_widget)
        ]
        self._candles.sigPainted.connect(self._on_candles_painted)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("chart_panes")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(5)
        self.splitter.addWidget(self._plot_widget)
        self.splitter.addWidget(self._volume_widget)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self._volume_widget.setMinimumHeight(40)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._plot_widget.getPlotItem().hideAxis("bottom")  # under the volume pane instead
        self.apply_palette(self._palette)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # ------------------------------------------------------------- set-up

    def _build_plot(self, widget: pg.PlotWidget, items: Sequence[QGraphicsItem]) -> None:
        plot = widget.getPlotItem()
        plot.hideAxis("left")
        plot.showAxis("right")
        plot.hideButtons()
        plot.setMenuEnabled(False)
        for name in ("bottom", "right"):  # ticks outward: never over a candle or a column
            plot.getAxis(name).setStyle(maxTickLevel=MAX_TICK_LEVEL, tickLength=5)
        # The axes and the grid change only when the view moves, yet a live tick
        # repaints strips that touch them (the quote lines reach the price axis,
        # the live volume column the time axis) in every frame. Cached as pixmaps,
        # they are blitted instead of replayed through Python: 0.3-0.5 ms of a frame.
        for item in (plot.getAxis("bottom"), plot.getAxis("right"), items[0]):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        for name in ("left", "top", "bottom", "right"):  # hidden axes follow the view too
            # Prices and bar indices need no SI prefix; the check re-renders the axis
            # label's HTML on every range change, the costliest part of a live update.
            plot.getAxis(name).enableAutoSIPrefix(False)
        view = plot.getViewBox()
        view.disableAutoRange()
        view.setMouseEnabled(x=True, y=False)
        view.setLimits(minXRange=MIN_VISIBLE_BARS)
        for item in items:
            plot.addItem(item, ignoreBounds=item is not self._candles)
        # The scene's background brush covers every pixel: skip Qt's own fill first.
        widget.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        widget.viewport().installEventFilter(self)
        # Keys go to the panel: the views get no focus, so clicks focus the panel instead.
        widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _link_panes(self) -> None:
        price = self._plot_widget.getPlotItem()
        volume = self._volume_widget.getPlotItem()
        price.getViewBox().sigXRangeChanged.connect(self._on_x_range_changed)
        volume.setXLink(price)
        volume.getViewBox().setYRange(0.0, 1.0, padding=0)  # the volume item scales itself
        for line in (self._bid_line, self._ask_line, self._crosshair_v, self._crosshair_h):
            price.addItem(line, ignoreBounds=True)
        volume.addItem(self._volume_crosshair, ignoreBounds=True)

    def _build_readout(self) -> None:
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(9)
        self._readout.setFont(font)
        self._readout.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._readout.move(8, 4)
        self._refresh_readout()

    def set_theme(self, theme: str) -> None:
        """Draw on the dark or the light ground ('dark', 'light')."""
        self.apply_palette(palette(theme))

    def apply_palette(self, colours: ChartPalette) -> None:
        self._palette = colours
        foreground = pg.mkPen(colours.foreground)
        for widget in (self._plot_widget, self._volume_widget):
            widget.setBackground(colours.background)
            plot = widget.getPlotItem()
            for name in ("bottom", "right"):
                axis = plot.getAxis(name)
                axis.setPen(foreground)
                axis.setTextPen(foreground)
        for grid in (self._grid, self._volume_grid):
            grid.set_colour(colours.grid)
        for line in (self._crosshair_v, self._crosshair_h, self._volume_crosshair):
            line.setPen(_dashed_pen(colours.crosshair))
        for tag in (self._price_tag, *self._time_tags):
            tag.set_colours(colours.tag_background, colours.tag_text)
        self._volume.set_colours(colours.volume_up, colours.volume_down)
        self._line_item.set_theme(colours.name)
        self._readout.setStyleSheet(f"color: {colours.foreground}; background: transparent;")
        self.splitter.setStyleSheet(f"QSplitter::handle {{ background: {colours.grid}; }}")
        self.palette_changed()

    def palette_changed(self) -> None:
        for listener in self._palette_listeners:
            listener(self._palette)

    def on_palette(self, listener: Callable[[ChartPalette], None]) -> None:
        """Call ``listener`` with the palette now and after every theme change."""
        self._palette_listeners.append(listener)
        listener(self._palette)

    @property
    def palette_colours(self) -> ChartPalette:
        return self._palette

    # --------------------------------------------------------- public API

    @property
    def symbol(self) -> str | None:
        return self._symbol

    @property
    def timeframe(self) -> Timeframe | None:
        """The selected bar period (``None`` until set or until the first history)."""
        return self._timeframe

    @property
    def bar_count(self) -> int:
        return len(self._candles)

    @property
    def candles(self) -> CandlestickItem:
        return self._candles

    @property
    def volume(self) -> VolumeItem:
        return self._volume

    @property
    def plot_widget(self) -> pg.PlotWidget:
        return self._plot_widget

    @property
    def readout_label(self) -> SteadyLabel:
        """The top-left readout itself (its overlay lines in their colours)."""
        return self._readout

    @property
    def readout_text(self) -> str:
        """The top-left readout: symbol · timeframe, then the hovered (or newest) bar."""
        return self._readout.plain_text()

    @property
    def crosshair_visible(self) -> bool:
        return bool(self._crosshair_v.isVisible())

    @property
    def quote_lines(self) -> tuple[PriceLine, PriceLine]:
        """The (bid, ask) price lines; hidden until the first quote."""
        return self._bid_line, self._ask_line

    def last_bar(self) -> BarTuple | None:
        """The newest bar as ``(time, open, high, low, close, volume)``, or ``None``."""
        return self._candles.last_bar()

    @property
    def volume_widget(self) -> pg.PlotWidget:
        return self._volume_widget

    def scenes(self) -> list[QGraphicsScene]:
        """The graphics scenes of its panes: price, volume and each oscillator."""
        views = [self._plot_widget, self._volume_widget, *self.studies.panes()]
        return [scene for view in views if (scene := view.scene()) is not None]

    @property
    def time_axis(self) -> BarTimeAxis:
        """The time axis on screen: under the volume pane, or under the price when it is hidden."""
        return self._volume_time_axis if self.volume_visible else self._time_axis

    @property
    def volume_visible(self) -> bool:
        return not self._volume_widget.isHidden()

    def set_volume_visible(self, visible: bool) -> None:
        """Show or hide the volume pane; the time axis moves under the lowest pane shown."""
        self._volume_widget.setVisible(visible)
        plot = self._plot_widget.getPlotItem()
        if visible:
            plot.hideAxis("bottom")
        else:
            plot.showAxis("bottom")
        self.studies.volume_toggled()

    # ------------------------------------------------------------- indicators (studies/)

    def studies_state(self) -> dict[str, Any]:
        """The chart's indicators, parameters and styles as a JSON-able dictionary."""
        return self.studies.state()

    def restore_studies(self, state: Mapping[str, Any]) -> None:
        """Show the indicators of a ``studies_state()`` dictionary instead of the current ones.

        A dictionary it cannot use (unknown indicator, parameter out of range, a
        newer format) raises ``StudyStateError`` with one line and changes nothing.
        """
        self.studies.restore(state)

    @property
    def hovered_bar(self) -> int | None:
        """The bar under the crosshair (``None`` when it is hidden)."""
        return self._hover

    @property
    def crosshair_price(self) -> float | None:
        """The price under the crosshair's horizontal line (``None`` when it is hidden)."""
        return float(self._crosshair_h.value()) if self._crosshair_h.isVisible() else None

    def format_price(self, price: float) -> str:
        """A price with the symbol's digits."""
        return self._format_price(price)

    def refresh_readout(self) -> None:
        """Rewrite the top-left readout now (the indicators changed)."""
        self._refresh_readout()

    # -- chart type, shift, scrolling and scale (saved in ``state``) ----------------

    @property
    def chart_type(self) -> ChartType:
        return self._chart_type

    def set_chart_type(self, chart_type: ChartType | str) -> None:
        """Candles, OHLC bars or a line of closes; the bars and the view stay as they are."""
        kind = ChartType(chart_type)
        self._chart_type = kind
        self._candles.setVisible(kind is ChartType.CANDLES)
        self._bars_item.setVisible(kind is ChartType.BARS)
        self._line_item.setVisible(kind is ChartType.LINE)
        self._style_item_changed(live=False)

    @property
    def price_item(self) -> pg.GraphicsObject:
        """The item drawing the price now (candles, bars or line)."""
        return {
            ChartType.CANDLES: self._candles,
            ChartType.BARS: self._bars_item,
            ChartType.LINE: self._line_item,
        }[self._chart_type]

    def _style_item_changed(self, *, live: bool) -> None:
        """Tell the bars or line item (when shown) that the candles' data changed."""
        if self._chart_type is ChartType.CANDLES:
            return
        item = self._bars_item if self._chart_type is ChartType.BARS else self._line_item
        if live:
            item.live_changed()
        else:
            item.data_changed()

    @property
    def chart_shift(self) -> bool:
        return self._chart_shift

    def set_chart_shift(self, on: bool) -> None:
        """Leave CHART_SHIFT_SHARE of the width empty right of the newest bar (MT5's shift)."""
        if on == self._chart_shift:
            return
        self._chart_shift = on
        if self.bar_count and self._view_x_range()[1] >= self.bar_count - 1:
            self.scroll_to_latest()  # the same zoom, the newest bar moved by the shift

    @property
    def auto_scroll(self) -> bool:
        return self._auto_scroll

    def set_auto_scroll(self, on: bool) -> None:
        """On: a new bar keeps the newest bar in view while it is; off: the view stays put."""
        self._auto_scroll = on
        if on and self.bar_count:
            self.scroll_to_latest()

    @property
    def fixed_price_scale(self) -> tuple[float, float] | None:
        """The fixed price range, or ``None`` while the scale fits the visible bars."""
        return self._fixed_scale

    def set_fixed_price_scale(self, price_range: tuple[float, float] | bool | None) -> str | None:
        """Fix the price scale (at the range shown, or at ``(low, high)``) or free it (None).

        While fixed, pans, zooms and ticks leave the price range alone and the
        mouse may drag it vertically. Returns why a range was refused, else ``None``.
        """
        view = self._plot_widget.getPlotItem().getViewBox()
        if price_range is None or price_range is False:
            self._fixed_scale = None
            view.setMouseEnabled(x=True, y=False)
            self._fit_y()
            return None
        if price_range is True:
            low, high = self.y_range()
        else:
            low, high = (float(v) for v in price_range)
        if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
            return f"A fixed price scale needs a low below its high (not {low:g} to {high:g})"
        self._fixed_scale = (low, high)
        view.setMouseEnabled(x=True, y=True)
        view.setYRange(low, high, padding=0)
        return None

    def state(self) -> dict[str, object]:
        """What a template or a profile keeps of this chart, as plain JSON-able values.

        Symbol, timeframe, chart type, shift, auto-scroll, the price scale, the
        volume pane and the indicators. Other parts of the chart may add their own keys.
        """
        return {
            "version": CHART_STATE_VERSION,
            "symbol": self._symbol,
            "timeframe": self._timeframe.name if self._timeframe is not None else None,
            "chart_type": str(self._chart_type),
            "chart_shift": self._chart_shift,
            "auto_scroll": self._auto_scroll,
            "fixed_scale": list(self._fixed_scale) if self._fixed_scale else None,
            "volume": self.volume_visible,
            "studies": self.studies_state(),
        }

    def restore(self, state: Mapping[str, object]) -> list[str]:
        """Apply what ``state`` holds (missing keys keep their value); the symbol is the caller's.

        The symbol needs its spec and a history request, so the window applies it.
        Returns what could not be applied, in words (nothing is applied half-way
        for a key: a bad value leaves that setting as it was).
        """
        problems: list[str] = []
        timeframe = state.get("timeframe")
        if isinstance(timeframe, str):
            if timeframe in Timeframe.__members__:
                self.set_timeframe(Timeframe[timeframe])
            else:
                problems.append(f"unknown timeframe {timeframe!r}")
        kind = state.get("chart_type")
        if kind is not None:
            if kind in tuple(ChartType):
                self.set_chart_type(str(kind))
            else:
                problems.append(f"unknown chart type {kind!r}")
        for key, apply in (
            ("chart_shift", self.set_chart_shift),
            ("auto_scroll", self.set_auto_scroll),
            ("volume", self.set_volume_visible),
        ):
            value = state.get(key)
            if isinstance(value, bool):
                apply(value)
            elif value is not None:
                problems.append(f"{key} must be true or false")
        if "fixed_scale" in state:
            fixed = state["fixed_scale"]
            if fixed is None:
                self.set_fixed_price_scale(None)
            elif (
                isinstance(fixed, list | tuple)
                and len(fixed) == 2
                and all(isinstance(v, int | float) for v in fixed)
            ):
                problem = self.set_fixed_price_scale((float(fixed[0]), float(fixed[1])))
                if problem:
                    problems.append(problem)
            else:
                problems.append("fixed_scale must be [low, high] or null")
        studies = state.get("studies")
        if isinstance(studies, Mapping):
            try:
                self.restore_studies(studies)
            except StudyStateError as exc:
                problems.append(f"indicators not restored: {exc}")
        elif studies is not None:
            problems.append("indicators not restored: not an indicator list")
        return problems

    def x_range(self) -> tuple[float, float]:
        return self._view_x_range()

    def y_range(self) -> tuple[float, float]:
        y0, y1 = self._plot_widget.getPlotItem().getViewBox().viewRange()[1]
        return float(y0), float(y1)

    def price_pane_rect(self) -> QRectF:
        """Where the price pane is, in the panel's own coordinates."""
        return self._pane_rect(self._plot_widget)

    def volume_pane_rect(self) -> QRectF:
        return self._pane_rect(self._volume_widget)

    def _pane_rect(self, widget: QWidget) -> QRectF:
        if widget.isHidden():
            return QRectF()
        return QRectF(QPointF(widget.mapTo(self, QPoint(0, 0))), QSizeF(widget.size()))

    def readout_rect(self) -> QRectF:
        """The OHLC header's rectangle in the price pane's scene (labels keep out of it)."""
        readout = self._readout
        top_left = self._plot_widget.mapToScene(readout.pos())
        return QRectF(QPointF(top_left), QSizeF(readout.size()))

    def crosshair_tags(self) -> tuple[str, str]:
        """The price and time the crosshair's tags show on the axes ("" when hidden)."""
        time_tag = next((t.text for t in self._time_tags if t.text), "")
        return self._price_tag.text, time_tag

    def set_symbol_spec(self, spec: SymbolSpec) -> None:
        """Use the symbol's digits everywhere; switching symbol clears the old bars."""
        if self._symbol is not None and spec.name != self._symbol:
            self._clear()
        self._spec = spec
        self._symbol = spec.name
        for line in (self._bid_line, self._ask_line):
            line.set_digits(spec.digits)
        self._price_axis.setStyle()  # re-render tick labels with the new digits
        self._refresh_readout()

    def fit_axis_width(self) -> None:
        """Every pane's right axis as wide as the widest price or indicator value, so
        their bars line up and no label is cut (MACD's ``-0.000250`` is wider than a
        price of EURUSD; RSI's ``100.00`` than one of a symbol priced under 10).

        A fixed width also spares pyqtgraph re-measuring the axis on every range change.
        """
        high = float(np.nanmax(self._candles.high)) if self.bar_count else 0.0
        sample = f"{max(abs(high), 1.0) * 10:.{self._digits()}f}"
        metrics = QFontMetricsF(self._price_axis.style.get("tickFont") or QApplication.font())
        width = max(
            math.ceil(metrics.horizontalAdvance(sample)) + AXIS_MARGIN_PX,
            self.studies.label_width(),
        )
        if width != self._price_axis.width():
            self._price_axis.setWidth(width)
            self._volume_axis.setWidth(width)

    def set_timeframe(self, timeframe: Timeframe) -> bool:
        """Select the bar period; a change drops the bars until the new history arrives.

        Returns whether the timeframe changed (then the caller asks for history).
        """
        if timeframe == self._timeframe:
            return False
        self._timeframe = timeframe
        if self.bar_count:
            self._clear()
        self._refresh_readout()
        return True

    def set_history(self, history: BarHistory) -> bool:
        """Show a symbol's bars: the newest ~150 in view, y fitted to them.

        History of another symbol or timeframe than the selected one is a late
        answer to an older request and is ignored (returns ``False``), so a
        quick symbol or timeframe switch never ends on the wrong bars.
        """
        if self._symbol is not None and history.symbol != self._symbol:
            return False
        if self._timeframe is not None and history.timeframe != self._timeframe:
            return False
        self._symbol = history.symbol
        self._timeframe = history.timeframe
        # BarHistory types its columns loosely (the domain does not import numpy).
        columns = (history.open, history.high, history.low, history.close, history.volume)
        self._candles.set_data(
            np.asarray(history.time, dtype=np.int64),
            *(np.asarray(c, dtype=np.float64) for c in columns),
        )
        self._volume.bars_changed()
        self._style_item_changed(live=False)
        self._awaiting_paint = self.bar_count > 0
        self._set_hover(None)
        self.fit_axis_width()
        self.studies.bars_replaced()
        self.objects.bars_replaced()
        self._grid.refresh()
        self._volume_grid.refresh()
        self.scroll_to_latest(INITIAL_VISIBLE_BARS)
        self._fit_y()
        self._refresh_readout()
        return True

    def update_bar(self, bar: Bar) -> None:
        """Apply the forming or a newly opened bar; stale or foreign bars are ignored.

        Same open time as the newest bar: replace it. Later: append it, and
        keep following the right edge if the user was looking at it.
        """
        if not self._accepts(bar):
            return
        last = self._candles.last_bar()
        values = (bar.open, bar.high, bar.low, bar.close, bar.volume)
        if last is None:
            self._start_series(bar)
        elif bar.time == last[0]:
            self._candles.update_last(*values)
            self.studies.forming_changed()
            self._volume.live_changed()
            self._style_item_changed(live=True)
            self._fit_y(strict=False)
        elif bar.time > last[0]:
            following = self._auto_scroll and self._view_x_range()[1] >= self.bar_count - 1
            self._candles.append(bar.time, *values)
            self.studies.bar_appended()
            self._volume.bars_changed()
            self._style_item_changed(live=False)
            if following:  # one view update moves x and (if needed) y together
                self._shift_view(1.0, strict=False)
            else:
                self._fit_y(strict=False)
        else:
            return
        if self._hover is None or self._hover >= self.bar_count - 2:
            self._refresh_live_readout()  # the readout shows the bar that changed

    def set_quote(self, tick: Tick) -> None:
        """Move the bid and ask lines (quotes for other symbols are ignored)."""
        if self._symbol is not None and tick.symbol != self._symbol:
            return
        self._bid_line.setValue(tick.bid)
        self._ask_line.setValue(tick.ask)

    def scroll_to_latest(self, visible_bars: float | None = None) -> None:
        """Put the newest bar at the right edge, keeping the zoom unless told otherwise."""
        if visible_bars is None:
            x0, x1 = self._view_x_range()
            width = x1 - x0
        else:  # the newest bar's left edge is at n - 1.5, hence the half bar
            width = (visible_bars + RIGHT_MARGIN_BARS - 0.5) / (
                1 - CHART_SHIFT_SHARE if self._chart_shift else 1
            )
        right = self.bar_count - 1 + self._right_margin(width)
        self._set_x_range(right - width, right)

    def _right_margin(self, width: float) -> float:
        """Empty bars right of the newest: a few, or the chart shift's share of the view."""
        if self._chart_shift:
            return max(RIGHT_MARGIN_BARS, width * CHART_SHIFT_SHARE)
        return RIGHT_MARGIN_BARS

    def on_mouse_moved(self, scene_pos: QPointF, pane: pg.PlotWidget | None = None) -> None:
        """Move the crosshair to a position in ``pane``'s scene (the price pane by default).

        Over the price pane it follows the pointer with a price tag on the price
        axis; over either pane the vertical line and the time tag follow the bar.
        """
        widget = pane or self._plot_widget
        view = widget.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            self._set_hover(None)
            return
        point = view.mapSceneToView(scene_pos)
        index = round(point.x())
        bar = self._candles.bar_at(index)
        if bar is None:
            self._set_hover(None)
            return
        in_price = widget is self._plot_widget
        self._crosshair_v.setValue(index)
        self._volume_crosshair.setValue(index)
        self._crosshair_h.setValue(point.y())
        self._crosshair_h.setVisible(in_price)
        if in_price:
            at = self._price_axis.mapFromScene(scene_pos).y()
            self._price_tag.show_at(self._format_price(point.y()), at)
        else:
            self._price_tag.setVisible(False)
        axis = self.time_axis
        tag = self._time_tags[1 if axis is self._volume_time_axis else 0]
        other = self._time_tags[0 if tag is self._time_tags[1] else 1]
        other.setVisible(False)
        x_view = axis.linkedView() or view
        at = axis.mapFromScene(x_view.mapViewToScene(QPointF(index, 0))).x()
        stamp = datetime.fromtimestamp(bar[0], UTC).strftime("%Y-%m-%d %H:%M")
        tag.show_at(stamp, at)
        self._set_hover(index, horizontal=in_price)

    # ------------------------------------------------------------ events

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.objects.key_pressed(event):  # drawing objects' keys first
            event.accept()
            return
        action = self._key_actions().get(Qt.Key(event.key()))
        if action is None or self.bar_count == 0:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def leaveEvent(self, event: QEvent) -> None:
        """The pointer left the chart: hide the crosshair, show the newest bar again."""
        super().leaveEvent(event)
        self._pointer_left()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Leaving either pane hides the crosshair (the other pane shows it again on entry)."""
        if event.type() == QEvent.Type.Leave:
            self._pointer_left()
        return False

    def _pointer_left(self) -> None:
        # A move the rate limiter still holds would bring the crosshair back: deliver it first.
        for proxy in self._mouse_proxies:
            proxy.flush()
        self._set_hover(None)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._readout.raise_()

    def _key_actions(self) -> dict[Qt.Key, Callable[[], None]]:
        return {
            Qt.Key.Key_Left: lambda: self._pan(-PAN_FRACTION),
            Qt.Key.Key_Right: lambda: self._pan(PAN_FRACTION),
            Qt.Key.Key_Plus: lambda: self._zoom(ZOOM_IN_FACTOR),
            Qt.Key.Key_Equal: lambda: self._zoom(ZOOM_IN_FACTOR),
            Qt.Key.Key_Up: lambda: self._zoom(ZOOM_IN_FACTOR),
            Qt.Key.Key_Minus: lambda: self._zoom(1 / ZOOM_IN_FACTOR),
            Qt.Key.Key_Down: lambda: self._zoom(1 / ZOOM_IN_FACTOR),
            Qt.Key.Key_Home: self.scroll_to_latest,
        }

    def _on_x_range_changed(self, *_: object) -> None:
        if not self._moving:  # the user panned or zoomed: fit y to what is now visible
            self._fit_y()

    def _on_candles_painted(self) -> None:
        self.frame_painted.emit()
        if self._awaiting_paint:
            self._awaiting_paint = False
            self.painted.emit()

    # ---------------------------------------------------------- internals

    def _accepts(self, bar: Bar) -> bool:
        if self._symbol is not None and bar.symbol != self._symbol:
            return False
        return self._timeframe is None or bar.timeframe == self._timeframe

    def _start_series(self, bar: Bar) -> None:
        """First bar without a history: start a one-bar series."""
        self._symbol = bar.symbol
        self._timeframe = bar.timeframe
        self._candles.append(bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume)
        self.studies.bar_appended()
        self.objects.bars_replaced()
        self._volume.bars_changed()
        self._awaiting_paint = True
        self.scroll_to_latest(INITIAL_VISIBLE_BARS)

    def _clear(self) -> None:
        """Drop the bars (the timeframe stays selected)."""
        empty = np.zeros(0)
        self._candles.set_data(empty, empty, empty, empty, empty, empty)
        self.studies.bars_replaced()
        self.objects.bars_replaced()
        self._volume.bars_changed()
        self._style_item_changed(live=False)
        self._grid.refresh()
        self._volume_grid.refresh()
        self._set_hover(None)
        for line in (self._bid_line, self._ask_line):
            line.setVisible(False)

    def _view_x_range(self) -> tuple[float, float]:
        x0, x1 = self._plot_widget.getPlotItem().getViewBox().viewRange()[0]
        return float(x0), float(x1)

    def _set_x_range(self, x0: float, x1: float, *, strict: bool = True) -> None:
        """Show ``[x0, x1]`` with y fitted to it, in one view update rather than two."""
        view = self._plot_widget.getPlotItem().getViewBox()
        y_range = self._fitted_y(x0, x1, strict=strict)
        self._moving = True
        try:
            if y_range is None:
                view.setXRange(x0, x1, padding=0)
            else:
                view.setRange(xRange=(x0, x1), yRange=y_range, padding=0)
        finally:
            self._moving = False

    def _shift_view(self, bars: float, *, strict: bool = True) -> None:
        x0, x1 = self._view_x_range()
        self._set_x_range(x0 + bars, x1 + bars, strict=strict)

    def _pan(self, fraction: float) -> None:
        x0, x1 = self._view_x_range()
        self._shift_view((x1 - x0) * fraction)

    def _zoom(self, factor: float) -> None:
        """Zoom around the right edge while following the newest bar, else the centre."""
        x0, x1 = self._view_x_range()
        widest = (self.bar_count + 2 * RIGHT_MARGIN_BARS) / (
            1 - CHART_SHIFT_SHARE if self._chart_shift else 1
        )
        width = min(max((x1 - x0) * factor, MIN_VISIBLE_BARS), widest)
        if x1 >= self.bar_count - 1:
            right = self.bar_count - 1 + self._right_margin(width) if self._chart_shift else x1
            self._set_x_range(right - width, right)
        else:
            centre = (x0 + x1) / 2
            self._set_x_range(centre - width / 2, centre + width / 2)

    def set_level_source(self, source: Callable[[], Sequence[float]] | None) -> None:
        """Prices that must stay in view besides the candles (SL, TP, order lines)."""
        self._level_source = source

    def refit(self) -> None:
        """Re-fit y if a candle or a level left the range (e.g. a new stop loss)."""
        self._fit_y(strict=False)

    def _fit_y(self, *, strict: bool = True) -> None:
        """Fit y to the visible bars only (O(visible), never the whole history).

        Live updates pass ``strict=False``: the range then changes only when a
        candle leaves it or it has become clearly too loose. That keeps the
        chart from twitching on every tick and skips pyqtgraph's range update,
        which costs more than everything else in a live update.
        """
        y_range = self._fitted_y(*self._view_x_range(), strict=strict)
        if y_range is not None:
            self._plot_widget.getPlotItem().getViewBox().setYRange(*y_range, padding=0)

    def _fitted_y(self, x0: float, x1: float, *, strict: bool) -> tuple[float, float] | None:
        """The padded y range of the bars in ``[x0, x1]``; ``None`` to keep the current one."""
        if self._fixed_scale is not None:
            return None  # the trader fixed the price scale: only x moves
        bounds = self._candles.visible_y_range(x0, x1)
        if bounds is None:
            return None
        low, high = bounds
        if self._level_source is not None:  # the trader's entry, SL, TP and order lines
            levels = self._level_source()
            if levels:
                low, high = min(low, *levels), max(high, *levels)
        pad = (high - low) * Y_PADDING or max(abs(high) * 1e-4, 1e-9)
        if strict:
            return low - pad, high + pad
        y0, y1 = self._plot_widget.getPlotItem().getViewBox().viewRange()[1]
        if y0 <= low and high <= y1 and y1 - y0 <= (high - low + 2 * pad) * Y_LOOSE_LIMIT:
            return None
        room = (high - low) * Y_BREAKOUT_ROOM
        return low - pad - (room if low < y0 else 0.0), high + pad + (room if high > y1 else 0.0)

    def _digits(self) -> int:
        return self._spec.digits if self._spec is not None else DEFAULT_DIGITS

    def _bar_seconds(self) -> int:
        return self._timeframe.seconds if self._timeframe is not None else 60

    def _set_hover(self, index: int | None, *, horizontal: bool = True) -> None:
        self._hover = index
        shown = index is not None
        self._crosshair_v.setVisible(shown)
        self._volume_crosshair.setVisible(shown and self.volume_visible)
        self._crosshair_h.setVisible(shown and horizontal)
        if not shown:
            for tag in (self._price_tag, *self._time_tags):
                tag.setVisible(False)
        self.studies.hovered(index)
        self._refresh_readout()

    def _refresh_live_readout(self) -> None:
        """Show the live bar's change now, or at the next of READOUT_LIVE_HZ's steps.

        The last change is never lost: a refresh is scheduled for it, a little after
        the step. While the market streams, the next frame's change is shown when it
        arrives after the step, so the label repaints with the frame; a timer of its own
        would repaint it (and the chart under it) in a window repaint of its own.
        """
        wait = self._readout_next - time.monotonic()
        if wait <= 0:
            self._refresh_readout()
        elif not self._readout_timer.isActive():
            self._readout_timer.start(math.ceil(wait * 1000) + READOUT_LATE_MS)

    def _refresh_readout(self) -> None:
        """Symbol and timeframe, then the hovered bar (or the newest one) in full."""
        self._readout_timer.stop()
        self._readout_next = time.monotonic() + 1 / READOUT_LIVE_HZ
        parts = [self._symbol or "No symbol"]
        if self._timeframe is not None:
            parts.append(self._timeframe.name)
        bar = self._candles.bar_at(self._hover) if self._hover is not None else None
        if bar is None:
            bar = self._candles.last_bar()
        lines = [" · ".join(parts)]
        if bar is not None:
            lines.extend(self._format_bar(bar))
        pieces: list[list[Piece]] = [[(line, None)] for line in lines]
        pieces.extend(self.studies.readout_lines(self._hover))
        self._readout.set_pieces(pieces)

    def _format_bar(self, bar: BarTuple) -> list[str]:
        """The bar on one line, or on more when one would not fit the chart's width."""
        time, o, h, low, c, v = bar
        price = self._format_price
        stamp = datetime.fromtimestamp(time, UTC).strftime("%Y-%m-%d %H:%M")
        prices = f"O {price(o)}  H {price(h)}  L {price(low)}  C {price(c)}"
        line = f"{stamp}  {prices}  V {_format_volume(v)}"
        room = self._plot_widget.width() - 16 - self._price_axis.width()
        width = self._readout.fontMetrics().horizontalAdvance
        if width(line) <= room:
            return [line]
        head = f"{stamp}  V {_format_volume(v)}"
        if width(prices) <= room:
            return [head, prices]
        return [head, f"O {price(o)}  H {price(h)}", f"L {price(low)}  C {price(c)}"]

    def _format_price(self, price: float) -> str:
        if self._spec is not None:
            return self._spec.format_price(price)
        return f"{price:.{DEFAULT_DIGITS}f}"


def _format_volume(volume: float) -> str:
    if math.isfinite(volume) and volume.is_integer():
        return f"{volume:,.0f}"
    return f"{volume:,.2f}"
