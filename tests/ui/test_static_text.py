"""Prepared text must look exactly like plain text, and be prepared only for repeats."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage, QPainter
from pytestqt.qtbot import QtBot

from app.ui.static_text import StaticTextCache


def paint(cache: StaticTextCache, text: str) -> QImage:
    image = QImage(200, 40, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setFont(cache.font)
    painter.setPen(Qt.GlobalColor.black)
    cache.draw(painter, 10.0, 5.0, text)
    painter.end()
    return image


def test_a_price_seen_once_is_drawn_plainly_and_a_repeat_from_prepared_glyphs(
    qtbot: QtBot,
) -> None:
    cache = StaticTextCache(QFont())
    plain = paint(cache, "1.08765")
    assert len(cache) == 0  # a trend's one-off prices cost no preparation
    prepared = paint(cache, "1.08765")
    assert len(cache) == 1
    assert prepared == plain  # same place, same pixels: right-aligned columns stay aligned
    assert not plain.isNull() and plain != paint(StaticTextCache(QFont()), "1.08766")
    assert cache.width("1.08765") > cache.width("1.0")


def test_the_cache_starts_over_when_full_and_on_a_new_font(qtbot: QtBot) -> None:
    cache = StaticTextCache(QFont(), limit=3)
    for text in ("a", "b", "c", "a", "b", "c"):
        paint(cache, text)
    assert len(cache) == 3
    paint(cache, "d")
    paint(cache, "d")  # the fourth prepared string starts the cache over
    assert len(cache) == 1
    bigger = QFont()
    bigger.setPointSize(bigger.pointSize() + 6)
    cache.set_font(bigger)
    assert len(cache) == 0 and cache.font == bigger
