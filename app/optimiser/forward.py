"""Forward testing: the stretch a pass is chosen on and the stretch it is proved on.

An optimiser always finds parameters that fit the history it sees; the question
is whether they still work on history it did not see. So every pass runs on
in-sample windows (where the objective ranks it) and on the out-of-sample
windows that follow each one, and every result shows both.

* ``--forward 0.3``: the last 30 % of the tested period is out of sample.
* ``--forward 2024-06-01``: out of sample from that day on.
* ``--walk-forward 4`` (with a fraction, 0.25 by default): four windows one
  after another; each is in sample for its first part, out of sample for the
  rest, and the windows' out-of-sample parts tile the end of the period.

A window's boundaries are whole bars of the tested timeframe. History before a
window's start is still served to the strategy as warm-up, exactly as
``tradeterm test --from`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.optimiser.errors import OptimiserError
from app.tester.market import MarketHistory
from app.tester.settings import Model, TesterSettings

MAX_WINDOWS = 50


@dataclass(frozen=True, slots=True)
class Window:
    """One in-sample stretch and the out-of-sample stretch after it (None: no forward test).
    Moments are epoch seconds on the data's clock, both ends included."""

    start: int
    end: int
    out_start: int | None = None
    out_end: int | None = None

    @property
    def has_forward(self) -> bool:
        return self.out_start is not None


def plan_windows(
    settings: TesterSettings,
    market: MarketHistory,
    *,
    forward: str | None = None,
    walk_forward: int = 0,
) -> tuple[Window, ...]:
    """The windows of an optimisation; ``OptimiserError`` for a split that leaves nothing."""
    first, last = tested_period(settings, market)
    bar = settings.timeframe.seconds
    if walk_forward:
        if not 2 <= walk_forward <= MAX_WINDOWS:
            raise OptimiserError(
                f"--walk-forward takes 2 to {MAX_WINDOWS} windows (got {walk_forward})"
            )
        share = _fraction(forward) if forward is not None else 0.25
        if share is None:
            raise OptimiserError("--walk-forward needs --forward as a fraction, e.g. 0.25")
        return _walk(first, last, bar, walk_forward, share)
    if forward is None:
        return (Window(first, last),)
    share = _fraction(forward)
    if share is not None:
        split = first + _round_to(int((last - first + 1) * (1 - share)), bar)
    else:
        split = _day(forward)
    if not first < split <= last:
        raise OptimiserError(
            f"--forward {forward} leaves no in-sample or no out-of-sample bars "
            f"(the tested period is {_show(first)} to {_show(last)})"
        )
    return (Window(first, split - 1, split, last),)


def _walk(first: int, last: int, bar: int, count: int, share: float) -> tuple[Window, ...]:
    """``count`` windows whose out-of-sample parts tile the period's end: with length L
    each, window i is in sample for ``L * (1 - share)`` before its out-of-sample part."""
    span = last - first + 1
    window = span / (1 + (count - 1) * share)  # count windows, each moving on by its out part
    out_len = _round_to(int(window * share), bar)
    in_len = _round_to(int(window * (1 - share)), bar)
    if out_len < bar or in_len < bar:
        raise OptimiserError(
            f"{count} walk-forward windows of {span // bar} bars leave less than one bar each; "
            "use fewer windows"
        )
    windows = []
    out_start = last + 1 - count * out_len
    for i in range(count):
        o_start = out_start + i * out_len
        start = max(first, o_start - in_len)
        windows.append(Window(start, o_start - 1, o_start, o_start + out_len - 1))
    return tuple(windows)


def tested_period(settings: TesterSettings, market: MarketHistory) -> tuple[int, int]:
    """The first and last moment a test on ``settings`` replays (epoch seconds)."""
    if settings.model is Model.TICKS:
        ticks = market.ticks
        times = (ticks["time_msc"] // 1000) if ticks is not None else np.zeros(0, np.int64)
    else:
        series = (
            market.from_m1(settings.timeframe)
            if settings.model.needs_m1
            else market.series(settings.timeframe)
        )
        times = series["time"].astype(np.int64)
    if settings.start is not None:
        times = times[times >= settings.start]
    if settings.end is not None:
        times = times[times <= settings.end]
    if not len(times):
        raise OptimiserError(
            f"no {settings.timeframe.name} history of {settings.symbol} in the tested period "
            f"(stored: {market.describe()})"
        )
    last = int(times[-1]) + (0 if settings.model is Model.TICKS else settings.timeframe.seconds - 1)
    if settings.end is not None:
        last = min(last, settings.end)
    return int(times[0]), last


def _fraction(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not 0 < value < 1:
        raise OptimiserError(f"--forward {text}: a fraction must be between 0 and 1, e.g. 0.3")
    return value


def _day(text: str) -> int:
    from datetime import UTC, datetime

    try:
        return int(datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    except ValueError:
        raise OptimiserError(
            f"--forward {text!r} is neither a fraction like 0.3 nor a date like 2024-06-01"
        ) from None


def _round_to(seconds: int, bar: int) -> int:
    return seconds // bar * bar


def _show(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")
