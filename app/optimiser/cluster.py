"""Passes on a Dask distributed cluster: the same pass function on the cluster's workers.

Tradeterm schedules nothing itself here: Dask's scheduler places the passes,
re-runs the ones a lost worker had, and streams results back as they finish. A
worker whose connection closes is noticed at once; a machine that vanishes
without closing it (power, network) only when it misses its heartbeats for the
scheduler's ``worker-ttl`` (5 minutes unless the desk sets less, see
docs/optimiser.md). A finished pass whose result lived on such a worker cannot
be fetched until then: after ``RESULT_WAIT_S`` it is counted lost and sent again,
so no pass waits on a dead machine for ever and none is counted twice.

What this module adds is the shipping: the history is scattered to every worker
once (``broadcast=True``), and each pass names it by its future, so a pass
carries only its parameters; the strategy catalogue is built on a worker's first
pass and kept.

Cancel is a Dask ``Event``: queued passes are cancelled, running ones read the
event between chunks of their replay (at most every ``CHECK_EVERY_S``) and stop.

``distributed`` is an optional extra (``tradeterm[cluster]``); it is imported
only when a cluster is used.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from app.optimiser.errors import OptimiserError
from app.optimiser.passes import CatalogRecipe, PassJob, PassOutcome, run_on_cluster
from app.tester.market import MarketHistory

CONNECT_TIMEOUT_S = 5
RESULT_WAIT_S = 20
"""How long a finished pass's result may take to arrive before the pass is sent again."""
CHECK_EVERY_S = 0.25
MAX_RESUBMITS = 5


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise OptimiserError(
            "optimising on a cluster needs Dask distributed: pip install 'tradeterm[cluster]'"
        ) from None
    return distributed


class ClusterWorkers:
    """Passes on the workers of the Dask scheduler at ``address`` (``tcp://HOST:8786``)."""

    def __init__(self, address: str, *, timeout: float = CONNECT_TIMEOUT_S) -> None:
        address = address.strip()
        if "://" not in address:
            address = f"tcp://{address}"
        distributed = _distributed()
        try:
            self.client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise OptimiserError(
                f"cannot reach the Dask scheduler at {address}: {_why(exc)}"
            ) from None
        except ValueError as exc:
            raise OptimiserError(f"{address} is not a scheduler address: {exc}") from None
        workers = self.client.scheduler_info().get("workers", {})
        threads = sum(int(w.get("nthreads", 1)) for w in workers.values())
        if not threads:
            self.client.close()
            raise OptimiserError(
                f"the Dask scheduler at {address} has no workers; start some with dask worker {address}"
            )
        self.workers = threads
        self.where = f"the Dask cluster at {address} ({len(workers)} workers, {threads} threads)"
        self._run = uuid.uuid4().hex[:12]
        self._cancel_name = f"tradeterm-cancel-{self._run}"
        self._event = distributed.Event(self._cancel_name, client=self.client)
        self._market: Any = None
        self._recipe: Any = None
        self._submitted = 0
        self._resubmits: dict[int, int] = {}

    def start(self, market: MarketHistory, recipe: CatalogRecipe) -> None:
        self._market = self.client.scatter(market, broadcast=True, hash=False)
        self._recipe = recipe

    def submit(self, job: PassJob) -> Any:
        self._submitted += 1
        return self.client.submit(
            run_on_cluster,
            job,
            self._market,
            self._recipe,
            self._cancel_name,
            key=f"tradeterm-pass-{self._run}-{job.index}-{self._submitted}",
            pure=False,
        )

    def wait(self, futures: Iterable[Any], timeout: float) -> set[Any]:
        """The futures that finished, waiting up to ``timeout`` for one (a few are in
        flight at a time: asking each is cheaper than a round trip to the scheduler)."""
        pending = list(futures)
        deadline = time.monotonic() + timeout
        while True:
            done = {f for f in pending if f.done()}
            if done or time.monotonic() >= deadline:
                return done
            time.sleep(0.01)

    def outcome(self, future: Any) -> PassOutcome | None:
        """The outcome, or None (lost) when Dask gave up on the pass's workers or its
        result did not arrive within ``RESULT_WAIT_S`` (then it is released here)."""
        distributed = _distributed()
        try:
            return future.result(timeout=RESULT_WAIT_S)
        except TimeoutError:
            self._release(future)
            return None
        except distributed.client.FutureCancelledError:
            return None
        except Exception as exc:
            if type(exc).__name__ in ("KilledWorker", "CommClosedError", "TestCancelled"):
                return None
            raise

    def _release(self, future: Any) -> None:
        try:
            self.client.cancel([future])
        except Exception:  # the scheduler is gone: the pass is lost either way
            return

    def cancel(self, futures: Iterable[Any] = ()) -> None:
        try:
            self._event.set()
            self.client.cancel(list(futures))
        except Exception:  # the scheduler is gone: nothing runs there any more
            return

    def close(self) -> None:
        try:
            if self._market is not None:
                self.client.cancel(self._market)
            self._event.clear()
        except Exception:
            pass
        self.client.close()


class ClusterCancel:
    """On a worker: is the optimisation's cancel event set? Asked at most every
    ``CHECK_EVERY_S`` (a pass checks between chunks; the scheduler is a network away)."""

    _cache: ClassVar[dict[str, tuple[float, bool]]] = {}

    def __init__(self, name: str) -> None:
        self.name = name

    def is_set(self) -> bool:
        now = time.monotonic()
        checked = self._cache.get(self.name)
        if checked is not None and (checked[1] or now - checked[0] < CHECK_EVERY_S):
            return checked[1]
        distributed = _distributed()
        try:
            value = bool(distributed.Event(self.name).is_set())
        except Exception:
            value = False
        self._cache[self.name] = (now, value)
        return value


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
