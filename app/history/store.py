"""The history store: bars and ticks per symbol, as Parquet files in the user data folder.

Why Parquet (``docs/history.md`` has the measurements): a million M1 bars load
into a ``BAR_DTYPE`` array within the 50 ms the chart and tester need, the files
are 3.5 (bars) to 7 (ticks) times smaller than raw arrays, which matters for
years of ticks, and pandas, Polars or DuckDB open them as they are.

Rules every write keeps:

* **Atomic.** A partition is written to a temporary file beside it, flushed to
  disk and then swapped in with ``os.replace``: a reader, or the next start after
  a crash, sees the old file or the new one, never half of one.
* **One writer per series**, across processes (the terminal and ``tradeterm
  import``), by a lock file; readers take no lock.
* **No duplicates.** Bars are unique by open time: a written bar replaces a
  stored bar with the same time, whatever else the write holds. Ticks have no
  key (several may share a millisecond), so a written batch replaces, day by day,
  the stored ticks between its first and last time in that day.
* **Live ticks append** (:meth:`HistoryStore.append_ticks`): a batch that starts
  at or after the stored end is added as it is, keeping ticks that share the
  boundary millisecond.

A write spanning several partitions swaps them one by one; a crash in between
leaves whole files of the old and the new data, and importing again repairs it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from app.domain.timeframes import Timeframe
from app.history.errors import HistoryError
from app.history.gaps import Gap, find_gaps
from app.history.layout import SUFFIX, TICKS, SeriesPath, check_symbol
from app.history.schema import (
    BAR_DTYPE,
    TICK_DTYPE,
    fill_from_tables,
    stored_times,
    time_field,
    to_table,
)

log = logging.getLogger(__name__)
_T = TypeVar("_T")

COMPRESSION = {"bars": "none", "ticks": "zstd"}
"""Parquet codec per kind of series (``docs/history.md`` has the measurements).

Bars: Parquet's own dictionary encoding already makes a million bars 17 MB (raw:
60 MB) and a codec saves little more, while it costs reading time. Ticks are
where the bulk is: zstd halves them again, and a day's file still reads in ms."""

_META_KEY = b"tradeterm"
_FORMAT_VERSION = 1
_REPLACE_ATTEMPTS = 100  # Windows refuses to replace a file a reader has open: wait for it
_REPLACE_PAUSE = 0.02


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """One line of the listing. Times are epoch seconds on the data's clock."""

    symbol: str
    series: str  # "M1" ... "D1", or "ticks"
    first: int
    last: int
    count: int
    gaps: tuple[Gap, ...]

    @property
    def timeframe(self) -> Timeframe | None:
        return None if self.series == TICKS else Timeframe[self.series]


@dataclass(frozen=True, slots=True)
class _PartitionFacts:
    """What a partition's footer says about it, so a listing never reads the data."""

    symbol: str
    first: int  # native unit: s for bars, ms for ticks
    last: int
    count: int
    gaps: tuple[Gap, ...]


def default_root() -> Path:
    from app.paths import user_data_dir

    return user_data_dir() / "history"


