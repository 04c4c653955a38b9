"""One test pass in a worker process, and what the Strategy Tester window lists.

The window must never run a pass itself: a pass takes the CPU for seconds or
minutes, and neither the GUI thread nor the live engine thread may wait on it.
So the window starts :func:`run_pass` in a process of its own (the ``spawn``
start method, the only one Windows has, so it behaves the same everywhere)
and reads what the pass says through a queue: :class:`Progress` now and then,
then exactly one of :class:`Finished`, :class:`Failed` or :class:`Cancelled`.

Everything here is plain values and plain Python (no Qt): the worker imports
this module, the strategies and the store, never the GUI. The window also gets
its lists from here (:func:`load_inventory`: the strategies that load and the
series the store holds), since the GUI does not reach the store directly.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from app.domain.market import RATES_DTYPE
from app.domain.timeframes import Timeframe
from app.tester.errors import TestCancelled, TesterError
from app.tester.settings import Model, TesterSettings

if TYPE_CHECKING:
    from app.strategies.catalog import Catalog
    from app.tester.market import MarketHistory
    from app.tester.result import TesterResult

PROGRESS_EVERY_S = 0.1  # the window redraws its bar at most this often anyway
TICKS = "ticks"


class MessageQueue(Protocol):
    """``multiprocessing.Queue`` (or anything with ``put``)."""

    def put(self, item: object) -> None: ...


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


class JobQueue(Protocol):
    """``multiprocessing.Queue`` (or anything with a blocking ``get``)."""

    def get(self) -> PassJob | None: ...


@dataclass(frozen=True, slots=True)
class StoredSeries:
    """One line of the store's listing, as the window needs it (epoch seconds)."""

    symbol: str
    series: str  # "M1" ... "D1", or "ticks"
    first: int
    last: int
    count: int

    @property
    def timeframe(self) -> Timeframe | None:
        return None if self.series == TICKS else Timeframe[self.series]


@dataclass(frozen=True)
class Inventory:
    """What can be tested: the strategies that loaded and the stored series."""

    catalog: Catalog
    series: tuple[StoredSeries, ...]

    def symbols(self) -> list[str]:
        return sorted({s.symbol for s in self.series})

    def of(self, symbol: str) -> list[StoredSeries]:
        return [s for s in self.series if s.symbol == symbol]


def load_inventory(history_root: Path | None, strategies_folder: Path | None) -> Inventory:
    """The catalogue and the store's listing (reads every partition's footer: call it
    off the GUI thread)."""
    from app.history.store import HistoryStore
    from app.strategies.catalog import load_catalog

    listing = HistoryStore(history_root).listing()
    series = tuple(
        StoredSeries(info.symbol, info.series, info.first, info.last, info.count)
        for info in listing
    )
    return Inventory(load_catalog(strategies_folder), series)


@dataclass(frozen=True)
class PassJob:
    """What the worker is asked to run: the settings and where to find data and code."""

    settings: TesterSettings
    history_root: Path | None = None  # None: the user's store
    strategies_folder: Path | None = None  # the user's strategies folder, if any


@dataclass(frozen=True, slots=True)
class Progress:
    done: int  # prices replayed
    total: int  # prices in all


@dataclass(frozen=True)
class Finished:
    result: TesterResult
    bars: np.ndarray  # RATES_DTYPE: the tested timeframe's bars over the tested range


@dataclass(frozen=True, slots=True)
class Failed:
    message: str  # one line for the trader
    detail: str = ""  # a traceback for the log, when the failure was not foreseen


@dataclass(frozen=True, slots=True)
class Cancelled:
    pass


def serve(jobs: JobQueue, messages: MessageQueue, cancel: CancelFlag) -> None:
    """A worker process started before it is needed: it imports what a pass needs
    (numpy, pyarrow, TA-Lib and the engine take seconds on a busy machine) while the
    trader is still choosing, then runs the one job it is given and ends (``None``:
    nothing to run). One job per process keeps a cancel or a crash from leaving
    anything behind for the next test."""
    with contextlib.suppress(Exception):  # the job's own run then says what is wrong
        warm_up()
    job = jobs.get()
    if job is not None:
        run_pass(job, messages, cancel)


