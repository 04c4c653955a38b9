"""``tradeterm import`` and ``tradeterm history``: the store from a terminal.

Each command prints one summary line (or a small table) on stdout and returns
0, or prints one line on stderr and returns 2 with nothing changed. Output is
plain ASCII so that any Windows console can show it.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from app.domain.timeframes import Timeframe
from app.history.errors import HistoryError
from app.history.importer import ImportSummary, import_file
from app.history.layout import TICKS
from app.history.store import HistoryStore, SeriesInfo

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def run_import(
    file: Path,
    symbol: str,
    timeframe: str | None,
    on_error: str,
    *,
    store: HistoryStore | None = None,
    out: TextIO | None = None,
) -> int:
    store = store or HistoryStore()
    try:
        chosen = Timeframe.parse(timeframe) if timeframe else None
        summary = import_file(
            store, file, symbol, timeframe=chosen, on_error="stop" if on_error == "stop" else "skip"
        )
    except ValueError as exc:  # an unknown timeframe name
        return _fail(str(exc))
    except HistoryError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write the history folder {store.root}: {exc.strerror or exc}")
    print(describe_import(summary), file=out or sys.stdout)
    return EXIT_OK


def describe_import(summary: ImportSummary) -> str:
    """``Imported EURUSD H1 (detected) from a MetaTrader 5 bar export: 1,000 bars, ...``."""
    parsed = summary.parsed
    if parsed.is_ticks:
        series, unit = TICKS, "ticks"
        first, last = _msc_text(summary.first), _msc_text(summary.last)
    else:
        assert parsed.timeframe is not None
        series = parsed.timeframe.name + (" (detected)" if parsed.timeframe_detected else "")
        unit = "bars"
        first, last = _seconds_text(summary.first), _seconds_text(summary.last)
    line = (
        f"Imported {summary.symbol} {series} from a {parsed.layout.description}: "
        f"{summary.stored:,} {unit}, {first} to {last}; "
    )
    if parsed.bad_count == 0:
        return line + "no bad lines"
    numbers = ", ".join(str(b.number) for b in parsed.bad_lines)
    more = " ..." if parsed.bad_count > len(parsed.bad_lines) else ""
    plural = "line" if parsed.bad_count == 1 else "lines"
    first_bad = parsed.bad_lines[0]
    return (
        line + f"{parsed.bad_count:,} bad {plural} skipped (line {numbers}{more}; "
        f"line {first_bad.number}: {first_bad.reason})"
    )


def run_history(
    *,
    delete: str | None = None,
    export: tuple[str, Path] | None = None,
    timeframe: str | None = None,
    start: str | None = None,
    end: str | None = None,
    gaps: bool = False,
    store: HistoryStore | None = None,
    out: TextIO | None = None,
) -> int:
    store = store or HistoryStore()
    out = out or sys.stdout
    try:
        if delete is not None:
            return _delete(store, delete, timeframe, out)
        if export is not None:
            return _export(store, export[0], Path(export[1]), timeframe, start, end, out)
        print(listing_table(store.listing(), store.root, show_gaps=gaps), file=out)
        return EXIT_OK
    except HistoryError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(
            f"history error: {exc.strerror or exc} ({getattr(exc, 'filename', '') or store.root})"
        )


def listing_table(series: list[SeriesInfo], root: Path, *, show_gaps: bool = False) -> str:
    if not series:
        return (
            f"No history stored in {root} yet; import a file with: "
            "tradeterm import FILE --symbol SYMBOL"
        )
    header = ("Symbol", "Series", "From", "To", "Count", "Gaps")
    rows = [
        (
            s.symbol,
            s.series,
            _seconds_text(s.first),
            _seconds_text(s.last),
            f"{s.count:,}",
            str(len(s.gaps)),
        )
        for s in series
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {4, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [f"History in {root}:", line(header)]
    for info, row in zip(series, rows, strict=True):
        lines.append(line(row))
        if show_gaps:
            lines.extend(
                f"    gap {_seconds_text(g.start)} to {_seconds_text(g.end)} ({_hours(g.seconds)})"
                for g in info.gaps
            )
    return "\n".join(lines)


def _delete(store: HistoryStore, symbol: str, timeframe: str | None, out: TextIO) -> int:
    series = _series_arg(timeframe)
    deleted = store.delete(symbol, series)
    if not deleted:
        what = f"{symbol} {timeframe}" if timeframe else symbol
        return _fail(f"nothing is stored for {what}; nothing was deleted")
    print(f"Deleted {', '.join(deleted)}", file=out)
    return EXIT_OK


def _export(
    store: HistoryStore,
    symbol: str,
    path: Path,
    timeframe: str | None,
    start: str | None,
    end: str | None,
    out: TextIO,
) -> int:
    series = _series_arg(timeframe)
    if series is None:
        stored = [s.series for s in store.listing() if s.symbol == symbol]
        if len(stored) != 1:
            choices = f" (stored: {', '.join(stored)})" if stored else ""
            return _fail(f"say which series of {symbol} to export with --timeframe{choices}")
        series = stored[0]
    ticks = series == TICKS
    lo = _date_arg(start, "--from", ticks=ticks, end_of_day=False)
    hi = _date_arg(end, "--to", ticks=ticks, end_of_day=True)
    if not path.parent.is_dir():
        return _fail(f"the folder {path.parent} does not exist")
    name = series if isinstance(series, str) else series.name
    if store.info(symbol, series) is None:
        return _fail(f"nothing is stored for {symbol} {name}")
    what = f"{symbol} ticks" if ticks else f"{symbol} {name} bars"
    written = store.export_csv(symbol, series, path, lo, hi)
    if written == 0:
        between = f" between {start or 'the start'} and {end or 'the end'}"
        return _fail(f"no {what}{between}; nothing was written")
    print(f"Exported {written:,} {what} to {path}", file=out)
    return EXIT_OK


def _series_arg(timeframe: str | None) -> Timeframe | str | None:
    if timeframe is None:
        return None
    if timeframe.strip().lower() == TICKS:
        return TICKS
    try:
        return Timeframe.parse(timeframe)
    except ValueError as exc:
        raise HistoryError(f"{exc} or ticks") from None


def _date_arg(text: str | None, option: str, *, ticks: bool, end_of_day: bool) -> int | None:
    """``YYYY-MM-DD`` (a whole day) or ``YYYY-MM-DD HH:MM`` as epoch s (ms for ticks)."""
    if text is None:
        return None
    for layout, span in (("%Y-%m-%d", timedelta(days=1)), ("%Y-%m-%d %H:%M", timedelta(minutes=1))):
        try:
            moment = datetime.strptime(text.strip(), layout).replace(tzinfo=UTC)
        except ValueError:
            continue
        if end_of_day:
            moment += span
        millis = int(moment.timestamp() * 1000) - (1 if end_of_day else 0)
        return millis if ticks else millis // 1000
    raise HistoryError(f"{option} {text!r} is not a date like 2024-05-31 or 2024-05-31 14:00")


def _seconds_text(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _msc_text(millis: int) -> str:
    moment = datetime.fromtimestamp(millis // 1000, tz=UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{millis % 1000:03d}"


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:.1f} h" if seconds < 2 * 86_400 else f"{seconds / 86_400:.1f} days"


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_BAD_INPUT
