"""Laid-out text, kept by string, for widgets that repaint the same words many times a second.

``QPainter.drawText`` lays its text out again on every call (about 13 µs here
for a price); drawing a prepared ``QStaticText`` costs about a quarter of that,
but preparing one costs twice a ``drawText``. Quotes revisit the same prices
all day, yet a fast trend shows each new price only briefly. So a string is
drawn plainly the first time it is seen and prepared only when it comes back:
a trend never costs more than plain text, a ranging market nearly nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QStaticText, QTransform

#: Strings kept (prepared or merely seen) before the cache starts over.
DEFAULT_LIMIT = 4096


class StaticTextCache:
    """Draws strings in one font, from prepared ``QStaticText`` once a string repeats.

    Starting over when full is cheaper and simpler than an LRU: the working set
    of a quote board is far smaller than the limit, so it refills in a paint or two.
    """

    def __init__(self, font: QFont, limit: int = DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._prepared: dict[str, tuple[QStaticText, float]] = {}
        self._seen: set[str] = set()
        self._font = QFont(font)
        self._metrics = QFontMetricsF(self._font)

    @property
    def font(self) -> QFont:
        return self._font

    @property
    def line_height(self) -> float:
        return self._metrics.height()

    def set_font(self, font: QFont) -> None:
        """A new font invalidates every laid-out text."""
        if font != self._font:
            self._font = QFont(font)
            self._metrics = QFontMetricsF(self._font)
            self._prepared.clear()
            self._seen.clear()

    def width(self, text: str) -> float:
        entry = self._prepared.get(text)
        return entry[1] if entry is not None else self._metrics.horizontalAdvance(text)

    def draw(self, painter: QPainter, x: float, top: float, text: str) -> None:
        """Draw ``text`` with its box's top-left corner at ``(x, top)``, in the cache's font."""
        entry = self._prepared.get(text)
        if entry is None:
            if text not in self._seen:
                if len(self._seen) >= self._limit:
                    self._seen.clear()
                self._seen.add(text)
                painter.drawText(QPointF(x, top + self._metrics.ascent()), text)
                return
            entry = self._prepare(text)
        painter.drawStaticText(QPointF(x, top), entry[0])

    def _prepare(self, text: str) -> tuple[QStaticText, float]:
        if len(self._prepared) >= self._limit:
            self._prepared.clear()
        static = QStaticText(text)
        static.setTextFormat(Qt.TextFormat.PlainText)
        static.prepare(QTransform(), self._font)
        entry = (static, static.size().width())
        self._prepared[text] = entry
        return entry

    def __len__(self) -> int:
        """Strings prepared so far."""
        return len(self._prepared)
