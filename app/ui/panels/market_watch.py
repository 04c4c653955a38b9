"""Market watch: every subscribed symbol's bid, ask, spread and daily change, live.

Built so that 200 symbols ticking cannot lag the window:

* The model keeps one small mutable row per symbol, in a fixed order. A frame
  updates only the rows whose symbol changed and then emits ``dataChanged``
  once per contiguous run of rows, for the cells whose text changed (usually
  the bid and ask), never a model reset. Frames come
  at most once per window repaint (the window acknowledges a frame only after
  painting it, see ``app.ui.runtime.frame_pacing``), so no throttle is needed here.
* Cells are formatted when the view paints them, i.e. only for the rows on
  screen, once per change, whatever the tick rate. A frame decides which
  cells changed from the raw quote (prices, spread in points, the day's
  change to two decimals), so rows scrolled out of view cost no formatting. The view paints whole rows
  itself, all of a paint's text in one glyph run per colour (see
  ``MarketWatchView.paintEvent``).
* Sorting (click a header) happens once, on request; ticks never re-sort.
* The flash that marks a change (green up, red down) fades through the
  background role, driven by ONE model-wide ``QTimer`` that runs only while
  something is fading.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent, QRegion
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QTableView,
    QWidget,
)

from app.domain.market import Bar, Tick
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.ui.desk.model import DeskChange, DeskModel
from app.ui.widgets.glyph_text import GlyphText
from app.ui.widgets.table_model import SORT_ROLE, RowTableModel
from app.ui.widgets.theme import LOSS, PROFIT

_Index = QModelIndex | QPersistentModelIndex

#: How long a changed price stays highlighted, fading out.
FLASH_MS = 600
#: Repaints per second of a fading highlight (one timer for the whole table).
FLASH_HZ = 30
#: Opacity of a fresh highlight, out of 255.
FLASH_ALPHA = 110
_DAY_MS = 86_400_000

SYMBOL, BID, ASK, SPREAD, CHANGE = range(5)
#: Initial column widths in digits: room for "XAUUSD", "2350.12", "123", "+12.34%".
COLUMN_CHARS = (6, 7, 7, 3, 6)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
#: Pixels between a cell's edge and its text.
_MARGIN = 4


_Shown = tuple[list[str], list[QColor | None]]
"""A row's cell texts and text colours, as last shown."""

_Cell = tuple[str, QColor | None]
"""One cell's text and text colour."""


@dataclass(slots=True)
class _Row:
    """What one symbol's row shows; mutated in place on each frame.

    The spec and the quote are read from the desk model; a row keeps only what
    it derives for painting (the last bid and ask it showed, for the direction).
    """

    spec: SymbolSpec
    bid: float | None = None  # the last quote this row showed
    ask: float | None = None
    day_open: float | None = None
    day_open_is_d1: bool = False  # from the engine's D1 bar, not our first price of the day
    day: int = -1  # UTC day number of ``day_open``
    direction: int = 0  # +1 up, -1 down: the last bid move
    flash_at: float = -1.0  # monotonic seconds of the last change; <0: no highlight
    cells: _Shown | None = None  # texts and colours, formatted once per change (None: stale)
    # What the spread and change cells show once pending repaints ran: a frame
    # repaints them only when these change.
    spread: int | None = None  # in points
    change: _Cell | None = None  # the day's change cell


