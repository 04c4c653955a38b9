"""What a file's header says it holds: which column is which, and how time is written.

One reading serves MetaTrader 5's exports and plain CSV: header names are
compared without MT5's angle brackets, case, spaces or dashes, so ``<TICKVOL>``,
``tickvol`` and ``Tick Volume`` are one name. The accepted names are listed in
``docs/history.md`` and kept here in ``ALIASES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ALIASES: dict[str, tuple[str, ...]] = {
    # time
    "date": ("date", "day"),
    "time": ("time", "datetime", "date_time", "timestamp"),
    "time_msc": ("time_msc", "timestamp_ms", "time_ms"),
    # bars
    "open": ("open",),
    "high": ("high",),
    "low": ("low",),
    "close": ("close",),
    "tick_volume": ("tick_volume", "tickvol", "tick_vol", "volume"),
    "real_volume": ("real_volume", "vol", "realvol", "real_vol"),
    "spread": ("spread",),
    # ticks
    "bid": ("bid",),
    "ask": ("ask",),
    "last": ("last",),
    "tick_quantity": ("volume", "volume_real", "vol"),
    "flags": ("flags",),
}
BAR_FIELDS = ("open", "high", "low", "close", "tick_volume", "real_volume", "spread")
TICK_FIELDS = ("bid", "ask", "last", "tick_quantity", "flags")


class Kind(Enum):
    BARS = "bars"
    TICKS = "ticks"


class TimeLayout(Enum):
    DATE = "date"  # a date column alone: daily bars
    DATE_AND_TIME = "date and time"  # MT5: <DATE> and <TIME>
    DATE_TIME = "date-time text"  # one column: 2017-04-19 09:00:00
    EPOCH_SECONDS = "epoch seconds"
    EPOCH_MILLISECONDS = "epoch milliseconds"


@dataclass(frozen=True, slots=True)
class Layout:
    """How to read a file: the kind of rows, where time is, which column is which field."""

    kind: Kind
    delimiter: str
    mt5: bool  # the header uses MetaTrader 5's <NAME> style
    time_layout: TimeLayout
    columns: dict[str, int]  # field -> column index in the file
    header: tuple[str, ...]  # the header as written, for messages

    @property
    def description(self) -> str:
        what = "bar" if self.kind is Kind.BARS else "tick"
        return f"MetaTrader 5 {what} export" if self.mt5 else f"CSV {what} file"

    def column_label(self, field: str) -> str:
        return self.header[self.columns[field]]


def normalise(name: str) -> str:
    return (
        name.strip()
        .strip("\"'")
        .strip()
        .strip("<>")
        .strip()
        .lower()
        .replace(" ", "_")
        .replace("-", "_")
    )


def delimiter_of(header: str) -> str | None:
    if "\t" in header:
        return "\t"
    counts = {d: header.count(d) for d in (",", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def recognise(header: str, first_value_of: dict[str, str]) -> Layout | None:
    """The layout a header line describes, or None for a foreign file.

    ``first_value_of`` maps a normalised column name to its value in the first
    data row, to tell epoch numbers from date-time text in a ``time`` column.
    """
    delimiter = delimiter_of(header)
    if delimiter is None:
        return None
    names = [n.strip() for n in header.rstrip("\r\n").split(delimiter)]
    normalised = [normalise(n) for n in names]
    index: dict[str, int] = {}
    for position, name in enumerate(normalised):
        index.setdefault(name, position)

    def find(field: str) -> int | None:
        for alias in ALIASES[field]:
            if alias in index:
                return index[alias]
        return None

    wanted: tuple[str, ...]
    if all(find(f) is not None for f in ("open", "high", "low", "close")):
        kind, wanted = Kind.BARS, BAR_FIELDS
    elif find("bid") is not None and find("ask") is not None:
        kind, wanted = Kind.TICKS, TICK_FIELDS
    else:
        return None
    columns = {f: c for f in wanted if (c := find(f)) is not None}
    if kind is Kind.BARS and columns.get("real_volume") == columns.get("tick_volume"):
        columns.pop("real_volume", None)

    date, clock, msc = find("date"), find("time"), find("time_msc")
    if date is not None and clock is not None and date != clock:
        layout, columns["date"], columns["time"] = TimeLayout.DATE_AND_TIME, date, clock
    elif date is not None and clock is None:
        layout, columns["time"] = TimeLayout.DATE, date
    elif msc is not None:
        layout, columns["time"] = TimeLayout.EPOCH_MILLISECONDS, msc
    elif clock is not None:
        sample = first_value_of.get(normalised[clock], "").strip()
        if sample.isdigit():
            digits_ms = len(sample) >= 12  # 13 digits since 2001; seconds have 10
            layout = TimeLayout.EPOCH_MILLISECONDS if digits_ms else TimeLayout.EPOCH_SECONDS
        else:
            layout = TimeLayout.DATE_TIME
        columns["time"] = clock
    else:
        return None
    mt5 = all(n.startswith("<") and n.endswith(">") for n in names if n)
    return Layout(kind, delimiter, mt5, layout, columns, tuple(names))
