"""Every halt cancels the strategies' working orders: each would open a position when it filled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.domain.commands import Halt
from app.domain.enums import TradingState
from app.domain.risk_limits import RiskLimits
from app.domain.strategies import DetachStrategy, StopStrategy, StrategyBudget, StrategyState
from tests.strategies.test_strategies import Desk, Probe, _no_actions, lines, state

__all__ = ["_no_actions"]


def _limits(s: Any, bar: Any) -> None:
    if not s.state.get("placed"):
        s.state["placed"] = True
        s.buy(0.1, limit=round(bar.close - 0.0020, 5))


def _desk_with_limit() -> tuple[Desk, str]:
    desk = Desk()
    desk.connect()
    Probe.actions = [_limits]
    name = desk.attach(budget=StrategyBudget(max_open_positions=3))
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.working_orders()) == 1
    return desk, name


def test_a_halt_while_the_link_is_down_cancels_the_strategys_order_when_it_is_back() -> None:
    desk, _name = _desk_with_limit()
    desk.core.connection_lost("cable pulled")
    desk.core.handle(Halt("kill switch"))
    assert desk.core.gate.state is TradingState.HALTED
    # the link comes back
    desk.core.reconnect.next_at = 0
    desk.minutes([1.1003])
    assert desk.core.connected and desk.core._down_reason is None
    desk.minutes([1.1004])
    working = [o for o in desk.core.working_orders() if o.owner > 0]
    # price falls through the limit: a halted terminal opens a strategy position
    desk.minutes([1.0970, 1.0960])
    assert working == [], (
        f"halted while the link was down: the strategy's order is still working "
        f"({len(working)}), positions now {desk.core.positions()}"
    )


def test_account_daily_loss_halt_cancels_strategy_orders() -> None:
    desk = Desk()
    desk.market.core.gate.set_limits(RiskLimits(max_daily_loss=50.0))
    desk.connect()

    def act(s: Any, bar: Any) -> None:
        if not s.state.get("placed"):
            s.state["placed"] = True
            s.buy(1.0)
            s.buy(0.1, limit=round(bar.close - 0.0100, 5))

    Probe.actions = [act]
    name = desk.attach(budget=StrategyBudget(max_open_positions=3))
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.working_orders()) == 1
    desk.minutes([1.0990, 1.0980])  # -100+ USD on 1 lot
    assert desk.core.gate.state is TradingState.HALTED, desk.core.gate.state
    desk.minutes([1.0979])
    assert desk.core.working_orders() == ()
    assert state(desk.market, name) is StrategyState.STOPPED


def test_stopping_or_detaching_an_instance_cancels_its_working_orders() -> None:
    """Nothing manages a stopped instance's resting order: it would open a position."""
    desk, name = _desk_with_limit()
    desk.core.handle(StopStrategy(name))
    desk.minutes([1.1003])
    assert desk.core.working_orders() == ()
    assert desk.core.positions() == ()
    assert any("cancelling its 1 working order(s) (stopped" in m for m in lines(desk.market))
    again, other = _desk_with_limit()
    again.core.handle(DetachStrategy(other))
    again.minutes([1.1003])
    assert again.core.working_orders() == ()


def test_a_failed_instances_working_order_goes_at_the_kill_switch() -> None:
    desk, name = _desk_with_limit()

    def boom(_s: Any, _b: Any) -> None:
        raise RuntimeError("x")

    Probe.actions = [boom]
    desk.minutes([1.1003])
    assert state(desk.market, name) is StrategyState.FAILED
    desk.core.handle(Halt("kill switch"))
    desk.minutes([1.1004])
    assert desk.core.working_orders() == ()


def test_halting_twice_cancels_once_without_refusals() -> None:
    desk, _name = _desk_with_limit()
    desk.core.handle(Halt("kill switch"))
    desk.core.handle(Halt("kill switch again"))
    desk.minutes([1.1003])
    refused = [m for m in lines(desk.market) if "refused" in m.lower()]
    assert refused == [], refused


def test_the_kill_switch_holds_across_a_restart_and_no_strategy_starts_by_itself(
    tmp_path: Path,
) -> None:
    """Halted, then quit: the next start is HALTED too, and an instance set to start by
    itself stays stopped (it used to trade within a second of the restart)."""
    from app.domain.commands import Resume
    from app.domain.strategies import AttachStrategy, StartStrategy
    from app.domain.timeframes import Timeframe
    from app.storage.journal import Journal
    from tests.attack.test_strategies import Opener, _with

    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    paper = tmp_path / "paper.json"

    def start_desk() -> tuple[Desk, Journal]:
        journal = Journal.open(url)
        desk = Desk(journal, paper)
        desk.host._load_catalog = lambda: _with(Probe, Opener)
        desk.connect()
        return desk, journal

    Opener.buy_at_start = False
    desk, journal = start_desk()
    desk.core.handle(
        AttachStrategy("opener", "EURUSD", Timeframe.M1, {}, StrategyBudget(), autostart=True)
    )
    [name] = desk.host.configs
    desk.core.handle(Halt("kill switch"))
    desk.core.disconnect()
    journal.close()

    Opener.buy_at_start = True
    try:
        again, journal = start_desk()
        assert again.core.gate.state is TradingState.HALTED
        assert again.core.gate.state_reason == "still halted from before the restart: kill switch"
        assert state(again.market, name) is StrategyState.STOPPED
        again.minutes([1.1001, 1.1002])
        assert again.core.positions() == (), "a halted terminal's strategy traded at the start"
        assert any("not started: trading is HALTED" in m for m in lines(again.market))
        again.core.handle(Resume())
        again.core.handle(StartStrategy(name))
        again.minutes([1.1003])
        assert len(again.core.positions()) == 1  # resumed: it trades
        again.core.disconnect()
        journal.close()

        third, journal = start_desk()  # resumed before quitting: not halted any more
        assert third.core.gate.state is TradingState.ACTIVE
        journal.close()
    finally:
        Opener.buy_at_start = False
