"""Import of MetaTrader 5 exports and plain CSV files into the history store.

A file is read whole before anything is stored: every line is checked, a bad
line is reported with its number, and the import either leaves bad lines out
(``on_error="skip"``, the default: it says how many and which) or stops at the
first one (``"stop"``) with nothing stored. A file that is empty, has no data
rows, or is not a bar or tick table at all gives one clear sentence.

The timeframe of bars is the most common spacing between neighbouring bars
unless the caller names one, and a named timeframe that the data contradicts
is refused rather than stored under the wrong name.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from app.domain.timeframes import Timeframe
from app.history.errors import HistoryError
from app.history.formats import Kind, Layout, TimeLayout, delimiter_of, normalise, recognise
from app.history.layout import check_symbol
from app.history.parsing import (
    DAY,
    parse_date_times,
    parse_dates,
    parse_numbers,
    parse_times_of_day,
)
from app.history.schema import BAR_DTYPE, TICK_DTYPE
from app.history.store import HistoryStore

OnError = Literal["skip", "stop"]
SHOWN_BAD_LINES = 5
"""How many bad line numbers a summary names."""

_BLOCK_BYTES = 1 << 22
_SNIFF_BYTES = 1 << 16
_UINT32_MAX = 2**32 - 1


class ImportProblem(HistoryError):
    """The file cannot be imported; nothing was stored."""


@dataclass(frozen=True, slots=True)
class BadLine:
    number: int  # 1 is the header
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A file read and checked, ready to store."""

    path: Path
    layout: Layout
    rows: np.ndarray  # BAR_DTYPE or TICK_DTYPE, sorted by time
    bad_lines: tuple[BadLine, ...]  # the first SHOWN_BAD_LINES
    bad_count: int
    timeframe: Timeframe | None  # bars only
    timeframe_detected: bool = False

    @property
    def is_ticks(self) -> bool:
        return self.layout.kind is Kind.TICKS


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import stored, for the one line the trader reads."""

    symbol: str
    parsed: ParsedFile
    stored: int
    first: int  # epoch s, or ms for ticks
    last: int


def import_file(
    store: HistoryStore,
    path: Path,
    symbol: str,
    *,
    timeframe: Timeframe | None = None,
    on_error: OnError = "skip",
) -> ImportSummary:
    """Read ``path`` whole, then store it in one write; raises ImportProblem when bad."""
    check_symbol(symbol)
    parsed = read_export(path, timeframe=timeframe, on_error=on_error)
    rows = parsed.rows
    if parsed.is_ticks:
        stored = store.write_ticks(symbol, rows)
        first, last = int(rows["time_msc"][0]), int(rows["time_msc"][-1])
    else:
        assert parsed.timeframe is not None
        stored = store.write_bars(symbol, parsed.timeframe, rows)
        first, last = int(rows["time"][0]), int(rows["time"][-1])
    return ImportSummary(symbol, parsed, stored, first, last)


def read_export(
    path: Path, *, timeframe: Timeframe | None = None, on_error: OnError = "skip"
) -> ParsedFile:
    """Read and check a whole file (see the module docstring); raises ImportProblem."""
    path = Path(path)
    data = _text_bytes(path)
    head = bytes(data[:_SNIFF_BYTES]).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = head.split(b"\n", 2)
    header_text = lines[0].decode("utf-8", errors="replace")
    first_row = lines[1].decode("utf-8", errors="replace") if len(lines) > 1 else ""
    layout = _layout(path, header_text, first_row)
    rows, bad_count, bad, data_lines = _read_rows(data, layout)
    if data_lines == 0:
        raise ImportProblem(f"{path.name} has a header but no data rows")
    if bad and on_error == "stop":
        first_bad = bad[0]
        raise ImportProblem(
            f"{path.name} line {first_bad.number}: {first_bad.reason}; nothing was stored"
        )
    if len(rows) == 0:
        reason = f" (line {bad[0].number}: {bad[0].reason})" if bad else ""
        raise ImportProblem(f"{path.name} has no valid data rows{reason}; nothing was stored")
    chosen, detected = (None, False)
    if layout.kind is Kind.BARS:
        chosen, detected = _timeframe(path, rows["time"], timeframe)
    elif timeframe is not None:
        raise ImportProblem(
            f"{path.name} holds ticks, not {timeframe.name} bars; leave out the timeframe"
        )
    return ParsedFile(
        path=path,
        layout=layout,
        rows=rows,
        bad_lines=tuple(bad),
        bad_count=bad_count,
        timeframe=chosen,
        timeframe_detected=detected,
    )


# -- the file as text ---------------------------------------------------------------------------


def _text_bytes(path: Path) -> bytes:
    """The file as UTF-8 bytes (MT5 may write UTF-16), or ImportProblem for non-text."""
    if path.is_dir():
        raise ImportProblem(f"{path} is a folder, not a file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportProblem(f"{path} does not exist") from None
    except OSError as exc:
        raise ImportProblem(f"{path} cannot be read: {exc.strerror or exc}") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = _transcode(path, data, "utf-16")
    elif len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] and data[2]:
        data = _transcode(path, data, "utf-16-le")  # UTF-16 without a byte order mark
    if not data[:_SNIFF_BYTES].strip() and not data.strip():
        raise ImportProblem(f"{path.name} is empty")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise ImportProblem(
            f"{path.name} is not a MetaTrader 5 export or a CSV file (it is not text)"
        )
    return data


def _transcode(path: Path, data: bytes, encoding: str) -> bytes:
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeError:
        raise ImportProblem(
            f"{path.name} is not a MetaTrader 5 export or a CSV file (it is not text)"
        ) from None


def _layout(path: Path, header: str, first_row: str) -> Layout:
    delimiter = delimiter_of(header)
    first_values: dict[str, str] = {}
    if delimiter is not None:
        names = [normalise(n) for n in header.split(delimiter)]
        first_values = dict(zip(names, first_row.split(delimiter), strict=False))
    layout = recognise(header, first_values)
    if layout is None:
        shown = header if len(header) <= 60 else header[:57] + "..."
        raise ImportProblem(
            f"{path.name} is not a MetaTrader 5 export or a CSV file with a header of "
            f"time/date, open, high, low, close (or bid, ask) columns; its first line is {shown!r}"
        )
    return layout


# -- rows ---------------------------------------------------------------------------------------


class _Checks:
    """Which rows failed which check. A reason is worded only for the rows a message
    shows, so a foreign file with a million bad rows costs no more than a good one."""

    def __init__(self, rows: int) -> None:
        self.failed = np.zeros(rows, dtype=bool)
        self._checks: list[tuple[np.ndarray, Callable[[int], str]]] = []

    def fail(self, mask: np.ndarray, reason: Callable[[int], str]) -> None:
        self.failed |= mask
        self._checks.append((mask, reason))

    def reason(self, row: int) -> str:
        return next(reason(row) for mask, reason in self._checks if mask[row])


def _line_numbers(rows: np.ndarray, skipped: np.ndarray) -> np.ndarray:
    """Physical line numbers of table rows, given the (sorted) lines the reader skipped.

    Row 0 is line 2 (after the header) unless lines were skipped before it: the
    line of row ``i`` is ``i + 2`` plus the number of skipped lines up to it.
    """
    if len(skipped) == 0:
        return rows + 2
    rows_before_skip = skipped - 2 - np.arange(len(skipped))  # rows read before each skip
    return rows + 2 + np.searchsorted(rows_before_skip, rows, side="right")


def _read_rows(data: bytes, layout: Layout) -> tuple[np.ndarray, int, list[BadLine], int]:
    """All good rows of the file, sorted; the number of bad lines; the first few of them;
    the number of lines that are not blank."""
    expected = len(layout.header)
    skipped: list[int] = []  # every line the reader left out, for the line numbers
    wrong_shape: list[BadLine] = []

    def on_wrong_shape(row: pacsv.InvalidRow) -> str:
        number = row.number or 0
        skipped.append(number)
        if row.text.strip():  # a line of spaces is a blank line: neither data nor error
            text = row.text if len(row.text) <= 40 else row.text[:37] + "..."
            wrong_shape.append(
                BadLine(number, f"{row.actual_columns} fields, expected {expected}: {text!r}")
            )
        return "skip"

    names = [f"c{i}" for i in range(expected)]
    wanted = sorted(set(layout.columns.values()))
    numeric = {layout.columns[f] for f in layout.columns if f not in ("date", "time")}
    if layout.time_layout in (TimeLayout.EPOCH_SECONDS, TimeLayout.EPOCH_MILLISECONDS):
        numeric.add(layout.columns["time"])

    def read(numbers_as: pa.DataType, threads: bool) -> pa.Table:
        skipped.clear()
        wrong_shape.clear()
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=threads, block_size=_BLOCK_BYTES
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=layout.delimiter,
                invalid_row_handler=on_wrong_shape,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=[names[i] for i in wanted],
                column_types={
                    names[i]: numbers_as if i in numeric else pa.string() for i in wanted
                },
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    # The fast way first: the reader's own number parsing, on every core. A malformed
    # number fails the whole read (then numbers are read as text and checked row by
    # row), and a line of the wrong shape has no line number when read in parallel
    # (then the file is read again on one thread, which counts lines).
    try:
        table = read(pa.float64(), threads=True)
        if skipped:
            table = read(pa.float64(), threads=False)
    except pa.ArrowInvalid:
        table = read(pa.string(), threads=False)
    column = {f: table.column(names[i]) for f, i in layout.columns.items()}
    blank = np.ones(table.num_rows, dtype=bool)  # an empty line reads as a row of nulls
    for values in column.values():
        blank &= np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)

    checks = _Checks(table.num_rows)
    times, time_ok = _times(layout, column)
    time_label = " ".join(layout.column_label(f) for f in ("date", "time") if f in layout.columns)
    checks.fail(~time_ok, lambda r: f"bad date or time in {time_label}: {_time_text(column, r)!r}")
    if layout.kind is Kind.BARS:
        rows = _bars(layout, column, times, checks)
    else:
        rows = _ticks(layout, column, times, checks, good=~checks.failed & ~blank)
    bad_rows = np.flatnonzero(checks.failed & ~blank)
    good = ~checks.failed & ~blank

    lines = _line_numbers(bad_rows[:SHOWN_BAD_LINES], np.array(sorted(skipped), dtype=np.int64))
    shown = [BadLine(int(n), checks.reason(int(r))) for r, n in zip(bad_rows, lines, strict=False)]
    first_bad = sorted(shown + wrong_shape[:SHOWN_BAD_LINES], key=lambda b: b.number)
    kept = rows[good]
    times = kept["time" if layout.kind is Kind.BARS else "time_msc"]
    if np.any(times[1:] < times[:-1]):
        kept = kept[np.argsort(times, kind="stable")]
    data_lines = int(np.count_nonzero(~blank)) + len(wrong_shape)
    return kept, len(bad_rows) + len(wrong_shape), first_bad[:SHOWN_BAD_LINES], data_lines


def _time_text(column: dict[str, pa.ChunkedArray], row: int) -> str:
    parts = [column[f][row].as_py() for f in ("date", "time") if f in column]
    return " ".join(p or "" for p in parts).strip()


def _times(layout: Layout, column: dict[str, pa.ChunkedArray]) -> tuple[np.ndarray, np.ndarray]:
    """Epoch milliseconds of every row, and which rows have a valid time."""
    raw = column["time"]
    if layout.time_layout is TimeLayout.DATE_AND_TIME:
        days, date_ok = parse_dates(column["date"])
        millis, clock_ok = parse_times_of_day(raw, repeating=layout.kind is Kind.BARS)
        return days * DAY * 1000 + millis, date_ok & clock_ok
    if layout.time_layout in (TimeLayout.DATE, TimeLayout.DATE_TIME):
        return parse_date_times(raw)
    values, ok, empty = parse_numbers(raw)
    scale = 1 if layout.time_layout is TimeLayout.EPOCH_MILLISECONDS else 1000
    with np.errstate(invalid="ignore"):
        ok &= ~empty & (values >= 0) & (values == np.floor(values)) & (values * scale < 2**62)
    return np.where(ok, values * scale, 0).astype(np.int64), ok


def _field(
    layout: Layout,
    column: dict[str, pa.ChunkedArray],
    name: str,
    checks: _Checks,
    *,
    required: bool,
    integral: bool = False,
    non_negative: bool = False,
    maximum: float | None = None,
) -> np.ndarray:
    """A numeric field's values (NaN where empty or bad); failures go to ``checks``."""
    if name not in layout.columns:
        return np.full(len(checks.failed), np.nan)
    raw = column[name]
    values, ok, empty = parse_numbers(raw)
    if ok.all() and not empty.any() and not (integral or non_negative or maximum is not None):
        return values  # the usual price column: every field a number
    if required:
        ok &= ~empty
    with np.errstate(invalid="ignore"):
        if integral:
            ok &= empty | (values == np.floor(values))
        if non_negative:
            ok &= empty | (values >= 0)
        if maximum is not None:
            ok &= empty | (values <= maximum)
    label = layout.column_label(name)
    kind = "a whole number" if integral else "a number"
    if non_negative:
        kind = f"{kind} of 0 or more"

    def reason(row: int) -> str:
        text = raw[row].as_py()
        return f"empty {label}" if text is None else f"{label} is not {kind}: {text!r}"

    checks.fail(~ok, reason)
    return np.where(ok, values, np.nan)


