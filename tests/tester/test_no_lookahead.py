"""A strategy can never see the future: the forming bar and later bars are out of reach.

Two proofs. A probe strategy tries every way a strategy can read the market on
each bar and tick — its bars in every timeframe, far more of them than exist,
the quote, the clock, the account, the book — and nothing it gets is from after
the engine's now, nor a bar that has not closed. And a strategy's results on
history cut at a moment T are the same, up to T, as on the whole history: if
anything after T had leaked in, the decisions before T would differ.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

from app.domain.market import RATES_DTYPE, Bar, Tick
from app.domain.timeframes import Timeframe
from app.strategies.base import Strategy
from app.tester import MarketHistory, Model, TesterSettings, run_test
from tests.tester.conftest import SPEC, catalog

START = 1_704_067_200


class Peek(Strategy):
    """Reads everything it can and notes the newest moment each read showed it."""

    key = "peek"
    title = "Peek"
    problems: ClassVar[list[str]] = []
    reads = 0

    def on_start(self) -> None:
        self.sma = self.indicator("sma", period=5)

    def _check(self, where: str) -> None:
        now_s = self.now().timestamp()
        now_msc = round(now_s * 1000)
        cls = type(self)
        for tf in Timeframe:
            history = self.bars(1_000_000, tf)  # more than exist: all it may have
            times = np.asarray(history.time)
            cls.reads += 1
            if len(times) and times[-1] + tf.seconds > now_s + 1e-9:
                cls.problems.append(
                    f"{where}: a {tf.name} bar opened {times[-1]} not closed at {now_s}"
                )
            if len(times) and np.any(np.diff(times) <= 0):
                cls.problems.append(f"{where}: {tf.name} bars out of order")
        quote = self.quote()
        if quote is not None and quote.time_msc > now_msc:
            cls.problems.append(f"{where}: a quote from {quote.time_msc} at {now_msc}")
        for position in self.positions():
            if position.time_msc > now_msc:
                cls.problems.append(f"{where}: a position opened in the future")
        account = self.account()
        if account is None or not np.isfinite(account.equity):
            cls.problems.append(f"{where}: no account")

    def on_bar(self, bar: Bar) -> None:
        now_s = self.now().timestamp()
        if bar.time + bar.timeframe.seconds > now_s + 1e-9:
            type(self).problems.append(f"on_bar got bar {bar.time} before it closed at {now_s}")
        self._check("on_bar")
        if not self.warming_up and int(bar.time // 3600) % 7 == 0:
            self.close()
            self.buy(0.1) if bar.close > self.last(self.sma) else self.sell(0.1)

    def on_tick(self, tick: Tick) -> None:
        if tick.time_msc > round(self.now().timestamp() * 1000):
            type(self).problems.append("a tick from the future")
        self._check("on_tick")


def _random_m1(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    close = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.0003, n))), 5)
    open_ = np.r_[1.1, close[:-1]]
    rates = np.zeros(n, dtype=RATES_DTYPE)
    rates["time"] = START + 60 * np.arange(n)
    rates["open"], rates["close"] = open_, close
    rates["high"] = np.round(np.maximum(open_, close) + np.abs(rng.normal(0, 2e-4, n)), 5)
    rates["low"] = np.round(np.minimum(open_, close) - np.abs(rng.normal(0, 2e-4, n)), 5)
    rates["tick_volume"] = rng.integers(4, 30, n)
    rates["spread"] = 3
    return rates


@pytest.mark.parametrize("model", [Model.OPEN, Model.OHLC, Model.EVERY_TICK])
def test_every_read_a_strategy_can_make_is_of_the_past(model: Model) -> None:
    Peek.problems, Peek.reads = [], 0
    m1 = _random_m1(600, 1)
    market = MarketHistory("EURUSD", SPEC, bars={Timeframe.M1: m1})
    run_test(
        TesterSettings("peek", "EURUSD", Timeframe.M5, model, start=START + 3600),
        market,
        catalog(Peek),
    )
    assert Peek.reads > 500
    assert Peek.problems == []


def test_real_ticks_reads_are_of_the_past_too() -> None:
    from app.history import TICK_DTYPE

    Peek.problems, Peek.reads = [], 0
    rng = np.random.default_rng(2)
    n = 3000
    rows = np.zeros(n, dtype=TICK_DTYPE)
    rows["time_msc"] = START * 1000 + np.cumsum(rng.integers(200, 4000, n))
    rows["bid"] = np.round(1.1 + np.cumsum(rng.normal(0, 2e-5, n)), 5)
    rows["ask"] = rows["bid"] + 2e-5
    market = MarketHistory("EURUSD", SPEC, bars={Timeframe.M1: _random_m1(10, 3)}, ticks=rows)
    run_test(TesterSettings("peek", "EURUSD", Timeframe.M1, Model.TICKS), market, catalog(Peek))
    assert Peek.reads > 1000
    assert Peek.problems == []


def _deals(result: Any) -> list[tuple[Any, ...]]:
    return [
        (d.side, d.time_msc, d.price, d.volume, d.closes_position, d.reason)
        for d in result.deals
        if not d.client_id.startswith("end-of-test")
    ]


@pytest.mark.parametrize("model", [Model.OPEN, Model.OHLC])
def test_results_on_history_cut_at_t_are_the_results_up_to_t(model: Model) -> None:
    m1 = _random_m1(6000, 4)
    full = MarketHistory("EURUSD", SPEC, bars={Timeframe.M1: m1})
    params = {"fast": 5, "slow": 12}
    settings = TesterSettings("ma_cross", "EURUSD", Timeframe.M15, model, params=params)
    everything = run_test(settings, full, catalog())
    cut_at = int(m1["time"][3700])  # T: the minute the cut history ends with
    cut = MarketHistory("EURUSD", SPEC, bars={Timeframe.M1: m1[m1["time"] <= cut_at]})
    until_t = run_test(settings, cut, catalog())
    before = [d for d in _deals(everything) if d[1] <= until_t.last_msc]
    assert len(before) > 20
    assert _deals(until_t) == before
