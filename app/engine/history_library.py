"""The history store as the terminal's windows use it: list, delete, export, read, import.

The GUI may not reach ``app.history`` itself (the import layers keep it above
the store), so its History window and Import dialog go through this module.
Every call here may touch the disk and is made on a worker thread of the
window, never the GUI thread and never the engine thread: the store is safe to
share between threads, and it locks each series for one writer at a time
across threads and processes, so an import or a delete here waits for (and
never mixes with) the engine's tick recorder, a download or a running
``tradeterm import``.

``app.history`` (and pyarrow with it) is loaded on the first call, so opening
the terminal costs nothing until the trader opens a history window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np

from app.domain.history_jobs import TICKS_SERIES
from app.domain.market import BarHistory
from app.domain.timeframes import Timeframe

if TYPE_CHECKING:
    from app.history.importer import ParsedFile
    from app.history.store import HistoryStore

_T = TypeVar("_T")
OnError = Literal["skip", "stop"]
PREVIEW_ROWS = 20
"""How many of a file's first rows the Import dialog shows."""
CHART_BARS = 100_000
"""How many of the newest stored bars a chart opens with (as many as a live chart)."""


class LibraryError(Exception):
    """A history action that could not be done, in one sentence for the trader."""


@dataclass(frozen=True, slots=True)
class StoredSeries:
    """One line of the History window: times in epoch seconds on the data's clock."""

    symbol: str
    series: str  # "M1" ... "D1", or "ticks"
    first: int
    last: int
    count: int
    gaps: tuple[tuple[int, int], ...]  # (start, end) of every gap

    @property
    def is_ticks(self) -> bool:
        return self.series == TICKS_SERIES


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """A file read and checked as the importer reads it, before anything is stored."""

    path: Path
    description: str  # "MetaTrader 5 bar export", "CSV tick file", ...
    is_ticks: bool
    columns: tuple[str, ...]  # the table's headers, as the preview shows them
    rows: tuple[tuple[str, ...], ...]  # the first PREVIEW_ROWS rows as parsed, as text
    count: int  # good rows in the whole file
    timeframe: Timeframe | None  # bars: the one given or detected
    timeframe_detected: bool
    bad_count: int
    bad_lines: tuple[tuple[int, str], ...]  # (line number, reason) of the first few
    first: int  # epoch s (bars) or ms (ticks)
    last: int

    @property
    def bad_text(self) -> str:
        """The bad lines as the importer words them, or "" when there are none."""
        if not self.bad_count:
            return ""
        numbers = ", ".join(str(n) for n, _ in self.bad_lines)
        more = " ..." if self.bad_count > len(self.bad_lines) else ""
        plural = "line" if self.bad_count == 1 else "lines"
        number, reason = self.bad_lines[0]
        return f"{self.bad_count:,} bad {plural} (line {numbers}{more}; line {number}: {reason})"


@dataclass(frozen=True, slots=True)
class StoredChart:
    """Stored bars for the chart, and the decimals their prices are written with (the
    chart shows a symbol no broker describes with the data's own digits)."""

    history: BarHistory
    digits: int


