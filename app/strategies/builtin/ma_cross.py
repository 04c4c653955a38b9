"""Moving-average cross: long when the fast SMA crosses above the slow one, short below."""

from __future__ import annotations

import math

from pydantic import model_validator

from app.domain.market import Bar
from app.strategies.base import Strategy
from app.strategies.params import StrategyParams, cross_field, flag, param


class MaCrossParams(StrategyParams):
    indicator = "MA cross"

    fast: int = param(10, ge=2, le=500, step=1, title="Fast SMA period")
    slow: int = param(30, ge=3, le=2000, step=1, title="Slow SMA period")
    volume: float = param(0.1, ge=0.01, le=100, step=0.01, title="Lots per trade")
    atr_stop: bool = flag(False, title="Stop loss at a multiple of the ATR")
    atr_period: int = param(14, ge=2, le=500, step=1, title="ATR period")
    atr_multiple: float = param(2.0, ge=0.1, le=20, step=0.1, title="Stop distance in ATRs")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MaCrossParams:
        if self.fast >= self.slow:
            raise cross_field("fast", f"must be below slow ({self.slow}) (got {self.fast})")
        return self


class MaCross(Strategy):
    """SMA of closes, fast and slow. When the fast one crosses above the slow one it
    closes any short and buys ``volume`` lots; when it crosses below, it closes any
    long and sells. With ``atr_stop`` each entry gets a stop loss ``atr_multiple``
    ATRs away. Decides on closed bars only."""

    key = "ma_cross"
    title = "Moving-average cross"
    Params = MaCrossParams

    def on_start(self) -> None:
        p = self.params
        self.fast = self.indicator("sma", period=p.fast)
        self.slow = self.indicator("sma", period=p.slow)
        self.atr = self.indicator("atr", period=p.atr_period) if p.atr_stop else None
        self.previous: float = math.nan  # fast − slow at the bar before

    def on_bar(self, bar: Bar) -> None:
        diff = self.last(self.fast) - self.last(self.slow)
        before, self.previous = self.previous, diff
        if math.isnan(diff) or math.isnan(before):
            return
        if before <= 0 < diff:
            self._enter(long=True, price=bar.close)
        elif before >= 0 > diff:
            self._enter(long=False, price=bar.close)

    def _enter(self, *, long: bool, price: float) -> None:
        net = self.net_position()
        if (long and net > 0) or (not long and net < 0):
            return  # already on that side
        self.close()
        stop = None
        if self.atr is not None:
            distance = self.params.atr_multiple * self.last(self.atr)
            if not math.isnan(distance):
                stop = self.round_price(price - distance if long else price + distance)
        if long:
            self.buy(self.params.volume, sl=stop)
        else:
            self.sell(self.params.volume, sl=stop)
