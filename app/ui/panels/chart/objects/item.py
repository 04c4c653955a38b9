"""All drawing objects of a chart in one item, drawn for the visible range only.

One item rather than one per object: a pan or zoom then costs one paint that
walks the objects once (their bar positions come from one ``searchsorted`` over
every anchor, cached until the bars or the objects change), skips those wholly
off screen, and draws lines with cosmetic pens in data coordinates; text, the
Fibonacci labels and the handles of the selected object are drawn in device
pixels so they keep their size at any zoom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen, QTransform
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.ui.panels.chart.candles import CandlestickItem, ViewSpanningItem
from app.ui.panels.chart.objects.model import FIB_LEVELS, DrawingObject, ObjectKind
from app.ui.panels.chart.objects.timeline import x_of

#: Pixels from an object within which a click picks it.
HIT_PIXELS = 6.0
HANDLE_PIXELS = 7.0
#: Alpha of a rectangle's fill.
FILL_ALPHA = 40

Label = tuple[QPointF, str, QColor, str]
"""Text drawn in pixels: where (data coordinates), what, its colour, and a group
(the levels of one Fibonacci) within which a label too close to the last is skipped."""

Hit = tuple[str, int]
"""An object's id and the anchor under the pointer (-1: the object's body)."""


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    ax, ay, bx, by = a.x(), a.y(), b.x(), b.y()
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((p.x() - ax) * dx + (p.y() - ay) * dy) / length))
    return math.hypot(p.x() - (ax + t * dx), p.y() - (ay + t * dy))


class ObjectsItem(ViewSpanningItem):
    """Draws and hit-tests a chart's drawing objects."""

    def __init__(
        self,
        candles: CandlestickItem,
        bar_seconds: Callable[[], int],
        price_text: Callable[[float], str],
    ) -> None:
        super().__init__()
        self.setZValue(30)  # above candles and indicators, below the crosshair tags
        self._candles = candles
        self._bar_seconds = bar_seconds
        self.price_text = price_text
        self.objects: list[DrawingObject] = []
        self.selected: str | None = None
        self.preview: DrawingObject | None = None  # the one being drawn with the mouse
        self._version = 0
        self._xs_key: tuple[int, ...] | None = None
        self._xs: list[tuple[float, ...]] = []
        self._pens: dict[tuple[str, int, bool], QPen] = {}
        self._font = QFont()
        self._font.setPointSize(9)
        self._metrics = QFontMetricsF(self._font)
        self.drawn = 0  # objects drawn in the last paint

    # ------------------------------------------------------------------ data

    def set_objects(self, objects: Sequence[DrawingObject], selected: str | None = None) -> None:
        self.objects = list(objects)
        self.selected = selected if any(o.id == selected for o in self.objects) else None
        self._version += 1
        self.update()

    def set_preview(self, preview: DrawingObject | None) -> None:
        self.preview = preview
        self.update()

    def anchor_xs(self) -> list[tuple[float, ...]]:
        """Bar position of every object's anchors, in ``objects`` order (cached)."""
        times = self._candles.time
        key = (self._version, times.size, int(times[-1]) if times.size else 0, self._bar_seconds())
        if key != self._xs_key:
            stamps = [a.time for o in self.objects for a in o.anchors]
            flat = x_of(times, self._bar_seconds(), stamps).tolist() if stamps else []
            out, at = [], 0
            for o in self.objects:
                count = len(o.anchors)
                out.append(tuple(flat[at : at + count]))
                at += count
            self._xs, self._xs_key = out, key
        return self._xs

    def x_of(self, stamp: int) -> float:
        return float(x_of(self._candles.time, self._bar_seconds(), np.array([stamp]))[0])

    # ------------------------------------------------------------------ painting

    def _pen(self, colour: str, width: int, dashed: bool = False) -> QPen:
        key = (colour, width, dashed)
        pen = self._pens.get(key)
        if pen is None:
            pen = QPen(QColor(colour))
            pen.setCosmetic(True)
            pen.setWidth(width)
            if dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            self._pens[key] = pen
        return pen

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        rect = self.boundingRect()
        transform = painter.deviceTransform()
        if rect.isEmpty() or transform.m11() == 0:
            self.drawn = 0
            return
        margin = 400.0 / abs(transform.m11())  # text may reach this far right of its anchor
        left, right = rect.left() - margin, rect.right() + margin
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        texts: list[Label] = []
        drawn = 0
        pairs: list[tuple[DrawingObject, tuple[float, ...]]] = list(
            zip(self.objects, self.anchor_xs(), strict=True)
        )
        if self.preview is not None:
            pairs.append((self.preview, tuple(self.x_of(a.time) for a in self.preview.anchors)))
        selected: tuple[DrawingObject, tuple[float, ...]] | None = None
        for obj, xs in pairs:
            kind = obj.kind
            if kind not in (ObjectKind.HLINE, ObjectKind.RAY) and (
                max(xs) < left or min(xs) > right
            ):
                continue
            drawn += 1
            self._draw(painter, obj, xs, rect, texts)
            if obj.id == self.selected:
                selected = (obj, xs)
        self.drawn = drawn
        self._draw_in_pixels(painter, transform, texts, selected, rect)

    def _draw(
        self,
        painter: QPainter,
        obj: DrawingObject,
        xs: tuple[float, ...],
        rect: QRectF,
        texts: list[Label],
    ) -> None:
        colour = obj.shown_colour
        pen = self._pen(colour, obj.width)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        a = obj.anchors
        kind = obj.kind
        if kind is ObjectKind.HLINE:
            painter.drawLine(QLineF(rect.left(), a[0].price, rect.right(), a[0].price))
            texts.append(
                (QPointF(rect.right(), a[0].price), self.price_text(a[0].price), QColor(colour), "")
            )
        elif kind is ObjectKind.VLINE:
            painter.drawLine(QLineF(xs[0], rect.top(), xs[0], rect.bottom()))
        elif kind is ObjectKind.TREND:
            painter.drawLine(QLineF(xs[0], a[0].price, xs[1], a[1].price))
        elif kind is ObjectKind.RAY:
            painter.drawLine(self._ray(xs, a[0].price, a[1].price, rect))
        elif kind is ObjectKind.RECTANGLE:
            box = QRectF(QPointF(xs[0], a[0].price), QPointF(xs[1], a[1].price)).normalized()
            fill = QColor(colour)
            fill.setAlpha(FILL_ALPHA)
            painter.setBrush(QBrush(fill))
            painter.drawRect(box)
        elif kind is ObjectKind.FIBONACCI:
            x0, x1 = min(xs), max(xs)
            high_low = a[1].price - a[0].price
            painter.setPen(self._pen(colour, 1, dashed=True))
            painter.drawLine(QLineF(xs[0], a[0].price, xs[1], a[1].price))
            painter.setPen(pen)
            lines = []
            for level in FIB_LEVELS:
                price = a[1].price - high_low * level
                lines.append(QLineF(x0, price, x1, price))
                label = f"{level * 100:.1f}  {self.price_text(price)}"
                texts.append((QPointF(x0, price), label, QColor(colour), obj.id))
            painter.drawLines(lines)
        elif kind is ObjectKind.TEXT:
            texts.append((QPointF(xs[0], a[0].price), obj.text, QColor(colour), ""))

    @staticmethod
    def _ray(xs: tuple[float, ...], p0: float, p1: float, rect: QRectF) -> QLineF:
        """From the first point through the second, on to the edge of the view."""
        x0, x1 = xs
        if x1 == x0:
            return QLineF(x0, p0, x0, rect.bottom() if p1 > p0 else rect.top())
        end = rect.right() if x1 > x0 else rect.left()
        return QLineF(x0, p0, end, p0 + (p1 - p0) * (end - x0) / (x1 - x0))

    def _draw_in_pixels(
        self,
        painter: QPainter,
        transform: QTransform,
        texts: list[Label],
        selected: tuple[DrawingObject, tuple[float, ...]] | None,
        rect: QRectF,
    ) -> None:
        if not texts and selected is None:
            return
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        right_edge = transform.map(QPointF(rect.right(), 0.0)).x()
        last: tuple[str, float] | None = None
        height = self._metrics.height()
        for point, text, colour, group in texts:
            at = transform.map(point)
            if group and last is not None and last[0] == group and abs(at.y() - last[1]) < height:
                continue  # levels closer than a line of text: the lines say enough
            last = (group, at.y())
            painter.setPen(colour)
            width = self._metrics.horizontalAdvance(text)
            x = min(
                at.x() + 3, right_edge - width - 3
            )  # a horizontal line's price at the right edge
            painter.drawText(QPointF(x, at.y() - 3), text)
        if selected is not None:
            obj, xs = selected
            painter.setPen(QPen(QColor(obj.shown_colour)))
            painter.setBrush(QBrush(QColor("#ffffff")))
            half = HANDLE_PIXELS / 2
            for point in self.handle_points(obj, xs, rect):
                at = transform.map(point)
                painter.drawRect(QRectF(at.x() - half, at.y() - half, HANDLE_PIXELS, HANDLE_PIXELS))
        painter.restore()

    @staticmethod
    def handle_points(obj: DrawingObject, xs: tuple[float, ...], rect: QRectF) -> list[QPointF]:
        """Where each anchor's handle is, in data coordinates."""
        if obj.kind is ObjectKind.HLINE:
            return [QPointF(rect.center().x(), obj.anchors[0].price)]
        if obj.kind is ObjectKind.VLINE:
            return [QPointF(xs[0], rect.center().y())]
        return [QPointF(x, a.price) for x, a in zip(xs, obj.anchors, strict=True)]

    # ------------------------------------------------------------------ picking

    def hit(self, point: QPointF, to_pixels: Callable[[QPointF], QPointF]) -> Hit | None:
        """The object (and anchor) nearest ``point`` (data coordinates) within a few pixels."""
        rect = self.boundingRect()
        p = to_pixels(point)
        best: tuple[float, Hit] | None = None
        for obj, xs in zip(reversed(self.objects), reversed(self.anchor_xs()), strict=True):
            for index, handle in enumerate(self.handle_points(obj, xs, rect)):
                h = to_pixels(handle)
                d = math.hypot(h.x() - p.x(), h.y() - p.y())
                if d <= HANDLE_PIXELS and (best is None or d < best[0]):
                    best = (d - HANDLE_PIXELS, (obj.id, index))  # a handle beats a body
            d = self._distance(obj, xs, p, rect, to_pixels)
            if d <= HIT_PIXELS and (best is None or d < best[0]):
                best = (d, (obj.id, -1))
        return best[1] if best is not None else None

    def _distance(
        self,
        obj: DrawingObject,
        xs: tuple[float, ...],
        p: QPointF,
        rect: QRectF,
        to_pixels: Callable[[QPointF], QPointF],
    ) -> float:
        a = obj.anchors
        kind = obj.kind
        if kind is ObjectKind.HLINE:
            return abs(to_pixels(QPointF(0.0, a[0].price)).y() - p.y())
        if kind is ObjectKind.VLINE:
            return abs(to_pixels(QPointF(xs[0], 0.0)).x() - p.x())
        if kind is ObjectKind.TREND:
            return _segment_distance(
                p, to_pixels(QPointF(xs[0], a[0].price)), to_pixels(QPointF(xs[1], a[1].price))
            )
        if kind is ObjectKind.RAY:
            line = self._ray(xs, a[0].price, a[1].price, rect)
            return _segment_distance(p, to_pixels(line.p1()), to_pixels(line.p2()))
        if kind is ObjectKind.RECTANGLE or kind is ObjectKind.FIBONACCI:
            corner0 = to_pixels(QPointF(xs[0], a[0].price))
            corner1 = to_pixels(QPointF(xs[1], a[1].price))
            box = QRectF(corner0, corner1).normalized()
            if kind is ObjectKind.RECTANGLE:
                inside = box.adjusted(-HIT_PIXELS, -HIT_PIXELS, HIT_PIXELS, HIT_PIXELS).contains(p)
                return 0.0 if inside else math.inf
            ys = [
                to_pixels(QPointF(0.0, a[1].price - (a[1].price - a[0].price) * lv)).y()
                for lv in FIB_LEVELS
            ]
            if box.left() - HIT_PIXELS <= p.x() <= box.right() + HIT_PIXELS:
                return min(abs(y - p.y()) for y in ys)
            return math.inf
        # text: its box, up and to the right of the anchor
        at = to_pixels(QPointF(xs[0], a[0].price))
        width = self._metrics.horizontalAdvance(obj.text) + 6
        box = QRectF(at.x(), at.y() - self._metrics.height() - 3, width, self._metrics.height() + 3)
        return 0.0 if box.contains(p) else math.inf