class HistoryLibrary:
    """The store under ``root`` (default: the user data folder's ``history``)."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._store: HistoryStore | None = None

    @property
    def store(self) -> HistoryStore:
        if self._store is None:
            from app.history.store import HistoryStore

            self._store = HistoryStore(self._root)
        return self._store

    @property
    def root(self) -> Path:
        return self.store.root

    def listing(self) -> list[StoredSeries]:
        """Every stored series; reads the files' footers only."""
        return [
            StoredSeries(
                s.symbol,
                s.series,
                s.first,
                s.last,
                s.count,
                tuple((g.start, g.end) for g in s.gaps),
            )
            for s in self._guarded(self.store.listing)
        ]

    def delete(self, symbol: str, series: str) -> list[str]:
        """Delete one series; returns what was deleted ("EURUSD H1")."""
        chosen = _series(series)
        return self._guarded(lambda: self.store.delete(symbol, chosen))

    def export_csv(self, symbol: str, series: str, path: Path) -> int:
        """Write the whole series to ``path`` as a CSV that the import reads back."""
        chosen = _series(series)
        return self._guarded(lambda: self.store.export_csv(symbol, chosen, Path(path)))

    def chart_bars(self, symbol: str, timeframe: Timeframe, count: int = CHART_BARS) -> StoredChart:
        """The newest ``count`` stored bars, as the chart takes a broker's history."""
        info = self._guarded(lambda: self.store.info(symbol, timeframe))
        if info is None:
            raise LibraryError(f"no {symbol} {timeframe.name} bars are stored")
        # Weekends and quiet hours hold no bars: widen the span back until it has enough.
        span = count * timeframe.seconds * 3 // 2
        while True:
            start = max(info.first, info.last - span)
            bars = self._guarded(partial(self.store.read_bars, symbol, timeframe, start, None))
            if len(bars) >= count or start <= info.first:
                break
            span *= 2
        bars = bars[-count:]
        prices = [np.asarray(bars[c], dtype=np.float64) for c in ("open", "high", "low", "close")]
        history = BarHistory(
            symbol,
            timeframe,
            np.asarray(bars["time"], dtype=np.int64),
            prices[0],
            prices[1],
            prices[2],
            prices[3],
            np.asarray(bars["tick_volume"], dtype=np.float64),
        )
        return StoredChart(history, _digits(np.concatenate([p[-500:] for p in prices])))

    def preview(self, path: Path, timeframe: Timeframe | None = None) -> ImportPreview:
        """Read and check the whole file as the import will (bad lines counted, not
        fatal), and keep its first rows for the dialog."""
        from app.history.errors import HistoryError
        from app.history.importer import read_export

        try:
            parsed = read_export(Path(path), timeframe=timeframe, on_error="skip")
        except HistoryError as exc:
            raise LibraryError(str(exc)) from None
        return _preview(parsed)

    def import_file(
        self, path: Path, symbol: str, timeframe: Timeframe | None, on_error: OnError
    ) -> str:
        """Import as ``tradeterm import`` does; returns the line it prints."""
        from app.history.commands import describe_import
        from app.history.importer import import_file

        summary = self._guarded(
            lambda: import_file(
                self.store, Path(path), symbol.strip(), timeframe=timeframe, on_error=on_error
            )
        )
        return describe_import(summary)

    def _guarded(self, action: Callable[[], _T]) -> _T:
        """Run ``action``; the store's problems and the disk's become one sentence."""
        from app.history.errors import HistoryError

        try:
            return action()
        except HistoryError as exc:
            raise LibraryError(str(exc)) from None
        except OSError as exc:
            where = getattr(exc, "filename", "") or self.root
            raise LibraryError(f"history error: {exc.strerror or exc} ({where})") from None


def _series(series: str) -> Timeframe | str:
    if series.strip().lower() == TICKS_SERIES:
        return TICKS_SERIES
    try:
        return Timeframe.parse(series)
    except ValueError as exc:
        raise LibraryError(str(exc)) from None


def _preview(parsed: ParsedFile) -> ImportPreview:
    rows = parsed.rows
    head = rows[:PREVIEW_ROWS]
    prices = ("bid", "ask", "last") if parsed.is_ticks else ("open", "high", "low", "close")
    digits = _digits(np.concatenate([head[c] for c in prices]))

    def _price(value: object) -> str:
        return f"{float(value):.{digits}f}"  # type: ignore[arg-type]

    columns: tuple[str, ...]
    shown: tuple[tuple[str, ...], ...]
    if parsed.is_ticks:
        columns = ("Time", "Bid", "Ask", "Last", "Volume", "Flags")
        shown = tuple(
            (
                _msc_text(int(r["time_msc"])),
                _price(r["bid"]),
                _price(r["ask"]),
                _price(r["last"]),
                _number(r["volume"]),
                str(int(r["flags"])),
            )
            for r in head
        )
        first, last = int(rows["time_msc"][0]), int(rows["time_msc"][-1])
    else:
        columns = ("Time", "Open", "High", "Low", "Close", "Tick volume", "Spread", "Volume")
        shown = tuple(
            (
                _seconds_text(int(r["time"])),
                *(_price(r[c]) for c in ("open", "high", "low", "close")),
                f"{int(r['tick_volume']):,}",
                str(int(r["spread"])),
                f"{int(r['real_volume']):,}",
            )
            for r in head
        )
        first, last = int(rows["time"][0]), int(rows["time"][-1])
    return ImportPreview(
        path=parsed.path,
        description=parsed.layout.description,
        is_ticks=parsed.is_ticks,
        columns=columns,
        rows=shown,
        count=len(rows),
        timeframe=parsed.timeframe,
        timeframe_detected=parsed.timeframe_detected,
        bad_count=parsed.bad_count,
        bad_lines=tuple((b.number, b.reason) for b in parsed.bad_lines),
        first=first,
        last=last,
    )


def _digits(prices: np.ndarray, most: int = 8) -> int:
    """The decimals the prices are written with (1.10010 and 1.1 in one file: 5)."""
    values = np.abs(prices[np.isfinite(prices)])
    for digits in range(most):
        scaled = values * 10**digits
        # Within a thousandth of a unit of the last digit (floats carry ~1e-16 of noise).
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-3 + 1e-12 * scaled):
            return digits
    return most


def _number(value: object) -> str:
    return f"{float(value):g}"  # type: ignore[arg-type]


def _seconds_text(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _msc_text(millis: int) -> str:
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(millis // 1000, tz=UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{millis % 1000:03d}"
