"""An optimisation run: the plan, the loop that hands passes to workers, the results.

``Optimisation`` is everything that was asked, checked before anything starts.
``OptimisationRun.execute(workers)`` runs it: it asks the search for passes,
skips the points the strategy's parameter model refuses (fast >= slow), keeps a
few passes per worker in flight, and adds each outcome to ``results`` as it
arrives — the CLI's progress bar and the GUI's table read it while it runs.
``cancel()`` (any thread) stops every pass; nothing is started after it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from app.optimiser.errors import OptimiserError
from app.optimiser.forward import Window
from app.optimiser.objective import Goal
from app.optimiser.passes import CatalogRecipe, PassJob, PassOutcome
from app.optimiser.results import Results
from app.optimiser.search import GeneticSearch, GridSearch, RandomSearch, Search
from app.optimiser.space import Space
from app.strategies.catalog import Catalog
from app.strategies.params import ParamError
from app.tester.market import MarketHistory
from app.tester.settings import TesterSettings

IN_FLIGHT_PER_WORKER = 2
SEARCHES = ("grid", "random", "genetic")


class Workers(Protocol):
    """Where passes run: ``LocalWorkers`` or ``ClusterWorkers``."""

    workers: int
    where: str

    def start(self, market: MarketHistory, recipe: CatalogRecipe) -> None: ...
    def submit(self, job: PassJob) -> Any: ...
    def wait(self, futures: Any, timeout: float) -> set[Any]: ...
    def outcome(self, future: Any) -> PassOutcome | None: ...
    def cancel(self, futures: Any = ()) -> None: ...
    def close(self) -> None: ...


class State(StrEnum):
    READY = "ready"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class Optimisation:
    """What to optimise, on what, judged how: checked, plain values."""

    settings: TesterSettings  # the base pass (its params are ignored: the space gives them)
    space: Space
    goal: Goal
    windows: tuple[Window, ...]
    search: str = "grid"
    passes: int = 200  # the random search's sample
    population: int = 40
    generations: int = 25
    seed: int = 1
    keep_curves: int = 10

    def make_search(self) -> Search:
        if self.search == "grid":
            return GridSearch(self.space)
        if self.search == "random":
            return RandomSearch(self.space, self.passes, self.seed)
        if self.search == "genetic":
            return GeneticSearch(
                self.space, population=self.population, generations=self.generations, seed=self.seed
            )
        raise OptimiserError(f"unknown search {self.search!r}; use one of {', '.join(SEARCHES)}")

    @property
    def forward(self) -> bool:
        return any(w.has_forward for w in self.windows)


@dataclass
class Progress:
    done: int = 0  # passes finished (run or refused by the parameter model)
    total: int = 0  # passes the search means to run
    skipped: int = 0  # points the parameter model refused (not run)
    failed: int = 0  # passes that could not run (their error is in the row)
    rerun: int = 0  # passes run again because their worker was lost
    started: float = field(default_factory=time.monotonic)


class OptimisationRun:
    """One run of an ``Optimisation`` on a market and catalogue."""

    def __init__(
        self,
        optimisation: Optimisation,
        market: MarketHistory,
        catalog: Catalog,
        recipe: CatalogRecipe,
    ) -> None:
        self.optimisation = optimisation
        self.market = market
        self.catalog = catalog
        self.recipe = recipe
        self.search = optimisation.make_search()  # a space too large fails here, before workers
        self.results = Results(optimisation.goal, keep_curves=optimisation.keep_curves)
        self.progress = Progress(total=self.search.total)
        self.state = State.READY
        self.error = ""
        self.where = ""
        self._cancel = threading.Event()
        cls = catalog.classes.get(optimisation.settings.strategy)
        if cls is None:
            raise OptimiserError(f"no strategy {optimisation.settings.strategy!r}")
        self._params_model = cls.Params

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return self.optimisation.space.names

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def execute(self, workers: Workers, on_pass: Callable[[Progress], None] | None = None) -> State:
        """Run every pass the search asks for on ``workers``; returns how it ended."""
        self.state = State.RUNNING
        self.where = workers.where
        self.progress.started = time.monotonic()
        try:
            if self.cancelled:
                self.state = State.CANCELLED
                return self.state
            workers.start(self.market, self.recipe)
            self._loop(workers, on_pass)
        except OptimiserError as exc:
            self.state, self.error = State.FAILED, str(exc)
        finally:
            workers.close()
        return self.state

    def _loop(self, workers: Workers, on_pass: Callable[[Progress], None] | None) -> None:
        queue: deque[PassJob] = deque()
        in_flight: dict[Any, PassJob] = {}
        limit = max(2, workers.workers * IN_FLIGHT_PER_WORKER)
        exhausted = False
        while True:
            if self.cancelled:
                workers.cancel(list(in_flight))
                self.state = State.CANCELLED
                return
            while len(in_flight) < limit and not self.cancelled:
                if not queue:
                    if exhausted:
                        break
                    asked = self.search.ask()
                    if asked is None:
                        exhausted = True
                        break
                    if not asked:
                        break  # the search waits for the passes in flight
                    queue.extend(self._jobs(asked, on_pass))
                    continue
                job = queue.popleft()
                in_flight[workers.submit(job)] = job
            if not in_flight:
                if exhausted and not queue:
                    self.state = State.CANCELLED if self.cancelled else State.FINISHED
                    return
                continue
            for future in workers.wait(in_flight, timeout=0.2):
                job = in_flight.pop(future)
                outcome = workers.outcome(future)
                if outcome is None:
                    if self.cancelled:
                        continue
                    self.progress.rerun += 1
                    queue.appendleft(job)  # its worker was lost: run it again
                    continue
                self._record(outcome, on_pass)

    def _jobs(
        self, indexes: list[int], on_pass: Callable[[Progress], None] | None
    ) -> list[PassJob]:
        """The passes to run; a point the parameter model refuses is told as the worst
        rank and counted as skipped, never sent to a worker."""
        jobs = []
        o = self.optimisation
        for index in indexes:
            params = o.space.params(index)
            try:
                self._params_model.parse(params)
            except ParamError:
                self.search.tell(index, (False, False, False, -math.inf, -index))
                self.progress.skipped += 1
                self.progress.done += 1
                if on_pass is not None:
                    on_pass(self.progress)
                continue
            jobs.append(PassJob(index, o.settings, params, o.windows))
        return jobs

    def _record(self, outcome: PassOutcome, on_pass: Callable[[Progress], None] | None) -> None:
        row = self.results.add(outcome)
        self.search.tell(outcome.index, row.rank)
        self.progress.done += 1
        if row.error:
            self.progress.failed += 1
        if on_pass is not None:
            on_pass(self.progress)
