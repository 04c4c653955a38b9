"""History jobs on the engine: recording live ticks, downloading the broker's history.

One engine client, ``HistoryJobs``, with two jobs and one writer thread:

* **Tick recording.** Switched on by the ``[history] record_ticks`` setting or
  the ``StartTickRecording`` command, off by ``StopTickRecording``. Every poll's
  ticks are kept in memory (a few list appends per tick on the engine thread)
  with the last tick of each symbol in the poll flagged ``POLL_END``, so the
  tester's real-ticks model replays the session poll for poll. Once a minute,
  or every ``FLUSH_TICKS``, they go to the writer thread as one batch: the
  engine never waits on the disk. (Each batch rewrites the day's file of the
  store, so batches are large: a crash loses at most the last minute.) If the disk cannot keep up and more than
  ``MAX_WAITING`` ticks wait, recording stops and says so, rather than grow
  without bound or drop ticks silently.
* **Downloads.** ``DownloadHistory`` fetches bars (``copy_rates_range`` at MT5)
  or ticks (``copy_ticks_range``) over a date range, one chunk per timer call
  on the engine thread — the only thread that may call the broker — so polls
  and orders carry on between chunks; each chunk goes to the writer thread.
  ``DownloadProgress`` follows every chunk; ``CancelDownload`` stops it at the
  next chunk (what was stored stays stored: each chunk is written whole).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.brokers.base import BrokerError
from app.domain.enums import LogLevel
from app.domain.history_jobs import (
    TICKS_SERIES,
    CancelDownload,
    DownloadHistory,
    DownloadProgress,
    RecordingState,
    StartTickRecording,
    StopTickRecording,
)
from app.domain.market import POLL_END, TICK_FLAG_BID_ASK, TICKS_DTYPE, Tick
from app.domain.timeframes import Timeframe
from app.engine.clients import ClientContext, EngineClient, Subscriptions
from app.engine.history_writer import HistoryWriter

if TYPE_CHECKING:
    from app.engine.extensions import EngineServices, HistorySource
    from app.history.store import HistoryStore

log = logging.getLogger(__name__)

TIMER_MS = 50  # one download chunk, at most, per timer
FLUSH_MS = 60_000  # recorded ticks go to the writer at least this often
FLUSH_TICKS = 50_000  # ... or when this many wait
MAX_WAITING = 2_000_000  # ticks held for a writer that does not keep up: then recording stops
TICK_CHUNK_S = 3600  # an hour of ticks per broker call
BAR_CHUNK = 50_000  # bars per broker call
WRITER_CLOSE_S = 10.0


@dataclass
class _Buffer:
    """One symbol's recorded ticks not yet handed to the writer (plain lists: cheap appends)."""

    time_msc: list[int] = field(default_factory=list)
    bid: list[float] = field(default_factory=list)
    ask: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)
    volume: list[float] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)

    def rows(self) -> np.ndarray:
        out = np.empty(len(self.time_msc), dtype=TICKS_DTYPE)
        out["time_msc"], out["bid"], out["ask"] = self.time_msc, self.bid, self.ask
        out["last"], out["volume"], out["flags"] = self.last, self.volume, self.flags
        return out


@dataclass
class _Download:
    command: DownloadHistory
    timeframe: Timeframe | None  # None: ticks
    done_until: int
    received: int = 0
    stored: int = 0
    chunks_out: int = 0  # chunks handed to the writer and not written yet
    fetched: bool = False
    cancelled: bool = False
    error: str = ""

    @property
    def tag(self) -> str:
        return f"download {self.command.symbol} {self.command.series}"


