"""Trading from the chart: position, SL, TP and pending-order lines with money labels.

The chart panel belongs to the market-data view; this module only adds its own
pyqtgraph items to the panel's plot, and reads positions, orders, specs and
quotes from the desk model. Dragging an SL, TP or pending-order line shows,
while dragging, the money at that price; on release it hands the order desk the
same ``modify`` command the command line would (so the same validation, preview,
gate check and confirmation rule apply) and snaps back if it was refused or
declined: line → ``OrderDesk.submit`` → bus. A right-click offers pending
orders at the price under the mouse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QMenu

from app.domain.enums import OrderSource, OrderType, Side
from app.domain.order_preview import money_at
from app.domain.pnl import CurrencyConverter
from app.domain.trading import MANUAL, Position, WorkingOrder
from app.ui.desk.model import DeskChange
from app.ui.desk.orders import OrderDesk
from app.ui.panels.chart.line_labels import LineLabel, LineLabels
from app.ui.panels.chart.palette import ChartPalette
from app.ui.panels.chart.panel import ChartPanel

SL_COLOR = "#ef5350"
TP_COLOR = "#26a69a"
ORDER_COLOR = "#f0b90b"
Z_VALUE = 50  # above the candles and the quote lines


@dataclass(frozen=True, slots=True)
class LineSpec:
    """What one trading line shows; ``key`` is (kind, ticket)."""

    key: tuple[str, int]
    price: float
    color: str
    movable: bool


class ChartTrading:
    """Keeps the trading lines of the chart's symbol in step with positions and orders.

    A plain object owned by the window (no Qt parent): it only adds items to the
    chart's plot and listens to their signals.
    """

    def __init__(
        self,
        chart: ChartPanel,
        orders: OrderDesk,
        volume: Callable[[], float],
    ) -> None:
        self._chart = chart
        self._desk = orders
        self._model = orders.model
        self._volume = volume
        self._plot = chart.plot_widget.getPlotItem()
        self.lines: dict[tuple[str, int], pg.InfiniteLine] = {}
        self.labels = LineLabels(chart.readout_rect)  # every line's label, never overlapping
        self._plot.addItem(self.labels, ignoreBounds=True)
        self._dragging: set[tuple[str, int]] = set()
        self.last_menu: QMenu | None = None
        #: Others' items for the right-click menu, called with (menu, price): the alert lines.
        self.menu_extras: list[Callable[[QMenu, float], None]] = []
        self._entry_colour = chart.palette_colours.entry
        chart.plot_widget.scene().sigMouseClicked.connect(self._on_click)
        chart.set_level_source(self.levels)  # a stop loss is never off-screen
        chart.on_palette(self._follow_palette)
        self._shown_levels: list[float] = []
        self._model.subscribe(self._on_desk)

    def detach(self) -> None:
        """The chart is closing: stop following the desk model."""
        self._model.unsubscribe(self._on_desk)

    def _follow_palette(self, colours: ChartPalette) -> None:
        self._entry_colour = colours.entry
        self.labels.set_background(colours.background)
        for (kind, _ticket), line in self.lines.items():
            if kind == "entry":
                line.setPen(pg.mkPen(colours.entry, width=1, style=Qt.PenStyle.DashLine))
        self._show_labels()

    # -- inputs ---------------------------------------------------------------------
    def _on_desk(self, change: DeskChange) -> None:
        if change.positions or change.orders or change.symbol or change.symbols:
            self.refresh()

    def refresh(self) -> None:
        """Draw the lines of the chart's current symbol (call after a symbol change)."""
        wanted = {spec.key: spec for spec in self._line_specs()}
        levels = sorted(spec.price for spec in wanted.values())
        if levels != self._shown_levels:
            self._shown_levels = levels
            self._chart.refit()  # a new or moved stop must come into view
        for key in list(self.lines):
            if key not in wanted and key not in self._dragging:
                self._plot.removeItem(self.lines.pop(key))
        for key, spec in wanted.items():
            line = self.lines.get(key)
            if line is None:
                line = self._new_line(spec)
                self.lines[key] = line
            elif key not in self._dragging and abs(line.value() - spec.price) > 1e-12:
                line.setValue(spec.price)
        self._show_labels()

    def _show_labels(self) -> None:
        """One label per line at the line's price (where it is being dragged to, if it is)."""
        labels = []
        for spec in self._line_specs():
            line = self.lines.get(spec.key)
            price = self._snapped(spec.key) if spec.key in self._dragging and line else spec.price
            colour = self._entry_colour if spec.key[0] == "entry" else spec.color
            labels.append(LineLabel(spec.key, price, self.label_text(spec.key, price), colour))
        self.labels.set_labels(labels)

    def shown_label(self, key: tuple[str, int]) -> str:
        """The label the chart shows for the line ``key`` now ("" if none)."""
        return self.labels.text_of(key)

    def levels(self) -> list[float]:
        """Prices of the current symbol's trading lines (the chart keeps them in view)."""
        return [spec.price for spec in self._line_specs()]

    # -- what to draw ---------------------------------------------------------------
    def _line_specs(self) -> list[LineSpec]:
        symbol = self._chart.symbol
        out: list[LineSpec] = []
        for p in self._model.positions:
            if p.symbol != symbol:
                continue
            out.append(LineSpec(("entry", p.ticket), p.price_open, self._entry_colour, False))
            if p.sl is not None:
                out.append(LineSpec(("sl", p.ticket), p.sl, SL_COLOR, True))
            if p.tp is not None:
                out.append(LineSpec(("tp", p.ticket), p.tp, TP_COLOR, True))
        for o in self._model.orders:
            if o.symbol != symbol:
                continue
            out.append(LineSpec(("order", o.ticket), o.price, ORDER_COLOR, True))
            if o.sl is not None:
                out.append(LineSpec(("order_sl", o.ticket), o.sl, SL_COLOR, True))
            if o.tp is not None:
                out.append(LineSpec(("order_tp", o.ticket), o.tp, TP_COLOR, True))
        return out

    def _new_line(self, spec: LineSpec) -> pg.InfiniteLine:
        style = Qt.PenStyle.SolidLine if spec.movable else Qt.PenStyle.DashLine
        line = pg.InfiniteLine(
            pos=spec.price,
            angle=0,
            movable=spec.movable,
            pen=pg.mkPen(spec.color, width=1, style=style),
            hoverPen=pg.mkPen(spec.color, width=3),
        )
        line.setZValue(Z_VALUE)
        key = spec.key
        line.sigDragged.connect(lambda _line: self._on_dragged(key))
        line.sigPositionChangeFinished.connect(lambda _line: self._on_drag_finished(key))
        self._plot.addItem(line, ignoreBounds=True)
        return line

    def label_text(self, key: tuple[str, int], price: float) -> str:
        """``SL 1.08400 · −12.00 USD``: the level and the money if the price goes there.
        A position's or order's label ends with its owner unless it is the trader's own
        (``#7 BUY 0.1 · +3.10 USD · ma_cross#3``), so a strategy's line is never taken for
        a manual one; last, so a narrow chart cuts the name before the side and money."""
        kind, ticket = key
        spec = self._model.spec(self._chart.symbol)
        fmt = spec.format_price if spec else (lambda v: f"{v:g}")
        currency = self._model.currency
        if kind == "entry":
            p = self._position(ticket)
            if p is None:
                return ""
            text = f"#{ticket} {p.side.upper()} {p.volume:g} · {p.profit:+,.2f} {currency}"
            return text + self._owner(p.owner)
        if kind == "order":
            o = self._order(ticket)
            if o is None:
                return ""
            text = f"#{ticket} {o.side.upper()} {o.order_type.upper()} {o.volume:g} @ {fmt(price)}"
            return text + self._owner(o.owner)
        word = "SL" if kind.endswith("sl") else "TP"
        money = self._money(key, price)
        money_text = f" · {money:+,.2f} {currency}" if money is not None else ""
        return f"{word} {fmt(price)}{money_text}"

    def _owner(self, owner: int) -> str:
        return "" if owner == MANUAL else f" · {self._model.owner_label(owner)}"

    def _money(self, key: tuple[str, int], price: float) -> float | None:
        kind, ticket = key
        model = self._model
        spec = model.spec(self._chart.symbol)
        if spec is None:
            return None
        converter = CurrencyConverter(model.specs, model.quotes)
        if kind in ("sl", "tp"):
            p = self._position(ticket)
            if p is None:
                return None
            return money_at(p.side, p.volume, p.price_open, price, spec, converter, model.currency)
        o = self._order(ticket)
        if o is None:
            return None
        entry = o.stop_limit if o.order_type is OrderType.STOP_LIMIT and o.stop_limit else o.price
        return money_at(o.side, o.volume, entry, price, spec, converter, model.currency)

    def _position(self, ticket: int) -> Position | None:
        return self._model.position(ticket)

    def _order(self, ticket: int) -> WorkingOrder | None:
        return self._model.order(ticket)

    # -- dragging -------------------------------------------------------------------
    def _snapped(self, key: tuple[str, int]) -> float:
        value = float(self.lines[key].value())
        spec = self._model.spec(self._chart.symbol)
        return spec.round_price(value) if spec else value

    def _on_dragged(self, key: tuple[str, int]) -> None:
        self._dragging.add(key)
        if key in self.lines:
            self._show_labels()  # the label follows with the money at the new price

    def _on_drag_finished(self, key: tuple[str, int]) -> None:
        self._dragging.discard(key)
        if key not in self.lines:
            return
        kind, ticket = key
        price = self._snapped(key)
        spec = self._model.spec(self._chart.symbol)
        text = f"{price:.{spec.digits}f}" if spec else f"{price:g}"
        word = {"sl": "sl", "tp": "tp", "order": "price", "order_sl": "sl", "order_tp": "tp"}
        outcome = self._desk.submit(f"modify #{ticket} {word[kind]} {text}", OrderSource.CHART)
        if not outcome.sent:  # refused or declined: the line goes back where the broker has it
            self.refresh_line(key)

    def refresh_line(self, key: tuple[str, int]) -> None:
        spec = next((s for s in self._line_specs() if s.key == key), None)
        line = self.lines.get(key)
        if spec is not None and line is not None:
            line.setValue(spec.price)
        self._show_labels()

    # -- right-click: pending orders at a price -------------------------------------
    def pending_choices(self, price: float) -> list[tuple[str, str]]:
        """(menu text, command line) for the pending orders that make sense at ``price``."""
        symbol = self._chart.symbol
        spec = self._model.spec(symbol)
        quote = self._model.quotes.get(symbol or "")
        if spec is None or quote is None or symbol is None:
            return []
        p = spec.round_price(price)
        text = spec.format_price(p)
        volume = spec.format_volume(self._volume())
        choices: list[tuple[Side, OrderType]] = []
        if p < quote.bid:
            choices = [(Side.BUY, OrderType.LIMIT), (Side.SELL, OrderType.STOP)]
        elif p > quote.ask:
            choices = [(Side.SELL, OrderType.LIMIT), (Side.BUY, OrderType.STOP)]
        return [
            (
                f"{side.capitalize()} {kind} {volume} {symbol} at {text}",
                f"{side} {volume} {symbol} {kind} {text}",
            )
            for side, kind in choices
        ]

    def pending_menu(self, price: float) -> QMenu:
        menu = QMenu(self._chart)
        choices = self.pending_choices(price)
        for label, command in choices:
            action = QAction(label, menu)
            action.triggered.connect(
                lambda _=False, c=command: self._desk.submit(c, OrderSource.CHART)
            )
            menu.addAction(action)
        if not choices:
            menu.addAction("No pending order here (inside the spread or no quote)").setEnabled(
                False
            )
        for extra in self.menu_extras:
            extra(menu, price)
        self.last_menu = menu
        return menu

    def price_at(self, scene_pos: QPointF) -> float | None:
        view = self._plot.getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            return None
        return float(view.mapSceneToView(scene_pos).y())

    def _on_click(self, event: object) -> None:
        button = getattr(event, "button", lambda: None)()
        if button != Qt.MouseButton.RightButton:
            return
        price = self.price_at(event.scenePos())  # type: ignore[attr-defined]
        if price is None:
            return
        event.accept()  # type: ignore[attr-defined]
        where = event.screenPos()  # type: ignore[attr-defined]
        menu = self.pending_menu(price)
        menu.popup(QPoint(int(where.x()), int(where.y())) if where else QCursor.pos())
