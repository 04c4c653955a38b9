"""A strategy whose best parameters are known, on a hand-built hill of prices.

Imported by the worker processes and the Dask workers the tests start, so it is
a module of its own (classes pickle by name).
"""

from __future__ import annotations

import numpy as np
from pydantic import model_validator

from app.domain.market import Bar
from app.domain.timeframes import Timeframe
from app.strategies.base import Strategy
from app.strategies.catalog import Catalog, load_catalog
from app.strategies.params import StrategyParams, cross_field, param
from app.tester import MarketHistory
from tests.tester.conftest import SPEC, bars

TROUGH, PEAK, BARS = 31, 81, 140
"""The opens fall to bar 31, rise to bar 81, then fall: buying at 31's open and selling
at 81's is the best a single long trade can do (bar k's decision fills at k+1's open)."""
BEST = {"entry": 30, "hold": 50}


class HillParams(StrategyParams):
    indicator = "Hill"

    entry: int = param(10, ge=0, le=200, step=5, title="Bar to buy on")
    hold: int = param(20, ge=1, le=200, step=10, title="Bars to hold")
    volume: float = param(0.1, ge=0.01, le=10, step=0.01, title="Lots")

    @model_validator(mode="after")
    def _inside(self) -> HillParams:
        if self.entry + self.hold > 125:
            raise cross_field("hold", f"must end by bar 125 (entry {self.entry} + {self.hold})")
        return self


class Hill(Strategy):
    """Buys at the close of its ``entry``-th bar, sells ``hold`` bars later."""

    key = "hill"
    title = "Hill"
    Params = HillParams

    def on_start(self) -> None:
        self.count = -1

    def on_bar(self, bar: Bar) -> None:
        self.count += 1
        p = self.params
        if self.count == p.entry:
            self.buy(p.volume)
        elif self.count == p.entry + p.hold:
            self.close()


def hill_opens() -> list[float]:
    down = np.linspace(1.2, 1.1, TROUGH + 1)
    up = np.linspace(1.1, 1.3, PEAK - TROUGH + 1)[1:]
    after = np.linspace(1.3, 1.15, BARS - PEAK)[1:]
    return np.round(np.concatenate((down, up, after)), 5).tolist()


def hill_market() -> MarketHistory:
    opens = hill_opens()
    assert len(opens) == BARS
    return MarketHistory("EURUSD", SPEC, bars={Timeframe.H1: bars(opens)})


def hill_catalog() -> Catalog:
    catalog = load_catalog(None, entry_points=False)
    catalog.add(Hill, "test")
    return catalog
