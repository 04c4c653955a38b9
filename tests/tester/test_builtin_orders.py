"""The built-in examples never send an order the broker must refuse on ordinary data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.domain.market import Bar
from app.domain.timeframes import Timeframe
from app.tester import Model, TesterSettings, run_test
from app.tester.command import summary
from tests.tester.conftest import DAY0, Scripted, bars, catalog, market

H = 3600


def _donchian(opens: list[float]) -> object:
    settings = TesterSettings(
        "donchian_breakout",
        "EURUSD",
        Timeframe.H1,
        Model.OPEN,
        params={"entry": 3, "exit": 2},
        spread_points=0,
    )
    return run_test(settings, market({Timeframe.H1: bars(opens)}), catalog())


def test_a_long_broken_below_both_channels_at_once_is_closed_once_and_reversed() -> None:
    # Rising (a breakout buys), then one bar closing far below every low: the exit
    # channel's low and the entry channel's low are both broken by the same close.
    opens = [1.1000, 1.1010, 1.1020, 1.1030, 1.1040, 1.1050, 1.0900, 1.0890, 1.0890]
    result = _donchian(opens)
    assert result.refused == ()  # type: ignore[attr-defined]
    sides = [(d.side.value, d.closes_position) for d in result.deals]  # type: ignore[attr-defined]
    # buy on the breakout, then one close of the long and one new short, nothing more
    assert ("sell", True) in sides and ("sell", False) in sides
    assert sides.count(("sell", True)) == 1


def test_donchian_on_a_long_random_walk_sends_no_refused_order() -> None:
    steps = np.random.default_rng(7).normal(0, 0.0008, 3000)
    opens = list(1.10 + np.cumsum(steps))
    result = _donchian(opens)
    assert result.trades > 20  # type: ignore[attr-defined]
    assert result.refused == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("key", "params"),
    [
        ("ma_cross", {}),
        ("ma_cross", {"atr_stop": True}),
        ("rsi_reversion", {}),
        ("donchian_breakout", {}),
    ],
)
def test_every_built_in_on_a_random_walk_sends_no_refused_order(
    key: str, params: dict[str, object]
) -> None:
    steps = np.random.default_rng(11).normal(0, 0.0008, 3000)
    rates = bars(list(1.10 + np.cumsum(steps)))
    settings = TesterSettings(key, "EURUSD", Timeframe.H1, Model.OPEN, params=params)
    result = run_test(settings, market({Timeframe.H1: rates}), catalog())
    assert result.trades > 5
    assert result.refused == ()


def test_the_summary_counts_refused_orders_by_reason() -> None:
    def buy(s: Any, bar: Bar) -> None:
        s.buy(0.1)

    def close_twice(s: Any, bar: Bar) -> None:
        s.close()
        s.close()  # the same position again: the broker refuses the second one

    Scripted.plan = {
        DAY0 + H: buy,
        DAY0 + 3 * H: close_twice,
        DAY0 + 5 * H: buy,
        DAY0 + 7 * H: close_twice,
    }
    rates = bars([1.1000 + 0.0001 * i for i in range(10)])
    settings = TesterSettings("scripted", "EURUSD", Timeframe.H1, Model.OPEN)
    result = run_test(settings, market({Timeframe.H1: rates}), catalog())
    assert result.refused == (("no such open position", 2),)
    assert "2 refused orders: no such open position (2)" in summary(result).splitlines()
    assert result.as_json()["run"]["refused"] == [{"reason": "no such open position", "count": 2}]
