"""What the Tester window checks before it starts a worker, and how it words time.

Plain Python: a test that cannot run is refused here, in one line, before any
process starts — the settings' own rules (``TesterSettings.problems``) and the
data the store holds for the model and the dates. What only the data itself
can tell (a range that falls in a gap) the worker says, in the same words the
command line uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from app.tester.background import TICKS, StoredSeries, series_needed
from app.tester.settings import Model, TesterSettings


def day(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")


def data_problem(settings: TesterSettings, stored: Sequence[StoredSeries]) -> str | None:
    """Why the store cannot feed this test, or None."""
    symbol, model = settings.symbol, settings.model
    needed = series_needed(settings, stored)
    if not needed:
        if model is Model.TICKS:
            what = f"ticks of {symbol}"
        elif model.needs_m1:
            what = f"M1 bars of {symbol}"
        else:
            what = f"{settings.timeframe.name} or M1 bars of {symbol}"
        return f"the {model.label} model needs {what}; none are stored (import or download them)"
    series = next(s for s in stored if s.symbol == symbol and s.series == needed[0])
    start = settings.start if settings.start is not None else series.first
    end = settings.end if settings.end is not None else series.last
    if end < series.first or start > series.last:
        what = "ticks" if series.series == TICKS else f"{series.series} bars"
        return (
            f"no {symbol} {what} between {day(start)} and {day(end)} "
            f"(stored: {day(series.first)} to {day(series.last)})"
        )
    return None


def clock(seconds: float) -> str:
    """``1:05`` or ``1:02:03``."""
    minutes, secs = divmod(max(0, round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def eta_text(done: int, total: int, elapsed: float) -> str:
    """``42 % · 0:13 left`` from how far the replay is and how long it has taken."""
    share = done / total if total > 0 else 0.0
    if share <= 0:
        return "starting…"
    left = elapsed / share - elapsed
    return f"{share * 100:.0f} % · {clock(left)} left"
