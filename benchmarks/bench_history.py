"""History benchmark: MT5 import, loading bars for the chart and tester, appends, and the
storage formats the store was chosen from.

Run from the repository root:

    python benchmarks/bench_history.py [--quick] [--repeat 5]

* import of a 1,000,000-line MetaTrader 5 M1 bar export (read, checked, stored), and
  pyarrow's CSV reader alone on the same file, for the floor;
* load of 1,000,000 M1 bars from the store into a ``BAR_DTYPE`` array;
* append of one day of M1 bars (1,440) to 1,000,000 stored, and of 10,000 live
  ticks to 10,000,000 stored;
* the alternatives, each as one file per series: Parquet (lz4, zstd, none), Arrow
  IPC/Feather (none, lz4, zstd), numpy ``.npy`` and SQLite: write, append and read
  of 1,000,000 bars and 10,000,000 ticks, and the size on disk. ``--quick`` runs the
  tick alternatives on 1,000,000 ticks and leaves SQLite's ticks out.

Every time is the best of ``--repeat`` runs (the median is shown beside it): the
machine may be shared, and the best run is the one least disturbed by others.
Under ``run_all.py`` (``--json``) only the headline figures run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
from _report import Row, emit

from app.domain.timeframes import Timeframe
from app.history import BAR_DTYPE, TICK_DTYPE, HistoryStore
from app.history.importer import import_file, read_export
from app.history.schema import from_tables, to_table
from app.history.store import COMPRESSION

BARS = 1_000_000
TICKS = 10_000_000
DAY_OF_M1 = 1_440
LIVE_TICKS = 10_000
MT5_HEADER = "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"


# -- data ----------------------------------------------------------------------------------------


def make_bars(count: int, start: int = 1_483_315_200) -> np.ndarray:
    """M1 bars of a random walk, five decimals, as a broker would give them."""
    rng = np.random.default_rng(7)
    rows = np.zeros(count, dtype=BAR_DTYPE)
    rows["time"] = start + np.arange(count, dtype=np.int64) * 60
    close = np.round(1.05 + np.cumsum(rng.normal(0, 8e-5, count)), 5)
    open_ = np.r_[close[0], close[:-1]]
    rows["open"], rows["close"] = open_, close
    rows["high"] = np.round(np.maximum(open_, close) + rng.integers(0, 15, count) * 1e-5, 5)
    rows["low"] = np.round(np.minimum(open_, close) - rng.integers(0, 15, count) * 1e-5, 5)
    rows["tick_volume"] = rng.integers(1, 400, count)
    rows["spread"] = rng.integers(0, 20, count)
    return rows


def make_ticks(count: int, start_msc: int = 1_483_315_200_000) -> np.ndarray:
    """Ticks about 0.4 s apart (some in the same millisecond), bid and ask moving."""
    rng = np.random.default_rng(11)
    rows = np.zeros(count, dtype=TICK_DTYPE)
    rows["time_msc"] = start_msc + np.cumsum(rng.exponential(400, count).astype(np.int64))
    rows["bid"] = np.round(1.05 + np.cumsum(rng.normal(0, 2e-5, count)), 5)
    rows["ask"] = np.round(rows["bid"] + rng.integers(0, 20, count) * 1e-5, 5)
    rows["flags"] = rng.choice(np.array([2, 4, 6], dtype=np.uint32), count)
    return rows


def write_mt5_export(path: Path, rows: np.ndarray) -> None:
    """A MetaTrader 5 bar export (tab-separated, ``2017.04.19``, ``09:00:00``) of ``rows``."""
    moments = rows["time"].astype("datetime64[s]")
    dates = np.char.replace(np.datetime_as_string(moments.astype("datetime64[D]")), "-", ".")
    clocks = np.array([str(m)[11:19] for m in moments[:DAY_OF_M1]])
    clock_of = clocks[(rows["time"] % 86_400) // 60]
    table = pa.table(
        {
            "d": pa.array(dates),
            "t": pa.array(clock_of),
            **{n: pa.array(np.char.mod("%.5f", rows[n])) for n in ("open", "high", "low", "close")},
            "tv": rows["tick_volume"],
            "v": rows["real_volume"],
            "s": rows["spread"],
        }
    )
    with open(path, "wb") as handle:
        handle.write(MT5_HEADER.encode())
        options = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
        pacsv.write_csv(table, handle, write_options=options)


# -- measuring -------------------------------------------------------------------------------------


Figure = tuple[float, float, float]  # best wall, median wall, best CPU time of this process (ms)


def timed(
    action: Callable[[], object], repeat: int, setup: Callable[[], None] | None = None
) -> Figure:
    """Best and median wall time of ``action``, and its best CPU time, in milliseconds.

    On a shared machine the wall time includes waiting for a core; the process's
    CPU time (all its threads) does not, so it shows what an idle machine would do.
    """
    runs, cpu = [], []
    for _ in range(repeat):
        if setup is not None:
            setup()
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        runs.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return min(runs), statistics.median(runs), min(cpu)


def folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- the alternatives: one file per series ------------------------------------------------------------


class SingleFile:
    """How a store without partitions would keep a series in one file of a format."""

    name = ""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, rows: np.ndarray) -> None:
        raise NotImplementedError

    def read(self, dtype: np.dtype) -> np.ndarray:
        raise NotImplementedError

    def append(self, rows: np.ndarray) -> None:
        """A file format without appends: read it all, add, write it all again."""
        self.write(np.concatenate([self.read(rows.dtype), rows]))


class ParquetFile(SingleFile):
    def __init__(self, path: Path, codec: str) -> None:
        super().__init__(path)
        self.codec = codec
        self.name = f"Parquet, {codec}"

    def write(self, rows: np.ndarray) -> None:
        pq.write_table(to_table(rows), str(self.path), compression=self.codec)

    def read(self, dtype: np.dtype) -> np.ndarray:
        with pq.ParquetFile(str(self.path)) as handle:
            return from_tables([handle.read()], dtype)


class FeatherFile(SingleFile):
    def __init__(self, path: Path, codec: str) -> None:
        super().__init__(path)
        self.codec = codec
        self.name = f"Arrow IPC (Feather), {codec}"

    def write(self, rows: np.ndarray) -> None:
        feather.write_feather(to_table(rows), str(self.path), compression=self.codec)

    def read(self, dtype: np.dtype) -> np.ndarray:
        return from_tables([feather.read_table(str(self.path), memory_map=False)], dtype)


class NpyFile(SingleFile):
    name = "numpy .npy"

    def write(self, rows: np.ndarray) -> None:
        with open(self.path, "wb") as handle:  # np.save would add ".npy" to a bare path
            np.save(handle, rows)

    def read(self, dtype: np.dtype) -> np.ndarray:
        return np.load(self.path)


class SqliteFile(SingleFile):
    """One table per series; bars keyed by time, ticks by rowid with an index on time."""

    name = "SQLite (WAL)"

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def write(self, rows: np.ndarray) -> None:
        self.path.unlink(missing_ok=True)
        with self._connect() as db:
            names = rows.dtype.names or ()
            key = " PRIMARY KEY" if names[0] == "time" else ""
            columns = ", ".join(
                f"{n} {'INTEGER' if i == 0 else 'NUMERIC'}{key if i == 0 else ''}"
                for i, n in enumerate(names)
            )
            db.execute(f"CREATE TABLE rows ({columns})")
            if not key:
                db.execute(f"CREATE INDEX by_time ON rows ({names[0]})")
        self.append(rows)

    def append(self, rows: np.ndarray) -> None:
        names = rows.dtype.names or ()
        with self._connect() as db:
            marks = ", ".join("?" * len(names))
            db.executemany(f"INSERT OR REPLACE INTO rows VALUES ({marks})", rows.tolist())

    def read(self, dtype: np.dtype) -> np.ndarray:
        with self._connect() as db:
            found = db.execute(f"SELECT * FROM rows ORDER BY {dtype.names[0]}").fetchall()  # type: ignore[index]
        return np.array(found, dtype=dtype)


def alternatives() -> list[Callable[[Path], SingleFile]]:
    return [
        lambda p: ParquetFile(p, "lz4"),
        lambda p: ParquetFile(p, "zstd"),
        lambda p: ParquetFile(p, "none"),
        lambda p: FeatherFile(p, "uncompressed"),
        lambda p: FeatherFile(p, "lz4"),
        lambda p: FeatherFile(p, "zstd"),
        lambda p: NpyFile(p),
        lambda p: SqliteFile(p),
    ]


def measure_alternative(
    make: Callable[[Path], SingleFile],
    folder: Path,
    rows: np.ndarray,
    more: np.ndarray,
    repeat: int,
) -> tuple[str, list[Figure], int]:
    path = folder / "series.bin"
    store = make(path)
    slow = isinstance(store, SqliteFile)
    times = repeat if not slow else 1
    write = timed(lambda: store.write(rows), times)
    size = folder_size(path) + sum(folder_size(p) for p in folder.glob("series.bin-*"))
    append = timed(lambda: store.append(more), times, setup=lambda: store.write(rows))
    store.write(rows)
    read = timed(lambda: store.read(rows.dtype), times)
    for leftover in folder.glob("series.bin*"):
        leftover.unlink()
    return store.name, [write, append, read], size


# -- the store -----------------------------------------------------------------------------------------


def measure_store(
    folder: Path, bars: np.ndarray, ticks: np.ndarray, repeat: int
) -> dict[str, Figure]:
    root = folder / "store"

    def fresh() -> None:
        shutil.rmtree(root, ignore_errors=True)

    store = HistoryStore(root)
    figures: dict[str, Figure] = {}
    figures["bars write"] = timed(
        lambda: store.write_bars("EURUSD", Timeframe.M1, bars), repeat, setup=fresh
    )
    next_day = make_bars(DAY_OF_M1, start=int(bars["time"][-1]) + 60)

    def with_bars() -> None:
        fresh()
        store.write_bars("EURUSD", Timeframe.M1, bars)

    figures["bars append"] = timed(
        lambda: store.write_bars("EURUSD", Timeframe.M1, next_day), repeat, setup=with_bars
    )
    with_bars()
    figures["bars size"] = (folder_size(root / "bars"), 0, 0)
    figures["bars read"] = timed(lambda: store.read_bars("EURUSD", Timeframe.M1), max(repeat, 10))

    figures["ticks write"] = timed(
        lambda: store.write_ticks("EURUSD", ticks), max(1, repeat // 2), setup=fresh
    )
    live = make_ticks(LIVE_TICKS, start_msc=int(ticks["time_msc"][-1]) + 1)
    figures["ticks size"] = (folder_size(root / "ticks"), 0, 0)
    figures["ticks append"] = timed(lambda: store.append_ticks("EURUSD", live), 1)
    figures["ticks read"] = timed(lambda: store.read_ticks("EURUSD"), repeat)
    return figures


def measure_import(folder: Path, bars: np.ndarray, repeat: int) -> dict[str, Figure]:
    export = folder / "EURUSD_M1.csv"
    write_mt5_export(export, bars)
    root = folder / "imported"
    figures = {
        "import": timed(
            lambda: import_file(HistoryStore(root), export, "EURUSD"),
            repeat,
            setup=lambda: shutil.rmtree(root, ignore_errors=True),
        ),
        "parse": timed(lambda: read_export(export), repeat),
        "arrow csv": timed(
            lambda: pacsv.read_csv(str(export), parse_options=pacsv.ParseOptions(delimiter="\t")),
            repeat,
        ),
    }
    stored = HistoryStore(root).read_bars("EURUSD", Timeframe.M1)
    assert np.array_equal(stored, bars), "the import changed the data"
    return figures


# -- report ------------------------------------------------------------------------------------------


def _ms(figure: Figure) -> str:
    best, median, cpu = figure
    if best >= 10:
        return f"{best:,.0f} ms ({median:,.0f}; CPU {cpu:,.0f})"
    return f"{best:.1f} ms ({median:.1f}; CPU {cpu:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1,000,000 ticks, no SQLite ticks")
    parser.add_argument("--json", action="store_true", help="headline figures for run_all.py")
    args = parser.parse_args()
    quick = args.quick or args.json
    repeat = 3 if args.json else args.repeat

    bars = make_bars(BARS)
    ticks = make_ticks(TICKS // 10 if quick else TICKS)
    with tempfile.TemporaryDirectory(prefix="bench-history-") as name:
        folder = Path(name)
        imported = measure_import(folder, bars, repeat)
        store = measure_store(folder, bars, ticks, repeat)

        rows = [
            Row(
                "import of a 1,000,000-line MT5 M1 export",
                imported["import"][0],
                "ms",
                target="< 2 s",
            ),
            Row("  of which pyarrow's CSV reader alone", imported["arrow csv"][0], "ms"),
            Row(
                "load of 1,000,000 M1 bars (BAR_DTYPE)",
                store["bars read"][0],
                "ms",
                target="< 50 ms",
            ),
            Row("append one day of M1 bars to 1,000,000", store["bars append"][0], "ms"),
            Row(
                f"append {LIVE_TICKS:,} live ticks to {len(ticks):,}",
                store["ticks append"][0],
                "ms",
            ),
        ]
        emit("History store", rows)
        if args.json:
            return

        print()
        load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
        print(
            f"Best wall time of {repeat} runs (median; best CPU time of the process, all its "
            f"threads); {os.cpu_count()} cores shared with other work{load}"
        )
        print()
        codecs = ", ".join(f"{kind} {codec}" for kind, codec in COMPRESSION.items())
        print(f"| Tradeterm store (Parquet: {codecs}; a file per year / per day) | time |")
        print("|---|---:|")
        print(f"| read + check 1,000,000-line MT5 export (no store) | {_ms(imported['parse'])} |")
        print(f"| import (read, check, store) | {_ms(imported['import'])} |")
        print(f"| pyarrow CSV reader alone (typed, all cores) | {_ms(imported['arrow csv'])} |")
        print(f"| write 1,000,000 bars | {_ms(store['bars write'])} |")
        print(f"| append 1,440 bars | {_ms(store['bars append'])} |")
        print(f"| read 1,000,000 bars | {_ms(store['bars read'])} |")
        print(f"| bars on disk | {store['bars size'][0] / 1e6:.1f} MB |")
        print(f"| write {len(ticks):,} ticks | {_ms(store['ticks write'])} |")
        print(f"| append {LIVE_TICKS:,} ticks | {_ms(store['ticks append'])} |")
        print(f"| read {len(ticks):,} ticks | {_ms(store['ticks read'])} |")
        print(f"| ticks on disk | {store['ticks size'][0] / 1e6:.1f} MB |")

        print()
        print(
            f"Alternatives, one file per series: 1,000,000 bars (append 1,440) and {len(ticks):,} ticks (append 10,000)"
        )
        print()
        print(
            "| format | bars write | bars append | bars read | bars MB | ticks write | ticks append | ticks read | ticks MB |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        more_bars = make_bars(DAY_OF_M1, start=int(bars["time"][-1]) + 60)
        more_ticks = make_ticks(LIVE_TICKS, start_msc=int(ticks["time_msc"][-1]) + 1)
        for make in alternatives():
            name, bar_figures, bar_size = measure_alternative(make, folder, bars, more_bars, repeat)
            if quick and name.startswith("SQLite"):
                tick_cells = ["—"] * 4
            else:
                _, tick_figures, tick_size = measure_alternative(
                    make, folder, ticks, more_ticks, max(1, repeat // 2)
                )
                tick_cells = [*(_ms(f) for f in tick_figures), f"{tick_size / 1e6:.0f}"]
            cells = [*(_ms(f) for f in bar_figures), f"{bar_size / 1e6:.1f}", *tick_cells]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
