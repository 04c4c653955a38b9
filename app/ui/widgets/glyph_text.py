"""Short strings drawn in batches: all the text of one paint in one glyph run per colour.

A quote board repaints dozens of short numbers in every frame. ``drawText``
lays each one out again (about 13 µs for a price here); a prepared
``QStaticText`` skips the layout but still pays Qt's set-up per call (about
6 µs); blitting the glyphs themselves costs about 0.4 µs each. So a paint
queues its strings with :meth:`GlyphText.add` and :meth:`GlyphText.flush`
draws them with one ``drawGlyphRun`` per colour, through the same glyph cache
and the same pixel rounding as ``drawText``: at 1x the pixels are the same;
scaled (1.25x, 1.5x, 2x) a glyph may sit a sub-pixel step apart, as it does
with Qt's own prepared ``QStaticText``.

A string is shaped once: from a table of glyphs and advances when every
character is in it (digits and the punctuation of prices and percentages),
else by Qt's own layout. The table is used only if the font lays out every
pair of its characters side by side, unkerned; a font that kerns them gets
Qt's layout for every string, which is slower but still exact. A string that
needs a fallback font (a glyph the font lacks) is drawn with ``drawText``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGlyphRun, QPainter, QRawFont, QTextLayout

#: Shaped strings (and placed glyph positions) kept before the caches start over.
DEFAULT_LIMIT = 4096
#: Characters shaped from a table when the font allows it: prices, spreads, changes.
TABLE_CHARS = "0123456789.,+-%"


#: Per font (its key and pixel size): the table, or empty if the font kerns its characters.
#: Checking every pair takes a few milliseconds, so each font is checked once.
_TABLES: dict[tuple[str, float], dict[str, tuple[int, float]]] = {}


@dataclass(frozen=True, slots=True)
class _Shape:
    """One string's glyphs and their x offsets from its left edge, in one raw font."""

    glyphs: tuple[int, ...]
    offsets: tuple[float, ...]
    width: float


@dataclass(frozen=True, slots=True)
class _Layout:
    """What Qt's layout says about a string: its glyph runs' fonts, glyphs and positions."""

    runs: int
    raw_font: QRawFont | None
    glyphs: tuple[int, ...]
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    width: float


def _lay_out(text: str, font: QFont) -> _Layout:
    layout = QTextLayout(text, font)
    layout.beginLayout()
    line = layout.createLine()
    layout.endLayout()
    runs = layout.glyphRuns()
    if len(runs) != 1:
        return _Layout(len(runs), None, (), (), (), line.horizontalAdvance())
    run = runs[0]
    points = run.positions()
    return _Layout(
        1,
        run.rawFont(),
        tuple(run.glyphIndexes()),
        tuple(p.x() for p in points),
        tuple(p.y() for p in points),
        line.horizontalAdvance(),
    )


def _side_by_side(table: dict[str, tuple[int, float]], text: str) -> _Shape | None:
    """``text`` shaped from ``table``, each glyph at the previous one's advance (None: not all in it)."""
    glyphs: list[int] = []
    offsets: list[float] = []
    x = 0.0
    for char in text:
        entry = table.get(char)
        if entry is None:
            return None
        glyphs.append(entry[0])
        offsets.append(x)
        x += entry[1]
    return _Shape(tuple(glyphs), tuple(offsets), x)


