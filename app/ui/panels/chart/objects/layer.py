"""The drawing objects of one chart: drawing them with the mouse or the keyboard,
picking, moving, editing and deleting them, and keeping them in the symbol's store.

The chart panel owns one :class:`ChartObjects` and tells it when its bars are
replaced (a new symbol or timeframe) and which keys it got; the mouse is read
from the price pane's viewport with an event filter, which takes a press only
when it starts a drawing or lands on an object, so panning and the trading
lines work as before.

Mouse: pick a tool (Insert → Objects, or its key with the chart focused), then
press, drag and release (or click twice) for two-point objects, click once for
the others; hold Ctrl to snap the price to the bar's nearest open, high, low or
close. Click an object to select it, drag it (or one of its handles) to move it,
double-click to edit it. Keys with the chart focused: H, V, T, R, B, F and N
place a horizontal line, vertical line, trend line, ray, rectangle (box),
Fibonacci retracement or note (text) at the crosshair or the newest bar;
Shift+arrows move the selected object, Enter or F2 edits it, Delete removes it,
Esc cancels.

An object is kept on the chart's time axis: no point before the first bar or
more than :data:`FUTURE_BARS` bars after the newest, and no price at or below
zero. A drag or an edit that would go further is stopped at the edge with a
note that says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent

from app.ui.panels.chart.objects.dialog import ObjectDialog
from app.ui.panels.chart.objects.item import ObjectsItem
from app.ui.panels.chart.objects.model import (
    ANCHORS,
    TITLES,
    Anchor,
    DrawingObject,
    ObjectKind,
    new_object,
)
from app.ui.panels.chart.objects.store import ObjectFileError, ObjectStore, shared_store
from app.ui.panels.chart.objects.timeline import time_of

if TYPE_CHECKING:
    from app.ui.panels.chart.panel import ChartPanel

#: How far past the newest bar an object may reach, in bars.
FUTURE_BARS = 500
#: Bars a two-point object placed from the keyboard spans.
KEYBOARD_SPAN = 20
#: Pixels the mouse must move between press and release to finish a two-point object.
DRAG_PIXELS = 4.0
#: Fraction of the visible price range Shift+Up/Down moves the selected object.
NUDGE_FRACTION = 0.02

TOOL_KEYS: dict[Qt.Key, ObjectKind] = {
    Qt.Key.Key_H: ObjectKind.HLINE,
    Qt.Key.Key_V: ObjectKind.VLINE,
    Qt.Key.Key_T: ObjectKind.TREND,
    Qt.Key.Key_R: ObjectKind.RAY,
    Qt.Key.Key_B: ObjectKind.RECTANGLE,
    Qt.Key.Key_F: ObjectKind.FIBONACCI,
    Qt.Key.Key_N: ObjectKind.TEXT,
}
KEY_OF: dict[ObjectKind, str] = {
    kind: key.name.removeprefix("Key_") for key, kind in TOOL_KEYS.items()
}


class ChartObjects(QObject):
    """Drawing objects on one chart, in the store of its symbol."""

    def __init__(self, panel: ChartPanel, store: ObjectStore | None = None) -> None:
        super().__init__(panel)
        self._panel = panel
        self._store = store or shared_store()
        self._store.subscribe(self._on_store)
        self._symbol: str | None = None
        self.item = ObjectsItem(panel.candles, self._bar_seconds, panel.format_price)
        self._plot = panel.plot_widget.getPlotItem()
        self._plot.addItem(self.item, ignoreBounds=True)
        self.tool: ObjectKind | None = None
        self._pending: list[Anchor] = []  # points placed so far with the mouse
        self._press: QPointF | None = None  # where the last press was (viewport pixels)
        self._drag: tuple[DrawingObject, int, float, float] | None = (
            None  # object, anchor, x, price
        )
        self._moved = False
        self.notice = ""
        self._notice_listeners: list[Callable[[str], None]] = []
        self._change_listeners: list[Callable[[], None]] = []
        self.editor: ObjectDialog | None = None
        panel.plot_widget.viewport().installEventFilter(self)
        # A closed chart stops listening: the store outlives it, and would call it.
        panel.destroyed.connect(lambda *_: self._store.unsubscribe(self._on_store))
        panel.on_palette(lambda colours: self.item.set_ink(colours.foreground, colours.background))

    # ------------------------------------------------------------------ public

    @property
    def symbol(self) -> str | None:
        return self._symbol

    @property
    def objects(self) -> list[DrawingObject]:
        return list(self.item.objects)

    @property
    def selected(self) -> DrawingObject | None:
        return next((o for o in self.item.objects if o.id == self.item.selected), None)

    def use_store(self, store: ObjectStore) -> None:
        """Keep the objects in ``store`` from now on (another data folder)."""
        self._store.unsubscribe(self._on_store)
        self._store = store
        store.subscribe(self._on_store)
        self._symbol = None
        self.bars_replaced()

    def on_notice(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` with each note for the trader (an edge reached, a file refused)."""
        self._notice_listeners.append(listener)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after the objects or the selection changed (the objects list)."""
        self._change_listeners.append(listener)

    def off_change(self, listener: Callable[[], None]) -> None:
        if listener in self._change_listeners:
            self._change_listeners.remove(listener)

    def start(self, kind: ObjectKind) -> None:
        """Draw a ``kind`` with the mouse next (Esc cancels)."""
        self.tool = kind
        self._pending = []
        self.item.set_preview(None)
        points = "click where it goes" if ANCHORS[kind] == 1 else "press, drag and release"
        self._say(f"{TITLES[kind]}: {points} (Ctrl snaps to the bar's prices, Esc cancels)")

    def cancel(self) -> bool:
        """Stop drawing, or drop the selection; whether there was anything to stop."""
        if self.tool is not None:
            self.tool = None
            self._pending = []
            self.item.set_preview(None)
            return True
        if self.item.selected is not None:
            self.select(None)
            return True
        return False

    def select(self, ident: str | None) -> None:
        self.item.set_objects(self.item.objects, ident)
        self._changed()

    def add(self, obj: DrawingObject) -> DrawingObject:
        """Put ``obj`` on the chart (and every chart of the symbol); it becomes selected."""
        checked = self._kept_on_chart(obj)
        self._save(checked, select=True)
        return checked

    def replace(self, obj: DrawingObject) -> DrawingObject:
        checked = self._kept_on_chart(obj)
        self._save(checked, select=True)
        return checked

    def remove(self, ident: str) -> None:
        if self._symbol is None:
            return
        try:
            self._store.remove(self._symbol, ident)
        except ObjectFileError as exc:
            self._say(str(exc))

    def remove_all(self) -> None:
        if self._symbol is not None:
            try:
                self._store.set_all(self._symbol, [])
            except ObjectFileError as exc:
                self._say(str(exc))

    def edit(self, ident: str | None = None) -> ObjectDialog | None:
        """The dialog of an object (the selected one by default); applied when accepted."""
        obj = next((o for o in self.item.objects if o.id == (ident or self.item.selected)), None)
        if obj is None:
            return None
        return self._open_editor(obj, obj.kind, obj.anchors)

    def place(self, kind: ObjectKind) -> DrawingObject | ObjectDialog | None:
        """Put a ``kind`` at the crosshair (or the newest bar) without the mouse.

        Text asks for its words first (the dialog is returned); the others are
        placed and selected at once, to be moved with Shift+arrows or edited.
        """
        anchors = self._keyboard_anchors(kind)
        if anchors is None:
            return None
        if kind is ObjectKind.TEXT:
            return self._open_editor(None, kind, anchors)
        return self.add(new_object(kind, anchors))

    # ------------------------------------------------------------------ hooks of the panel

    def bars_replaced(self) -> None:
        """New bars (or a new symbol): show that symbol's objects."""
        symbol = self._panel.symbol
        if symbol != self._symbol:
            self.cancel()
            self._symbol = symbol
            if symbol is not None:
                refused = self._store.refused(symbol)
                if refused:
                    self._say(f"Objects of {symbol} not shown: {refused}")
        self._reload()

    def key_pressed(self, event: QKeyEvent) -> bool:
        """Handle a key meant for the objects; whether it was one."""
        key = Qt.Key(event.key())
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        plain = modifiers == Qt.KeyboardModifier.NoModifier
        if key == Qt.Key.Key_Escape:
            return self.cancel()
        if self._panel.bar_count == 0:
            return False
        selected = self.selected
        if selected is not None and plain and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove(selected.id)
            return True
        if (
            selected is not None
            and plain
            and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2)
        ):
            self.edit()
            return True
        if selected is not None and modifiers == Qt.KeyboardModifier.ShiftModifier:
            steps = {
                Qt.Key.Key_Left: (-1, 0),
                Qt.Key.Key_Right: (1, 0),
                Qt.Key.Key_Up: (0, 1),
                Qt.Key.Key_Down: (0, -1),
            }
            if key in steps:
                bars, prices = steps[key]
                y0, y1 = self._panel.y_range()
                self._nudge(selected, bars, prices * (y1 - y0) * NUDGE_FRACTION)
                return True
        if plain and key in TOOL_KEYS:
            self.place(TOOL_KEYS[key])
            return True
        return False

    # ------------------------------------------------------------------ mouse

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if not isinstance(event, QMouseEvent) or self._panel.bar_count == 0:
            return False
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            return self._pressed(event)
        if kind == QEvent.Type.MouseMove:
            return self._moved_to(event)
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            return self._released(event)
        if kind == QEvent.Type.MouseButtonDblClick and event.button() == Qt.MouseButton.LeftButton:
            hit = self.item.hit(self._data_point(event), self._to_pixels)
            if hit is not None:
                self.edit(hit[0])
                return True
        return False

    def _pressed(self, event: QMouseEvent) -> bool:
        self._panel.setFocus()
        point = self._data_point(event)
        snap = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if self.tool is not None:
            anchor = self._anchor(point, snap)
            self._press = event.position()
            if ANCHORS[self.tool] == 1:
                self._finish([anchor])
            elif not self._pending:
                self._pending = [anchor]
                self._show_preview(anchor)
            else:  # a second click finishes a click-click drawing
                self._finish([self._pending[0], anchor])
            return True
        hit = self.item.hit(point, self._to_pixels)
        if hit is None:
            if self.item.selected is not None:
                self.select(None)
            return False  # the view pans as before
        ident, anchor_index = hit
        obj = next(o for o in self.item.objects if o.id == ident)
        self.select(ident)
        self._drag = (obj, anchor_index, point.x(), point.y())
        self._moved = False
        return True

    def _moved_to(self, event: QMouseEvent) -> bool:
        point = self._data_point(event)
        snap = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if self.tool is not None and self._pending:
            self._show_preview(self._anchor(point, snap))
            return True
        if self._drag is None:
            return False
        obj, index, x0, p0 = self._drag
        self._moved = True
        moved = self._dragged(obj, index, point, x0, p0, snap)
        self.item.set_objects([moved if o.id == obj.id else o for o in self.item.objects], obj.id)
        return True

    def _released(self, event: QMouseEvent) -> bool:
        if self.tool is not None and self._pending:
            press = self._press or event.position()
            far = math.hypot(event.position().x() - press.x(), event.position().y() - press.y())
            if far >= DRAG_PIXELS:  # press-drag-release
                snap = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
                self._finish([self._pending[0], self._anchor(self._data_point(event), snap)])
            return True  # else wait for the second click
        if self._drag is None:
            return False
        obj, index, x0, p0 = self._drag
        self._drag = None
        if self._moved:
            snap = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self._save(
                self._dragged(obj, index, self._data_point(event), x0, p0, snap), select=True
            )
        return True

    # ------------------------------------------------------------------ internals

    def _finish(self, anchors: list[Anchor]) -> None:
        kind = self.tool
        assert kind is not None
        self.tool = None
        self._pending = []
        self.item.set_preview(None)
        if kind is ObjectKind.TEXT:
            self._open_editor(None, kind, tuple(anchors))
            return
        self.add(new_object(kind, tuple(anchors)))

    def _show_preview(self, end: Anchor) -> None:
        assert self.tool is not None
        start = self._pending[0]
        self.item.set_preview(DrawingObject("preview", self.tool, (start, end)))

    def _dragged(
        self, obj: DrawingObject, index: int, point: QPointF, x0: float, p0: float, snap: bool
    ) -> DrawingObject:
        """``obj`` after dragging its anchor ``index`` (or all, -1) from (x0, p0) to ``point``."""
        xs = [self.item.x_of(a.time) for a in obj.anchors]
        if index >= 0:
            return obj.with_anchor(index, self._anchor(point, snap))
        dx = round(point.x() - x0)
        dp = point.y() - p0
        low_x, high_x = -min(xs), self._last_x() - max(xs)
        if not low_x <= dx <= high_x:
            dx = int(max(low_x, min(high_x, dx)))
            self._say_edge()
        lowest = min(a.price for a in obj.anchors)
        if lowest + dp <= 0:
            dp = -lowest * 0.999
            self._say_edge()
        anchors = tuple(
            Anchor(self._time(x + dx), a.price + dp) for x, a in zip(xs, obj.anchors, strict=True)
        )
        return replace(obj, anchors=anchors)

    def _nudge(self, obj: DrawingObject, bars: int, dprice: float) -> None:
        xs = [self.item.x_of(a.time) for a in obj.anchors]
        x_shift = max(-min(xs), min(self._last_x() - max(xs), bars))
        if x_shift != bars:
            self._say_edge()
        anchors = tuple(
            Anchor(self._time(round(x) + x_shift), max(a.price + dprice, a.price * 1e-3))
            for x, a in zip(xs, obj.anchors, strict=True)
        )
        self._save(replace(obj, anchors=anchors), select=True)

    def _anchor(self, point: QPointF, snap: bool) -> Anchor:
        """A point under the pointer: on a bar, kept on the chart, snapped if asked."""
        x = round(point.x())
        price = point.y()
        if not 0 <= x <= self._last_x():
            x = int(max(0, min(self._last_x(), x)))
            self._say_edge()
        bar = self._panel.candles.bar_at(x)
        if snap and bar is not None:
            price = min(bar[1:5], key=lambda level: abs(level - price))
        if price <= 0:
            price = self._lowest_positive()
            self._say_edge()
        return Anchor(self._time(x), price)

    def _kept_on_chart(self, obj: DrawingObject) -> DrawingObject:
        """``obj`` with every point on the chart's time axis (a note if one had to move)."""
        if self._panel.bar_count == 0:
            return obj
        anchors = []
        for a in obj.anchors:
            x = self.item.x_of(a.time)
            if not -1e-9 <= x <= self._last_x() + 1e-9:
                a = Anchor(self._time(max(0.0, min(float(self._last_x()), x))), a.price)
                self._say_edge()
            anchors.append(a)
        return replace(obj, anchors=tuple(anchors))

    def _keyboard_anchors(self, kind: ObjectKind) -> tuple[Anchor, ...] | None:
        candles = self._panel.candles
        n = len(candles)
        if n == 0:
            return None
        at = self._panel.hovered_bar
        at = n - 1 if at is None else at
        price = self._panel.crosshair_price
        close = float(candles.close[at])
        if ANCHORS[kind] == 1:
            return (Anchor(int(candles.time[at]), price if price is not None else close),)
        start = max(0, at - KEYBOARD_SPAN)
        low = float(candles.low[start : at + 1].min())
        high = float(candles.high[start : at + 1].max())
        first, second = (low, high) if candles.close[at] >= candles.open[start] else (high, low)
        return (Anchor(int(candles.time[start]), first), Anchor(int(candles.time[at]), second))

    def _open_editor(
        self, obj: DrawingObject | None, kind: ObjectKind, anchors: tuple[Anchor, ...]
    ) -> ObjectDialog:
        editor = ObjectDialog(
            kind,
            anchors,
            obj,
            self._check_time,
            self._panel.format_price,
            self._panel,
        )

        def apply() -> None:
            if editor.result_object is not None:
                self._save(editor.result_object, select=True)

        editor.accepted.connect(apply)
        self.editor = editor
        editor.open()
        return editor

    def _check_time(self, stamp: int) -> str:
        """Why ``stamp`` cannot be a point ("" if it can), for the dialog."""
        x = self.item.x_of(stamp)
        if x < -1e-9:
            return "before the first bar"
        if x > self._last_x() + 1e-9:
            return f"more than {FUTURE_BARS} bars after the newest bar"
        return ""

    def _save(self, obj: DrawingObject, *, select: bool) -> None:
        if self._symbol is None:
            self._say("No symbol on the chart: the object is not kept")
            return
        try:
            self._store.put(self._symbol, obj)  # every chart of the symbol hears it
        except ObjectFileError as exc:
            self._say(str(exc))
            self._reload()
            return
        if select:
            self.select(obj.id)

    def _on_store(self, symbol: str) -> None:
        if not shiboken6.isValid(self.item):  # the chart is being destroyed
            self._store.unsubscribe(self._on_store)
            return
        if symbol == self._symbol and self._drag is None:
            self._reload()

    def _reload(self) -> None:
        objects = self._store.objects(self._symbol) if self._symbol is not None else []
        self.item.set_objects(objects, self.item.selected)
        self._changed()

    def _changed(self) -> None:
        for listener in self._change_listeners:
            listener()

    def _say(self, text: str) -> None:
        self.notice = text
        for listener in self._notice_listeners:
            listener(text)

    def _say_edge(self) -> None:
        self._say(
            f"Objects stay on the chart: from the first bar to {FUTURE_BARS} bars after the "
            "newest, at prices above zero"
        )

    def _data_point(self, event: QMouseEvent) -> QPointF:
        widget = self._panel.plot_widget
        scene = widget.mapToScene(event.position().toPoint())
        return QPointF(self._plot.getViewBox().mapSceneToView(scene))

    def _to_pixels(self, point: QPointF) -> QPointF:
        return QPointF(self._plot.getViewBox().mapViewToScene(point))

    def _last_x(self) -> int:
        return self._panel.bar_count - 1 + FUTURE_BARS

    def _time(self, x: float) -> int:
        return time_of(self._panel.candles.time, self._bar_seconds(), x)

    def _bar_seconds(self) -> int:
        timeframe = self._panel.timeframe
        return timeframe.seconds if timeframe is not None else 60

    def _lowest_positive(self) -> float:
        low = float(self._panel.candles.low.min()) if self._panel.bar_count else 1.0
        return max(low * 0.5, 1e-9)
