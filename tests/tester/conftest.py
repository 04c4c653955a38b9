"""Hand-built history, scripted strategies and a catalogue to test them with."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from app.domain.market import RATES_DTYPE, Bar, Tick
from app.domain.symbols import fx_pair
from app.domain.timeframes import Timeframe
from app.domain.trading import Fill
from app.history import TICK_DTYPE
from app.strategies.base import Strategy
from app.strategies.catalog import Catalog, load_catalog
from app.strategies.params import StrategyParams, param
from app.tester import MarketHistory

DAY0 = 1_704_067_200  # 2024-01-01 00:00 UTC, a Monday
POINT = 1e-5
SPEC = fx_pair("EURUSD", 5)  # no stops level: hand-built levels close to the market pass


def bars(
    opens: Sequence[float],
    *,
    timeframe: Timeframe = Timeframe.H1,
    start: int = DAY0,
    spread: int = 0,
    highs: Sequence[float] | None = None,
    lows: Sequence[float] | None = None,
    closes: Sequence[float] | None = None,
    tick_volume: int = 10,
) -> np.ndarray:
    """Bars one ``timeframe`` apart; close = next open unless given, high/low cover both."""
    n = len(opens)
    rates = np.zeros(n, dtype=RATES_DTYPE)
    rates["time"] = start + timeframe.seconds * np.arange(n)
    o = np.asarray(opens, dtype=np.float64)
    c = np.asarray(closes, dtype=np.float64) if closes is not None else np.r_[o[1:], o[-1]]
    rates["open"], rates["close"] = o, c
    rates["high"] = highs if highs is not None else np.maximum(o, c)
    rates["low"] = lows if lows is not None else np.minimum(o, c)
    rates["tick_volume"] = tick_volume
    rates["spread"] = spread
    return rates


def ticks(
    rows: Sequence[tuple[int, float, float]], *, flags: Sequence[int] | None = None
) -> np.ndarray:
    out = np.zeros(len(rows), dtype=TICK_DTYPE)
    for i, (msc, bid, ask) in enumerate(rows):
        out[i] = (msc, bid, ask, 0.0, 0.0, flags[i] if flags is not None else 0)
    return out


def market(
    bar_sets: dict[Timeframe, np.ndarray] | None = None, tick_rows: np.ndarray | None = None
) -> MarketHistory:
    return MarketHistory("EURUSD", SPEC, bars=dict(bar_sets or {}), ticks=tick_rows)


class Scripted(Strategy):
    """Does what the test says on each live bar: ``plan[bar.time](strategy, bar)``."""

    key = "scripted"
    title = "Scripted"

    class Params(StrategyParams):
        indicator = "Scripted"
        volume: float = param(0.1, ge=0.01, le=10, step=0.01, title="Lots")

    plan: ClassVar[dict[int, Callable[[Any, Bar], None]]] = {}
    seen: ClassVar[list[Bar]] = []
    fills: ClassVar[list[Fill]] = []

    def on_bar(self, bar: Bar) -> None:
        type(self).seen.append(bar)
        action = type(self).plan.get(bar.time)
        if action is not None and not self.warming_up:
            action(self, bar)

    def on_fill(self, fill: Fill) -> None:
        type(self).fills.append(fill)


class TickScripted(Scripted):
    """Reads ticks too: ``on_tick_plan[tick.time_msc](strategy, tick)``."""

    key = "tick_scripted"
    title = "Tick scripted"
    on_tick_plan: ClassVar[dict[int, Callable[[Any, Tick], None]]] = {}
    ticks_seen: ClassVar[list[Tick]] = []

    def on_tick(self, tick: Tick) -> None:
        type(self).ticks_seen.append(tick)
        action = type(self).on_tick_plan.get(tick.time_msc)
        if action is not None:
            action(self, tick)


def catalog(*extra: type[Strategy]) -> Catalog:
    found = load_catalog(None, entry_points=False)
    for cls in (Scripted, TickScripted, *extra):
        found.add(cls, "test")
    return found


@pytest.fixture(autouse=True)
def _fresh_scripts() -> Iterator[None]:
    for cls in (Scripted, TickScripted):
        cls.plan, cls.seen, cls.fills = {}, [], []
    TickScripted.on_tick_plan, TickScripted.ticks_seen = {}, []
    yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user folder of its own: ``tradeterm test`` reads its store there."""
    monkeypatch.setenv("TRADETERM_HOME", str(tmp_path))
    return tmp_path
