"""Hostile tests: Ctrl+G's indicators against the numbers the instance decides on, the
indicators a stopped and edited instance reports, and the event log's Source column for
a strategy's deals that no command of this session made (a stop loss after a restart,
or long after the order that opened the position)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.domain.market import RATES_DTYPE
from app.domain.strategies import (
    AttachStrategy,
    EditStrategy,
    StartStrategy,
    StopStrategy,
    StrategyBudget,
)
from app.domain.timeframes import Timeframe
from app.engine.core import OWNED_ORDERS_KEPT
from app.indicators import create
from tests.replay_market import START
from tests.strategies.test_strategies import (  # noqa: F401 - the fixture resets Probe
    Desk,
    Probe,
    _no_actions,
    journaled_desk,
    statuses,
)


def _random_walk_history(desk: Desk, count: int = 60) -> None:
    """History that moves (a sine of 1e-4 hardly tells one smoothing from another)."""
    rates = np.zeros(count, dtype=RATES_DTYPE)
    rates["time"] = START + 3600 - 60 * np.arange(count, 0, -1)
    steps = np.random.default_rng(1).standard_normal(count)
    closes = 1.1 + 0.001 * np.cumsum(steps)
    for column in ("open", "high", "low", "close"):
        rates[column] = closes
    rates["tick_volume"] = 10
    desk.market.broker._m1["EURUSD"] = rates


@pytest.mark.parametrize(
    ("strategy", "params", "indicator", "attribute"),
    [
        ("rsi_reversion", {"period": 14}, {"name": "rsi", "period": 14}, "rsi"),
        ("ma_cross", {"atr_stop": True}, {"name": "atr", "period": 14}, "atr"),
    ],
)
def test_ctrl_g_draws_the_numbers_the_built_in_instance_decides_on(
    strategy: str, params: dict[str, object], indicator: dict[str, object], attribute: str
) -> None:
    """docs/strategies.md: Ctrl+G's chart "computes them with the same library on the
    same bars, so the lines are the numbers it decides on". The chart computes an
    indicator over every closed bar it has; a recursive one (RSI, ATR, EMA, MACD, ADX,
    SAR) warmed on only its lookback starts from another seed (once: rsi_reversion's RSI
    49.4 where the chart drew 42.2): the trader would see the chart's RSI cross 30 and
    the instance not buy, or the other way round."""
    desk = Desk()
    _random_walk_history(desk)
    desk.connect()
    if "atr_stop" in params:
        params = {**params, "atr_period": indicator["period"]}
    name = desk.attach(strategy=strategy, params=params)
    instance = desk.strategy(name)
    drawn_as = statuses(desk.market, name)[-1].indicators
    wanted = {k: v for k, v in indicator.items() if k != "name"}
    assert any(i.name == indicator["name"] and dict(i.params) == wanted for i in drawn_as)
    decides_on = instance.last(getattr(instance, attribute))
    bars = instance.bars(1000)  # the closed bars the engine has: what a chart loads
    chart = create(str(indicator["name"]), wanted).compute(bars)
    drawn = next(iter(chart.values()))[-1]
    assert decides_on == pytest.approx(drawn, rel=1e-9), (
        f"{name} decides on {indicator['name']} = {decides_on:.6g}; Ctrl+G's chart draws "
        f"{drawn:.6g} at the same closed bar"
    )


def test_ctrl_g_after_an_edit_does_not_draw_the_indicators_of_the_old_parameters() -> None:
    """Stop probe#1 (SMA period 7), edit it to period 9 (F2): its status must not name
    sma(period=7) (Ctrl+G would draw an SMA(7) beside parameters that say 9, and the
    next start decides on SMA(9)). Like one never started, it has made none yet."""
    desk = Desk()
    desk.connect()
    name = desk.attach(params={"period": 7})
    desk.core.handle(StopStrategy(name))
    desk.core.handle(EditStrategy(name, {"period": 9, "volume": 0.1}, StrategyBudget(), False))
    status = statuses(desk.market, name)[-1]
    assert status.config.params["period"] == 9
    drawn = [(i.name, dict(i.params)) for i in status.indicators]
    assert ("sma", {"period": 7}) not in drawn, (
        f"parameters period=9, yet Ctrl+G would draw {drawn}"
    )


def _sl_buy(strategy: Probe, _bar: object) -> None:
    if not strategy.positions():
        strategy.buy(0.1, sl=1.0990)


def test_a_restored_instance_s_stop_loss_is_logged_under_the_instance(tmp_path: Path) -> None:
    """probe#1 opens a position with a stop loss and the terminal restarts. After the
    restart its SL closes the position: the deal carries owner 1 (the trade history's
    Owner column says probe#1), and the event log's "Closed by stop loss" line is under
    probe#1 too, not under "engine" as if it were the trader's."""
    url, paper = f"sqlite:///{tmp_path / 'journal.db'}", tmp_path / "paper.json"
    journal, desk = journaled_desk(url, paper)
    Probe.actions = [_sl_buy]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    [position] = desk.core.positions()
    desk.core.handle(StopStrategy(name))
    desk.core.disconnect()
    journal.close()

    Probe.actions = []
    journal, again = journaled_desk(url, paper)
    try:
        assert [p.owner for p in again.core.positions()] == [position.owner]
        before = len(again.market.out.logs)
        again.minutes([1.1001, 1.0940])  # through its stop loss
        assert again.core.positions() == ()
        closed = [
            e for e in again.market.out.logs[before:] if e.message.startswith("Closed by stop")
        ]
        assert closed, "no line for the stop loss"
        assert [e.source for e in closed] == [name], [(e.source, e.message) for e in closed]
    finally:
        journal.close()


def test_a_long_lived_position_s_stop_loss_is_logged_under_the_instance() -> None:
    """A trailing strategy modifies its stop loss often (its budget lets it: max orders
    per minute 0). After 10,000 of its commands the engine no longer keeps the client id
    of the order that opened its position (``OWNED_ORDERS_KEPT``); when the stop loss
    closes that position the line is still under the instance (the deal's owner)."""
    desk = Desk()
    desk.connect()

    def trail(strategy: Probe, bar: object) -> None:
        if not strategy.positions():
            strategy.buy(0.1, sl=1.0990)
        elif not strategy.state.get("trailed"):
            strategy.state["trailed"] = True
            for _ in range(OWNED_ORDERS_KEPT):
                strategy.modify(strategy.positions()[0], sl=1.0990, tp=None)

    Probe.actions = [trail]
    name = desk.attach(budget=StrategyBudget(max_orders_per_minute=0))
    desk.minutes([1.1001, 1.1002, 1.1003])
    Probe.actions = []
    before = len(desk.market.out.logs)
    desk.minutes([1.0940])
    closed = [e for e in desk.market.out.logs[before:] if e.message.startswith("Closed by stop")]
    assert closed, "no line for the stop loss"
    assert [e.source for e in closed] == [name], [(e.source, e.message) for e in closed]


def test_a_restored_instance_s_resting_order_is_logged_under_the_instance(
    tmp_path: Path,
) -> None:
    """probe#1 (started at every start) rests a buy limit and the terminal restarts; the
    limit, placed in the earlier session, fills: its "Filled" line names probe#1."""
    url, paper = f"sqlite:///{tmp_path / 'journal.db'}", tmp_path / "paper.json"
    journal, desk = journaled_desk(url, paper)

    def rest_a_limit(strategy: Probe, _bar: object) -> None:
        if not strategy.state.get("placed"):
            strategy.state["placed"] = True
            strategy.buy(0.1, limit=1.0990)

    Probe.actions = [rest_a_limit]
    desk.core.handle(
        AttachStrategy("probe", "EURUSD", Timeframe.M1, {}, StrategyBudget(), autostart=True)
    )
    name = list(desk.host.configs)[-1]
    desk.core.handle(StartStrategy(name))
    desk.minutes([1.1001, 1.1002])
    assert [o.owner for o in desk.core.working_orders()] == [desk.host.configs[name].number]
    desk.core.disconnect()  # the terminal ends while it runs: the order stays at the broker
    journal.close()

    Probe.actions = []
    journal, again = journaled_desk(url, paper)
    try:
        assert len(again.core.working_orders()) == 1  # restored running, it keeps its limit
        before = len(again.market.out.logs)
        again.minutes([1.1001, 1.0985])  # down through the limit
        filled = [e for e in again.market.out.logs[before:] if e.message.startswith("Filled")]
        assert filled, "the limit did not fill"
        assert {e.source for e in filled} == {name}, [(e.source, e.message) for e in filled]
    finally:
        journal.close()
