"""Laid-out text, kept by string, for widgets that repaint the same words many times a second.

``QPainter.drawText`` lays its text out again on every call (about 13 µs here
for a price); drawing a prepared ``QStaticText`` costs about a quarter of that.
Prices repeat all day (a quote moves up and down by a few points), so a small
cache keyed by the string turns nearly every paint of a live table into blits
of already shaped glyph runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QStaticText, QTransform

#: Entries kept before the cache starts over (a few hundred kB at most).
DEFAULT_LIMIT = 4096


class StaticTextCache:
    """``QStaticText`` and its width per string, prepared for one font.

    Starting over when full is cheaper and simpler than an LRU: the working set
    of a quote board is far smaller than the limit, so it refills in one paint.
    """

    def __init__(self, font: QFont, limit: int = DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._entries: dict[str, tuple[QStaticText, float]] = {}
        self._font = QFont(font)
        self.line_height = QFontMetricsF(self._font).height()

    @property
    def font(self) -> QFont:
        return self._font

    def set_font(self, font: QFont) -> None:
        """A new font invalidates every laid-out text."""
        if font != self._font:
            self._font = QFont(font)
            self.line_height = QFontMetricsF(self._font).height()
            self._entries.clear()

    def get(self, text: str) -> tuple[QStaticText, float]:
        """The prepared text and its width in pixels."""
        entry = self._entries.get(text)
        if entry is None:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            static = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), self._font)
            entry = (static, static.size().width())
            self._entries[text] = entry
        return entry

    def __len__(self) -> int:
        return len(self._entries)
