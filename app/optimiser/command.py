"""``tradeterm optimise``: a strategy's parameters optimised on stored history, headless.

Checks everything before a single pass runs — the strategy, every ``--param``
range, the objective and constraints, the forward split, the history, the
search's size and the cluster — and says the first problem in one line (exit 2,
nothing started). Then it runs the passes on every local core (or the Dask
cluster of ``--cluster`` or the ``[optimiser] cluster`` setting) with a
progress bar and the time left, prints the best passes with their in-sample and
out-of-sample figures, and writes every pass to ``--json``. Ctrl+C cancels:
every worker stops, nothing is written, exit 130.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app.optimiser.errors import OptimiserError
from app.optimiser.forward import Window, plan_windows
from app.optimiser.objective import Goal
from app.optimiser.passes import CatalogRecipe
from app.optimiser.results import PassRow, walk_forward
from app.optimiser.run import SEARCHES, Optimisation, OptimisationRun, State, Workers
from app.optimiser.space import build_space
from app.tester.command import (
    EXIT_BAD_INPUT,
    EXIT_CANCELLED,
    EXIT_OK,
    ProgressBar,
    TestRequest,
    _is_terminal,
    _load,
    _on_interrupt,
    _restore_interrupt,
    settings_from,
)
from app.tester.errors import TesterError

if TYPE_CHECKING:
    from app.history.store import HistoryStore
    from app.strategies.catalog import Catalog
    from app.tester.market import MarketHistory
    from app.tester.settings import TesterSettings

EXIT_FAILED = 1
RESULT_FORMAT = 1
SHOWN = 10


@dataclass(frozen=True)
class OptimiseRequest:
    """The command line's words, before they are checked."""

    strategy: str
    symbol: str
    timeframe: str
    params: Sequence[str] = ()
    start: str | None = None
    end: str | None = None
    model: str = "open"
    spread: str | None = None
    commission: str | None = None
    slippage: str | None = None
    deposit: str | None = None
    leverage: str | None = None
    currency: str | None = None
    search: str = "grid"
    objective: str = "net_profit"
    constraints: Sequence[str] = ()
    forward: str | None = None
    walk_forward: int = 0
    passes: int = 200
    population: int = 40
    generations: int = 25
    seed: int = 1
    workers: int | None = None
    cluster: str | None = None
    json_path: Path | None = None


def prepare(
    request: OptimiseRequest,
    catalog: Catalog,
    recipe: CatalogRecipe,
    store: HistoryStore | None = None,
) -> OptimisationRun:
    """Every check but the workers'; ``OptimiserError`` names the first problem."""
    from app.strategies.params import specs

    cls = catalog.classes.get(request.strategy)
    if cls is None:
        known = ", ".join(sorted(catalog.classes)) or "none"
        raise OptimiserError(f"no strategy {request.strategy!r} (available: {known})")
    if request.search not in SEARCHES:
        raise OptimiserError(f"unknown search {request.search!r}; use one of {', '.join(SEARCHES)}")
    space = build_space(request.params, specs(cls.Params))
    goal = Goal.parse(request.objective, request.constraints)
    if request.json_path is not None and not Path(request.json_path).parent.is_dir():
        raise OptimiserError(f"--json: the folder {Path(request.json_path).parent} does not exist")
    try:
        settings = settings_from(
            TestRequest(
                strategy=request.strategy,
                symbol=request.symbol,
                timeframe=request.timeframe,
                start=request.start,
                end=request.end,
                model=request.model,
                spread=request.spread,
                commission=request.commission,
                slippage=request.slippage,
                deposit=request.deposit,
                leverage=request.leverage,
                currency=request.currency,
            ),
            catalog,
        )
        market = _load(store, settings)
    except TesterError as exc:
        raise OptimiserError(str(exc)) from None
    windows = plan_windows(
        settings, market, forward=request.forward, walk_forward=request.walk_forward
    )
    optimisation = Optimisation(
        settings=settings,
        space=space,
        goal=goal,
        windows=windows,
        search=request.search,
        passes=request.passes,
        population=request.population,
        generations=request.generations,
        seed=request.seed,
    )
    return OptimisationRun(optimisation, market, catalog, recipe)


