"""The results of an optimisation: one row per pass, and the best passes' curves.

Memory stays bounded whatever the number of passes: a row is the parameters and
a few figures (in sample and out of sample), and equity curves are kept only for
the ``keep_curves`` best passes — a curve of a pass that drops out of the top is
let go. A 10,000-pass grid is 10,000 small rows and ten curves.

Rows arrive in any order (passes finish when they finish); the ranking is a
total order (feasible first, then the objective, then the lower pass number), so
the same passes give the same table on one core or on a cluster.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.optimiser.objective import FIGURES, Goal
from app.optimiser.passes import PassOutcome, WindowResult


@dataclass(frozen=True)
class PassRow:
    """One pass as the table shows it. With several walk-forward windows the figures
    are each figure's mean over the windows (``windows_in``/``windows_out`` hold each
    window's objective)."""

    index: int
    params: Mapping[str, Any]
    figures: Mapping[str, float | None]  # in sample
    figures_out: Mapping[str, float | None] | None  # out of sample (None: no forward test)
    score: float | None  # the objective in sample
    score_out: float | None
    feasible: bool  # every constraint holds in sample
    windows_in: tuple[float | None, ...] = ()
    windows_out: tuple[float | None, ...] = ()
    error: str = ""

    @property
    def rank(self) -> tuple[bool, bool, bool, float, int]:
        """Larger is better: ran, kept the constraints, has a value, the value, then the
        lower pass number (a tie goes to the first in grid order)."""
        return (
            not self.error,
            self.feasible,
            self.score is not None,
            self.score if self.score is not None else -math.inf,
            -self.index,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "pass": self.index,
            "params": dict(self.params),
            "objective": self.score,
            "objective_out": self.score_out,
            "feasible": self.feasible,
            "in_sample": dict(self.figures),
            "out_of_sample": dict(self.figures_out) if self.figures_out is not None else None,
            "windows_in": list(self.windows_in),
            "windows_out": list(self.windows_out),
            "error": self.error,
        }


@dataclass(frozen=True)
class PassCurves:
    """A pass's equity curves: each in-sample window's, then each out-of-sample one's."""

    in_sample: tuple[tuple[np.ndarray, np.ndarray], ...]
    out_of_sample: tuple[tuple[np.ndarray, np.ndarray], ...]


def row_of(outcome: PassOutcome, goal: Goal) -> PassRow:
    if outcome.error:
        return PassRow(
            outcome.index, outcome.params, {}, None, None, None, False, error=outcome.error
        )
    figures_in = _mean(outcome.in_sample)
    figures_out = _mean(outcome.out_of_sample) if outcome.out_of_sample else None
    return PassRow(
        index=outcome.index,
        params=outcome.params,
        figures=figures_in,
        figures_out=figures_out,
        score=goal.score(figures_in),
        score_out=goal.score(figures_out) if figures_out is not None else None,
        feasible=goal.feasible(figures_in),
        windows_in=tuple(goal.score(w.figures) for w in outcome.in_sample),
        windows_out=tuple(goal.score(w.figures) for w in outcome.out_of_sample),
    )


def _mean(windows: Sequence[WindowResult]) -> dict[str, float | None]:
    if len(windows) == 1:
        return dict(windows[0].figures)
    out: dict[str, float | None] = {}
    for name in FIGURES:
        values = [w.figures.get(name) for w in windows]
        known = [v for v in values if v is not None]
        out[name] = round(sum(known) / len(known), 4) if known else None
    return out


class Results:
    """Every pass's row and the best passes' curves; safe to read from another thread
    (the GUI) while passes arrive."""

    def __init__(self, goal: Goal, *, keep_curves: int = 10) -> None:
        self.goal = goal
        self.keep_curves = keep_curves
        self._rows: dict[int, PassRow] = {}
        self._order: list[int] = []  # indexes in arrival order (for streaming readers)
        self._curves: dict[int, PassCurves] = {}
        self._kept: list[tuple[Any, int]] = []  # min-heap of (rank, index) with curves
        self._lock = threading.Lock()

    def add(self, outcome: PassOutcome) -> PassRow:
        row = row_of(outcome, self.goal)
        with self._lock:
            if row.index in self._rows:
                return self._rows[row.index]  # a re-run of a pass already in (a lost worker)
            self._rows[row.index] = row
            self._order.append(row.index)
            if not row.error and self.keep_curves > 0:
                self._keep_curve(row, outcome)
        return row

    def _keep_curve(self, row: PassRow, outcome: PassOutcome) -> None:
        entry = (row.rank, row.index)
        if len(self._kept) >= self.keep_curves:
            if entry <= self._kept[0]:
                return
            _, dropped = heapq.heappop(self._kept)
            self._curves.pop(dropped, None)
        heapq.heappush(self._kept, entry)
        self._curves[row.index] = PassCurves(
            tuple((w.curve_time_msc, w.curve_equity) for w in outcome.in_sample),
            tuple((w.curve_time_msc, w.curve_equity) for w in outcome.out_of_sample),
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def row(self, index: int) -> PassRow | None:
        with self._lock:
            return self._rows.get(index)

    def since(self, count: int) -> list[PassRow]:
        """The rows that arrived after the first ``count`` (a reader's next batch)."""
        with self._lock:
            return [self._rows[i] for i in self._order[count:]]

    def rows(self) -> list[PassRow]:
        """Every row in pass order."""
        with self._lock:
            return [self._rows[i] for i in sorted(self._rows)]

    def ranked(self) -> list[PassRow]:
        """Every row, best first."""
        with self._lock:
            return sorted(self._rows.values(), key=lambda r: r.rank, reverse=True)

    def best(self, count: int = 1) -> list[PassRow]:
        return self.ranked()[:count]

    def curves(self, index: int) -> PassCurves | None:
        with self._lock:
            return self._curves.get(index)

    def curve_count(self) -> int:
        with self._lock:
            return len(self._curves)


def walk_forward(results: Results, windows: int) -> list[dict[str, Any]]:
    """Per walk-forward window: the pass that ranked best in its in-sample part and what
    it made out of sample — the figure that shows whether optimising pays."""
    rows = [r for r in results.rows() if not r.error and r.feasible]
    out: list[dict[str, Any]] = []
    for i in range(windows):
        scored = [r for r in rows if len(r.windows_in) > i and r.windows_in[i] is not None]
        if not scored:
            out.append({"window": i + 1, "pass": None})
            continue
        best = max(scored, key=lambda r: (r.windows_in[i], -r.index))
        out.append(
            {
                "window": i + 1,
                "pass": best.index,
                "params": dict(best.params),
                "objective_in": best.windows_in[i],
                "objective_out": best.windows_out[i] if len(best.windows_out) > i else None,
            }
        )
    return out