class GlyphText:
    """Queues strings of one font at positions and colours, then draws them all at once.

    Used from the GUI thread only. ``add`` between a paint's start and its
    ``flush``; nothing queued survives a flush.
    """

    def __init__(self, font: QFont, limit: int = DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._queued: dict[int, tuple[QColor, list[int], list[QPointF]]] = {}
        self._fallback: list[tuple[float, float, str, QColor]] = []
        self.set_font(font)

    # -- font -----------------------------------------------------------------------
    @property
    def font(self) -> QFont:
        return self._font

    @property
    def line_height(self) -> float:
        return self._metrics.height()

    @property
    def table_shaping(self) -> bool:
        """Whether strings of :data:`TABLE_CHARS` are shaped from the table (else by layout)."""
        return bool(self._table)

    def set_font(self, font: QFont) -> None:
        """A new font: every shape and position is forgotten."""
        self._font = QFont(font)
        self._metrics = QFontMetricsF(self._font)
        self._ascent = self._metrics.ascent()
        reference = _lay_out("0", self._font)
        self._raw = reference.raw_font
        self._baseline = reference.ys[0] if reference.ys else self._ascent
        self._run = QGlyphRun()
        if self._raw is not None:
            self._run.setRawFont(self._raw)
        key = (self._font.key(), self._raw.pixelSize() if self._raw is not None else 0.0)
        table = _TABLES.get(key)
        if table is None:
            table = _TABLES[key] = self._plain_table()
        self._table = table
        self._shapes: dict[str, _Shape | None] = {}
        self._offset_ids: dict[tuple[float, ...], int] = {}
        self._points: dict[tuple[float, float, int], list[QPointF]] = {}

    def _plain_table(self) -> dict[str, tuple[int, float]]:
        """Each table character's glyph and advance, or nothing if the font does not allow it.

        Allowed when each character is one glyph of the font itself and every
        pair of them lays out exactly as the first's advance puts the second.
        One layout of every pair side by side checks them all at once.
        """
        table: dict[str, tuple[int, float]] = {}
        for char in TABLE_CHARS:
            alone = _lay_out(char, self._font)
            if alone.runs != 1 or alone.raw_font != self._raw or len(alone.glyphs) != 1:
                return {}
            table[char] = (alone.glyphs[0], alone.width)
        pairs = "".join(first + second for first in TABLE_CHARS for second in TABLE_CHARS)
        laid = _lay_out(pairs, self._font)
        expected = _side_by_side(table, pairs)
        assert expected is not None  # every pair is made of table characters
        if laid.raw_font != self._raw or (laid.glyphs, laid.xs) != (
            expected.glyphs,
            expected.offsets,
        ):
            return {}
        if any(y != self._baseline for y in laid.ys):
            return {}
        return table

    # -- shaping --------------------------------------------------------------------
    def width(self, text: str) -> float:
        """The string's advance width, as ``QFontMetricsF.horizontalAdvance`` gives it."""
        shape = self._shape(text)
        return shape.width if shape is not None else self._metrics.horizontalAdvance(text)

    def _shape(self, text: str) -> _Shape | None:
        try:
            return self._shapes[text]
        except KeyError:
            pass
        if len(self._shapes) >= self._limit:
            self._shapes.clear()
        shape = self._shape_from_table(text) if self._table else None
        if shape is None:
            shape = self._shape_from_layout(text)
        self._shapes[text] = shape
        return shape

    def _shape_from_table(self, text: str) -> _Shape | None:
        return _side_by_side(self._table, text)

    def _shape_from_layout(self, text: str) -> _Shape | None:
        laid = _lay_out(text, self._font)
        if laid.runs == 0:
            return _Shape((), (), laid.width)
        if laid.runs != 1 or laid.raw_font != self._raw:
            return None  # a fallback font: drawText
        if any(y != self._baseline for y in laid.ys):
            return None
        return _Shape(laid.glyphs, laid.xs, laid.width)

    def __len__(self) -> int:
        """Strings shaped so far."""
        return len(self._shapes)

    # -- drawing --------------------------------------------------------------------
    def add(self, x: float, top: float, text: str, colour: QColor) -> None:
        """Queue ``text`` with its box's top-left corner at ``(x, top)``, in ``colour``."""
        shape = self._shape(text)
        if shape is None:
            self._fallback.append((x, top, text, colour))
            return
        if not shape.glyphs:
            return
        offsets_id = self._offset_ids.get(shape.offsets)
        if offsets_id is None:
            if len(self._offset_ids) >= self._limit:  # ids start over, and so do their places
                self._offset_ids.clear()
                self._points.clear()
            offsets_id = self._offset_ids[shape.offsets] = len(self._offset_ids)
        key = (x, top, offsets_id)
        points = self._points.get(key)
        if points is None:
            if len(self._points) >= self._limit:
                self._points.clear()
            y = top + self._baseline
            points = self._points[key] = [QPointF(x + dx, y) for dx in shape.offsets]
        queued = self._queued.get(colour.rgba())
        if queued is None:
            queued = self._queued[colour.rgba()] = (colour, [], [])
        queued[1].extend(shape.glyphs)
        queued[2].extend(points)

    def flush(self, painter: QPainter) -> None:
        """Draw everything queued since the last flush: one glyph run per colour."""
        run, origin = self._run, QPointF()
        for colour, glyphs, points in self._queued.values():
            painter.setPen(colour)
            run.setGlyphIndexes(glyphs)
            run.setPositions(points)
            painter.drawGlyphRun(origin, run)
        self._queued.clear()
        if self._fallback:
            painter.setFont(self._font)
            for x, top, text, colour in self._fallback:
                painter.setPen(colour)
                painter.drawText(QPointF(x, top + self._ascent), text)
            self._fallback.clear()
