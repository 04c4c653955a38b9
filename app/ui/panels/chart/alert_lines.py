"""Price alerts on the chart: a dotted violet line per level, dragged to move it.

Like the trading lines (``trading_lines.py``), this module only adds its own
pyqtgraph items to a chart panel's plot. It draws the level alerts of the
chart's symbol from the shared :class:`~app.ui.panels.alert_book.AlertBook`
(one ``ChartAlerts`` per chart, so every chart of a symbol shows its alerts),
in a style no trading line has: dotted, violet, labelled on the left. Alerts
that are off, done or expired are drawn grey.

* **Create:** the chart's right-click menu offers "Alert at 1.08532" (through
  ``ChartTrading.menu_extras``), and Alt+A sets one at the crosshair's price.
* **Move:** dragging a line sends ``EditAlert`` with the new level when it is
  let go; the line follows the engine's answer (a refusal puts it back and
  says why).
* **Remove:** a deleted alert leaves the book, and its line goes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from app.domain.alert_facts import AlertReply, AlertStatus, CreateAlert, EditAlert
from app.domain.alerts import AlertSpec, AlertState, Condition, Watch, condition_words
from app.domain.commands import Command
from app.domain.enums import OrderSource
from app.domain.symbols import SymbolSpec
from app.ui.panels.alert_book import AlertBook
from app.ui.panels.chart.palette import ChartPalette
from app.ui.panels.chart.panel import ChartPanel

if TYPE_CHECKING:
    from app.engine.bus import EventBus

ALERT_COLOR = "#ab47bc"
INACTIVE_COLOR = "#8a8f98"
Z_VALUE = 45  # above the candles, under the trading lines
LABEL_AT = 0.04  # the label's place along the line, from the left edge
_requests = itertools.count(1)

Key = tuple[int, str]  # (alert number, "level" or "upper")


class ChartAlerts(QObject):
    """The alert lines of one chart; ``report`` shows a sentence to the trader."""

    def __init__(
        self,
        chart: ChartPanel,
        book: AlertBook,
        send: Callable[[Command], None],
        spec_of: Callable[[str], SymbolSpec | None],
        *,
        report: Callable[[str], None] = lambda _text: None,
    ) -> None:
        """``spec_of``: a symbol's specification (digits and tick size), e.g. the desk's."""
        super().__init__(chart)
        self._spec_of = spec_of
        self._chart = chart
        self._book = book
        self._send = send
        self._report = report
        self._plot = chart.plot_widget.getPlotItem()
        self.lines: dict[Key, pg.InfiniteLine] = {}
        self._dragging: set[Key] = set()
        self._asked: dict[str, int | None] = {}  # request id -> the alert moved (None: a new one)
        self.crosshair_price: float | None = None
        self._on_book = lambda _numbers: self.refresh()
        book.subscribe(self._on_book)
        chart.painted.connect(self.refresh)  # a new symbol or timeframe is on the chart
        chart.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        chart.plot_widget.viewport().installEventFilter(self)
        # Alt+A is the main window's (Charts → Alert at the crosshair): it acts on the
        # active chart wherever the focus is, where a chart's own key would need its focus.
        self._label_fill = pg.mkBrush(chart.palette_colours.background)
        chart.on_palette(self._follow_palette)
        self._plot.getViewBox().sigYRangeChanged.connect(lambda *_: self._show_labels())

    def listen(self, bus: EventBus) -> None:
        bus.alerts.connect(self.on_alert_fact)

    def detach(self) -> None:
        """The chart closes: stop following the book (its lines go with the chart)."""
        self._book.unsubscribe(self._on_book)

    # -- drawing ----------------------------------------------------------------------
    def wanted(self) -> dict[Key, tuple[float, AlertStatus]]:
        symbol = self._chart.symbol
        if symbol is None:
            return {}
        out: dict[Key, tuple[float, AlertStatus]] = {}
        for status in self._book.levels_of(symbol):
            spec = status.spec
            assert spec.level is not None
            out[(status.number, "level")] = (spec.level, status)
            if spec.condition.is_channel and spec.upper is not None:
                out[(status.number, "upper")] = (spec.upper, status)
        return out

    def refresh(self) -> None:
        wanted = self.wanted()
        for key in list(self.lines):
            if key not in wanted and key not in self._dragging:
                self._plot.removeItem(self.lines.pop(key))
        for key, (price, status) in wanted.items():
            line = self.lines.get(key)
            if line is None:
                line = self._new_line(key, price)
                self.lines[key] = line
            elif key not in self._dragging and abs(line.value() - price) > 1e-12:
                line.setValue(price)
            self._style(line, status)
            if key not in self._dragging:
                line.label.setFormat(self.label_text(status, price))
        self._show_labels()

    def _follow_palette(self, colours: ChartPalette) -> None:
        """Labels on the chart's own ground, so candles behind them do not show through."""
        fill = pg.mkColor(colours.background)
        fill.setAlpha(220)
        self._label_fill = pg.mkBrush(fill)
        for line in self.lines.values():
            line.label.fill = self._label_fill
            line.label.update()

    def _show_labels(self) -> None:
        """A line outside the view shows no label: it would sit at the edge, at no price."""
        _x, (y0, y1) = self._plot.getViewBox().viewRange()
        for line in self.lines.values():
            line.label.setVisible(y0 <= line.value() <= y1)

    def _new_line(self, key: Key, price: float) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            pos=price,
            angle=0,
            movable=True,
            label="",
            labelOpts={
                "position": LABEL_AT,
                "anchors": [(0, 1), (0, 1)],
                "movable": False,
                "fill": self._label_fill,
            },
        )
        line.setZValue(Z_VALUE)
        line.sigDragged.connect(lambda _line: self._on_dragged(key))
        line.sigPositionChangeFinished.connect(lambda _line: self._on_drag_finished(key))
        self._plot.addItem(line, ignoreBounds=True)
        return line

    def _style(self, line: pg.InfiniteLine, status: AlertStatus) -> None:
        colour = ALERT_COLOR if status.state is AlertState.ACTIVE else INACTIVE_COLOR
        line.setPen(pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DotLine))
        line.setHoverPen(pg.mkPen(colour, width=3, style=Qt.PenStyle.DotLine))
        line.label.setColor(colour)

    def label_text(self, status: AlertStatus, price: float) -> str:
        """``Alert 3 · bid crosses 1.08532`` (the price where it is, while dragged)."""
        spec = status.spec
        symbol = self._symbol_spec()
        shown = replace(spec, level=price) if not spec.condition.is_channel else spec
        words = condition_words(shown, symbol).removeprefix(f"{spec.symbol} ")
        state = "" if status.state is AlertState.ACTIVE else f" ({status.state})"
        return f"Alert {status.number} · {words}{state}"

    def shown_label(self, key: Key) -> str:
        line = self.lines.get(key)
        return str(line.label.format) if line is not None else ""

    # -- dragging ---------------------------------------------------------------------
    def _snapped(self, key: Key) -> float:
        value = float(self.lines[key].value())
        spec = self._symbol_spec()
        return spec.round_price(value) if spec is not None else value

    def _on_dragged(self, key: Key) -> None:
        self._dragging.add(key)
        status = self._book.get(key[0])
        line = self.lines.get(key)
        if status is not None and line is not None:
            price = self._snapped(key)
            moved = _moved(status.spec, key[1], price)
            line.label.setFormat(self.label_text(replace(status, spec=moved), price))

    def _on_drag_finished(self, key: Key) -> None:
        self._dragging.discard(key)
        status = self._book.get(key[0])
        if status is None or key not in self.lines:
            self.refresh()
            return
        price = self._snapped(key)
        spec = _moved(status.spec, key[1], price)
        if spec == status.spec:
            self.refresh()
            return
        request = f"chart-alert-{next(_requests)}"
        self._asked[request] = status.number
        self._send(EditAlert(status.number, spec, request, OrderSource.CHART))

    # -- the engine's answers -----------------------------------------------------------
    def on_alert_fact(self, fact: object) -> None:
        if not isinstance(fact, AlertReply) or fact.request_id not in self._asked:
            return
        self._asked.pop(fact.request_id)
        self._report(fact.text)
        if not fact.ok:
            self.refresh()  # back where the engine has it

    # -- creating ---------------------------------------------------------------------
    def create(self, price: float) -> str:
        """Ask the engine for a bid alert crossing ``price`` on the chart's symbol."""
        symbol = self._chart.symbol
        if symbol is None:
            self._report("No symbol on the chart")
            return ""
        spec = self._symbol_spec()
        level = spec.round_price(price) if spec is not None else price
        request = f"chart-alert-{next(_requests)}"
        self._asked[request] = None
        alert = AlertSpec(symbol, Watch.BID, Condition.CROSSES, level=level)
        self._send(CreateAlert(alert, request, OrderSource.CHART))
        return request

    def alert_at_crosshair(self) -> None:
        if self.crosshair_price is None:
            self._report("Point at a price on the chart first: Alt+A sets an alert there")
            return
        self.create(self.crosshair_price)

    def menu_items(self, menu: QMenu, price: float) -> None:
        """The chart's right-click menu: "Alert at 1.08532" (see ``ChartTrading.menu_extras``)."""
        spec = self._symbol_spec()
        if self._chart.symbol is None:
            return
        text = spec.format_price(spec.round_price(price)) if spec is not None else f"{price:g}"
        menu.addSeparator()
        action = QAction(f"Alert at {text}\tAlt+A", menu)
        action.triggered.connect(lambda _=False: self.create(price))
        menu.addAction(action)

    # -- the crosshair ------------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        view = self._plot.getViewBox()
        if view.sceneBoundingRect().contains(scene_pos):
            self.crosshair_price = float(view.mapSceneToView(scene_pos).y())
        else:
            self.crosshair_price = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.crosshair_price = None
        return False

    def _symbol_spec(self) -> SymbolSpec | None:
        symbol = self._chart.symbol
        return self._spec_of(symbol) if symbol is not None else None


def _moved(spec: AlertSpec, edge: str, price: float) -> AlertSpec:
    """``spec`` with its level (or its channel's upper edge) at ``price``."""
    return replace(spec, upper=price) if edge == "upper" else replace(spec, level=price)
