"""Writes to the history store on a thread of its own, so the engine never waits on disk.

The engine thread hands over work (a batch of recorded ticks, a downloaded chunk)
with :meth:`HistoryWriter.put`, which never blocks: a Parquet write takes tens
of milliseconds, a poll must not. The writer thread does the writes in order;
what it did and what failed is read back on the engine thread with
:meth:`take_results`, so facts are still published from the engine thread only.
The store (and pyarrow, ~0.2 s to import) is loaded by the writer thread when
the first job comes, never by the engine thread or at start-up.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.history.store import HistoryStore

log = logging.getLogger(__name__)

Job = Callable[["HistoryStore"], int]
"""Work on the store; returns the rows it wrote."""


@dataclass(frozen=True, slots=True)
class Done:
    """What became of one job: the rows written, or why it failed (one sentence)."""

    tag: str  # the caller's name for the job ("ticks EURUSD", "download 3")
    rows: int
    error: str = ""


class HistoryWriter:
    """One thread that writes, in order, what the engine hands it."""

    def __init__(self, root: Path | None = None, *, name: str = "history-writer") -> None:
        self._root = root
        self._jobs: queue.Queue[tuple[str, Job] | None] = queue.Queue()
        self._done: queue.Queue[Done] = queue.Queue()
        self._pending = 0  # jobs put and not yet done (read on the engine thread)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def put(self, tag: str, job: Job) -> None:
        """Queue ``job``; returns at once."""
        if not self._started:
            self._started = True
            self._thread.start()
        with self._lock:
            self._pending += 1
        self._jobs.put((tag, job))

    @property
    def pending(self) -> int:
        """Jobs handed over and not finished yet."""
        with self._lock:
            return self._pending

    def take_results(self) -> list[Done]:
        """Every job finished since the last call, in the order they finished."""
        out = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                return out

    def close(self, timeout: float = 10.0) -> bool:
        """Finish the queued jobs, then stop; False if they took longer than ``timeout``."""
        if not self._started:
            return True
        self._jobs.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        store: HistoryStore | None = None
        while True:
            item = self._jobs.get()
            if item is None:
                return
            tag, job = item
            try:
                if store is None:
                    from app.history.store import HistoryStore

                    store = HistoryStore(self._root)
                done = Done(tag, job(store))
            except Exception as exc:  # a full disk, a locked series: told, never raised here
                from app.history.errors import HistoryError

                if not isinstance(exc, HistoryError | OSError):
                    log.exception("history write %s failed", tag)
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                done = Done(tag, 0, reason)
            with self._lock:
                self._pending -= 1
            self._done.put(done)