def warm_up() -> None:
    """Import the modules a pass uses."""
    import app.history.store
    import app.strategies.catalog
    import app.tester.session  # noqa: F401


def run_pass(job: PassJob, messages: MessageQueue, cancel: CancelFlag) -> None:
    """The worker process's target: run ``job`` and say how it went, exactly once."""
    try:
        messages.put(_run(job, messages, cancel))
    except TesterError as exc:
        messages.put(Failed(str(exc)))
    except TestCancelled:
        messages.put(Cancelled())
    except Exception as exc:  # the window shows one line; the traceback goes to its log
        messages.put(Failed(f"the test stopped on an error: {exc}", traceback.format_exc()))


def _run(job: PassJob, messages: MessageQueue, cancel: CancelFlag) -> Finished:
    from app.history.errors import HistoryError
    from app.history.store import HistoryStore
    from app.strategies.catalog import load_catalog
    from app.tester.market import load_history
    from app.tester.session import run_test

    settings = job.settings
    catalog = load_catalog(job.strategies_folder)
    ticks = settings.model is Model.TICKS
    try:
        market = load_history(
            HistoryStore(job.history_root),
            settings.symbol,
            ticks=ticks,
            start_msc=settings.start * 1000 if ticks and settings.start is not None else None,
            end_msc=settings.end * 1000 + 999 if ticks and settings.end is not None else None,
        )
    except HistoryError as exc:
        raise TesterError(str(exc)) from None
    if cancel.is_set():
        raise TestCancelled("the test was cancelled")
    said = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - said[0] >= PROGRESS_EVERY_S or done >= total:
            said[0] = now
            messages.put(Progress(done, total))

    result = run_test(settings, market, catalog, cancel=cancel, progress=progress)
    return Finished(result, chart_bars(market, result))


def chart_bars(market: MarketHistory, result: TesterResult) -> np.ndarray:
    """The bars of the tested timeframe over the tested range: those the strategy saw
    (made from M1 in the M1 models, from the ticks in the real-ticks model if no bars
    of the timeframe are stored)."""
    settings = result.settings
    tf = settings.timeframe
    rows = market.from_m1(tf) if settings.model.needs_m1 else market.series(tf)
    if settings.model is Model.TICKS and not len(rows) and market.ticks is not None:
        rows = bars_from_ticks(market.ticks, tf)
    first = result.first_msc // 1000 // tf.seconds * tf.seconds
    last = result.last_msc // 1000
    times = rows["time"]
    return np.ascontiguousarray(rows[(times >= first) & (times <= last)])


def bars_from_ticks(ticks: np.ndarray, timeframe: Timeframe) -> np.ndarray:
    """Bid bars of ``timeframe`` from ticks (for a chart: tick counts as the volume)."""
    if not len(ticks):
        return np.zeros(0, dtype=RATES_DTYPE)
    bid = ticks["bid"].astype(np.float64)
    buckets = ticks["time_msc"] // 1000 // timeframe.seconds * timeframe.seconds
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    ends = np.r_[starts[1:] - 1, len(ticks) - 1]
    out = np.zeros(len(starts), dtype=RATES_DTYPE)
    out["time"] = buckets[starts]
    out["open"] = bid[starts]
    out["high"] = np.maximum.reduceat(bid, starts)
    out["low"] = np.minimum.reduceat(bid, starts)
    out["close"] = bid[ends]
    out["tick_volume"] = np.diff(np.r_[starts, len(ticks)])
    return out


def series_needed(settings: TesterSettings, stored: Sequence[StoredSeries]) -> list[str]:
    """The stored series a pass with ``settings`` would replay, best first."""
    names = {s.series for s in stored if s.symbol == settings.symbol}
    if settings.model is Model.TICKS:
        return [TICKS] if TICKS in names else []
    if settings.model.needs_m1:
        return ["M1"] if "M1" in names else []
    return [n for n in (settings.timeframe.name, "M1") if n in names][:1]
