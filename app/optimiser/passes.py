"""One optimisation pass: the tester's own pass on every window, boiled down to figures.

``run_pass`` is the function every worker runs — a local worker process or a
Dask worker on another machine — so the results cannot depend on where it ran:
it is ``run_test`` (a pure function of settings, history and strategy) on each
window, and what it sends back is small: the figures and a thinned equity curve
per window, never the deals.

What every pass shares — the history and the strategy catalogue — reaches a
worker once: ``install`` keeps it in the worker process (a local pool's
initializer, or the first pass on a Dask worker, keyed by the content's hash),
so a pass ships only its parameters.
"""

from __future__ import annotations

import hashlib
import pickle
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.optimiser.forward import Window
from app.optimiser.objective import figures_of
from app.strategies.catalog import Catalog, load_catalog
from app.tester.errors import TestCancelled, TesterError
from app.tester.market import MarketHistory
from app.tester.session import CancelFlag, run_test
from app.tester.settings import TesterSettings

CURVE_POINTS = 240
"""Points of each window's equity curve a pass sends back (the chart is small)."""


@dataclass(frozen=True)
class CatalogRecipe:
    """How a worker builds the strategy catalogue: the built-ins, the user's strategy
    files by content (a cluster's workers do not have the trader's folder), and classes
    importable by name (a package's or a test's)."""

    files: tuple[tuple[str, str], ...] = ()  # (file name, source text)
    classes: tuple[type, ...] = ()
    entry_points: bool = False

    @classmethod
    def of(
        cls, user_folder: Path | None, *, classes: tuple[type, ...] = (), entry_points: bool = True
    ) -> CatalogRecipe:
        files: list[tuple[str, str]] = []
        if user_folder is not None and user_folder.is_dir():
            for path in sorted(user_folder.glob("*.py")):
                try:
                    files.append((path.name, path.read_text(encoding="utf-8")))
                except (OSError, UnicodeDecodeError):
                    continue  # load_catalog on the worker names it as a problem
        return cls(tuple(files), classes, entry_points)

    def build(self) -> Catalog:
        folder = None
        if self.files:
            folder = Path(tempfile.mkdtemp(prefix="tradeterm-strategies-"))
            for name, text in self.files:
                (folder / name).write_text(text, encoding="utf-8")
        catalog = load_catalog(folder, entry_points=self.entry_points)
        for cls in self.classes:
            catalog.add(cls, "given")
        return catalog


@dataclass(frozen=True)
class PassJob:
    """What one pass is asked: the base settings, this pass's parameters, the windows."""

    index: int  # the pass's number in the grid order of the space
    settings: TesterSettings
    params: Mapping[str, Any]
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class WindowResult:
    figures: dict[str, float | None]
    curve_time_msc: np.ndarray
    curve_equity: np.ndarray


@dataclass(frozen=True)
class PassOutcome:
    """What a pass sends back: per window, the in-sample and out-of-sample figures."""

    index: int
    params: dict[str, Any]
    in_sample: tuple[WindowResult, ...] = ()
    out_of_sample: tuple[WindowResult, ...] = ()
    error: str = ""  # the pass could not run: why, in one line
    seconds: float = 0.0
    worker: str = field(default="", compare=False)


def run_pass(
    job: PassJob, market: MarketHistory, catalog: Catalog, cancel: CancelFlag | None = None
) -> PassOutcome:
    """Every window of ``job``; a strategy that refuses its parameters or fails is the
    outcome's ``error`` (one pass lost, not the optimisation). ``TestCancelled`` passes up."""
    started = time.perf_counter()
    ins: list[WindowResult] = []
    outs: list[WindowResult] = []
    try:
        for window in job.windows:
            ins.append(_window(job, market, catalog, window.start, window.end, cancel))
            if window.out_start is not None and window.out_end is not None:
                outs.append(_window(job, market, catalog, window.out_start, window.out_end, cancel))
    except TestCancelled:
        raise
    except TesterError as exc:
        return PassOutcome(
            job.index, dict(job.params), error=str(exc), seconds=time.perf_counter() - started
        )
    except Exception as exc:  # the strategy's own bug: this pass is lost, the rest run
        return PassOutcome(
            job.index,
            dict(job.params),
            error=f"{type(exc).__name__}: {exc}",
            seconds=time.perf_counter() - started,
        )
    return PassOutcome(
        job.index, dict(job.params), tuple(ins), tuple(outs), seconds=time.perf_counter() - started
    )


def _window(
    job: PassJob,
    market: MarketHistory,
    catalog: Catalog,
    start: int,
    end: int,
    cancel: CancelFlag | None,
) -> WindowResult:
    settings = job.settings.with_params(job.params)
    from dataclasses import replace

    result = run_test(replace(settings, start=start, end=end), market, catalog, cancel=cancel)
    curve = result.report.curve.thinned(CURVE_POINTS)
    return WindowResult(
        figures_of(result.report.figures),
        np.asarray(curve.time_msc, dtype=np.int64),
        np.asarray(curve.equity, dtype=np.float64),
    )


# --- what a worker process keeps between passes ---------------------------------------

_INSTALLED: dict[str, tuple[MarketHistory, Catalog]] = {}
_CANCEL: list[CancelFlag] = []


def content_key(market_blob: bytes, recipe: CatalogRecipe) -> str:
    digest = hashlib.sha256(market_blob)
    digest.update(pickle.dumps(recipe, protocol=pickle.HIGHEST_PROTOCOL))
    return digest.hexdigest()


def install(
    key: str, market_blob: bytes, recipe: CatalogRecipe, cancel: CancelFlag | None = None
) -> None:
    """A local pool's initializer: the history and catalogue, once per worker process."""
    if key not in _INSTALLED:
        _INSTALLED.clear()  # one optimisation's data at a time
        _INSTALLED[key] = (pickle.loads(market_blob), recipe.build())
    _CANCEL[:] = [cancel] if cancel is not None else []


def run_installed(key: str, job: PassJob) -> PassOutcome:
    """A pass in a local worker process, on what ``install`` kept."""
    market, catalog = _INSTALLED[key]
    outcome = run_pass(job, market, catalog, _CANCEL[0] if _CANCEL else None)
    return outcome


def run_on_cluster(
    job: PassJob, market: MarketHistory, recipe: CatalogRecipe, cancel_name: str
) -> PassOutcome:
    """A pass on a Dask worker. ``market`` arrives as the worker's own copy of the
    scattered history (Dask resolves the future once per worker); the catalogue is
    built on the worker's first pass and kept, keyed by the recipe."""
    key = hashlib.sha256(pickle.dumps(recipe, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
    cached = _INSTALLED.get(key)
    if cached is None:
        _INSTALLED.clear()
        cached = _INSTALLED[key] = (market, recipe.build())
    from app.optimiser.cluster import ClusterCancel

    return run_pass(job, market, cached[1], ClusterCancel(cancel_name))
