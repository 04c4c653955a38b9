"""Grid, random and genetic search find the hill strategy's known best parameters."""

from __future__ import annotations

import pytest

from app.optimiser import OptimiserError, State, build_space
from app.optimiser.local import InProcessWorkers
from app.optimiser.search import GeneticSearch, GridSearch
from app.strategies.builtin.ma_cross import MaCrossParams
from app.strategies.params import specs
from tests.optimiser.conftest import hill_run, table
from tests.optimiser.strategies import BEST

FINE = ("entry=0:60:1", "hold=10:80:1")  # 61 x 71 = 4,331 points


def test_the_grid_runs_every_point_and_ranks_the_known_best_first() -> None:
    run = hill_run()
    assert run.execute(InProcessWorkers()) is State.FINISHED
    assert run.progress.done == run.progress.total == 104
    assert run.progress.skipped == 4  # entry + hold past bar 125: refused, never run
    assert len(run.results) == 100
    best = run.results.best(1)[0]
    assert {k: best.params[k] for k in BEST} == BEST
    assert best.figures["trades"] == 1
    # one long trade from the trough's open (1.1) to the peak's (1.3), 0.1 lots
    assert best.figures["net_profit"] == pytest.approx(0.2 * 0.1 * 100_000)
    ranked = run.results.ranked()
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert run.results.curve_count() == 10  # only the best passes keep their curves
    assert run.results.curves(best.index) is not None
    assert run.results.curves(ranked[-1].index) is None


def test_constraints_rank_the_passes_that_keep_them_first() -> None:
    grid = hill_run()
    grid.execute(InProcessWorkers())
    kept = [
        r
        for r in grid.results.rows()
        if r.figures["net_profit"] < 1500 and r.figures["trades"] >= 1
    ]
    expected = max(kept, key=lambda r: (r.figures["net_profit"], -r.index))
    run = hill_run(constraints=["net_profit<1500", "trades>=1"])
    run.execute(InProcessWorkers())
    ranked = run.results.ranked()
    assert ranked[0].index == expected.index and ranked[0].feasible
    feasible = [r.feasible for r in ranked]
    assert feasible == sorted(feasible, reverse=True)  # every kept pass before every broken one
    assert sum(feasible) == len(kept)


def test_random_search_samples_distinct_passes_and_the_same_ones_for_a_seed() -> None:
    grid = hill_run()
    grid.execute(InProcessWorkers())
    by_index = {row[0]: row for row in table(grid)}
    first, again, other = (hill_run(search="random", passes=30, seed=s) for s in (7, 7, 8))
    for run in (first, again, other):
        run.execute(InProcessWorkers())
        assert run.progress.done == 30
    assert table(first) == table(again)
    assert table(first) != table(other)
    for row in table(first):  # every sampled pass is the grid's pass of that number
        assert row == by_index[row[0]]
    everything = hill_run(search="random", passes=500)  # more than the space: all of it
    everything.execute(InProcessWorkers())
    assert everything.progress.total == 104
    assert {k: everything.results.best(1)[0].params[k] for k in BEST} == BEST


def test_genetic_search_finds_the_best_of_a_large_space_in_a_fraction_of_its_passes() -> None:
    run = hill_run(FINE, search="genetic", population=30, generations=20, seed=3)
    assert run.execute(InProcessWorkers()) is State.FINISHED
    best = run.results.best(1)[0]
    assert {k: best.params[k] for k in BEST} == BEST
    ran = run.progress.done
    assert ran <= 30 * 20 < 4331 / 7
    again = hill_run(FINE, search="genetic", population=30, generations=20, seed=3)
    again.execute(InProcessWorkers())
    assert table(again) == table(run)


def test_a_space_too_large_for_the_grid_is_refused_before_anything_starts() -> None:
    with pytest.raises(OptimiserError) as caught:
        hill_run(("entry=0:200:0.001", "hold=1:200:0.001"))
    assert "at most 100,000 on one parameter" in str(caught.value)
    space = build_space(["fast", "slow", "atr_period"], specs(MaCrossParams))  # 4.9e8 points
    with pytest.raises(OptimiserError) as caught:
        GridSearch(space)
    assert "use --search genetic" in str(caught.value)
    assert GeneticSearch(space, population=40, generations=25, seed=1).total == 1000
