"""Batched glyph runs must put exactly the pixels ``drawText`` puts, wherever the text lands."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter
from pytestqt.qtbot import QtBot

from app.ui.widgets import glyph_text
from app.ui.widgets.glyph_text import GlyphText

BACKGROUND = QColor("#1e1e1e")
COLOURS = (QColor("#e0e0e0"), QColor("#26a69a"), QColor("#ef5350"))
# Prices, spreads, changes and symbol names, at fractional positions (right-aligned
# columns put text at x = edge - width) in three colours.
TEXTS = ("1.08503", "150.123", "12", "+0.42%", "-1.07%", "0.00%", "EURUSD", "XAUUSD", "—", "")


def placements(seed: int) -> list[tuple[float, float, str, QColor]]:
    rng = random.Random(seed)
    out = []
    for i in range(60):
        text = TEXTS[i % len(TEXTS)] if i < len(TEXTS) else f"{rng.uniform(0, 200):.{i % 6}f}"
        x = 5 + (i % 4) * 70 + rng.random() * 3
        top = 4 + (i // 4) * 17 + rng.random()
        out.append((x, top, text, COLOURS[i % len(COLOURS)]))
    return out


def render(ratio: float, font: QFont, draw: object, height: int = 270) -> QImage:
    image = QImage(int(300 * ratio), int(height * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    painter.setFont(font)
    draw(painter)  # type: ignore[operator]
    painter.end()
    return image


def plain_text(where: list[tuple[float, float, str, QColor]], ascent: float) -> object:
    def draw(painter: QPainter) -> None:
        for x, top, text, colour in where:
            painter.setPen(colour)
            painter.drawText(QPointF(x, top + ascent), text)

    return draw


def batched_text(where: list[tuple[float, float, str, QColor]], texts: GlyphText) -> object:
    def draw(painter: QPainter) -> None:
        for x, top, text, colour in where:
            texts.add(x, top, text, colour)
        texts.flush(painter)

    return draw


def test_a_batch_draws_the_same_pixels_as_draw_text(qtbot: QtBot) -> None:
    font = QFont()
    texts = GlyphText(font)
    where = placements(seed=1)
    expected = render(1.0, font, plain_text(where, QFontMetricsF(font).ascent()))
    assert render(1.0, font, batched_text(where, texts)) == expected
    assert render(1.0, font, batched_text(where, texts)) == expected  # from the caches
    assert expected != render(1.0, font, lambda painter: None)  # something was drawn


def ink_box(image: QImage) -> tuple[int, int, int, int] | None:
    """Device-pixel bounds of everything that is not background."""
    pixels = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1)
    ys, xs = np.nonzero(pixels[:, : image.width()] != BACKGROUND.rgba())
    return (xs.min(), ys.min(), xs.max(), ys.max()) if xs.size else None


@pytest.mark.parametrize("ratio", [1.25, 1.5, 2.0])
def test_on_scaled_screens_each_string_lands_where_draw_text_puts_it(
    qtbot: QtBot, ratio: float
) -> None:
    """Scaled, Qt's own paths differ by a glyph's sub-pixel step; never by a pixel."""
    font = QFont()
    texts = GlyphText(font)
    ascent = QFontMetricsF(font).ascent()
    for x, top, text, colour in placements(seed=int(ratio * 100)):
        one = [(x, top % 40, text, colour)]
        expected = ink_box(render(ratio, font, plain_text(one, ascent), height=60))
        got = ink_box(render(ratio, font, batched_text(one, texts), height=60))
        if expected is None:
            assert got is None
            continue
        assert got is not None
        assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= 1, text


def test_digits_are_shaped_from_the_table_when_the_font_does_not_kern_them(
    qtbot: QtBot,
) -> None:
    texts = GlyphText(QFont())
    assert texts.table_shaping  # the default test font lays digits out unkerned
    metrics = QFontMetricsF(QFont())
    for text in ("1.08503", "+12.5%", "EURUSD", ""):
        assert texts.width(text) == pytest.approx(metrics.horizontalAdvance(text))


def test_nothing_queued_survives_a_flush_and_the_caches_start_over_when_full(
    qtbot: QtBot,
) -> None:
    font = QFont()
    texts = GlyphText(font, limit=3)
    first = render(1.0, font, lambda p: (texts.add(10, 5, "1.2345", COLOURS[0]), texts.flush(p)))
    assert render(1.0, font, texts.flush) == render(1.0, font, lambda painter: None)
    for text in ("a", "b", "c"):
        texts.width(text)
    assert len(texts) == 1  # "1.2345", "a" and "b" filled it; "c" started it over
    again = render(1.0, font, lambda p: (texts.add(10, 5, "1.2345", COLOURS[0]), texts.flush(p)))
    assert again == first
    # Many different layouts (so many places) start the place cache over, still drawing right.
    for width in range(1, 8):
        render(
            1.0, font, lambda p, w=width: (texts.add(10, 5, "8" * w, COLOURS[0]), texts.flush(p))
        )
    again = render(1.0, font, lambda p: (texts.add(10, 5, "1.2345", COLOURS[0]), texts.flush(p)))
    assert again == first


def test_a_new_font_reshapes_every_string(qtbot: QtBot) -> None:
    texts = GlyphText(QFont())
    narrow = texts.width("1.08503")
    bigger = QFont()
    bigger.setPointSize(bigger.pointSize() + 6)
    texts.set_font(bigger)
    assert texts.font == bigger
    assert texts.width("1.08503") > narrow


def test_a_font_that_kerns_any_pair_gets_qts_layout_for_every_string(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kerning moves one glyph of one pair; the table would then misplace it."""
    real = glyph_text._lay_out

    def kerning_7_then_dot(text: str, font: QFont) -> object:
        laid = real(text, font)
        if len(text) < 3:
            return laid
        xs, shift = list(laid.xs), 0.0
        for i in range(1, len(text)):
            if text[i - 1 : i + 1] == "7.":
                shift -= 0.5
            xs[i] += shift
        return glyph_text._Layout(laid.runs, laid.raw_font, laid.glyphs, tuple(xs), laid.ys, 0.0)

    monkeypatch.setattr(glyph_text, "_lay_out", kerning_7_then_dot)
    monkeypatch.setattr(glyph_text, "_TABLES", {})
    assert not GlyphText(QFont()).table_shaping
    monkeypatch.undo()
    assert GlyphText(QFont()).table_shaping
