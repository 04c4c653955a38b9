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
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen, QTransform
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.ui.panels.chart.candles import CandlestickItem, ViewSpanningItem
from app.ui.panels.chart.objects.model import FIB_LEVELS, DrawingObject, ObjectKind
from app.ui.panels.chart.objects.timeline import x_of
from app.ui.widgets.glyph_text import GlyphText

#: Pixels from an object within which a click picks it.
HIT_PIXELS = 6.0
HANDLE_PIXELS = 7.0
#: Alpha of a filled rectangle (filling costs fill rate: big translucent boxes are the
#: slowest thing an object draws, so a rectangle is an outline unless asked).
FILL_ALPHA = 40
#: A Fibonacci retracement narrower than this shows its lines without their labels.
FIB_LABEL_PIXELS = 60.0
#: Pixels between a Fibonacci level's label and the retracement's left end.
FIB_LABEL_GAP = 4.0
#: Alpha of the chart's background behind a Fibonacci label (candles show through faintly).
FIB_LABEL_GROUND_ALPHA = 220

Label = tuple[QPointF, str, QColor, str]
"""Text drawn in pixels: where (data coordinates), what, its colour, and a group
(the levels of one Fibonacci) within which a label too close to the last is skipped."""

Hit = tuple[str, int]


@dataclass(slots=True)
class Shape:
    """One object's drawing: its x extent, pen, lines, box and labels (data coordinates)."""

    obj: DrawingObject
    xs: tuple[float, ...]
    x0: float
    x1: float
    pen: tuple[str, int, bool]
    lines: list[QLineF] = field(default_factory=list)
    dashed: list[QLineF] = field(default_factory=list)
    box: QRectF | None = None
    texts: list[Label] = field(default_factory=list)
    smooth: bool = False  # slanted: drawn with antialiasing
    dynamic: bool = False  # reaches the view's edges: laid out per paint
    label: str = ""  # a horizontal line's price, at the view's right edge


