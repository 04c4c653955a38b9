"""Every condition and trigger on hand-built quotes: what fires, at which tick, on what value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from app.alerts.evaluator import Evaluator, MissedTime
from app.alerts.indicators import build_indicator
from app.domain.alerts import AlertSpec, Condition, IndicatorRef, TrendLine, Trigger, Watch
from app.domain.market import RATES_DTYPE, Bar, BarHistory, Tick
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Position

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 86_400_000  # a UTC midnight, epoch ms
S = 1000  # one second in ms


def spec(condition: Condition = Condition.CROSSES, **kw: Any) -> AlertSpec:
    kw.setdefault("symbol", "EURUSD")
    return AlertSpec(condition=condition, **kw)


def tick(
    bid: float, at_s: float, *, symbol: str = "EURUSD", ask: float | None = None, last: float = 0.0
) -> Tick:
    return Tick(symbol, T0 + int(at_s * S), bid, bid + 0.0001 if ask is None else ask, last)


def run(
    alerts: dict[int, AlertSpec],
    bids: Sequence[float],
    *,
    start: float | None = 1.1000,
    step_s: float = 1.0,
) -> list[tuple[int, int, float | None]]:
    """Arm ``alerts`` at ``start``, feed ``bids`` one second apart; (alert, tick index, value)."""
    evaluator = Evaluator(build_indicator)
    quote = tick(start, 0) if start is not None else None
    for number, s in alerts.items():
        evaluator.arm(number, s, quote=quote)
    fired = []
    for i, bid in enumerate(bids, start=1):
        for firing in evaluator.on_tick(tick(bid, i * step_s)) or ():
            fired.append((firing.armed.number, i, firing.value))
    return fired


# -- crossing -------------------------------------------------------------------------


def test_a_cross_up_fires_at_the_tick_that_reaches_the_level() -> None:
    fired = run({1: spec(Condition.CROSSES_UP, level=1.1010)}, [1.1005, 1.1009, 1.1010, 1.1020])
    assert fired == [(1, 3, 1.1010)]  # touching counts


def test_a_gap_past_the_level_still_fires() -> None:
    levels = {n: spec(Condition.CROSSES_UP, level=1.1000 + n / 10_000) for n in range(1, 6)}
    fired = run(levels, [1.1001, 1.1050])  # one tick jumps over levels 2..5
    assert [(n, i) for n, i, _v in fired] == [(1, 1), (2, 2), (3, 2), (4, 2), (5, 2)]
    assert all(v == 1.1050 for n, i, v in fired if i == 2)


def test_a_gap_down_fires_the_levels_in_the_order_the_price_passed_them() -> None:
    levels = {n: spec(Condition.CROSSES_DOWN, level=1.1000 - n / 10_000) for n in range(1, 4)}
    fired = run(levels, [1.0950])
    assert [n for n, _i, _v in fired] == [1, 2, 3]  # 1.0999, 1.0998, 1.0997 — downwards


def test_cross_up_ignores_downward_crosses_and_cross_down_upward_ones() -> None:
    alerts = {
        1: spec(Condition.CROSSES_UP, level=1.1000, trigger=Trigger.EVERY),
        2: spec(Condition.CROSSES_DOWN, level=1.1000, trigger=Trigger.EVERY),
        3: spec(Condition.CROSSES, level=1.1000, trigger=Trigger.EVERY),
    }
    fired = run(alerts, [1.0990, 1.1010, 1.0990, 1.1010], start=1.0995)
    assert [(n, i) for n, i, _v in fired if n == 1] == [(1, 2), (1, 4)]
    assert [(n, i) for n, i, _v in fired if n == 2] == [(2, 3)]
    assert [(n, i) for n, i, _v in fired if n == 3] == [(3, 2), (3, 3), (3, 4)]


def test_sitting_on_the_level_and_leaving_it_is_not_a_second_cross() -> None:
    alert = {1: spec(Condition.CROSSES, level=1.1000, trigger=Trigger.EVERY)}
    fired = run(alert, [1.1000, 1.1000, 1.1005, 1.1000, 1.0995], start=1.0990)
    # Reached from below at tick 1; leaving upwards is no cross; coming back down to
    # the level (tick 4) touches it from above; going on below it is not another.
    assert [(n, i) for n, i, _v in fired] == [(1, 1), (1, 4)]


def test_once_fires_one_time_only() -> None:
    fired = run({1: spec(level=1.1000)}, [1.1010, 1.0990, 1.1010, 1.0990], start=1.0995)
    assert fired == [(1, 1, 1.1010)]


def test_the_first_tick_after_arming_is_compared_with_the_quote_at_arming() -> None:
    fired = run({1: spec(Condition.CROSSES_UP, level=1.1000)}, [1.1001], start=1.0999)
    assert fired == [(1, 1, 1.1001)]
    assert run({1: spec(Condition.CROSSES_UP, level=1.1000)}, [1.1001], start=1.1001) == []


def test_without_a_quote_at_arming_the_first_tick_is_only_the_start() -> None:
    fired = run({1: spec(Condition.CROSSES_UP, level=1.1000)}, [1.1005, 1.0990, 1.1001], start=None)
    assert fired == [(1, 3, 1.1001)]


# -- above and below ------------------------------------------------------------------


def test_above_fires_once_when_it_first_holds() -> None:
    fired = run({1: spec(Condition.ABOVE, level=1.1010)}, [1.1005, 1.1010, 1.1011, 1.1020])
    assert fired == [(1, 3, 1.1011)]  # strictly above: 1.1010 is not


def test_an_alert_that_already_holds_fires_at_the_next_tick() -> None:
    fired = run({1: spec(Condition.BELOW, level=2300.0, symbol="EURUSD")}, [1.1001], start=1.1)
    assert fired == [(1, 1, 1.1001)]


def test_above_every_interval_fires_again_while_it_holds_at_most_that_often() -> None:
    alert = spec(Condition.ABOVE, level=1.1000, trigger=Trigger.EVERY, interval_s=5)
    bids = [1.1001] * 12  # holds on every tick, one per second
    fired = run({1: alert}, bids, start=1.0990)
    assert [i for _n, i, _v in fired] == [1, 6, 11]


def test_above_every_interval_waits_out_the_interval_across_a_dip() -> None:
    alert = spec(Condition.ABOVE, level=1.1000, trigger=Trigger.EVERY, interval_s=5)
    bids = [1.1001, 1.0990, 1.1001, 1.1001, 1.1001, 1.1001, 1.1001]
    fired = run({1: alert}, bids, start=1.0990)
    assert [i for _n, i, _v in fired] == [1, 6]  # back above at 3, but only allowed from 6


def test_above_once_per_bar_fires_once_in_each_bar() -> None:
    alert = spec(
        Condition.ABOVE, level=1.1000, trigger=Trigger.ONCE_PER_BAR, timeframe=Timeframe.M1
    )
    fired = run({1: alert}, [1.1001] * 150, start=1.0990)  # 150 s: minutes 0, 1, 2
    assert [i for _n, i, _v in fired] == [1, 60, 120]


def test_max_count_ends_a_repeating_alert() -> None:
    alert = spec(Condition.CROSSES, level=1.1000, trigger=Trigger.EVERY, max_count=2)
    fired = run({1: alert}, [1.1010, 1.0990, 1.1010, 1.0990], start=1.0995)
    assert [i for _n, i, _v in fired] == [1, 2]


def test_every_with_an_interval_skips_crosses_inside_it() -> None:
    alert = spec(Condition.CROSSES, level=1.1000, trigger=Trigger.EVERY, interval_s=3)
    fired = run({1: alert}, [1.1010, 1.0990, 1.1010, 1.0990, 1.1010], start=1.0995)
    assert [i for _n, i, _v in fired] == [1, 4]


def test_cross_once_per_bar_skips_further_crosses_in_the_same_bar() -> None:
    alert = spec(level=1.1000, trigger=Trigger.ONCE_PER_BAR, timeframe=Timeframe.M1)
    bids = [1.1010, 1.0990] * 40  # a cross every second for 80 s
    fired = run({1: alert}, bids, start=1.0995)
    assert [i for _n, i, _v in fired] == [1, 60]


# -- channels -------------------------------------------------------------------------


def test_entering_and_leaving_a_channel() -> None:
    alerts = {
        1: spec(Condition.ENTERS_CHANNEL, level=1.1000, upper=1.1010, trigger=Trigger.EVERY),
        2: spec(Condition.EXITS_CHANNEL, level=1.1000, upper=1.1010, trigger=Trigger.EVERY),
    }
    bids = [1.0995, 1.1005, 1.1008, 1.1015, 1.1009, 1.0999]
    fired = run(alerts, bids, start=1.0990)
    assert [(n, i) for n, i, _v in fired] == [(1, 2), (2, 4), (1, 5), (2, 6)]


def test_a_jump_through_a_channel_both_enters_and_exits_it_once_each() -> None:
    alerts = {
        1: spec(Condition.ENTERS_CHANNEL, level=1.1000, upper=1.1010, trigger=Trigger.EVERY),
        2: spec(Condition.EXITS_CHANNEL, level=1.1000, upper=1.1010, trigger=Trigger.EVERY),
    }
    fired = run(alerts, [1.1020], start=1.0990)
    assert sorted(n for n, _i, _v in fired) == [1, 2]


# -- moves ----------------------------------------------------------------------------


def test_rising_by_an_amount_within_a_window() -> None:
    alert = spec(Condition.MOVES_UP, amount=0.0010, window_s=10)
    fired = run({1: alert}, [1.1000, 1.1004, 1.1008, 1.1010, 1.1011], start=1.1000)
    assert fired == [(1, 4, 1.1010)]


def test_a_rise_slower_than_the_window_does_not_fire() -> None:
    alert = spec(Condition.MOVES_UP, amount=0.0010, window_s=3)
    bids = [1.1000 + i * 0.0002 for i in range(10)]  # 0.0002 a second: 0.0006 per 3 s
    assert run({1: alert}, bids, start=1.1000) == []


def test_falling_by_a_percentage_and_measuring_again_after_firing() -> None:
    alert = spec(Condition.MOVES_DOWN, amount=1.0, percent=True, window_s=60, trigger=Trigger.EVERY)
    bids = [100.0, 99.5, 98.9, 98.5, 97.9]  # -1.1 % at tick 3; then from 98.9: -1.01 % at 5
    fired = run({1: alert}, bids, start=100.0)
    assert [(i, v) for _n, i, v in fired] == [(3, 98.9), (5, 97.9)]


# -- trend lines ----------------------------------------------------------------------


def test_a_rising_trend_line_is_crossed_by_a_flat_price() -> None:
    # The line rises 0.0001 a second from 1.0995 at t=0: it reaches 1.1000 at t=5.
    line = TrendLine(T0, 1.0995, T0 + 10 * S, 1.1005)
    alert = spec(Condition.CROSSES_DOWN, line=line)
    fired = run({1: alert}, [1.1000] * 8, start=1.1000)
    assert fired == [(1, 5, 1.1000)]  # the price did not move; the line came up to it


def test_a_price_jumping_over_a_trend_line_crosses_it() -> None:
    line = TrendLine(T0, 1.1000, T0 + 100 * S, 1.1000)  # flat
    alert = spec(Condition.CROSSES_UP, line=line, trigger=Trigger.EVERY)
    fired = run({1: alert}, [1.0990, 1.1030, 1.0980, 1.1050], start=1.0990)
    assert [i for _n, i, _v in fired] == [2, 4]


# -- ask and last ---------------------------------------------------------------------


def test_ask_and_last_alerts_watch_their_own_price() -> None:
    evaluator = Evaluator()
    evaluator.arm(
        1, spec(Condition.CROSSES_UP, watch=Watch.ASK, level=1.1005), quote=tick(1.1000, 0)
    )
    evaluator.arm(
        2,
        spec(Condition.CROSSES_UP, watch=Watch.LAST, level=1.1003),
        quote=tick(1.1000, 0, last=1.1001),
    )
    assert evaluator.on_tick(tick(1.1000, 1, ask=1.1004, last=0.0)) is None  # no last: skipped
    got = evaluator.on_tick(tick(1.1002, 2, ask=1.1006, last=1.1004)) or []
    assert sorted((f.armed.number, f.value) for f in got) == [(1, 1.1006), (2, 1.1004)]


def test_other_symbols_ticks_do_not_touch_an_alert() -> None:
    evaluator = Evaluator()
    evaluator.arm(1, spec(Condition.CROSSES_UP, level=1.1005), quote=tick(1.1000, 0))
    assert evaluator.on_tick(tick(1.2000, 1, symbol="GBPUSD")) is None
    assert evaluator.symbols == frozenset({"EURUSD"})


# -- bar closes -----------------------------------------------------------------------


def test_once_per_bar_close_judges_only_the_closes() -> None:
    evaluator = Evaluator()
    alert = spec(
        Condition.CROSSES_UP,
        level=1.1000,
        trigger=Trigger.ONCE_PER_BAR_CLOSE,
        timeframe=Timeframe.M1,
    )
    evaluator.arm(1, alert, quote=tick(1.0990, 0))
    fired = []
    # Minute 0: spikes above and comes back (no close above); minute 1 closes above.
    for at, bid in [(10, 1.1010), (50, 1.0995), (70, 1.1002), (110, 1.1003)]:
        if at >= 60 > at - 40:  # the first tick of minute 1 closes minute 0 first
            fired += (
                evaluator.on_bar(Bar("EURUSD", Timeframe.M1, T0 // 1000, 0, 0, 0, 1.0995, 2)) or []
            )
        fired += evaluator.on_tick(tick(bid, at)) or []
    assert fired == []
    fired += (
        evaluator.on_bar(Bar("EURUSD", Timeframe.M1, T0 // 1000 + 60, 0, 0, 0, 1.1003, 2)) or []
    )
    assert [(f.armed.number, f.value, f.time_msc) for f in fired] == [(1, 1.1003, T0 + 120 * S)]


# -- indicators -----------------------------------------------------------------------


def _history(closes: list[float], end_s: int) -> BarHistory:
    rates = np.zeros(len(closes), dtype=RATES_DTYPE)
    rates["time"] = [end_s - 60 * (len(closes) - i) for i in range(len(closes))]
    rates["open"] = rates["high"] = rates["low"] = rates["close"] = closes
    return BarHistory(
        "EURUSD", Timeframe.M1, rates["time"], rates["open"], rates["high"], rates["low"],
        rates["close"], rates["tick_volume"].astype(float),
    )  # fmt: skip


def _bar(close: float, time_s: int) -> Bar:
    return Bar("EURUSD", Timeframe.M1, time_s, close, close, close, close, 1)


def test_an_indicator_crossing_a_level_on_closed_bars_after_its_warm_up() -> None:
    evaluator = Evaluator(build_indicator)
    ref = IndicatorRef("sma", Timeframe.M1, {"period": 3})
    alert = spec(Condition.CROSSES_UP, watch=Watch.INDICATOR, indicator=ref, level=1.1000)
    end = T0 // 1000
    evaluator.arm(1, alert, history=lambda s, tf, n: _history([1.0990, 1.0990, 1.0990], end))
    assert evaluator.bar_keys == frozenset({("EURUSD", Timeframe.M1)})
    fired = []
    for i, close in enumerate([1.0995, 1.1000, 1.1020, 1.1030]):
        fired += [(i, f.value) for f in evaluator.on_bar(_bar(close, end + 60 * i)) or []]
    # SMA(3): 1.09917, 1.09950, 1.10050 (crosses 1.1 at the third bar), 1.10167
    assert [i for i, _v in fired] == [2] and fired[0][1] == pytest.approx(1.1005)


def test_an_indicator_crossing_another_indicator() -> None:
    evaluator = Evaluator(build_indicator)
    fast, slow = (
        IndicatorRef("sma", Timeframe.M1, {"period": 2}),
        IndicatorRef("sma", Timeframe.M1, {"period": 4}),
    )
    alert = spec(
        Condition.CROSSES_UP,
        watch=Watch.INDICATOR,
        indicator=fast,
        other=slow,
        trigger=Trigger.EVERY,
    )
    end = T0 // 1000
    evaluator.arm(1, alert, history=lambda s, tf, n: _history([1.2, 1.1, 1.0, 1.0], end))
    fired = [
        i
        for i, close in enumerate([1.0, 1.1, 1.2, 1.3])
        for _f in evaluator.on_bar(_bar(close, end + 60 * i)) or []
    ]
    # fast/slow: (1.0, 1.025), (1.05, 1.025) -> crosses up at the second bar
    assert fired == [1]


# -- the clock and the account --------------------------------------------------------


def test_a_time_alert_fires_when_the_clock_reaches_it_and_a_repeating_one_again() -> None:
    evaluator = Evaluator()
    evaluator.arm(1, AlertSpec("EURUSD", Watch.TIME, Condition.AT, at_msc=T0 + 60 * S))
    evaluator.arm(
        2,
        AlertSpec(
            "", Watch.TIME, Condition.AT, at_msc=T0 + 30 * S, trigger=Trigger.EVERY, interval_s=60
        ),
    )
    fired = []
    for second in range(0, 200, 10):
        fired += [(f.armed.number, second) for f in evaluator.on_clock(T0 + second * S) or []]
    assert fired == [(2, 30), (1, 60), (2, 90), (2, 150)]


def test_a_time_alert_armed_after_its_moment_is_missed_not_fired() -> None:
    evaluator = Evaluator()
    once = AlertSpec("EURUSD", Watch.TIME, Condition.AT, at_msc=T0 + 60 * S)
    daily = AlertSpec(
        "", Watch.TIME, Condition.AT, at_msc=T0 + 60 * S, trigger=Trigger.EVERY, interval_s=600
    )
    evaluator.arm(1, once, now_msc=T0 + 7200 * S)
    evaluator.arm(2, daily, now_msc=T0 + 7200 * S)
    assert evaluator.take_missed() == [
        MissedTime(1, 1, T0 + 60 * S, None),
        MissedTime(2, 12, T0 + 6660 * S, T0 + 7260 * S),
    ]
    fired = [
        (f.armed.number, second)
        for second in range(7200, 8000, 10)
        for f in evaluator.on_clock(T0 + second * S) or []
    ]
    assert fired == [(2, 7260), (2, 7860)]  # the repeating one goes on from its next moment


def test_a_repeating_time_alert_restored_after_firing_waits_for_its_next_moment() -> None:
    evaluator = Evaluator()
    daily = AlertSpec(
        "", Watch.TIME, Condition.AT, at_msc=T0 + 60 * S, trigger=Trigger.EVERY, interval_s=600
    )
    evaluator.arm(1, daily, count=1, last_fired_msc=T0 + 60 * S, now_msc=T0 + 100 * S)
    assert evaluator.take_missed() == []
    fired = [s for s in range(100, 700, 10) for _f in evaluator.on_clock(T0 + s * S) or []]
    assert fired == [660]


def test_a_clock_that_stalls_past_a_time_alert_misses_it() -> None:
    """The computer slept with the terminal open: its order must not go out on waking."""
    evaluator = Evaluator()
    evaluator.arm(1, AlertSpec("EURUSD", Watch.TIME, Condition.AT, at_msc=T0 + 60 * S))
    assert evaluator.on_clock(T0 + 30 * S) is None
    assert evaluator.on_clock(T0 + 3600 * S) is None
    assert evaluator.take_missed() == [MissedTime(1, 1, T0 + 60 * S, None)]


def test_a_positions_pnl_and_the_margin_level() -> None:
    evaluator = Evaluator()
    evaluator.arm(
        1,
        AlertSpec(
            "", Watch.POSITION_PNL, Condition.CROSSES_DOWN, level=-100.0, ticket=7,
            trigger=Trigger.EVERY,
        ),
    )  # fmt: skip
    evaluator.arm(2, AlertSpec("", Watch.MARGIN_LEVEL, Condition.BELOW, level=150.0))
    marks = [(-50.0, 400.0), (-99.0, 200.0), (-130.0, 140.0), (-90.0, 160.0)]
    fired = []
    for second, (pnl, margin_level) in enumerate(marks):
        position = Position(7, "EURUSD", "buy", 1.0, 1.1, 1.1, pnl, 0)  # type: ignore[arg-type]
        account = AccountState(
            "USD", 10_000, 10_000 + pnl, 10_000 / margin_level * 100, 0, pnl, pnl, 100
        )
        got = evaluator.on_clock(T0 + second * S, lambda p=position: [p], lambda a=account: a) or []
        fired += [(f.armed.number, second) for f in got]
    assert fired == [(1, 2), (2, 2)]
    evaluator.on_clock(T0 + 10 * S, lambda: [], lambda: None)
    assert evaluator.take_gone() == [1]  # the position was closed: its alert can never fire


def test_a_disarmed_alert_never_fires() -> None:
    evaluator = Evaluator()
    evaluator.arm(1, spec(Condition.CROSSES_UP, level=1.1005), quote=tick(1.1000, 0))
    evaluator.arm(
        2, spec(Condition.ENTERS_CHANNEL, level=1.1003, upper=1.1006), quote=tick(1.1000, 0)
    )
    evaluator.disarm(1)
    evaluator.disarm(2)
    assert evaluator.on_tick(tick(1.1010, 1)) is None
    assert len(evaluator) == 0 and evaluator.symbols == frozenset()
