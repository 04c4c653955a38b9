"""The crosshair's tags on the axes: the price under the pointer on the price axis,
the bar's time on the time axis, as trading terminals show them.

A tag is a child item of its axis, so moving it repaints the tag's few pixels
and never the axis (which is cached as a pixmap) or the plot.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

_PADDING = 4.0


class AxisTag(QGraphicsObject):
    """A filled box with one line of text, centred on a point of its axis."""

    def __init__(self, parent: QGraphicsItem, *, vertical: bool) -> None:
        super().__init__(parent)
        self._vertical = vertical  # a price tag moves up and down, a time tag sideways
        self._text = ""
        self._font = QFont()
        self._font.setPointSize(8)
        self._metrics = QFontMetricsF(self._font)
        self._box = QBrush(QColor("#363a45"))
        self._ink = QColor("#ffffff")
        self._rect = QRectF()
        self.setZValue(100)
        self.setVisible(False)

    @property
    def text(self) -> str:
        return self._text if self.isVisible() else ""

    def set_colours(self, background: str, text: str) -> None:
        self._box = QBrush(QColor(background))
        self._ink = QColor(text)
        self.update()

    def show_at(self, text: str, at: float) -> None:
        """Show ``text`` centred at ``at`` (axis-local y for a price tag, x for a time tag)."""
        width = self._metrics.horizontalAdvance(text) + 2 * _PADDING
        height = self._metrics.height() + 2
        if text != self._text or self._rect.width() != width:
            self.prepareGeometryChange()
            self._text = text
            self._rect = QRectF(0, -height / 2, width, height)
            if not self._vertical:
                self._rect = QRectF(-width / 2, 0, width, height)
        self.setPos(QPointF(0, at) if self._vertical else QPointF(at, 0))
        self.setVisible(True)

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        painter.fillRect(self._rect, self._box)
        painter.setFont(self._font)
        painter.setPen(self._ink)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self._text)
