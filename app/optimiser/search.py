"""How the passes are chosen: every point, a random sample, or a genetic search.

Each search is ask-and-tell: ``ask()`` gives the next passes to run (by their
grid number), ``tell()`` hears how one ranked. The grid and the random sample
never wait for results; the genetic search breeds each generation from the
ranks of the one before, so it asks again only when every pass it asked for was
told. Every random choice is drawn from one seeded ``numpy`` generator in the
process that runs the optimisation, never on a worker: the same seed chooses
the same passes on one core, on all of them, or on a cluster.

Why a small genetic search of our own and not a library: the space is a grid
of indexes, and the search has to hand out a whole generation for the workers
and hear back in any order. DEAP's operators draw from Python's global
``random`` (shared with everything else in the process, so a seed does not
pin the passes), PyGAD runs its own loop and calls the fitness function itself
(no streaming to a cluster, no cancel between passes), and Optuna or Nevergrad
bring a study store and dozens of dependencies for what is here tournament
selection, uniform crossover and a neighbourhood mutation on integers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

from app.optimiser.errors import OptimiserError
from app.optimiser.space import Space

MAX_PASSES = 1_000_000
"""The most passes one optimisation runs; a larger grid is a job for the genetic search."""

Rank = tuple[int, ...] | tuple[object, ...]
"""A pass's rank: larger is better (see ``results.rank_of``)."""


class Search(Protocol):
    name: str

    @property
    def total(self) -> int:
        """The passes it means to run (an upper bound for the genetic search)."""
        ...

    def ask(self) -> list[int] | None:
        """The next passes to run; ``[]`` while waiting for results, None when done."""
        ...

    def tell(self, index: int, rank: Rank) -> None: ...


class GridSearch:
    """Every point of the space, in grid order."""

    name = "grid"
    BATCH = 512

    def __init__(self, space: Space) -> None:
        if space.size > MAX_PASSES:
            raise OptimiserError(
                f"the grid has {space.size:,} passes, more than {MAX_PASSES:,}; use --search "
                "genetic (or random), or narrow the ranges"
            )
        self._indexes: Iterator[int] = space.indexes()
        self._total = space.size
        self._done = False

    @property
    def total(self) -> int:
        return self._total

    def ask(self) -> list[int] | None:
        if self._done:
            return None
        batch = [index for _, index in zip(range(self.BATCH), self._indexes, strict=False)]
        if len(batch) < self.BATCH:
            self._done = True
        return batch if batch else None

    def tell(self, index: int, rank: Rank) -> None:
        return None


class RandomSearch:
    """``passes`` distinct points drawn at random (all of them if the space is smaller)."""

    name = "random"

    def __init__(self, space: Space, passes: int, seed: int) -> None:
        if passes < 1:
            raise OptimiserError(f"--passes must be at least 1 (got {passes})")
        if passes > MAX_PASSES:
            raise OptimiserError(f"--passes {passes:,} is more than {MAX_PASSES:,}")
        rng = np.random.default_rng(seed)
        count = min(passes, space.size)
        self._chosen = _distinct(rng, space, count)
        self._given = False

    @property
    def total(self) -> int:
        return len(self._chosen)

    def ask(self) -> list[int] | None:
        if self._given:
            return None
        self._given = True
        return list(self._chosen)

    def tell(self, index: int, rank: Rank) -> None:
        return None


