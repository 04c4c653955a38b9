"""What one test pass is asked to do: plain, frozen, picklable values.

A pass is a pure function of (strategy key, parameters, data, settings): these
settings plus the loaded :class:`~app.tester.market.MarketHistory` say
everything, so the optimiser can ship them to worker processes or a cluster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from app.domain.risk_limits import RiskLimits
from app.domain.strategies import StrategyBudget
from app.domain.timeframes import Timeframe
from app.tester.errors import TesterError


class Model(StrEnum):
    """How prices are offered to the strategy (MetaTrader 5's four tick models)."""

    OPEN = "open"  # open prices only: one price per bar of the tested timeframe
    OHLC = "ohlc"  # 1-minute OHLC: four prices per M1 bar
    EVERY_TICK = "every-tick"  # every tick generated from M1 bars
    TICKS = "ticks"  # real ticks, as stored

    @property
    def label(self) -> str:
        return _TITLES[self]

    @property
    def needs_m1(self) -> bool:
        return self in (Model.OHLC, Model.EVERY_TICK)


_TITLES = {
    Model.OPEN: "Open prices only",
    Model.OHLC: "1-minute OHLC",
    Model.EVERY_TICK: "Every tick generated from M1",
    Model.TICKS: "Real ticks",
}

TESTER_RISK_LIMITS = RiskLimits(max_daily_loss=0.0, max_drawdown_pct=0.0)
"""The account rules of a test: the gate's defaults with the two loss limits off.

A long test meets a bad month sooner or later; a daily loss or drawdown limit
would halt trading there and the rest of the test would show nothing. Every
other rule (volume, exposure, rates, spreads, quote checks, margin level) runs
as it does live. Pass ``risk_limits`` to test against the trader's own limits.
"""

TESTER_BUDGET = StrategyBudget()
"""The strategy's own budget in a test: the live default."""


@dataclass(frozen=True, slots=True)
class TesterSettings:
    """One pass: which strategy on which data, with which costs and account."""

    __test__ = False  # not a pytest test class, whatever its name says

    strategy: str  # the catalogue key, e.g. "ma_cross"
    symbol: str
    timeframe: Timeframe
    model: Model = Model.OPEN
    start: int | None = None  # first moment tested, epoch seconds on the data's clock
    end: int | None = None  # last moment tested (inclusive)
    params: Mapping[str, Any] = field(default_factory=dict)
    spread_points: int | None = None  # None: the data's spread (bars' column, ticks' ask)
    commission_per_lot: float = 0.0  # account currency per lot, charged on every deal
    slippage_points: int = 0  # how much worse every fill at the market is
    deposit: float = 10_000.0
    leverage: int = 100
    currency: str = "USD"
    budget: StrategyBudget = TESTER_BUDGET
    risk_limits: RiskLimits = TESTER_RISK_LIMITS

    def problems(self) -> list[str]:
        """What is wrong with these settings, one sentence each (the data is checked later)."""
        out = []
        if self.spread_points is not None and self.spread_points < 0:
            out.append(f"the spread must be 0 points or more (got {self.spread_points})")
        if not (math.isfinite(self.commission_per_lot) and self.commission_per_lot >= 0):
            out.append(
                f"the commission must be 0 or more per lot (got {self.commission_per_lot:g})"
            )
        if self.slippage_points < 0:
            out.append(f"the slippage must be 0 points or more (got {self.slippage_points})")
        if not (math.isfinite(self.deposit) and self.deposit > 0):
            out.append(f"the deposit must be more than 0 (got {self.deposit:g})")
        if self.leverage < 1:
            out.append(f"the leverage must be at least 1 (got {self.leverage})")
        if len(self.currency) != 3 or not self.currency.isalpha():
            out.append(f"the account currency must be a code like USD (got {self.currency!r})")
        if self.start is not None and self.end is not None and self.end < self.start:
            out.append("the test must end after it starts")
        out.extend(f"budget: {p}" for p in self.budget.problems())
        out.extend(f"risk limits: {p}" for p in self.risk_limits.problems())
        return out

    def check(self) -> None:
        problems = self.problems()
        if problems:
            raise TesterError("; ".join(problems))

    def with_params(self, params: Mapping[str, Any]) -> TesterSettings:
        """The same pass with other parameters (what an optimiser varies)."""
        return replace(self, params=dict(params))

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values, for the result file."""
        return {
            "strategy": self.strategy,
            "symbol": self.symbol,
            "timeframe": self.timeframe.name,
            "model": str(self.model),
            "start": self.start,
            "end": self.end,
            "params": dict(self.params),
            "spread_points": self.spread_points,
            "commission_per_lot": self.commission_per_lot,
            "slippage_points": self.slippage_points,
            "deposit": self.deposit,
            "leverage": self.leverage,
            "currency": self.currency,
            "budget": self.budget.as_dict(),
        }
