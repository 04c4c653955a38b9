"""Every model's fills on hand-built data, where the right price and time are known."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pytest

from app.domain.market import POLL_END, Bar, Tick
from app.domain.timeframes import Timeframe
from app.engine.market_data import MarketData
from app.strategies.base import Strategy
from app.tester import Model, TesterError, TesterSettings, run_test
from app.tester.stream import build_stream
from tests.tester.conftest import DAY0, SPEC, Scripted, TickScripted, bars, catalog, market, ticks

H = 3600
M = 60


def buy(s: Any, bar: Bar) -> None:
    s.buy(0.1)


def buy_with(**levels: float) -> Any:
    return lambda s, bar: s.buy(0.1, **levels)


def sell(s: Any, bar: Bar) -> None:
    s.sell(0.1)


def close(s: Any, bar: Bar) -> None:
    s.close()


def settings(model: Model, timeframe: Timeframe = Timeframe.H1, **kw: Any) -> TesterSettings:
    return TesterSettings(kw.pop("strategy", "scripted"), "EURUSD", timeframe, model, **kw)


def deals(result: Any) -> list[tuple[str, int, float, bool]]:
    return [(d.side.value, d.time_msc, d.price, d.closes_position) for d in result.deals]


# -- open prices only ------------------------------------------------------------------------


def test_open_prices_a_decision_on_a_closed_bar_fills_at_the_next_bars_open() -> None:
    rates = bars([1.10000, 1.10010, 1.10020, 1.10030, 1.10040, 1.10050])
    Scripted.plan = {DAY0 + 1 * H: buy, DAY0 + 3 * H: close}
    result = run_test(
        settings(Model.OPEN, spread_points=2), market({Timeframe.H1: rates}), catalog()
    )
    assert deals(result) == [
        ("buy", (DAY0 + 2 * H) * 1000, 1.10022, False),  # bar 2's open at the ask (2 points)
        ("sell", (DAY0 + 4 * H) * 1000, 1.10040, True),  # bar 4's open at the bid
    ]
    (trade,) = result.report.trades
    assert trade.profit == pytest.approx(1.80)  # 18 points of 0.1 lot of EURUSD
    assert trade.reason == "strategy"
    assert result.closed_at_end == 0


def test_open_prices_the_strategy_sees_the_stored_bars_not_one_price_each() -> None:
    rates = bars([1.1, 1.2, 1.3], highs=[1.15, 1.25, 1.35], lows=[1.05, 1.15, 1.25])
    run_test(settings(Model.OPEN), market({Timeframe.H1: rates}), catalog())
    seen = [(b.time, b.open, b.high, b.low, b.close) for b in Scripted.seen]
    assert seen == [
        (DAY0, 1.1, 1.15, 1.05, 1.2),
        (DAY0 + H, 1.2, 1.25, 1.15, 1.3),
    ]  # the last forms


def test_open_prices_uses_the_bars_spread_when_none_is_given() -> None:
    rates = bars([1.10000, 1.10010, 1.10020], spread=7)
    Scripted.plan = {DAY0: buy}
    result = run_test(settings(Model.OPEN), market({Timeframe.H1: rates}), catalog())
    assert deals(result)[0] == ("buy", (DAY0 + H) * 1000, 1.10017, False)


def test_an_open_position_is_closed_at_the_last_price_and_marked() -> None:
    rates = bars([1.10000, 1.10010, 1.10020, 1.10030])
    Scripted.plan = {DAY0: sell}
    result = run_test(settings(Model.OPEN), market({Timeframe.H1: rates}), catalog())
    assert result.closed_at_end == 1
    (trade,) = result.report.trades
    assert (trade.exit_time_msc, trade.exit_price, trade.reason) == (
        (DAY0 + 3 * H) * 1000,
        1.10030,  # the last price the model offered: the last bar's open (ask, no spread)
        "end of test",
    )
    assert trade.profit == pytest.approx(-2.00)


def test_commission_and_slippage_cost_what_they_say() -> None:
    rates = bars([1.10000, 1.10010, 1.10020, 1.10030, 1.10040])
    Scripted.plan = {DAY0: buy, DAY0 + 2 * H: close}
    result = run_test(
        settings(Model.OPEN, spread_points=0, commission_per_lot=7.0, slippage_points=3),
        market({Timeframe.H1: rates}),
        catalog(),
    )
    assert deals(result) == [
        ("buy", (DAY0 + H) * 1000, 1.10013, False),  # 3 points worse than 1.10010
        ("sell", (DAY0 + 3 * H) * 1000, 1.10027, True),  # 3 points worse than 1.10030
    ]
    assert [d.commission for d in result.deals] == [-0.70, -0.70]
    (trade,) = result.report.trades
    assert trade.commission == pytest.approx(-1.40)
    assert trade.profit == pytest.approx(1.40 - 1.40)  # 14 points of 0.1 lot, less both commissions
    assert result.report.figures.final_balance == pytest.approx(10_000.00)


# -- 1-minute OHLC ----------------------------------------------------------------------------


def test_ohlc_offers_open_low_high_close_in_a_rising_minute_and_high_first_in_a_falling_one() -> (
    None
):
    rates = bars(
        [1.10000, 1.10050],
        timeframe=Timeframe.M1,
        closes=[1.10040, 1.10010],
        highs=[1.10060, 1.10070],
        lows=[1.09990, 1.10000],
    )
    stream = build_stream(market({Timeframe.M1: rates}), settings(Model.OHLC, Timeframe.M1))
    s = DAY0 * 1000
    assert stream.time_msc.tolist() == [
        s, s + 20_000, s + 40_000, s + 59_000,
        s + 60_000, s + 80_000, s + 100_000, s + 119_000,
    ]  # fmt: skip
    assert stream.bid.tolist() == [1.1, 1.0999, 1.1006, 1.1004, 1.1005, 1.1007, 1.1, 1.1001]


def test_ohlc_a_take_profit_fills_at_its_level_on_the_tick_that_reaches_it() -> None:
    # An M1 strategy buys on minute 0's close: at minute 1's open, 1.10000 (no spread).
    # Minute 1 rises: open, low 1.09990 (+20 s), high 1.10080 (+40 s), close.
    rates = bars(
        [1.10000, 1.10000, 1.10050],
        timeframe=Timeframe.M1,
        closes=[1.10000, 1.10050, 1.10050],
        highs=[1.10000, 1.10080, 1.10050],
        lows=[1.10000, 1.09990, 1.10050],
    )
    Scripted.plan = {DAY0: buy_with(tp=1.10060, sl=1.09900)}
    result = run_test(
        settings(Model.OHLC, Timeframe.M1, spread_points=0),
        market({Timeframe.M1: rates}),
        catalog(),
    )
    assert deals(result) == [
        ("buy", (DAY0 + M) * 1000, 1.10000, False),
        ("sell", (DAY0 + M) * 1000 + 40_000, 1.10060, True),  # at its level, not at the high
    ]
    assert result.report.trades[0].reason == "take profit"


def test_ohlc_a_stop_loss_fills_at_the_tick_that_broke_it() -> None:
    rates = bars(
        [1.10000, 1.10000, 1.10050],
        timeframe=Timeframe.M1,
        closes=[1.10000, 1.09950, 1.10050],
        highs=[1.10000, 1.10010, 1.10050],
        lows=[1.10000, 1.09850, 1.10050],
    )
    Scripted.plan = {DAY0: buy_with(sl=1.09900)}
    result = run_test(
        settings(Model.OHLC, Timeframe.M1, spread_points=0),
        market({Timeframe.M1: rates}),
        catalog(),
    )
    # Falling minute: open, high (+20 s), low 1.09850 (+40 s): the stop fills there, worse than its level.
    assert deals(result)[1] == ("sell", (DAY0 + M) * 1000 + 40_000, 1.09850, True)
    assert result.report.trades[0].reason == "stop loss"


def test_ohlc_an_hourly_strategy_fills_at_the_first_minute_of_the_next_hour() -> None:
    minutes = 180
    opens = [1.1 + 0.00001 * i for i in range(minutes)]
    rates = bars(opens, timeframe=Timeframe.M1, spread=4)
    Scripted.plan = {DAY0 + H: buy}  # hour 1 closes at the first tick of hour 2
    result = run_test(settings(Model.OHLC), market({Timeframe.M1: rates}), catalog())
    assert deals(result)[0] == ("buy", (DAY0 + 2 * H) * 1000, round(opens[120] + 4e-5, 5), False)
    hours = [(b.time, b.open, b.high, b.low, b.close) for b in Scripted.seen]
    assert hours[1] == (DAY0 + H, opens[60], max(opens[60:121]), opens[60], opens[120])


# -- every tick generated from M1 ---------------------------------------------------------------


def test_every_tick_prices_hit_each_bars_open_high_low_and_close() -> None:
    rng = np.random.default_rng(5)
    opens = np.round(1.1 + np.cumsum(rng.normal(0, 0.0003, 50)), 5)
    closes = np.round(opens + rng.normal(0, 0.0002, 50), 5)
    highs = np.round(np.maximum(opens, closes) + np.abs(rng.normal(0, 0.0002, 50)), 5)
    lows = np.round(np.minimum(opens, closes) - np.abs(rng.normal(0, 0.0002, 50)), 5)
    rates = bars(
        opens.tolist(),
        timeframe=Timeframe.M1,
        closes=closes,
        highs=highs,
        lows=lows,
        tick_volume=25,
    )
    stream = build_stream(market({Timeframe.M1: rates}), settings(Model.EVERY_TICK, Timeframe.M1))
    # The engine's own bars, built from those prices, are the stored bars.
    data = MarketData()
    for t, b, a in zip(
        stream.time_msc.tolist(), stream.bid.tolist(), stream.ask.tolist(), strict=True
    ):
        data.on_tick(Tick("EURUSD", t, b, a))
    built = [(b.time, b.open, b.high, b.low, b.close) for b in data.closed("EURUSD", Timeframe.M1)]
    stored = [tuple(r) for r in rates[["time", "open", "high", "low", "close"]][:-1].tolist()]
    assert built == stored
    assert np.all(np.diff(stream.time_msc) > 0)
    per_minute = np.bincount((stream.time_msc // 60_000 - DAY0 // 60).astype(int))
    assert per_minute.tolist() == [25] * 50  # as many as the tick volume (4..60)


def test_every_tick_a_decision_on_a_closed_minute_fills_at_the_next_open() -> None:
    rates = bars([1.10000, 1.10020, 1.10010, 1.10030], timeframe=Timeframe.M1, tick_volume=12)
    Scripted.plan = {DAY0 + M: sell}
    result = run_test(
        settings(Model.EVERY_TICK, Timeframe.M1, spread_points=1),
        market({Timeframe.M1: rates}),
        catalog(),
    )
    assert deals(result)[0] == ("sell", (DAY0 + 2 * M) * 1000, 1.10010, False)


# -- real ticks ---------------------------------------------------------------------------------


def _minute_ticks() -> np.ndarray:
    s = DAY0 * 1000
    return ticks(
        [
            (s + 1_000, 1.10000, 1.10002),
            (s + 30_000, 1.10010, 1.10012),
            (s + 61_000, 1.10020, 1.10023),  # opens minute 1: minute 0 closes here
            (s + 62_000, 1.10030, 1.10033),
            (s + 90_000, 1.10040, 1.10043),
            (s + 121_000, 1.10050, 1.10053),  # opens minute 2
            (s + 122_000, 1.10060, 1.10063),
        ]
    )


def test_real_ticks_a_decision_fills_at_the_tick_that_closed_the_bar() -> None:
    Scripted.plan = {DAY0: buy, DAY0 + M: close}
    result = run_test(
        settings(Model.TICKS, Timeframe.M1), market(tick_rows=_minute_ticks()), catalog()
    )
    s = DAY0 * 1000
    assert deals(result) == [
        ("buy", s + 61_000, 1.10023, False),  # the ask of the opening tick of minute 1
        ("sell", s + 121_000, 1.10050, True),  # the bid of the opening tick of minute 2
    ]
    assert [(b.time, b.open, b.high, b.close) for b in Scripted.seen] == [
        (DAY0, 1.10000, 1.10010, 1.10010),
        (DAY0 + M, 1.10020, 1.10040, 1.10040),
    ]


def test_real_ticks_recorded_polls_are_replayed_as_they_were() -> None:
    rows = _minute_ticks()
    # Live, the tick that opened minute 1 came in one poll with the next: the order went out
    # at the end of that poll, at the next tick's price. The replay does the same.
    rows["flags"] = [POLL_END, POLL_END, 0, POLL_END, POLL_END, POLL_END, POLL_END]
    Scripted.plan = {DAY0: buy}
    result = run_test(settings(Model.TICKS, Timeframe.M1), market(tick_rows=rows), catalog())
    assert deals(result)[0] == ("buy", DAY0 * 1000 + 62_000, 1.10033, False)


def test_real_ticks_a_fixed_spread_replaces_the_stored_ask() -> None:
    Scripted.plan = {DAY0: buy}
    result = run_test(
        settings(Model.TICKS, Timeframe.M1, spread_points=10),
        market(tick_rows=_minute_ticks()),
        catalog(),
    )
    assert deals(result)[0] == ("buy", DAY0 * 1000 + 61_000, 1.10030, False)


def test_a_strategy_that_reads_ticks_trades_on_the_tick_it_decided_on() -> None:
    s = DAY0 * 1000
    TickScripted.on_tick_plan = {s + 62_000: lambda st, tick: st.buy(0.1)}
    result = run_test(
        settings(Model.TICKS, Timeframe.M1, strategy="tick_scripted"),
        market(tick_rows=_minute_ticks()),
        catalog(),
    )
    assert deals(result)[0] == ("buy", s + 62_000, 1.10033, False)
    assert [t.time_msc for t in TickScripted.ticks_seen] == _minute_ticks()["time_msc"].tolist()
    assert result.polls == 7  # one poll per tick


class Timed(Strategy):
    key = "timed"
    title = "Timed"
    timer_ms = 15 * 60_000
    fired: ClassVar[list[int]] = []

    def on_timer(self, now: Any) -> None:
        type(self).fired.append(round(now.timestamp()))


def test_a_timer_fires_on_time_between_sparse_prices() -> None:
    Timed.fired = []
    rates = bars([1.1, 1.1, 1.1, 1.1])
    run_test(settings(Model.OPEN, strategy="timed"), market({Timeframe.H1: rates}), catalog(Timed))
    assert Timed.fired == [
        DAY0 + 900 * k for k in range(1, 13)
    ]  # every 15 minutes to the last price


# -- what cannot be tested ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"model": Model.OHLC}, "needs M1 bars of EURUSD; stored: H1"),
        ({"model": Model.TICKS}, "needs ticks of EURUSD"),
        ({"start": DAY0 + 86_400 * 30}, "no EURUSD bars from 2024-01-31"),
        ({"params": {"volume": 500}}, "Scripted volume: must be at most 10"),
        ({"params": {"lots": 1}}, "lots: is not one of its parameters"),
        ({"strategy": "nothing"}, "no strategy 'nothing' (available: "),
        ({"currency": "GBP"}, "an account in GBP cannot test EURUSD alone"),
        ({"deposit": -5.0}, "the deposit must be more than 0"),
    ],
)
def test_a_test_that_cannot_run_says_why_in_one_line(kw: dict[str, Any], message: str) -> None:
    model = kw.pop("model", Model.OPEN)
    with pytest.raises(TesterError) as caught:
        run_test(settings(model, **kw), market({Timeframe.H1: bars([1.1, 1.2, 1.3])}), catalog())
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_account_in_the_base_currency_counts_profit_in_it() -> None:
    rates = bars([1.25000, 1.25000, 1.30000, 1.30000])
    Scripted.plan = {DAY0: buy, DAY0 + 2 * H: close}
    result = run_test(
        settings(Model.OPEN, currency="EUR"), market({Timeframe.H1: rates}), catalog()
    )
    (trade,) = result.report.trades
    # 0.1 lot gained 0.05 USD per EUR = 500 USD, at 1.30 USD per EUR: 384.62 EUR.
    assert trade.profit == pytest.approx(500 / 1.3, abs=0.01)
    assert math.isclose(result.report.figures.net_profit, trade.profit, abs_tol=0.01)
    assert SPEC.base_currency == "EUR"
