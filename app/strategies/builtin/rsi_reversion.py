"""RSI mean reversion: buy when the RSI turns up from oversold, sell when it turns down."""

from __future__ import annotations

import math

from pydantic import model_validator

from app.domain.market import Bar
from app.strategies.base import Strategy
from app.strategies.params import StrategyParams, cross_field, param


class RsiParams(StrategyParams):
    indicator = "RSI reversion"

    period: int = param(14, ge=2, le=500, step=1, title="RSI period")
    oversold: float = param(30, ge=1, le=49, step=1, title="Oversold level")
    overbought: float = param(70, ge=51, le=99, step=1, title="Overbought level")
    volume: float = param(0.1, ge=0.01, le=100, step=0.01, title="Lots per trade")

    @model_validator(mode="after")
    def _levels(self) -> RsiParams:
        if self.oversold >= self.overbought:
            raise cross_field("oversold", "must be below overbought")
        return self


class RsiReversion(Strategy):
    """When the RSI crosses back above ``oversold`` it buys ``volume`` lots; when it
    crosses back below ``overbought`` it sells. A long is closed when the RSI reaches
    50 or above, a short at 50 or below."""

    key = "rsi_reversion"
    title = "RSI mean reversion"
    Params = RsiParams

    def on_start(self) -> None:
        self.rsi = self.indicator("rsi", period=self.params.period)
        self.previous = math.nan

    def on_bar(self, bar: Bar) -> None:
        rsi = self.last(self.rsi)
        before, self.previous = self.previous, rsi
        if math.isnan(rsi) or math.isnan(before):
            return
        p, net = self.params, self.net_position()
        if (net > 0 and rsi >= 50) or (net < 0 and rsi <= 50):
            self.close()
            net = 0.0
        if before < p.oversold <= rsi and net <= 0:
            self.buy(p.volume)
        elif before > p.overbought >= rsi and net >= 0:
            self.sell(p.volume)
