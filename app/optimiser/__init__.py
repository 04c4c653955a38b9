"""The optimiser: a strategy's parameters searched with the tester's own pass.

Plain Python, no Qt, one import layer above ``app.tester``. A pass is
``app.tester.run_test`` on each in-sample and out-of-sample window
(``passes.py``); the search (``search.py``: grid, random, genetic) chooses the
passes, the goal (``objective.py``) ranks them, and they run on local worker
processes (``local.py``) or a Dask cluster (``cluster.py``). ``docs/optimiser.md``
explains the choices.
"""

from app.optimiser.errors import OptimiserError
from app.optimiser.forward import Window, plan_windows
from app.optimiser.objective import FIGURES, Goal
from app.optimiser.passes import CatalogRecipe, PassJob, PassOutcome, run_pass
from app.optimiser.results import PassCurves, PassRow, Results
from app.optimiser.run import Optimisation, OptimisationRun, Progress, State
from app.optimiser.space import Axis, Space, build_space

__all__ = [
    "FIGURES",
    "Axis",
    "CatalogRecipe",
    "Goal",
    "Optimisation",
    "OptimisationRun",
    "OptimiserError",
    "PassCurves",
    "PassJob",
    "PassOutcome",
    "PassRow",
    "Progress",
    "Results",
    "Space",
    "State",
    "Window",
    "build_space",
    "plan_windows",
    "run_pass",
]