class MarketWatchModel(RowTableModel):
    """One row per symbol of the desk model; cells change in place, rows never move."""

    HEADERS = ("Symbol", "Bid", "Ask", "Spr.", "Day %")
    TOOLTIPS = (
        "Symbol",
        "Bid: the price you sell at",
        "Ask: the price you buy at",
        "Spread in points",
        "Change of the bid since the day's open (the D1 bar's open)",
    )

    def __init__(self, desk: DeskModel, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.desk = desk
        self._clock = clock
        self._rows: list[_Row] = []
        self._hidden: set[str] = set()  # symbols the trader hid from the list
        self._row_of: dict[str, int] = {}
        self._order: dict[str, int] = {}  # subscription order, for "unsorted"
        self._flashing: set[int] = set()
        self._flash_colours: dict[tuple[bool, int], QColor] = {}
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(round(1000 / FLASH_HZ))
        self._flash_timer.timeout.connect(self._fade)

    # -- feeding --------------------------------------------------------------------
    def set_symbols(self) -> None:
        """The desk's symbols, in the order shown; what rows already showed is kept."""
        specs = [s for s in self.desk.specs.values() if s.name not in self._hidden]
        old = {row.spec.name: row for row in self._rows}
        self.beginResetModel()
        self._rows = [old.get(spec.name) or _Row(spec) for spec in specs]
        for row, spec in zip(self._rows, specs, strict=True):
            row.spec, row.cells, row.spread = spec, None, None  # digits may differ
        self._row_of = {row.spec.name: i for i, row in enumerate(self._rows)}
        self._order = {spec.name: i for i, spec in enumerate(specs)}
        self._flashing = {i for i, row in enumerate(self._rows) if row.flash_at >= 0}
        self.endResetModel()

    def apply(self, quotes: Mapping[str, Tick], bars: Iterable[Bar] = ()) -> None:
        """One frame: new quotes (and D1 bars for the daily change), then one repaint request.

        O(changed symbols); emits ``dataChanged`` per contiguous run of changed rows.
        """
        now = self._clock()
        spans: dict[int, tuple[int, int]] = {}  # row -> first and last changed column
        row_of, rows = self._row_of, self._rows
        for bar in bars:
            if bar.timeframe is not Timeframe.D1:
                continue
            i = row_of.get(bar.symbol)
            if i is not None:
                row = rows[i]
                row.day_open, row.day_open_is_d1, row.day = bar.open, True, bar.time // 86_400
                change = _change_cell(row)
                if change != row.change:
                    row.cells, row.change = None, change
                    spans[i] = (CHANGE, CHANGE)
        for symbol, tick in quotes.items():
            i = row_of.get(symbol)
            if i is None:
                continue
            row = rows[i]
            previous = row.bid
            if previous is not None and tick.bid == previous and tick.ask == row.ask:
                continue
            row.bid, row.ask = tick.bid, tick.ask
            row.cells = None
            day = tick.time_msc // _DAY_MS
            if row.day_open is None or (day > row.day and not row.day_open_is_d1):
                row.day_open, row.day = tick.bid, day  # first price of the day
            if previous is not None:
                row.direction = 1 if tick.bid >= previous else -1
                row.flash_at = now
                self._flashing.add(i)
            # A changed quote repaints the bid and the ask (the highlight spans both),
            # and the spread and the day's change only if their text changed.
            change, spread = _change_cell(row), _spread_points(row)
            last = CHANGE if change != row.change else SPREAD if spread != row.spread else ASK
            row.change, row.spread = change, spread
            spans[i] = (BID, max(last, spans.get(i, (BID, ASK))[1]))
        self._repaint(spans)
        if self._flashing and not self._flash_timer.isActive():
            self._flash_timer.start()

    def _repaint(self, spans: Mapping[int, tuple[int, int]]) -> None:
        """One ``dataChanged`` per run of rows whose changed cells span the same columns.

        A quote usually changes the bid and ask only; the spread and the day's
        change keep their text. Leaving their cells out of the repaint halves
        the text a fast market makes the view draw.
        """
        ordered = sorted(spans.items())
        start = 0
        for k in range(1, len(ordered) + 1):
            run_ends = (
                k == len(ordered)
                or ordered[k][0] != ordered[k - 1][0] + 1
                or ordered[k][1] != ordered[start][1]
            )
            if run_ends:
                first_row, (first_column, last_column) = ordered[start]
                self.dataChanged.emit(
                    self.index(first_row, first_column),
                    self.index(ordered[k - 1][0], last_column),
                )
                start = k

    def hide(self, symbol: str) -> None:
        """Take ``symbol``'s row off the list (the desk still knows the symbol)."""
        if symbol in self._row_of:
            self._hidden.add(symbol)
            self.set_symbols()

    def show_all(self) -> None:
        if self._hidden:
            self._hidden.clear()
            self.set_symbols()

    @property
    def hidden(self) -> frozenset[str]:
        return frozenset(self._hidden)

    # -- reading --------------------------------------------------------------------
    def symbol_at(self, row: int) -> str:
        return self._rows[row].spec.name

    def row_of(self, symbol: str) -> int | None:
        return self._row_of.get(symbol)

    @property
    def symbols(self) -> list[str]:
        return [row.spec.name for row in self._rows]

    def flash_strength(self, row: int) -> float:
        """1.0 right after a change, fading linearly to 0.0 after ``FLASH_MS``."""
        started = self._rows[row].flash_at
        if started < 0:
            return 0.0
        return max(0.0, 1.0 - (self._clock() - started) * 1000 / FLASH_MS)

    def daily_change(self, row: int) -> float | None:
        """Percent change of the bid against the day's open (D1 open, else first price)."""
        return _change_pct(self._rows[row])

    def row_cells(self, row: int) -> tuple[list[str], list[QColor | None], QColor | None]:
        """Every column's text and text colour, and the bid/ask highlight, in one call.

        The view paints a whole row from this, so a paint asks once per row
        instead of about ten times per cell as a stock delegate would. Texts
        are formatted once per change of the row, however often it is painted.
        """
        texts, colours = self._shown(row)
        return texts, colours, self._flash_colour(row)

    def _shown(self, row: int) -> _Shown:
        """The row's texts and colours, formatted only if the row changed since."""
        r = self._rows[row]
        if r.cells is None:
            r.cells = self._format(r)
        return r.cells

    def _format(self, r: _Row) -> _Shown:
        spec, bid, ask = r.spec, r.bid, r.ask
        if bid is None or ask is None:
            return [spec.name, "—", "—", "—", "—"], [None, None, None, None, None]
        direction = PROFIT if r.direction > 0 else LOSS if r.direction < 0 else None
        change, change_colour = _change_cell(r)
        texts = [
            spec.name,
            spec.format_price(bid),
            spec.format_price(ask),
            f"{_spread_points(r):d}",
            change,
        ]
        return texts, [None, direction, direction, None, change_colour]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Reorder the rows once (a header click); ticks never re-sort.

        ``column < 0`` restores the subscription order.
        """
        self.layoutAboutToBeChanged.emit()
        rows = range(len(self._rows))
        if column < 0:
            order_rows = sorted(rows, key=lambda i: self._order[self._rows[i].spec.name])
        else:
            order_rows = sorted(rows, key=lambda i: _sortable(self._sort_key(i, column)))
        if order == Qt.SortOrder.DescendingOrder and column >= 0:
            order_rows.reverse()
        old_rows = self._rows
        self._rows = [old_rows[i] for i in order_rows]
        self._row_of = {row.spec.name: i for i, row in enumerate(self._rows)}
        flashing = {row.spec.name for row in old_rows if row.flash_at >= 0}
        self._flashing = {self._row_of[name] for name in flashing}
        old_indexes = self.persistentIndexList()
        self.changePersistentIndexList(
            old_indexes,
            [
                self.index(self._row_of[old_rows[i.row()].spec.name], i.column())
                for i in old_indexes
            ],
        )
        self.layoutChanged.emit()

    # -- Qt model -------------------------------------------------------------------
    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(row, column)
        if role == Qt.ItemDataRole.BackgroundRole and column in (BID, ASK):
            return self._flash_colour(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column != SYMBOL:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._rows[row].spec.description
        return None

    def _text(self, row: int, column: int) -> str:
        return self._shown(row)[0][column]

    def _sort_key(self, row: int, column: int) -> object:
        r = self._rows[row]
        if column == SYMBOL:
            return r.spec.name
        bid, ask = r.bid, r.ask
        if bid is None or ask is None:
            return float("-inf")
        if column == BID:
            return bid
        if column == ASK:
            return ask
        if column == SPREAD:
            return (ask - bid) / r.spec.point
        change = self.daily_change(row)
        return float("-inf") if change is None else change

    def _foreground(self, row: int, column: int) -> QColor | None:
        return self._shown(row)[1][column]

    def _flash_colour(self, row: int) -> QColor | None:
        strength = self.flash_strength(row)
        if strength <= 0:
            return None
        key = (self._rows[row].direction > 0, round(FLASH_ALPHA * strength))
        colour = self._flash_colours.get(key)
        if colour is None:  # at most 2 x FLASH_ALPHA colours, made once each
            colour = QColor(PROFIT if key[0] else LOSS)
            colour.setAlpha(key[1])
            self._flash_colours[key] = colour
        return colour

    def _fade(self) -> None:
        """One step of every fading highlight; the timer stops when none is left.

        Rows that changed within the last step were just repainted by their
        frame at nearly full strength: repainting them again here would only
        add a paint between frames in a fast market, so they wait a step.
        """
        now = self._clock()
        done = {i for i in self._flashing if self.flash_strength(i) <= 0}
        for i in done:
            self._rows[i].flash_at = -1.0
        step = 1 / FLASH_HZ
        stale = {i for i in self._flashing if now - self._rows[i].flash_at >= step or i in done}
        for first, last in _runs(stale):
            self.dataChanged.emit(
                self.index(first, BID), self.index(last, ASK), [Qt.ItemDataRole.BackgroundRole]
            )
        self._flashing -= done
        if not self._flashing:
            self._flash_timer.stop()

    @property
    def fading(self) -> bool:
        """Whether the flash timer is running (for tests and diagnostics)."""
        return self._flash_timer.isActive()


def _spread_points(r: _Row) -> int | None:
    """The spread in points, as the spread cell shows it."""
    if r.bid is None or r.ask is None:
        return None
    return round((r.ask - r.bid) / r.spec.point)


def _change_cell(r: _Row) -> _Cell:
    """The day's change cell: its text, green when up and red when down."""
    change = _change_pct(r)
    if change is None:
        return "—", None
    return f"{change:+.2f}%", (PROFIT if change > 0 else LOSS) if change else None


def _change_pct(r: _Row) -> float | None:
    """Percent change of the bid against the day's open, if both are known."""
    if r.bid is None or not r.day_open:
        return None
    return (r.bid - r.day_open) / r.day_open * 100


def _sortable(key: object) -> tuple[int, object]:
    """Sort keys of mixed kinds (text, numbers) without comparing across kinds."""
    return (0, key) if isinstance(key, str) else (1, key)


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous ``(first, last)`` runs of row numbers: one ``dataChanged`` each."""
    runs: list[tuple[int, int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class _Fills:
    """A paint's rectangle fills, drawn with one ``drawRects`` per colour.

    ``under`` fills (row backgrounds) are drawn before ``over`` fills (the
    translucent change highlight), so the highlight blends over the row it
    marks. Each ``fillRect`` costs a call into Qt; a frame of 20 ticking rows
    has about 30 fills in three colours.
    """

    def __init__(self) -> None:
        self._layers: tuple[dict[int, tuple[QColor, list[QRect]]], ...] = ({}, {})

    def under(self, rect: QRect, colour: QColor) -> None:
        self._add(0, rect, colour)

    def over(self, rect: QRect, colour: QColor) -> None:
        self._add(1, rect, colour)

    def _add(self, layer: int, rect: QRect, colour: QColor) -> None:
        rects = self._layers[layer].get(colour.rgba())
        if rects is None:
            self._layers[layer][colour.rgba()] = (colour, [rect])
        else:
            rects[1].append(rect)

    def draw(self, painter: QPainter) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        for layer in self._layers:
            for colour, rects in layer.values():
                painter.setBrush(colour)
                painter.drawRects(rects)


class MarketWatchView(QTableView):
    """The table. Double-click or Enter on a row emits ``symbol_activated``.

    It follows the desk model: its rows are the desk's symbols, its selection is
    the desk's current symbol. The context menu asks the window for a new order,
    the chart or the symbol's specification, or hides the row.
    """

    symbol_activated = Signal(str)
    order_requested = Signal(str)
    specification_requested = Signal(str)
    new_chart_requested = Signal(str)

    def __init__(self, model: MarketWatchModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("market_watch")
        self._model = model
        self._desk = model.desk
        self.setModel(model)  # no proxy: it would map every index of every paint
        self._texts = GlyphText(self.font())
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        # Its five narrow columns fit the dock; a neighbour that grows by a few pixels
        # clips the last one's margin rather than add a scroll bar.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(40)
        digit = self.fontMetrics().horizontalAdvance("0")
        self._column_widths = []
        for column, chars in enumerate(COLUMN_CHARS):
            title = self.fontMetrics().horizontalAdvance(str(model.HEADERS[column]))
            self._column_widths.append(max(digit * chars, title) + 2 * _MARGIN + 4)
            header.resizeSection(column, self._column_widths[-1])
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        self.setSortingEnabled(True)  # a header click sorts once (model.sort); ticks never do
        self.doubleClicked.connect(self._activate)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)
        self.last_menu: QMenu | None = None
        self._desk.subscribe(self._on_desk)

    def _on_desk(self, change: DeskChange) -> None:
        if change.symbols:
            self.set_symbols()
        if change.quotes or change.bars:
            self._model.apply(change.quotes, change.bars.values())
        if change.symbols or change.symbol:
            self.follow(self._desk.symbol)

    def follow(self, symbol: str | None) -> None:
        """Select ``symbol``'s row (the chart's symbol) without activating it."""
        row = self._model.row_of(symbol) if symbol else None
        if row is None:
            self.clearSelection()
            return
        if self.currentIndex().row() != row or not self.selectionModel().isRowSelected(row):
            self.selectRow(row)

    def fitting_width(self) -> int:
        """Pixels the table needs to show every column whole (the window sizes its dock so)."""
        scroll_bar = self.verticalScrollBar().sizeHint().width()
        return sum(self._column_widths) + scroll_bar + 2 * self.frameWidth() + 4

    def symbol_at_view_row(self, view_row: int) -> str:
        return self._model.symbol_at(view_row)

    def view_row_of(self, symbol: str) -> int | None:
        return self._model.row_of(symbol)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._activate(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

    # -- painting -----------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the exposed cells in one pass: fills by colour, then all text at once.

        ``QTableView`` would paint cell by cell through a delegate, calling into
        Python about a hundred times for 20 rows and laying every price out
        again: 6 ms a paint, most of a frame when every row ticks. Here one call
        per row fetches the row; the row fills (selection, alternate rows, the
        change highlight) go out in one ``drawRects`` per colour, and every
        cell's text in one glyph run per colour (``GlyphText``). Rows, columns,
        scrolling, alternating colours, selection and the change highlight look
        as a stock view's would; the grid is off and there are no icons or
        editors to draw. The painter is clipped to the exposed region, so a
        frame's changed cells are all that reach the screen.
        """
        model = self._model
        flash_span = self._flash_span()
        selection = self.selectionModel()
        selected = {index.row() for index in selection.selectedRows()} if selection else set()
        palette = self.palette()
        plain, highlighted = palette.text().color(), palette.highlightedText().color()
        row_fill = palette.highlight().color(), palette.alternateBase().color()
        alternate = self.alternatingRowColors()
        width = self.viewport().width()
        texts = self._texts
        fills = _Fills()
        for row, columns in self._exposed_cells(event.region()).items():
            top, height = self.rowViewportPosition(row), self.rowHeight(row)
            cells, colours, flash = model.row_cells(row)
            is_selected = row in selected
            if is_selected:
                fills.under(QRect(0, top, width, height), row_fill[0])
            else:
                if row & 1 and alternate:
                    fills.under(QRect(0, top, width, height), row_fill[1])
                if flash is not None and flash_span is not None:
                    fills.over(QRect(flash_span[0], top, flash_span[1], height), flash)
            text_top = top + (height - texts.line_height) / 2
            for column, left, column_width in columns:
                text, text_width = self._fitted(cells[column], column_width - 2 * _MARGIN)
                if column == SYMBOL:
                    x: float = left + _MARGIN
                else:
                    x = left + column_width - _MARGIN - text_width
                texts.add(
                    x, text_top, text, highlighted if is_selected else colours[column] or plain
                )
        painter = QPainter(self.viewport())
        try:
            fills.draw(painter)
            texts.flush(painter)
        finally:
            painter.end()

    def _exposed_cells(self, region: QRegion) -> dict[int, list[tuple[int, int, int]]]:
        """Each exposed row's exposed ``(column, x, width)``, over all of the region's rects."""
        shown = [
            (column, self.columnViewportPosition(column), self.columnWidth(column))
            for column in range(self._model.columnCount())
            if not self.isColumnHidden(column)
        ]
        cells: dict[int, list[tuple[int, int, int]]] = {}
        for exposed in cast(Iterable[QRect], region):
            first = self.rowAt(exposed.top())
            if first < 0:
                continue  # the empty area below the last row: the viewport's fill is all
            last = self.rowAt(exposed.bottom())
            if last < 0:
                last = self._model.rowCount() - 1
            left, right = exposed.left(), exposed.right()
            columns = [c for c in shown if c[1] + c[2] > left and c[1] <= right]
            for row in range(first, last + 1):
                known = cells.get(row)
                if known is None or known == columns:
                    cells[row] = columns
                else:  # two rects of one row: each column once, left to right
                    cells[row] = sorted(set(known) | set(columns))
        return cells

    def _fitted(self, text: str, room: int) -> tuple[str, float]:
        """``text`` and its width, elided as the stock view would if its column is too narrow."""
        text_width = self._texts.width(text)
        if text_width <= room:
            return text, text_width
        text = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
        return text, self._texts.width(text)

    def _flash_span(self) -> tuple[int, int] | None:
        """``(x, width)`` of the bid and ask cells together: the change highlight."""
        if self.isColumnHidden(BID) or self.isColumnHidden(ASK):
            return None
        bid, ask = self.columnViewportPosition(BID), self.columnViewportPosition(ASK)
        left = min(bid, ask)
        return left, max(bid + self.columnWidth(BID), ask + self.columnWidth(ASK)) - left

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._texts.set_font(self.font())
        super().changeEvent(event)

    def set_symbols(self) -> None:
        """The desk's symbols, shown in the header's sort order if it has one.

        A restored header (saved layout) carries a sort order; applying it here
        rather than from a model signal keeps the view's lifetime its own.
        """
        self._model.set_symbols()
        self._resort()

    def context_menu(self, symbol: str) -> QMenu:
        """New order, chart, a new chart, specification and hide, for ``symbol``'s row."""
        menu = QMenu(self)
        for text, slot in (
            ("&New order…", lambda: self.order_requested.emit(symbol)),
            ("&Chart", lambda: self.symbol_activated.emit(symbol)),
            ("New c&hart", lambda: self.new_chart_requested.emit(symbol)),
            ("&Specification…", lambda: self.specification_requested.emit(symbol)),
        ):
            menu.addAction(text).triggered.connect(slot)
        menu.addSeparator()
        menu.addAction(f"&Hide {symbol}").triggered.connect(lambda: self._hide(symbol))
        show_all = menu.addAction("Show &all symbols")
        show_all.setEnabled(bool(self._model.hidden))
        show_all.triggered.connect(self._show_all)
        self.last_menu = menu
        return menu

    def _show_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        menu = self.context_menu(self._model.symbol_at(index.row()))
        menu.popup(self.viewport().mapToGlobal(pos))

    def _hide(self, symbol: str) -> None:
        self._model.hide(symbol)
        self._resort()
        self.follow(self._desk.symbol)

    def _show_all(self) -> None:
        self._model.show_all()
        self._resort()
        self.follow(self._desk.symbol)

    def _resort(self) -> None:
        section = self.horizontalHeader().sortIndicatorSection()
        if 0 <= section < self._model.columnCount():
            self._model.sort(section, self.horizontalHeader().sortIndicatorOrder())

    def _activate(self, index: QModelIndex) -> None:
        if index.isValid():
            self.symbol_activated.emit(self.symbol_at_view_row(index.row()))
