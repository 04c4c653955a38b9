"""Hostile tests: a REDUCING strategy instance must not be able to grow or flip its net.

Each test brings an instance with a 100.00 daily-loss budget to an 85.00 loss with the
account's reduce-on-warning on (so the instance is REDUCING), then tries one way of
adding to, or flipping, what it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.brokers.base import TransientBrokerError
from app.domain.commands import ReversePosition
from app.domain.risk_limits import RiskLimits
from app.domain.strategies import StrategyBudget, StrategyState
from tests.faults import wrong_first_time
from tests.strategies.test_strategies import (  # noqa: F401 - the fixture resets Probe
    Desk,
    Probe,
    _no_actions,
    state,
)

Step = Callable[[Any], object]


def _opens_long(s: Any) -> None:
    s.buy(1.0)


def _planned(steps: dict[str, Step]) -> tuple[list[str], Step]:
    """The instance's on_bar runs one named step per bar, as the test appends them; the
    first bar's is "open" (1 lot long unless ``steps`` says otherwise)."""
    plan = ["open"]
    steps = {"open": _opens_long, **steps}

    def act(s: Any, _bar: Any) -> None:
        step = steps.get(plan.pop(0)) if plan else None
        if step is not None:
            step(s)

    return plan, act


def _net(desk: Desk, number: int) -> float:
    return round(sum(p.side.sign * p.volume for p in desk.core.positions() if p.owner == number), 6)


def _run(act: Any) -> tuple[Desk, str, int, float]:
    """An instance that bought 1 lot, then lost 85 % of its 100.00 daily limit."""
    desk = Desk(limits=RiskLimits(reduce_on_warning=True))
    desk.connect()
    Probe.actions = [act]
    name = desk.attach(budget=StrategyBudget(max_daily_loss=100.0))
    number = desk.host.configs[name].number
    desk.minutes([1.1001])
    [position] = desk.core.positions()
    loss_85 = round(position.price_open - 0.00085, 5)
    return desk, name, number, loss_85


def test_a_reducing_instance_cannot_flip_its_long_into_a_short_by_a_reverse() -> None:

    def reverse(s: Any) -> None:
        [mine] = s.positions()
        s._ctx().send(ReversePosition(mine.ticket))  # a command a client may send

    plan, act = _planned({"reverse": reverse})
    desk, name, number, loss_85 = _run(act)
    desk.minutes([loss_85])
    assert state(desk.market, name) is StrategyState.REDUCING
    plan.append("reverse")
    desk.minutes([loss_85])
    # Only orders that reduce its net pass: long 1 -> short 1 is not a reduction.
    assert _net(desk, number) >= 0.0, f"a REDUCING instance reversed into {_net(desk, number)}"


def test_a_reducing_instance_cannot_sell_past_flat_while_a_sell_is_still_filling() -> None:
    """The broker fills at most 0.3 lots per tick: a 1-lot sell is still filling when the
    instance sells 'the rest it still holds' again, and the two together flip it short."""

    def sell_what_is_left(s: Any) -> None:
        if s.net_position() > 0:
            s.sell(round(s.net_position(), 2))

    sell_all: Step = lambda s: s.sell(1.0)  # noqa: E731 - its whole long: passes
    plan, act = _planned({"sell all": sell_all, "sell what is left": sell_what_is_left})
    desk, name, number, loss_85 = _run(act)
    desk.minutes([loss_85])
    assert state(desk.market, name) is StrategyState.REDUCING
    desk.market.broker._max_fill_volume = 0.3  # the paper broker's liquidity cap
    plan.append("sell all")
    desk.minutes([loss_85])
    plan.append("sell what is left")
    desk.minutes([loss_85] * 6)  # the slices fill
    assert state(desk.market, name) is StrategyState.REDUCING
    assert _net(desk, number) >= 0.0, f"a REDUCING instance ended at {_net(desk, number)} lots"


def test_a_reducing_instance_s_working_order_is_cancelled_after_a_lost_link() -> None:
    """The cancel of its resting buy is refused because the link drops; once the link is
    back nothing asks again, and the buy fills: the REDUCING instance's long grows."""

    def open_with_a_resting_buy(s: Any) -> None:
        s.buy(1.0)
        s.buy(0.5, limit=1.0994)  # rests below the market

    _plan, act = _planned({"open": open_with_a_resting_buy})
    desk, name, number, loss_85 = _run(act)
    broker = desk.market.broker

    def link_drops(_ticket: int) -> Any:
        broker.set_connected(False, "network cable")
        raise TransientBrokerError("network cable")

    broker.cancel_order, asked = wrong_first_time(broker.cancel_order, link_drops)  # type: ignore[method-assign]
    desk.minutes([loss_85])
    assert state(desk.market, name) is StrategyState.REDUCING
    assert asked  # the cancel was sent, and the link dropped under it
    broker.set_connected(True)
    desk.core.reconnect.next_at = 0.0  # due now
    desk.core.poll()  # reconnects
    desk.minutes([loss_85])
    desk.minutes([1.0993])  # 90.00 of its 100.00, still REDUCING; the ask reaches the limit
    assert state(desk.market, name) is StrategyState.REDUCING
    assert _net(desk, number) <= 1.0, f"a REDUCING instance's long grew to {_net(desk, number)}"