def _bars(
    layout: Layout, column: dict[str, pa.ChunkedArray], times: np.ndarray, checks: _Checks
) -> np.ndarray:
    rows = np.zeros(len(times), dtype=BAR_DTYPE)
    rows["time"] = times // 1000
    for name in ("open", "high", "low", "close"):
        rows[name] = np.nan_to_num(_field(layout, column, name, checks, required=True))
    for name, limit in (
        ("tick_volume", 2.0**63),
        ("real_volume", 2.0**63),
        ("spread", 2.0**31 - 1),
    ):
        values = _field(
            layout,
            column,
            name,
            checks,
            required=False,
            integral=True,
            non_negative=True,
            maximum=limit,
        )
        rows[name] = np.nan_to_num(values).astype(rows.dtype[name])
    o, h, lo, c = rows["open"], rows["high"], rows["low"], rows["close"]
    inconsistent = ~checks.failed & ((h < np.maximum(o, c)) | (lo > np.minimum(o, c)))
    checks.fail(inconsistent, lambda r: "the high and low do not contain the open and close")
    return rows


def _ticks(
    layout: Layout,
    column: dict[str, pa.ChunkedArray],
    times: np.ndarray,
    checks: _Checks,
    *,
    good: np.ndarray,
) -> np.ndarray:
    rows = np.zeros(len(times), dtype=TICK_DTYPE)
    rows["time_msc"] = times
    prices = {
        name: _field(layout, column, name, checks, required=False)
        for name in ("bid", "ask", "last")
    }
    volume = _field(layout, column, "tick_quantity", checks, required=False, non_negative=True)
    rows["volume"] = np.nan_to_num(volume)
    flags = _field(
        layout,
        column,
        "flags",
        checks,
        required=False,
        integral=True,
        non_negative=True,
        maximum=_UINT32_MAX,
    )
    rows["flags"] = np.nan_to_num(flags).astype(np.uint32)
    # An empty price means "unchanged": carry the last one forward over the good rows
    # only, so that a bad line's price never leaks into its neighbours.
    good = good & ~checks.failed
    for name, values in prices.items():
        rows[name] = _carry_forward(np.where(good, values, np.nan))
    return rows