class HistoryStore:
    """Bars and ticks on disk. Safe to share between threads; one writer at a time."""

    def __init__(self, root: Path | None = None, *, lock_timeout: float = 30.0) -> None:
        self.root = Path(root) if root is not None else default_root()
        self._lock_timeout = lock_timeout
        self._local_lock = threading.Lock()

    # -- bars --------------------------------------------------------------------------

    def write_bars(self, symbol: str, timeframe: Timeframe, bars: np.ndarray) -> int:
        """Store ``bars`` (``BAR_DTYPE`` or MT5 rates); stored bars at the same times are
        replaced. Returns the number of bars written."""
        where = SeriesPath.bars(self.root, symbol, timeframe)
        rows = _sorted_unique_bars(_as_dtype(bars, BAR_DTYPE))
        if len(rows) == 0:
            return 0
        with self._writing(where):
            for key, part in _split_by_partition(where, rows, "time"):
                stored = self._read_partition_rows(where, key)
                self._write_partition(where, key, _merge_bars(stored, part))
        return len(rows)

    def read_bars(
        self,
        symbol: str,
        timeframe: Timeframe,
        start: int | None = None,
        end: int | None = None,
    ) -> np.ndarray:
        """Stored bars with open times in ``[start, end]`` (epoch s), oldest first."""
        where = SeriesPath.bars(self.root, symbol, timeframe)
        return self._read_range(where, start, end)

    # -- ticks -------------------------------------------------------------------------

    def write_ticks(self, symbol: str, ticks: np.ndarray) -> int:
        """Store imported or downloaded ticks (``TICK_DTYPE``), replacing, in each day the
        batch touches, the stored ticks between its first and last time there."""
        where = SeriesPath.ticks(self.root, symbol)
        rows = _sorted(_as_dtype(ticks, TICK_DTYPE), "time_msc")
        if len(rows) == 0:
            return 0
        with self._writing(where):
            for key, part in _split_by_partition(where, rows, "time_msc"):
                stored = self._read_partition_rows(where, key)
                self._write_partition(where, key, _splice_ticks(stored, part))
        return len(rows)

    def append_ticks(self, symbol: str, ticks: np.ndarray) -> int:
        """Add a batch of live ticks after the stored ones (same millisecond allowed).

        A batch older than the stored end is refused, untouched: appending must
        never reorder or drop what a recorder already saved.
        """
        where = SeriesPath.ticks(self.root, symbol)
        rows = _sorted(_as_dtype(ticks, TICK_DTYPE), "time_msc")
        if len(rows) == 0:
            return 0
        with self._writing(where):
            partitions = where.partitions()
            if partitions:
                stored_end = _read_facts(partitions[-1][1]).last
                if int(rows["time_msc"][0]) < stored_end:
                    raise HistoryError(
                        f"{where.label}: the batch starts before the stored end; "
                        "use write_ticks to replace stored ticks"
                    )
            for key, part in _split_by_partition(where, rows, "time_msc"):
                stored = self._read_partition_rows(where, key)
                merged = part if stored is None else np.concatenate([stored, part])
                self._write_partition(where, key, merged)
        return len(rows)

    def read_ticks(
        self, symbol: str, start_msc: int | None = None, end_msc: int | None = None
    ) -> np.ndarray:
        """Stored ticks with times in ``[start_msc, end_msc]`` (epoch ms), oldest first."""
        return self._read_range(SeriesPath.ticks(self.root, symbol), start_msc, end_msc)

    # -- the listing, delete, export ---------------------------------------------------------

    def listing(self) -> list[SeriesInfo]:
        """Everything stored: one line per symbol and timeframe (or ticks), sorted."""
        found = []
        for where in self._all_series():
            info = self._series_info(where)
            if info is not None:
                found.append(info)
        order = {tf.name: tf.seconds for tf in Timeframe} | {TICKS: 10**9}  # ticks last
        return sorted(found, key=lambda i: (i.symbol, order.get(i.series, 0)))

    def info(self, symbol: str, series: Timeframe | str) -> SeriesInfo | None:
        """The listing line of one series, or None when nothing is stored."""
        return self._series_info(self._where(symbol, series))

    def delete(self, symbol: str, series: Timeframe | str | None = None) -> list[str]:
        """Delete one series, or every series of ``symbol``; returns what was deleted."""
        check_symbol(symbol)
        if series is None:
            targets = [w for w in self._all_series() if w.symbol == symbol]
        else:
            targets = [self._where(symbol, series)]
        deleted = []
        for where in targets:
            with self._writing(where):
                partitions = where.partitions()
                for _, path in partitions:
                    _retry_on_windows_sharing(lambda p=path: p.unlink(missing_ok=True))  # type: ignore[misc]
                with contextlib.suppress(OSError):
                    where.folder.rmdir()
                    if not where.is_ticks:
                        where.folder.parent.rmdir()  # the symbol's folder, once empty
                if partitions:
                    deleted.append(where.label)
        return deleted

    def export_csv(
        self,
        symbol: str,
        series: Timeframe | str,
        path: Path,
        start: int | None = None,
        end: int | None = None,
    ) -> int:
        """Write a series (or its ``[start, end]`` part) to a CSV file that ``tradeterm
        import`` reads back; returns the rows written. The file appears whole or not
        at all, and not at all when the range holds no data (then 0 is returned).

        ``start``/``end`` are epoch seconds for bars and epoch milliseconds for ticks.
        """
        where = self._where(symbol, series)
        tables = self._read_tables(where, start, end)
        if not tables:
            return 0
        table = pa.concat_tables(tables)
        if where.is_ticks:
            table = table.rename_columns(["time", *table.column_names[1:]])
        else:  # whole seconds, not the stored milliseconds: "2017-04-19 09:00:00"
            table = table.set_column(0, "time", table.column("time").cast(pa.timestamp("s")))
        path = Path(path)
        temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(temporary, "wb") as handle:  # the header unquoted, as MT5 and pandas write it
                handle.write((",".join(table.column_names) + "\n").encode("ascii"))
                options = pacsv.WriteOptions(
                    include_header=False, batch_size=65_536, quoting_style="none"
                )
                pacsv.write_csv(table, handle, write_options=options)
            _retry_on_windows_sharing(lambda: os.replace(temporary, path))
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return table.num_rows

    # -- reading -----------------------------------------------------------------------------

    def _read_range(self, where: SeriesPath, start: int | None, end: int | None) -> np.ndarray:
        tables = self._read_tables(where, start, end)
        out = np.empty(sum(t.num_rows for t in tables), dtype=_dtype_of(where))
        fill_from_tables(out, tables)
        return out

    def _read_tables(self, where: SeriesPath, start: int | None, end: int | None) -> list[pa.Table]:
        lo_key = None if start is None else where.partition_key(start)
        hi_key = None if end is None else where.partition_key(end)
        name = time_field(_dtype_of(where))
        tables = []
        for key, path in where.partitions():
            if (lo_key is not None and key < lo_key) or (hi_key is not None and key > hi_key):
                continue
            table = _read_parquet(where, path)
            if table is None:
                continue  # deleted while we looked
            if start is not None or end is not None:
                times = stored_times(table, name)
                first = 0 if start is None else int(np.searchsorted(times, start, "left"))
                stop = len(times) if end is None else int(np.searchsorted(times, end, "right"))
                table = table.slice(first, max(0, stop - first))
            if table.num_rows:
                tables.append(table)
        return tables

    def _read_partition_rows(self, where: SeriesPath, key: int) -> np.ndarray | None:
        table = _read_parquet(where, where.partition_file(key))
        if table is None:
            return None
        out = np.empty(table.num_rows, dtype=_dtype_of(where))
        fill_from_tables(out, [table])
        return out

    # -- the listing ------------------------------------------------------------------------

    def _all_series(self) -> Iterator[SeriesPath]:
        bars, ticks = self.root / "bars", self.root / "ticks"
        for symbol_dir in _subfolders(bars):
            for tf_dir in _subfolders(symbol_dir):
                if tf_dir.name in Timeframe.__members__:
                    symbol = self._symbol_in(tf_dir)
                    if symbol:
                        yield SeriesPath(self.root, symbol, tf_dir.name)
        for symbol_dir in _subfolders(ticks):
            symbol = self._symbol_in(symbol_dir)
            if symbol:
                yield SeriesPath(self.root, symbol, TICKS)

    def _symbol_in(self, folder: Path) -> str | None:
        """The symbol as written in a partition's footer (folder names are encoded)."""
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            try:
                return _read_facts(path).symbol
            except HistoryError:
                continue
        return None

    def _series_info(self, where: SeriesPath) -> SeriesInfo | None:
        facts = []
        for _, path in where.partitions():
            try:
                facts.append(_read_facts(path))
            except FileNotFoundError:
                continue  # deleted while we looked
            except HistoryError as exc:
                log.warning("%s", exc)
        if not facts:
            return None
        gaps: list[Gap] = []
        to_seconds = 1000 if where.is_ticks else 1
        for before, after in zip([None, *facts[:-1]], facts, strict=True):
            if before is not None:  # the break between two partitions
                edge = np.array([before.last // to_seconds, after.first // to_seconds])
                gaps.extend(find_gaps(edge, where.step_seconds))
            gaps.extend(after.gaps)
        return SeriesInfo(
            symbol=where.symbol,
            series=where.series,
            first=facts[0].first // to_seconds,
            last=facts[-1].last // to_seconds,
            count=sum(f.count for f in facts),
            gaps=tuple(gaps),
        )

    def _where(self, symbol: str, series: Timeframe | str) -> SeriesPath:
        if isinstance(series, Timeframe):
            return SeriesPath.bars(self.root, symbol, series)
        if series == TICKS:
            return SeriesPath.ticks(self.root, symbol)
        try:
            return SeriesPath.bars(self.root, symbol, Timeframe.parse(series))
        except ValueError as exc:
            raise HistoryError(str(exc)) from None

    # -- writing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, where: SeriesPath) -> Iterator[None]:
        where.lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(where.lock_file), timeout=self._lock_timeout)
        with self._local_lock:
            try:
                lock.acquire()
            except Timeout:
                raise HistoryError(
                    f"{where.label} is being written by another Tradeterm process; try again later"
                ) from None
            try:
                self._check_same_symbol(where)
                for stale in where.folder.glob("*.tmp") if where.folder.is_dir() else ():
                    stale.unlink(missing_ok=True)  # left by a writer that crashed
                yield
            finally:
                lock.release()

    def _check_same_symbol(self, where: SeriesPath) -> None:
        """On a case-insensitive disk EURUSDm and EURUSDM share a folder: refuse to mix."""
        stored = self._symbol_in(where.folder) if where.folder.is_dir() else None
        if stored is not None and stored != where.symbol:
            raise HistoryError(
                f"{where.symbol!r} and the stored {stored!r} share a folder on this disk "
                "(they differ only in case); delete one first"
            )

    def _write_partition(self, where: SeriesPath, key: int, rows: np.ndarray) -> None:
        path = where.partition_file(key)
        if len(rows) == 0:
            _retry_on_windows_sharing(lambda: path.unlink(missing_ok=True))
            return
        name = time_field(rows.dtype)
        times = rows[name]
        seconds = times // 1000 if where.is_ticks else times
        facts = {
            "version": _FORMAT_VERSION,
            "symbol": where.symbol,
            "series": where.series,
            "first": int(times[0]),
            "last": int(times[-1]),
            "count": len(rows),
            "gaps": [[g.start, g.end] for g in find_gaps(seconds, where.step_seconds)],
        }
        table = to_table(rows).replace_schema_metadata({_META_KEY: json.dumps(facts)})
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            pq.write_table(table, str(temporary), compression=COMPRESSION[where.kind])
            with open(temporary, "r+b") as handle:  # Windows flushes only a writable handle
                os.fsync(handle.fileno())
            _retry_on_windows_sharing(lambda: os.replace(temporary, path))
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


# -- functions without state ---------------------------------------------------------------------


def _dtype_of(where: SeriesPath) -> np.dtype:
    return TICK_DTYPE if where.is_ticks else BAR_DTYPE


def _as_dtype(rows: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``rows`` with exactly ``dtype``'s fields: MT5's rates and ticks arrays convert
    as they come (a tick's ``volume`` is taken from ``volume_real`` when present)."""
    names = rows.dtype.names or ()
    if rows.dtype == dtype:
        return rows
    source = {name: name for name in dtype.names or ()}
    if dtype == TICK_DTYPE and "volume_real" in names:
        source["volume"] = "volume_real"
    missing = [n for n, s in source.items() if s not in names]
    if missing:
        raise HistoryError(f"the rows have no {', '.join(missing)} field")
    out = np.empty(len(rows), dtype=dtype)
    for name, field in source.items():
        out[name] = rows[field]
    return out


def _sorted(rows: np.ndarray, name: str) -> np.ndarray:
    times = rows[name]
    if len(times) > 1 and np.any(times[1:] < times[:-1]):
        return rows[np.argsort(times, kind="stable")]
    return rows


def _sorted_unique_bars(rows: np.ndarray) -> np.ndarray:
    """Sorted by time; of several bars with one time the last given wins."""
    rows = _sorted(rows, "time")
    times = rows["time"]
    if len(times) > 1 and np.any(times[1:] == times[:-1]):
        keep = np.r_[times[1:] != times[:-1], True]
        rows = rows[keep]
    return rows


def _split_by_partition(
    where: SeriesPath, rows: np.ndarray, name: str
) -> Iterator[tuple[int, np.ndarray]]:
    keys = where.partition_keys(rows[name])
    edges = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
    for lo, hi in itertools.pairwise(edges):
        yield int(keys[lo]), rows[lo:hi]


def _merge_bars(stored: np.ndarray | None, new: np.ndarray) -> np.ndarray:
    if stored is None or len(stored) == 0:
        return new
    if stored["time"][-1] < new["time"][0]:
        return np.concatenate([stored, new])  # the usual append: nothing to replace
    kept = stored[~np.isin(stored["time"], new["time"])]
    merged = np.concatenate([kept, new])
    return merged[np.argsort(merged["time"], kind="stable")]


def _splice_ticks(stored: np.ndarray | None, new: np.ndarray) -> np.ndarray:
    if stored is None or len(stored) == 0:
        return new
    times = stored["time_msc"]
    before = int(np.searchsorted(times, new["time_msc"][0], "left"))
    after = int(np.searchsorted(times, new["time_msc"][-1], "right"))
    return np.concatenate([stored[:before], new, stored[after:]])


def _read_parquet(where: SeriesPath, path: Path) -> pa.Table | None:
    """A partition's table, or None when it does not exist (any more)."""
    try:
        return _retry_on_windows_sharing(lambda: _read_whole(path))
    except FileNotFoundError:
        return None
    except (OSError, pa.ArrowException) as exc:
        raise HistoryError(
            f"{where.label}: the file {path.name} is damaged ({exc}); delete the series and import it again"
        ) from None


def _read_whole(path: Path) -> pa.Table:
    with pq.ParquetFile(
        str(path)
    ) as parquet:  # closed at once: Windows cannot replace an open file
        return parquet.read()


def _read_facts(path: Path) -> _PartitionFacts:
    try:
        with pq.ParquetFile(str(path)) as parquet:
            metadata = parquet.schema_arrow.metadata or {}
        facts = json.loads(metadata[_META_KEY])
        return _PartitionFacts(
            symbol=str(facts["symbol"]),
            first=int(facts["first"]),
            last=int(facts["last"]),
            count=int(facts["count"]),
            gaps=tuple(Gap(int(s), int(e)) for s, e in facts["gaps"]),
        )
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowException, KeyError, ValueError, TypeError) as exc:
        raise HistoryError(f"{path} is not a Tradeterm history file ({exc})") from None


def _subfolders(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir())


def _retry_on_windows_sharing(action: Callable[[], _T]) -> _T:
    """Run ``action``; on Windows a file another process is reading cannot be replaced
    or deleted for that moment (PermissionError), so wait and try again."""
    attempts = _REPLACE_ATTEMPTS if sys.platform == "win32" else 1
    for _ in range(attempts - 1):
        try:
            return action()
        except PermissionError:
            time.sleep(_REPLACE_PAUSE)
    return action()