def make_workers(request: OptimiseRequest, total: int, cluster_setting: str = "") -> Workers:
    """The cluster asked for (on the line or in the settings), else local processes."""
    address = request.cluster or (cluster_setting if request.workers is None else "")
    if address:
        from app.optimiser.cluster import ClusterWorkers

        return ClusterWorkers(address)
    from app.optimiser.local import LocalWorkers, default_workers

    count = request.workers if request.workers is not None else default_workers()
    if count < 1:
        raise OptimiserError(f"--workers must be at least 1 (got {count})")
    return LocalWorkers(max(1, min(count, total)))


def run_optimise_command(
    request: OptimiseRequest,
    *,
    store: HistoryStore | None = None,
    catalog: Catalog | None = None,
    recipe: CatalogRecipe | None = None,
    cluster_setting: str = "",
    out: TextIO | None = None,
    err: TextIO | None = None,
    cancel: threading.Event | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if catalog is None:
            catalog, recipe = _user_catalog()
        recipe = recipe or CatalogRecipe()
        run = prepare(request, catalog, recipe, store)
        workers = make_workers(request, run.progress.total, cluster_setting)
    except OptimiserError as exc:
        print(exc, file=err)
        return EXIT_BAD_INPUT
    bar = ProgressBar(err) if _is_terminal(err) else None
    interrupt = cancel or threading.Event()
    watcher = threading.Thread(target=_forward_cancel, args=(interrupt, run), daemon=True)
    watcher.start()
    previous = _on_interrupt(interrupt)
    try:
        state = run.execute(
            workers,
            on_pass=(lambda p: bar.update(p.done, max(p.total, p.done)))
            if bar is not None
            else None,
        )
    finally:
        _restore_interrupt(previous)
        interrupt.set()  # ends the watcher
        if bar is not None:
            bar.clear()
    if state is State.CANCELLED:
        print(
            f"Optimisation cancelled after {run.progress.done:,} of {run.progress.total:,} passes; "
            "nothing was written",
            file=err,
        )
        return EXIT_CANCELLED
    if state is State.FAILED:
        print(run.error, file=err)
        return EXIT_FAILED
    if request.json_path is not None:
        try:
            write_json(run, request.json_path)
        except OSError as exc:
            print(f"cannot write {request.json_path}: {exc.strerror or exc}", file=err)
            return EXIT_BAD_INPUT
    print(summary(run), file=out)
    if request.json_path is not None:
        print(f"Every pass written to {request.json_path}", file=out)
    return EXIT_OK


def _forward_cancel(interrupt: threading.Event, run: OptimisationRun) -> None:
    interrupt.wait()
    if run.state is State.RUNNING or run.state is State.READY:
        run.cancel()


def _user_catalog() -> tuple[Catalog, CatalogRecipe]:
    from app.paths import user_data_dir
    from app.strategies.catalog import USER_FOLDER, load_catalog

    folder = user_data_dir() / USER_FOLDER
    return load_catalog(folder), CatalogRecipe.of(folder)


def summary(run: OptimisationRun) -> str:
    """The best passes with their figures in and out of sample, in plain ASCII."""
    o, p = run.optimisation, run.progress
    s = o.settings
    seconds = max(1e-9, time.monotonic() - p.started)
    ran = p.done - p.skipped
    lines = [
        f"Optimised {s.strategy} on {s.symbol} {s.timeframe.name}, {s.model.label.lower()}: "
        f"{o.search} search, {ran:,} passes in {seconds:.1f} s on {run.where} "
        f"({ran / seconds:.1f} passes/s)",
        f"Objective: {o.goal.describe()}; {_periods(o.windows)}",
    ]
    if p.skipped:
        lines.append(f"{p.skipped:,} points were skipped: the strategy refuses those parameters")
    if p.failed:
        first = next((r.error for r in run.results.rows() if r.error), "")
        lines.append(f"{p.failed:,} passes could not run, e.g. {first}")
    if p.rerun:
        lines.append(f"{p.rerun:,} passes were run again (their worker was lost)")
    best = [r for r in run.results.best(SHOWN) if not r.error]
    if not best:
        lines.append("No pass ran.")
        return "\n".join(lines)
    lines.append(_table(best, o.space.names, o.forward))
    if len(o.windows) > 1:
        lines.append("Walk-forward: the best in-sample pass of each window, out of sample")
        for item in walk_forward(run.results, len(o.windows)):
            if item["pass"] is None:
                lines.append(f"  window {item['window']}: no pass kept the constraints")
                continue
            params = ", ".join(f"{k}={v}" for k, v in item["params"].items() if k in o.space.names)
            lines.append(
                f"  window {item['window']}: pass {item['pass']} ({params}) in {_num(item['objective_in'])}, "
                f"out {_num(item['objective_out'])}"
            )
    return "\n".join(lines)


def _table(rows: list[PassRow], names: Sequence[str], forward: bool) -> str:
    head = ["pass", *names, "objective", "trades", "net profit", "PF", "DD %"]
    if forward:
        head += ["| out: objective", "trades", "net profit"]
    body = []
    for row in rows:
        f = row.figures
        cells = [str(row.index), *(_num(row.params[n]) for n in names)]
        cells += [
            _figure(row.score) + ("" if row.feasible else " (x)"),
            _num(f.get("trades")),
            _figure(f.get("net_profit")),
            _figure(f.get("profit_factor")),
            _figure(f.get("max_drawdown_pct")),
        ]
        if forward:
            g = row.figures_out or {}
            cells += [
                "| " + _figure(row.score_out),
                _num(g.get("trades")),
                _figure(g.get("net_profit")),
            ]
        body.append(cells)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    text = [" ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *body]]
    return "\n".join(text)


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (
        isinstance(value, float) and value.is_integer() and abs(value) < 1e12
    ):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _figure(value: Any) -> str:
    """A figure that may be money (net profit, an objective): always two decimals, so
    -245.00 stands beside -251.90 (``_num`` would print -245). ``-`` when absent."""
    if value is None or isinstance(value, bool):
        return _num(value)
    if isinstance(value, int | float):
        return f"{value:,.2f}"
    return str(value)


def _moment(seconds: int) -> str:
    """To the minute (to the second when it has any), UTC: a split falls inside a day."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def _periods(windows: Sequence[Window]) -> str:
    if len(windows) > 1:
        first_out = _moment(windows[0].out_start or 0)
        return f"{len(windows)} walk-forward windows, out of sample from {first_out} UTC"
    w = windows[0]
    if w.out_start is None or w.out_end is None:
        return f"in sample {_moment(w.start)} to {_moment(w.end)} UTC"
    # Both ends are included: the in-sample part ends the second before the split.
    return (
        f"in sample from {_moment(w.start)} until the split at {_moment(w.out_start)} UTC, "
        f"out of sample from the split to {_moment(w.out_end)}"
    )


def as_json(run: OptimisationRun) -> dict[str, Any]:
    o = run.optimisation
    best = run.results.best(o.keep_curves)
    curves = {}
    for row in best:
        kept = run.results.curves(row.index)
        if kept is None:
            continue
        curves[str(row.index)] = {
            "in_sample": [
                {"time_msc": t.tolist(), "equity": e.tolist()} for t, e in kept.in_sample
            ],
            "out_of_sample": [
                {"time_msc": t.tolist(), "equity": e.tolist()} for t, e in kept.out_of_sample
            ],
        }
    return {
        "format": RESULT_FORMAT,
        "optimisation": {
            "settings": o.settings.as_dict(),
            "search": o.search,
            "seed": o.seed,
            "objective": o.goal.objective.text,
            "constraints": [c.text for c in o.goal.constraints],
            "space": {axis.name: list(axis.values) for axis in o.space.axes},
            "fixed": dict(o.space.fixed),
            "windows": [
                {"start": w.start, "end": w.end, "out_start": w.out_start, "out_end": w.out_end}
                for w in o.windows
            ],
        },
        "run": {
            "passes": run.progress.done - run.progress.skipped,
            "skipped": run.progress.skipped,
            "failed": run.progress.failed,
            "rerun": run.progress.rerun,
            "where": run.where,
        },
        "best": [row.index for row in best],
        "passes": [row.as_dict() for row in run.results.rows()],
        "walk_forward": walk_forward(run.results, len(o.windows)) if len(o.windows) > 1 else [],
        "curves": curves,
    }


def write_json(run: OptimisationRun, path: Path) -> None:
    path = Path(path)
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(as_json(run), handle, indent=1, allow_nan=False)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load_market(settings: TesterSettings, history_root: Path | None = None) -> MarketHistory:
    """The history ``settings`` test, from the store at ``history_root`` (the user's when
    None): the Tester window's way in, since the GUI never opens the store itself."""
    from app.history.store import HistoryStore

    try:
        return _load(HistoryStore(history_root), settings)
    except TesterError as exc:
        raise OptimiserError(str(exc)) from None