class GeneticSearch:
    """A generational genetic search on the grid's indexes.

    Generation 0 is ``population`` random points. Each later generation keeps the
    ``ELITE`` best of the last, and breeds the rest: two parents by tournament (the
    better of ``TOURNAMENT`` drawn at random), each parameter from either parent
    (uniform crossover), then each parameter moved, with probability ``mutation``,
    by a step drawn from a normal distribution a tenth of its axis wide (at least
    one step). A child already run is not run again (its rank is remembered); the
    search ends after ``generations`` or when a generation brings nothing new.
    """

    name = "genetic"
    ELITE = 2
    TOURNAMENT = 3
    RETRIES = 8  # tries to breed a child not run before

    def __init__(
        self,
        space: Space,
        *,
        population: int,
        generations: int,
        seed: int,
        mutation: float | None = None,
    ) -> None:
        if population < 4:
            raise OptimiserError(f"--population must be at least 4 (got {population})")
        if generations < 1:
            raise OptimiserError(f"--generations must be at least 1 (got {generations})")
        if population * generations > MAX_PASSES:
            raise OptimiserError(
                f"{population:,} x {generations:,} generations is more than {MAX_PASSES:,} passes"
            )
        self._space = space
        self._sizes = np.array([len(axis) for axis in space.axes], dtype=np.int64)
        self._rng = np.random.default_rng(seed)
        self._population_size = population
        self._generations = generations
        self._mutation = mutation if mutation is not None else max(0.2, 1 / len(space.axes))
        self._ranks: dict[int, Rank] = {}
        self._generation = 0
        self._current: list[int] = []
        self._waiting: set[int] = set()
        self._finished = False

    @property
    def total(self) -> int:
        return min(self._population_size * self._generations, self._space.size)

    @property
    def generation(self) -> int:
        return self._generation

    def ask(self) -> list[int] | None:
        if self._finished:
            return None
        if self._waiting:
            return []
        if self._generation >= self._generations or len(self._ranks) >= self._space.size:
            self._finished = True
            return None
        if self._generation == 0:
            count = min(self._population_size, self._space.size)
            population = _distinct(self._rng, self._space, count)
        else:
            population = self._breed()
        self._generation += 1
        self._current = population
        new = [index for index in dict.fromkeys(population) if index not in self._ranks]
        if not new and self._generation > 1:
            self._finished = True
            return None
        self._waiting = set(new)
        return new

    def tell(self, index: int, rank: Rank) -> None:
        self._ranks[index] = rank
        self._waiting.discard(index)

    def _breed(self) -> list[int]:
        ranked = sorted(self._current, key=lambda i: self._ranks[i], reverse=True)
        children = list(dict.fromkeys(ranked))[: self.ELITE]
        points = {i: np.array(self._space.point(i), dtype=np.int64) for i in self._current}
        born: set[int] = set(children)
        while len(children) < self._population_size:
            for _ in range(self.RETRIES):
                mother, father = points[self._pick(ranked)], points[self._pick(ranked)]
                take = self._rng.random(len(self._sizes)) < 0.5
                child = np.where(take, mother, father)
                child = self._mutate(child)
                index = self._space.index(child.tolist())
                if index not in self._ranks and index not in born:
                    break
            born.add(index)
            children.append(index)
        return children

    def _pick(self, ranked: list[int]) -> int:
        drawn = self._rng.integers(0, len(ranked), size=self.TOURNAMENT)
        return ranked[int(drawn.min())]  # ranked best first: the smallest position wins

    def _mutate(self, child: np.ndarray) -> np.ndarray:
        moved = child.copy()
        for gene, size in enumerate(self._sizes.tolist()):
            if size > 1 and self._rng.random() < self._mutation:
                width = max(1.0, size / 10)
                step = round(float(self._rng.normal(0, width))) or int(self._rng.choice((-1, 1)))
                moved[gene] = min(size - 1, max(0, int(moved[gene]) + step))
        return moved


def _distinct(rng: np.random.Generator, space: Space, count: int) -> list[int]:
    """``count`` distinct passes in a random order; the space may be far larger than an
    int64 (then each parameter's index is drawn on its own)."""
    size = space.size
    if count * 4 >= size:
        return [int(i) for i in rng.permutation(size)[:count]]
    sizes = np.array([len(axis) for axis in space.axes], dtype=np.int64)
    chosen: dict[int, None] = {}
    while len(chosen) < count:
        for point in rng.integers(0, sizes, size=(count - len(chosen), len(sizes))).tolist():
            chosen.setdefault(space.index(point))
    return list(chosen)[:count]
