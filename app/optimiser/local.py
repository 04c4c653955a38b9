"""Local worker processes: one per core by default, the same passes as on a cluster.

A ``ProcessPoolExecutor`` with the *spawn* start method, the only one Windows
has and the one the packaged exe supports (the entry point calls
``multiprocessing.freeze_support()``). The history and the catalogue reach each
worker once, through the pool's initializer; a pass ships only its parameters.

A worker process that dies (killed, out of memory) breaks the whole pool in
``concurrent.futures``: every pass in flight comes back lost. They are run
again on a fresh pool; ``MAX_RESTARTS`` in a row is an error, not a loop.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from app.optimiser.errors import OptimiserError
from app.optimiser.passes import (
    CatalogRecipe,
    PassJob,
    PassOutcome,
    content_key,
    install,
    run_installed,
    run_pass,
)
from app.tester.errors import TestCancelled
from app.tester.market import MarketHistory

MAX_RESTARTS = 5
LOST = None
"""What ``outcome`` gives for a pass whose worker died: run it again."""


def default_workers() -> int:
    """Every core this process may use."""
    counter = getattr(os, "process_cpu_count", None) or os.cpu_count
    return max(1, counter() or 1)


class LocalWorkers:
    """Passes on ``workers`` local processes."""

    def __init__(self, workers: int | None = None) -> None:
        count = default_workers() if workers is None else workers
        if count < 1:
            raise OptimiserError(f"--workers must be at least 1 (got {count})")
        self.workers = count
        self.where = f"{count} local worker process{'es' if count != 1 else ''}"
        self._context = multiprocessing.get_context("spawn")
        self._cancel = self._context.Event()
        self._pool: ProcessPoolExecutor | None = None
        self._key = ""
        self._initargs: tuple[Any, ...] = ()
        self.restarts = 0

    def start(self, market: MarketHistory, recipe: CatalogRecipe) -> None:
        blob = pickle.dumps(market, protocol=pickle.HIGHEST_PROTOCOL)
        self._key = content_key(blob, recipe)
        self._initargs = (self._key, blob, recipe, self._cancel)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers, mp_context=self._context, initializer=install, initargs=self._initargs
        )

    def submit(self, job: PassJob) -> Future[PassOutcome]:
        assert self._pool is not None, "start() first"
        try:
            return self._pool.submit(run_installed, self._key, job)
        except BrokenProcessPool:
            self._restart()
            return self._pool.submit(run_installed, self._key, job)

    def _restart(self) -> None:
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise OptimiserError(
                f"the local worker processes died {MAX_RESTARTS} times; the optimisation stopped"
            )
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        done, _ = wait(list(futures), timeout=timeout, return_when=FIRST_COMPLETED)
        return set(done)

    def outcome(self, future: Future[PassOutcome]) -> PassOutcome | None:
        """The pass's outcome, or ``LOST`` when its worker died before it finished."""
        try:
            return future.result()
        except BrokenProcessPool:
            return LOST
        except TestCancelled:
            return LOST

    def cancel(self, futures: Iterable[Any] = ()) -> None:
        """Stop every pass: the running ones at their next chunk, the queued ones at once.

        The pool itself is shut in ``close``, which waits for its processes: a
        ``shutdown(wait=False)`` here would make that wait return at once."""
        self._cancel.set()
        for future in futures:
            future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class InProcessWorkers:
    """Passes in the calling thread, one after another: no processes to start, for a
    debugger or a tiny space. The same pass function as every other place."""

    workers = 1
    where = "this process"

    def __init__(self) -> None:
        self._market: MarketHistory | None = None
        self._catalog: Any = None
        self._cancel = threading.Event()

    def start(self, market: MarketHistory, recipe: CatalogRecipe) -> None:
        self._market, self._catalog = market, recipe.build()

    def submit(self, job: PassJob) -> Future[PassOutcome]:
        assert self._market is not None, "start() first"
        future: Future[PassOutcome] = Future()
        try:
            future.set_result(run_pass(job, self._market, self._catalog, self._cancel))
        except TestCancelled as exc:
            future.set_exception(exc)
        return future

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        return set(futures)

    def outcome(self, future: Future[PassOutcome]) -> PassOutcome | None:
        try:
            return future.result()
        except TestCancelled:
            return LOST

    def cancel(self, futures: Iterable[Any] = ()) -> None:
        self._cancel.set()

    def close(self) -> None:
        self._market = self._catalog = None