def _carry_forward(values: np.ndarray) -> np.ndarray:
    """Each NaN replaced by the last known value before it (0 before the first)."""
    known = ~np.isnan(values)
    index = np.where(known, np.arange(len(values)), -1)
    np.maximum.accumulate(index, out=index)
    return np.where(index >= 0, values[np.maximum(index, 0)], 0.0)


# -- timeframe ----------------------------------------------------------------------------------


def _timeframe(path: Path, times: np.ndarray, given: Timeframe | None) -> tuple[Timeframe, bool]:
    """The timeframe to store under: the given one if the data agrees, else the detected."""
    spacing = most_common_spacing(times)
    detected = next((tf for tf in Timeframe if tf.seconds == spacing), None)
    if given is not None:
        if spacing is not None and spacing != given.seconds:
            seen = detected.name if detected else _duration(spacing)
            raise ImportProblem(
                f"{path.name} holds bars {seen} apart, not {given.name}; "
                "leave out the timeframe to use what the data says"
            )
        return given, False
    if spacing is None:
        raise ImportProblem(
            f"{path.name} has one bar only; give the timeframe (e.g. --timeframe H1)"
        )
    if detected is None:
        names = ", ".join(tf.name for tf in Timeframe)
        raise ImportProblem(
            f"{path.name} holds bars {_duration(spacing)} apart, which is not a timeframe "
            f"Tradeterm stores ({names})"
        )
    return detected, True


def most_common_spacing(times: np.ndarray) -> int | None:
    """The most common positive difference between neighbouring times (None for < 2)."""
    steps = np.diff(times)
    if np.any(steps < 0):
        steps = np.diff(np.sort(times))
    steps = steps[steps > 0]
    if len(steps) == 0:
        return None
    for timeframe in Timeframe:  # the usual case, without sorting a million steps
        if np.count_nonzero(steps == timeframe.seconds) * 2 > len(steps):
            return timeframe.seconds
    steps = np.sort(steps)
    run_starts = np.flatnonzero(np.r_[True, steps[1:] != steps[:-1]])
    run_lengths = np.diff(np.r_[run_starts, len(steps)])
    return int(steps[run_starts[np.argmax(run_lengths)]])


def _duration(seconds: int) -> str:
    if seconds % 86_400 == 0:
        return f"{seconds // 86_400} days"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    if seconds % 60 == 0:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"
