"""The labels of the chart's trading lines, laid out so no two ever overlap.

Orders, positions, stops and targets often sit a few points apart. Each
label wants to sit just above its own line, at the left of the price pane;
``stack`` moves them apart (down first, then up if they run off the bottom),
keeps them below the OHLC header, and when more labels are close than the pane
has room for, merges the last of them into one line with a count.

One item draws every label, in scene pixels, so the label text keeps its size
at any zoom; a change repaints only the labels' old and new rectangles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from app.ui.panels.chart.candles import ViewSpanningItem

#: Pixels from the pane's left edge, and between two stacked labels.
MARGIN = 6.0
GAP = 2.0
PADDING = 4.0


@dataclass(frozen=True, slots=True)
class LineLabel:
    """One line's label: what it says, in which colour, at which price."""

    key: tuple[str, int]
    price: float
    text: str
    colour: str


@dataclass(frozen=True, slots=True)
class Placed:
    """A label where it is drawn (scene pixels), and the y of its line."""

    rect: QRectF
    text: str
    colour: str
    line_y: float
    keys: tuple[tuple[str, int], ...]


def stack(
    wanted: Sequence[tuple[float, str, str, tuple[str, int]]],
    area: QRectF,
    header: QRectF,
    height: float,
    width_of: Callable[[str], float],
    shorten: Callable[[str, float], str] = lambda text, _width: text,
) -> list[Placed]:
    """Place labels wanting to sit above ``y`` (scene px), none overlapping another or the header.

    ``wanted`` is ``(line_y, text, colour, key)``; ``area`` is the price pane. A
    label wider than the pane is shortened (``shorten(text, width)``) to fit.
    """
    if not wanted or area.isEmpty():
        return []
    top = area.top() + GAP
    if not header.isEmpty() and header.intersects(area):
        top = max(top, header.bottom() + GAP)
    bottom = area.bottom() - GAP
    room = max(1, math.floor((bottom - top + GAP) / (height + GAP)))
    ordered = sorted(wanted, key=lambda w: w[0])
    groups: list[list[tuple[float, str, str, tuple[str, int]]]] = [[w] for w in ordered]
    if len(groups) > room:  # more labels than room: the last ones share one line
        groups = [*groups[: room - 1], [w for g in groups[room - 1 :] for w in g]]
    tops = [min(max(g[0][0] - height, top), bottom - height) for g in groups]
    for i in range(1, len(tops)):  # down: each below the one before
        tops[i] = max(tops[i], tops[i - 1] + height + GAP)
    if tops and tops[-1] + height > bottom:  # off the bottom: up again from there
        tops[-1] = bottom - height
        for i in range(len(tops) - 2, -1, -1):
            tops[i] = min(tops[i], tops[i + 1] - height - GAP)
    out = []
    for group, y in zip(groups, tops, strict=True):
        line_y, text, colour, _key = group[0]
        if len(group) > 1:
            text = f"{text}  (+{len(group) - 1} more)"
        room_px = area.width() - 2 * MARGIN - 2 * PADDING
        if width_of(text) > room_px:
            text = shorten(text, room_px)
        width = min(width_of(text), room_px) + 2 * PADDING
        rect = QRectF(area.left() + MARGIN, y, width, height)
        out.append(Placed(rect, text, colour, line_y, tuple(g[3] for g in group)))
    return out


class LineLabels(ViewSpanningItem):
    """Draws every trading line's label over the price pane (see ``stack``)."""

    def __init__(self, header: Callable[[], QRectF]) -> None:
        super().__init__()
        self._header = header
        self._labels: list[LineLabel] = []
        self._placed: list[Placed] = []
        self._font = QFont()
        self._font.setPointSize(8)
        self._metrics = QFontMetricsF(self._font)
        self._height = self._metrics.height() + 2
        self._background = QColor("#131722")
        self.setZValue(60)  # above the lines they name

    def set_background(self, colour: str) -> None:
        self._background = QColor(colour)
        self.update()

    def set_labels(self, labels: Sequence[LineLabel]) -> None:
        """New labels (or new texts or prices); repaints only where labels were or are."""
        labels = list(labels)
        if labels == self._labels:
            return
        self._labels = labels
        self.relayout()

    def relayout(self) -> None:
        old = self._placed
        self._placed = self._layout()
        if old != self._placed:
            for placed in (*old, *self._placed):
                self.update(self._to_item(placed.rect))

    @property
    def placed(self) -> list[Placed]:
        return list(self._placed)

    def text_of(self, key: tuple[str, int]) -> str:
        return next((p.text for p in self._placed if key in p.keys), "")

    def viewTransformChanged(self) -> None:
        super().viewTransformChanged()
        self._placed = self._layout()  # the whole item repaints on a pan or zoom anyway

    def _layout(self) -> list[Placed]:
        view = self.getViewBox()
        if view is None or not self._labels:
            return []
        area = view.sceneBoundingRect()
        wanted = [
            (
                view.mapViewToScene(QPointF(0.0, label.price)).y(),
                label.text,
                label.colour,
                label.key,
            )
            for label in self._labels
        ]
        return stack(
            wanted,
            area,
            self._header(),
            self._height,
            self._metrics.horizontalAdvance,
            lambda text, width: self._metrics.elidedText(text, Qt.TextElideMode.ElideRight, width),
        )

    def _to_item(self, scene_rect: QRectF) -> QRectF:
        return self.mapFromScene(scene_rect.adjusted(-2, -2, 2, 2)).boundingRect()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        if not self._placed:
            return
        inverse, invertible = self.sceneTransform().inverted()
        if not invertible:
            return
        painter.save()
        painter.setWorldTransform(inverse * painter.worldTransform())  # draw in scene pixels
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setFont(self._font)
        for placed in self._placed:
            colour = QColor(placed.colour)
            painter.fillRect(placed.rect, self._background)
            painter.setPen(QPen(colour))
            painter.drawRect(placed.rect)
            painter.drawText(placed.rect, Qt.AlignmentFlag.AlignCenter, placed.text)
        painter.restore()