def _edges(box: QRectF) -> list[QLineF]:
    left, right, top, bottom = box.left(), box.right(), box.top(), box.bottom()
    return [
        QLineF(left, top, right, top),
        QLineF(right, top, right, bottom),
        QLineF(right, bottom, left, bottom),
        QLineF(left, bottom, left, top),
    ]


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
        self._shape_list: list[Shape] = []
        self._shapes_key: tuple[int, ...] | None = None
        self._spans = (np.zeros(0), np.zeros(0))
        font = QFont()
        font.setPointSize(9)
        self._metrics = QFontMetricsF(font)
        self._texts = GlyphText(font)
        self.drawn = 0  # objects drawn in the last paint
        self._ink = QColor("#d1d4dc")  # the chart's foreground: notes without a colour
        self._ground = QColor("#131722")  # the chart's background: under Fibonacci labels
        self._ground.setAlpha(FIB_LABEL_GROUND_ALPHA)
        #: Fibonacci labels of the last paint: their box in the view's pixels and their text.
        self.level_labels: list[tuple[QRectF, str]] = []

    def set_ink(self, colour: str, ground: str | None = None) -> None:
        """The chart's foreground (and background) colour (the theme changed)."""
        self._ink = QColor(colour)
        if ground is not None:
            self._ground = QColor(ground)
            self._ground.setAlpha(FIB_LABEL_GROUND_ALPHA)
        self._shapes_key = None
        self.update()

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

    def _shapes(self) -> list[Shape]:
        """What each object draws that does not depend on the view, built once per change.

        Lines, boxes and label texts of trend lines, rectangles, Fibonacci levels and
        notes stay the same while the trader pans and zooms; only horizontal and
        vertical lines and rays reach the view's edges and are laid out per paint.
        """
        xs_all = self.anchor_xs()
        if self._shapes_key is not None and self._shapes_key == self._xs_key:
            return self._shape_list
        shapes = [self._shape(obj, xs) for obj, xs in zip(self.objects, xs_all, strict=True)]
        self._shape_list, self._shapes_key = shapes, self._xs_key
        lows = np.array([sh.x0 for sh in shapes], dtype=np.float64)
        highs = np.array([sh.x1 for sh in shapes], dtype=np.float64)
        self._spans = (lows, highs)
        return shapes

    def _shape(self, obj: DrawingObject, xs: tuple[float, ...]) -> Shape:
        colour = obj.shown_colour
        a = obj.anchors
        kind = obj.kind
        shape = Shape(obj, xs, min(xs), max(xs), (colour, obj.width, False))
        if kind in (ObjectKind.HLINE, ObjectKind.VLINE, ObjectKind.RAY):
            shape.dynamic = True
            shape.x0, shape.x1 = -math.inf, math.inf  # they reach the view's edges
            if kind is ObjectKind.HLINE:  # its price, at the right edge of the view
                shape.label = self.price_text(a[0].price)
        elif kind is ObjectKind.TREND:
            shape.lines.append(QLineF(xs[0], a[0].price, xs[1], a[1].price))
            shape.smooth = True
        elif kind is ObjectKind.RECTANGLE:
            corners = QRectF(QPointF(xs[0], a[0].price), QPointF(xs[1], a[1].price))
            shape.box = corners.normalized()
        elif kind is ObjectKind.FIBONACCI:
            x0, x1 = min(xs), max(xs)
            move = a[1].price - a[0].price
            shape.dashed.append(QLineF(xs[0], a[0].price, xs[1], a[1].price))
            for level in FIB_LEVELS:
                price = a[1].price - move * level
                shape.lines.append(QLineF(x0, price, x1, price))
                label = f"{level * 100:.1f}  {self.price_text(price)}"
                shape.texts.append((QPointF(x0, price), label, QColor(colour), obj.id))
        elif kind is ObjectKind.TEXT:  # a note without a colour of its own reads on any ground
            ink = QColor(obj.colour) if obj.colour else self._ink
            shape.texts.append((QPointF(xs[0], a[0].price), obj.text, ink, ""))
        return shape

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        if not self.objects and self.preview is None:  # most charts, in every frame
            self.drawn = 0
            return
        rect = self.boundingRect()
        # World, not device: after resetTransform() the painter draws in logical pixels of
        # its widget, and the device transform would add the widget's place in the window.
        transform = painter.transform()
        if rect.isEmpty() or transform.m11() == 0:
            self.drawn = 0
            return
        shapes = self._shapes()
        visible: list[Shape] = []
        if shapes:
            margin = 400.0 / abs(transform.m11())  # a note may reach this far right of its anchor
            lows, highs = self._spans
            mask = (highs >= rect.left() - margin) & (lows <= rect.right() + margin)
            visible = [shapes[i] for i in np.flatnonzero(mask).tolist()]
        if self.preview is not None:
            xs = tuple(self.x_of(a.time) for a in self.preview.anchors)
            visible.append(self._shape(self.preview, xs))
        self.drawn = len(visible)
        px = abs(transform.m11())
        # One call per pen (and per fill) for everything in view; antialiasing only for
        # slanted lines (a filled box costs about a millisecond with it).
        plain: dict[tuple[str, int, bool], list[QLineF]] = {}
        slanted: dict[tuple[str, int, bool], list[QLineF]] = {}
        boxes: dict[str, list[QRectF]] = {}
        texts: list[Label] = []
        selected: Shape | None = None
        for shape in visible:
            if shape.dynamic:
                self._lay_out_dynamic(shape, rect, plain, slanted)
                if shape.label:
                    at = QPointF(rect.right(), shape.obj.anchors[0].price)
                    texts.append((at, shape.label, QColor(shape.pen[0]), ""))
            elif shape.lines:
                (slanted if shape.smooth else plain).setdefault(shape.pen, []).extend(shape.lines)
            if shape.dashed:
                plain.setdefault((shape.pen[0], 1, True), []).extend(shape.dashed)
            if shape.box is not None:
                if shape.obj.fill:
                    boxes.setdefault(shape.pen[0], []).append(shape.box)
                plain.setdefault(shape.pen, []).extend(_edges(shape.box))
            if (
                shape.obj.kind is not ObjectKind.FIBONACCI
                or (shape.x1 - shape.x0) * px >= FIB_LABEL_PIXELS
            ):
                texts.extend(shape.texts)  # a narrow Fibonacci's labels would cover its neighbours
            if shape.obj.id == self.selected:
                selected = shape
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, rects in boxes.items():
            fill = QColor(colour)
            fill.setAlpha(FILL_ALPHA)
            painter.setBrush(QBrush(fill))
            painter.drawRects(rects)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for (colour, width, dashed), lines in plain.items():
            painter.setPen(self._pen(colour, width, dashed))
            painter.drawLines(lines)
        if slanted:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            for (colour, width, dashed), lines in slanted.items():
                painter.setPen(self._pen(colour, width, dashed))
                painter.drawLines(lines)
        chosen = (selected.obj, selected.xs) if selected is not None else None
        self._draw_in_pixels(painter, transform, texts, chosen, rect)

    def _lay_out_dynamic(
        self,
        shape: Shape,
        rect: QRectF,
        plain: dict[tuple[str, int, bool], list[QLineF]],
        slanted: dict[tuple[str, int, bool], list[QLineF]],
    ) -> None:
        a, xs = shape.obj.anchors, shape.xs
        kind = shape.obj.kind
        if kind is ObjectKind.HLINE:
            line = QLineF(rect.left(), a[0].price, rect.right(), a[0].price)
        elif kind is ObjectKind.VLINE:
            line = QLineF(xs[0], rect.top(), xs[0], rect.bottom())
        else:
            slanted.setdefault(shape.pen, []).append(self._ray(xs, a[0].price, a[1].price, rect))
            return
        plain.setdefault(shape.pen, []).append(line)

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
        view = transform.mapRect(rect)
        right_edge = view.right()
        last: tuple[str, float] | None = None
        height = self._texts.line_height
        self.level_labels = []
        for point, text, colour, group in texts:
            at = transform.map(point)
            if not view.top() - height <= at.y() <= view.bottom() + height:
                continue
            width = self._texts.width(text)
            if not group:  # a note, or a horizontal line's price at the right edge
                self._texts.add(
                    min(at.x() + 3, right_edge - width - 3), at.y() - height - 1, text, colour
                )
                continue
            if last is not None and last[0] == group and abs(at.y() - last[1]) < height + 2:
                continue  # levels closer than a line of text: the lines say enough
            last = (group, at.y())
            # Left of the retracement, centred on its level: over bars the levels do not
            # measure, never over the swing itself; on a ground of its own so candles and
            # the grid do not run through the digits. Inside only if the view's edge is near.
            x = at.x() - FIB_LABEL_GAP - width
            if x < view.left() + 2:
                x = at.x() + 3
            box = QRectF(x - 2, at.y() - height / 2, width + 4, height)
            painter.fillRect(box, self._ground)
            self.level_labels.append((box, text))
            self._texts.add(x, box.top(), text, colour)
        self._texts.flush(painter)  # one glyph run per colour, not a layout per label
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
