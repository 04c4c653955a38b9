"""An optimisation from the Tester window's settings: checked at once, then built off the GUI thread.

``check`` is the part that needs nothing but the words (the ranges, the
objective and constraints, the search's size): it runs in the GUI thread when
the trader presses Optimise, so bad input is one line and nothing starts.
``build`` reads the stored history, plans the forward split and reaches the
cluster (which may take seconds): the window runs it on a background thread.
The window's own :class:`~app.tester.TesterSettings` are the base of every
pass, so "Run this pass" tests exactly what the optimiser tested.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from app.optimiser import (
    CatalogRecipe,
    Goal,
    Optimisation,
    OptimisationRun,
    build_space,
    plan_windows,
)
from app.optimiser.command import load_market
from app.optimiser.run import Workers
from app.strategies.catalog import Catalog
from app.strategies.params import specs
from app.tester import TesterSettings
from app.ui.tester.optimise_form import OptimiseChoices


@dataclass(frozen=True)
class OptimiseJob:
    """What ``build`` needs, all plain values (it runs on another thread)."""

    choices: OptimiseChoices
    settings: TesterSettings
    catalog: Catalog
    strategies_folder: Path | None
    history_root: Path | None


def check(job: OptimiseJob) -> Optimisation:
    """Every check that needs no history; ``OptimiserError`` names the first problem.

    The windows are planned later (they need the history); the search is made here
    once so a space too large for the chosen search is refused now."""
    c = job.choices
    cls = job.catalog.classes[job.settings.strategy]
    optimisation = Optimisation(
        settings=job.settings,
        space=build_space(c.params, specs(cls.Params)),
        goal=Goal.parse(c.objective, c.constraints),
        windows=(),
        search=c.search,
        passes=c.passes,
        population=c.population,
        generations=c.generations,
    )
    optimisation.make_search()
    return optimisation


def build(job: OptimiseJob, optimisation: Optimisation) -> tuple[OptimisationRun, Workers]:
    """The run and its workers, ready to start (off the GUI thread: it reads the store)."""
    market = load_market(job.settings, job.history_root)
    windows = plan_windows(job.settings, market, forward=job.choices.forward)
    planned = replace(optimisation, windows=windows)
    run = OptimisationRun(planned, market, job.catalog, CatalogRecipe.of(job.strategies_folder))
    return run, workers_for(job.choices, run.progress.total)


def workers_for(choices: OptimiseChoices, total: int) -> Workers:
    """The cluster when one is named (connecting may take seconds), else local processes."""
    if choices.cluster:
        from app.optimiser.cluster import ClusterWorkers

        return ClusterWorkers(choices.cluster)
    from app.optimiser.local import LocalWorkers

    return LocalWorkers(max(1, min(choices.workers, total)))
