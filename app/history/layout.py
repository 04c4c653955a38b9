"""Where each series lives under the history folder, and how its files are cut.

::

    history/
      bars/<SYMBOL>/<TIMEFRAME>/<YYYY>.parquet        one file per calendar year
      ticks/<SYMBOL>/<YYYY-MM-DD>.parquet             one file per day
      locks/                                          one lock file per series

Partitions keep every write small: a new day of M1 bars rewrites one year
(at most ~370,000 bars), a batch of live ticks rewrites one day, never the
whole history. Years and days are taken on the clock of the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.domain.timeframes import Timeframe
from app.history.errors import HistoryError

TICKS = "ticks"
"""The series name of a symbol's ticks, beside bar series named by timeframe (``"H1"``)."""

SUFFIX = ".parquet"

_SYMBOL = re.compile(r"[A-Za-z0-9._#+&!@$^~=/()\[\]-]{1,64}")
# Kept as they are in a folder name; everything else becomes %XX.
_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._#+&!@$^~=()[]-")
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in range(10)
}
_DAY_MS = 86_400_000


def check_symbol(symbol: str) -> str:
    """The symbol, if it looks like a broker's symbol name; else a ``HistoryError``."""
    if not isinstance(symbol, str) or not _SYMBOL.fullmatch(symbol) or set(symbol) == {"."}:
        raise HistoryError(
            f"{symbol!r} is not a symbol name: use up to 64 letters, digits and . _ - # + & ! @ $ ^ ~ = / ( ) [ ]"
        )
    return symbol


def folder_name(symbol: str) -> str:
    """A folder name for ``symbol`` that is valid on Windows, macOS and Linux."""
    name = "".join(c if c in _SAFE else f"%{ord(c):02X}" for c in symbol)
    if name.startswith("."):
        name = "%2E" + name[1:]
    if name.endswith("."):
        name = name[:-1] + "%2E"
    if name.split(".")[0].upper() in _WINDOWS_DEVICES:
        name = f"%{ord(name[0]):02X}{name[1:]}"
    return name


@dataclass(frozen=True, slots=True)
class SeriesPath:
    """One stored series: a symbol's bars of one timeframe, or its ticks."""

    root: Path
    symbol: str
    series: str  # a timeframe name ("M1" .. "D1") or TICKS

    @classmethod
    def bars(cls, root: Path, symbol: str, timeframe: Timeframe) -> SeriesPath:
        return cls(root, check_symbol(symbol), timeframe.name)

    @classmethod
    def ticks(cls, root: Path, symbol: str) -> SeriesPath:
        return cls(root, check_symbol(symbol), TICKS)

    @property
    def is_ticks(self) -> bool:
        return self.series == TICKS

    @property
    def kind(self) -> str:
        """``"ticks"`` or ``"bars"``."""
        return TICKS if self.is_ticks else "bars"

    @property
    def step_seconds(self) -> int:
        """The bar length (0 for ticks), for the gap rule."""
        return 0 if self.is_ticks else Timeframe[self.series].seconds

    @property
    def folder(self) -> Path:
        if self.is_ticks:
            return self.root / "ticks" / folder_name(self.symbol)
        return self.root / "bars" / folder_name(self.symbol) / self.series

    @property
    def lock_file(self) -> Path:
        return self.root / "locks" / f"{folder_name(self.symbol)}.{self.series}.lock"

    @property
    def label(self) -> str:
        """How messages name the series: ``EURUSD H1`` or ``EURUSD ticks``."""
        return f"{self.symbol} {self.series}"

    # -- partitions ----------------------------------------------------------------

    def partition_keys(self, times: np.ndarray) -> np.ndarray:
        """The partition (year, or day number for ticks) of each time (s, or ms for ticks)."""
        if self.is_ticks:
            return np.asarray(times, dtype=np.int64) // _DAY_MS
        years = np.asarray(times, dtype="datetime64[s]").astype("datetime64[Y]")
        return years.astype(np.int64) + 1970

    def partition_key(self, time: int) -> int:
        return int(self.partition_keys(np.array([time], dtype=np.int64))[0])

    def partition_file(self, key: int) -> Path:
        if self.is_ticks:
            day = np.datetime64(int(key), "D")
            return self.folder / f"{day}{SUFFIX}"
        return self.folder / f"{key:04d}{SUFFIX}"

    def key_of_file(self, path: Path) -> int | None:
        """The partition key a file name stands for; None for anything else."""
        stem = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else ""
        if not stem:  # a writer's temporary file, or anything else: not a partition
            return None
        try:
            if self.is_ticks:
                return int(np.datetime64(stem, "D").astype(np.int64))
            return int(stem) if len(stem) == 4 and stem.isdigit() else None
        except ValueError:
            return None

    def partitions(self) -> list[tuple[int, Path]]:
        """The stored partitions, oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            key = self.key_of_file(path)
            if key is not None:
                found.append((key, path))
        return sorted(found)
