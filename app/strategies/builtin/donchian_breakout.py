"""Donchian breakout: buy a close above the highest high, sell one below the lowest low."""

from __future__ import annotations

import math

from pydantic import model_validator

from app.domain.market import Bar
from app.strategies.base import Strategy
from app.strategies.params import StrategyParams, cross_field, param


class DonchianParams(StrategyParams):
    indicator = "Donchian breakout"

    entry: int = param(20, ge=2, le=1000, step=1, title="Entry channel (bars)")
    exit: int = param(10, ge=2, le=1000, step=1, title="Exit channel (bars)")
    volume: float = param(0.1, ge=0.01, le=100, step=0.01, title="Lots per trade")

    @model_validator(mode="after")
    def _exit_shorter(self) -> DonchianParams:
        if self.exit > self.entry:
            raise cross_field("exit", f"must not exceed entry ({self.entry}) (got {self.exit})")
        return self


class DonchianBreakout(Strategy):
    """A close above the highest high of the previous ``entry`` bars buys ``volume``
    lots (closing any short); a close below their lowest low sells. A long is closed
    when a close falls below the lowest low of the previous ``exit`` bars, a short
    when one rises above their highest high."""

    key = "donchian_breakout"
    title = "Donchian channel breakout"
    Params = DonchianParams

    def on_start(self) -> None:
        self.entry = self.indicator("donchian", period=self.params.entry)
        self.exit = self.indicator("donchian", period=self.params.exit)
        self.channel: tuple[float, float, float, float] = (math.nan,) * 4

    def on_bar(self, bar: Bar) -> None:
        # The channels of the bars *before* this one: a breakout is this close beyond them.
        high, low, exit_high, exit_low = self.channel
        upper, _mid, lower = self.values(self.entry)[:3] or (math.nan,) * 3
        e_upper, _e_mid, e_lower = self.values(self.exit)[:3] or (math.nan,) * 3
        self.channel = (upper, lower, e_upper, e_lower)
        if math.isnan(high):
            return
        # Orders sent here run at the end of the turn, so ``positions()`` still lists a
        # position this bar has already closed: close it once, never twice (a second
        # close is refused, "no such open position"). The exit channel is the narrower
        # one, so a close beyond the entry channel has always crossed the exit first.
        net = self.net_position()
        if (net > 0 and bar.close < exit_low) or (net < 0 and bar.close > exit_high):
            self.close()
            net = 0.0
        if bar.close > high and net <= 0:
            if net < 0:
                self.close()
            self.buy(self.params.volume)
        elif bar.close < low and net >= 0:
            if net > 0:
                self.close()
            self.sell(self.params.volume)
