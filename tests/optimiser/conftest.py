"""An optimisation of the hill strategy, ready to run on any workers."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.timeframes import Timeframe
from app.optimiser import (
    CatalogRecipe,
    Goal,
    Optimisation,
    OptimisationRun,
    PassRow,
    build_space,
    plan_windows,
)
from app.strategies.params import specs
from app.tester import TesterSettings
from tests.optimiser.strategies import Hill, HillParams, hill_catalog, hill_market

COARSE = ("entry=0:60:5", "hold=10:80:10")  # 13 x 8 = 104 points, 4 refused (past bar 125)


def hill_run(
    params: Sequence[str] = COARSE,
    *,
    search: str = "grid",
    objective: str = "net_profit",
    constraints: Sequence[str] = (),
    forward: str | None = None,
    walk_forward: int = 0,
    **options: object,
) -> OptimisationRun:
    market = hill_market()
    settings = TesterSettings("hill", "EURUSD", Timeframe.H1)
    optimisation = Optimisation(
        settings=settings,
        space=build_space(params, specs(HillParams)),
        goal=Goal.parse(objective, constraints),
        windows=plan_windows(settings, market, forward=forward, walk_forward=walk_forward),
        search=search,
        **options,  # type: ignore[arg-type]
    )
    return OptimisationRun(optimisation, market, hill_catalog(), CatalogRecipe(classes=(Hill,)))


def table(run: OptimisationRun) -> list[tuple[object, ...]]:
    """Every pass as a comparable tuple: number, parameters, figures in and out."""
    return [_key(row) for row in run.results.rows()]


def _key(row: PassRow) -> tuple[object, ...]:
    return (
        row.index,
        tuple(sorted(row.params.items())),
        tuple(sorted(row.figures.items())),
        tuple(sorted((row.figures_out or {}).items())),
        row.score,
        row.score_out,
        row.feasible,
        row.error,
    )