class HistoryJobs(EngineClient):
    """The tick recorder and the downloads (see the module's doc)."""

    name = "history"

    def __init__(
        self,
        core: EngineServices,
        *,
        root: Path | None = None,
        record: bool = False,
        symbols: Sequence[str] = (),
        writer: HistoryWriter | None = None,
        flush_ms: int = FLUSH_MS,
    ) -> None:
        self._core = core
        self._writer = writer or HistoryWriter(root)
        self._flush_ms = flush_ms
        self._recording = record
        self._symbols = frozenset(symbols)
        self._buffers: dict[str, _Buffer] = {}
        self._buffered = 0
        self._in_writer = 0  # recorded ticks handed over, not written yet
        self._batches: deque[int] = deque()  # their batches' sizes, in the writer's order
        self._stored = 0
        self._record_error = ""
        self._flushed_at = 0
        self._download: _Download | None = None
        core.command_handlers.update(
            {
                StartTickRecording: self.start_recording,
                StopTickRecording: lambda _c: self.stop_recording(),
                DownloadHistory: self.download,
                CancelDownload: lambda _c: self.cancel(),
            }
        )
        core.clients.attach(self)

    def subscriptions(self) -> Subscriptions:
        return Subscriptions(timer_ms=TIMER_MS)

    def on_start(self, context: ClientContext) -> None:
        self._flushed_at = self._core.now_msc()
        if self._recording:
            self._say(LogLevel.INFO, f"Recording ticks of {self._which()} into the history store")
            self._publish_recording()

    def on_stop(self) -> None:
        """The engine stops: what was recorded is written before the writer closes."""
        self._flush()
        if not self._writer.close(WRITER_CLOSE_S):
            log.warning("the history writer did not finish within %s s", WRITER_CLOSE_S)
        self._take_results()

    # -- recording -------------------------------------------------------------------
    def on_poll(self, ticks: Sequence[Tick]) -> None:
        if not self._recording:
            return
        wanted = self._symbols
        ends: dict[str, int] = {}
        buffers = self._buffers
        for tick in ticks:
            symbol = tick.symbol
            if wanted and symbol not in wanted:
                continue
            buffer = buffers.get(symbol)
            if buffer is None:
                buffer = buffers[symbol] = _Buffer()
            buffer.time_msc.append(tick.time_msc)
            buffer.bid.append(tick.bid)
            buffer.ask.append(tick.ask)
            buffer.last.append(tick.last)
            buffer.volume.append(tick.volume)
            buffer.flags.append(TICK_FLAG_BID_ASK)
            ends[symbol] = len(buffer.flags) - 1
            self._buffered += 1
        for symbol, at in ends.items():  # the last tick of each symbol in this poll
            buffers[symbol].flags[at] |= POLL_END
        if self._buffered >= FLUSH_TICKS:
            self._flush()

    def start_recording(self, command: StartTickRecording) -> None:
        self._recording, self._record_error = True, ""
        self._symbols = frozenset(s.upper() for s in command.symbols)
        self._say(LogLevel.INFO, f"Recording ticks of {self._which()} into the history store")
        self._publish_recording()

    def stop_recording(self, error: str = "") -> None:
        if not self._recording:
            self._say(LogLevel.INFO, "Tick recording is off already")
            return
        self._recording = False
        self._record_error = error
        self._flush()
        if error:
            self._say(LogLevel.ERROR, f"Tick recording stopped: {error}")
        else:
            self._say(LogLevel.INFO, "Tick recording stopped; what was recorded is being written")
        self._publish_recording()

    def _flush(self) -> None:
        """Hand every buffered tick to the writer, one batch per symbol."""
        self._flushed_at = self._core.now_msc()
        buffers, self._buffers = self._buffers, {}
        for symbol, buffer in buffers.items():
            rows = buffer.rows()
            self._in_writer += len(rows)
            self._batches.append(len(rows))
            self._writer.put(f"ticks {symbol}", partial(_append, symbol=symbol, rows=rows))
        self._buffered = 0
        waiting = self._in_writer
        if self._recording and waiting > MAX_WAITING:
            self.stop_recording(
                f"{waiting:,} ticks wait for the disk, which does not keep up; "
                "nothing recorded so far is lost"
            )

    def _which(self) -> str:
        return ", ".join(sorted(self._symbols)) if self._symbols else "every symbol"

    def _publish_recording(self) -> None:
        self._core.publish(
            RecordingState(
                self._recording,
                tuple(sorted(self._symbols)),
                self._stored,
                self._in_writer + self._buffered,
                self._record_error,
            )
        )

    # -- downloads -------------------------------------------------------------------
    def download(self, command: DownloadHistory) -> None:
        problem = self._download_problem(command)
        if problem is not None:
            self._say(LogLevel.WARNING, f"Download refused: {problem}")
            self._core.publish(
                DownloadProgress(
                    command.symbol, command.series, command.start, command.end, command.start, 0, 0,
                    finished=True, error=problem,
                )
            )  # fmt: skip
            return
        series = command.series.strip()
        timeframe = None if series.lower() == TICKS_SERIES else Timeframe.parse(series)
        self._download = _Download(command, timeframe, command.start)
        what = "ticks" if timeframe is None else f"{timeframe.name} bars"
        self._say(LogLevel.INFO, f"Downloading {command.symbol} {what} from the broker")

    def cancel(self) -> None:
        job = self._download
        if job is None or job.fetched:
            self._say(LogLevel.INFO, "No download is running")
            return
        job.cancelled = job.fetched = True
        self._say(LogLevel.INFO, f"Download of {job.command.symbol} cancelled; what came is kept")
        self._progress(job)

    def _download_problem(self, command: DownloadHistory) -> str | None:
        if self._download is not None and not self._download_done(self._download):
            running = self._download.command
            return f"a download of {running.symbol} {running.series} is running; cancel it first"
        if command.symbol not in self._core.specs:
            return f"no symbol {command.symbol!r} at this broker"
        series = command.series.strip()
        if series.lower() != TICKS_SERIES:
            try:
                Timeframe.parse(series)
            except ValueError as exc:
                return f"{exc} or ticks"
        if command.end < command.start:
            return "the range must end after it starts"
        if self._core.history_source() is None:
            return "not connected to the broker"
        return None

    def _chunk(self, job: _Download, source: HistorySource) -> None:
        """Fetch the next chunk from the broker (engine thread) and hand it to the writer."""
        command = job.command
        lo = job.done_until
        try:
            if job.timeframe is None:
                hi = min(command.end, lo + TICK_CHUNK_S - 1)
                rows = source.ticks_range(command.symbol, lo * 1000, hi * 1000 + 999)
            else:
                hi = min(command.end, lo + BAR_CHUNK * job.timeframe.seconds - 1)
                rows = source.rates_range(command.symbol, job.timeframe, lo, hi)
        except BrokerError as exc:
            job.error, job.fetched = str(exc), True
            self._say(LogLevel.WARNING, f"Download of {command.symbol} stopped: {exc}")
            return
        if rows is None:
            job.error, job.fetched = "this broker keeps no such history to download", True
            return
        job.done_until = hi + 1
        job.fetched = job.done_until > command.end
        if len(rows):
            job.received += len(rows)
            job.chunks_out += 1
            self._writer.put(
                job.tag,
                partial(_store_chunk, symbol=command.symbol, timeframe=job.timeframe, rows=rows),
            )

    def _download_done(self, job: _Download) -> bool:
        return job.fetched and job.chunks_out == 0

    def _progress(self, job: _Download) -> None:
        command = job.command
        self._core.publish(
            DownloadProgress(
                command.symbol, command.series, command.start, command.end,
                min(job.done_until, command.end), job.received, job.stored,
                finished=self._download_done(job), cancelled=job.cancelled, error=job.error,
            )
        )  # fmt: skip

    # -- the timer ------------------------------------------------------------------------
    def on_timer(self, now_msc: int) -> None:
        self._take_results()
        if self._recording and now_msc - self._flushed_at >= self._flush_ms:
            self._flush()
        job = self._download
        if job is None or job.fetched:
            return
        source = self._core.history_source()
        if source is None:
            job.error, job.fetched = "the link to the broker was lost", True
        else:
            self._chunk(job, source)
        self._progress(job)

    def _take_results(self) -> None:
        recorded = False
        job = self._download
        for done in self._writer.take_results():
            if done.tag.startswith("ticks "):
                recorded = True
                self._stored += done.rows
                self._in_writer -= self._batches.popleft() if self._batches else 0
                if done.error and self._recording:
                    self.stop_recording(f"the history store refused a batch ({done.error})")
            elif job is not None and done.tag == job.tag:
                job.chunks_out -= 1
                job.stored += done.rows
                if done.error and not job.error:
                    job.error, job.fetched = (
                        f"the history store refused a chunk ({done.error})",
                        True,
                    )
                if self._download_done(job):
                    self._progress(job)
                    self._finished(job)
        if recorded:
            self._publish_recording()

    def _finished(self, job: _Download) -> None:
        command = job.command
        if job.error:
            self._say(LogLevel.WARNING, f"Download of {command.symbol} ended: {job.error}")
        elif not job.cancelled:
            self._say(
                LogLevel.INFO,
                f"Downloaded {job.stored:,} {command.symbol} {command.series} rows into the history store",
            )

    def _say(self, level: LogLevel, message: str) -> None:
        self._core.say(level, message, source=self.name)


def _store_chunk(
    store: HistoryStore, *, symbol: str, timeframe: Timeframe | None, rows: np.ndarray
) -> int:
    """A downloaded chunk replaces what the store had over its span."""
    if timeframe is None:
        return store.write_ticks(symbol, rows)
    return store.write_bars(symbol, timeframe, rows)


def _append(store: HistoryStore, *, symbol: str, rows: np.ndarray) -> int:
    """Append a recorded batch; one that overlaps stored ticks replaces them over its span."""
    from app.history.errors import HistoryError

    try:
        return store.append_ticks(symbol, rows)
    except HistoryError:
        return store.write_ticks(symbol, rows)


def install_history(
    core: EngineServices,
    *,
    record: bool = False,
    symbols: Sequence[str] = (),
    root: Path | None = None,
) -> HistoryJobs:
    """The history jobs on ``core``: the composition root's one call."""
    return HistoryJobs(core, root=root, record=record, symbols=symbols)
