"""Halts across restarts and accounts, and the orders stopped or failed strategies leave."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from app.brokers.base import ExecutionReport
from app.domain.commands import Halt, Resume
from app.domain.enums import OrderStatus, TradingState
from app.domain.strategies import StopStrategy, StrategyBudget, StrategyState
from app.storage.journal import Journal
from tests.attack.test_strategy_halts import _desk_with_limit, _limits
from tests.faults import wrong_first_time
from tests.strategies.test_strategies import Desk, Probe, _no_actions, journaled_desk, lines, state

__all__ = ["_no_actions"]


def test_a_limit_queued_just_before_a_strategy_fails_is_refused_not_left_working() -> None:
    """A strategy places a resting limit and then raises in the same on_bar: FAILED, and
    its limit (queued, not yet working when the host cancelled) must not rest."""
    desk = Desk()
    desk.connect()

    def place_then_boom(s: Any, bar: Any) -> None:
        s.buy(0.1, limit=round(bar.close - 0.0020, 5))
        raise RuntimeError("bug after placing")

    Probe.actions = [place_then_boom]
    name = desk.attach(budget=StrategyBudget(max_open_positions=3))
    desk.minutes([1.1001, 1.1002])
    assert state(desk.market, name) is StrategyState.FAILED
    desk.minutes([1.1003, 1.1004])
    working = [o for o in desk.core.working_orders() if o.owner > 0]
    desk.minutes([1.0970, 1.0960])  # price falls through the limit
    assert working == [], (
        f"FAILED instance still has a working order: {working}; positions now "
        f"{[(p.owner, p.volume) for p in desk.core.positions()]}"
    )


def test_a_cancel_the_broker_refused_at_a_stop_is_sent_again_by_the_kill_switch() -> None:
    """The broker refuses the stop's cancel once (not a lost link: the market is closed);
    the kill switch asks again."""
    desk, name = _desk_with_limit()
    broker = desk.market.broker

    def market_closed(_ticket: int) -> ExecutionReport:
        return ExecutionReport(OrderStatus.REJECTED, reason="Market is closed")

    broker.cancel_order, calls = wrong_first_time(broker.cancel_order, market_closed)  # type: ignore[method-assign]
    desk.core.handle(StopStrategy(name))
    desk.minutes([1.1003])
    assert len(desk.core.working_orders()) == 1  # the broker refused the cancel
    desk.core.handle(Halt("kill switch"))
    desk.minutes([1.1004, 1.1005])
    working = [o for o in desk.core.working_orders() if o.owner > 0]
    assert working == [], (
        f"kill switch pressed, but the stopped strategy's order is still working "
        f"(cancel attempts: {len(calls)})"
    )


def _restart_url(tmp_path: Path) -> tuple[str, Path]:
    return f"sqlite:///{tmp_path / 'journal.sqlite'}", tmp_path / "paper.json"


def test_restored_halt_cancels_strategy_orders_left_at_the_broker(tmp_path: Path) -> None:
    """Halted while the link was down (the cancel was refused), then quit: after the
    restart trading is HALTED and the strategy's order at the broker is cancelled."""
    url, paper = _restart_url(tmp_path)
    journal, desk = journaled_desk(url, paper)
    Probe.actions = [_limits]
    desk.attach(budget=StrategyBudget(max_open_positions=3))
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.working_orders()) == 1
    desk.core.connection_lost("cable pulled")
    desk.core.handle(Halt("kill switch"))
    desk.core.disconnect()
    journal.close()

    Probe.actions = []
    journal, again = journaled_desk(url, paper)
    assert again.core.gate.state is TradingState.HALTED
    again.minutes([1.1001, 1.1002])
    working = [o for o in again.core.working_orders() if o.owner > 0]
    again.minutes([1.0970, 1.0960])
    opened = [(p.owner, p.volume) for p in again.core.positions()]
    journal.close()
    assert opened == [], f"HALTED after restart, yet a strategy position opened: {opened}"
    assert working == [], f"restored HALTED, strategy order still working: {working}"


def test_budget_halt_row_does_not_restore_a_global_halt(tmp_path: Path) -> None:
    url, paper = _restart_url(tmp_path)
    journal = Journal.open(url)
    journal.record_risk_event("BudgetHalt", "daily loss", state="halted", source="strategy #1")
    journal.close()
    journal, desk = journaled_desk(url, paper)
    assert desk.core.gate.state is TradingState.ACTIVE
    journal.close()


def test_a_halt_belongs_to_its_account_in_a_journal_shared_by_two(
    tmp_path: Path,
) -> None:
    """Account A halted; account B in the same journal starts ACTIVE, and its resume
    leaves A halted."""
    url, paper = _restart_url(tmp_path)

    def start(account: str) -> tuple[Desk, Journal]:
        journal = Journal.open(url)
        desk = Desk(journal, paper)
        broker = desk.market.broker
        real = broker.connect
        broker.connect = lambda: replace(real(), account=account)  # type: ignore[method-assign]
        desk.connect()
        return desk, journal

    a, j = start("LIVE-1")
    a.core.handle(Halt("daily loss on the live account"))
    a.core.disconnect()
    j.close()
    b, j = start("DEMO-2")
    assert b.core.gate.state is TradingState.ACTIVE  # the live account's halt is its own
    b.core.handle(Resume())
    b.core.disconnect()
    j.close()
    a, j = start("LIVE-1")
    st = a.core.gate.state
    j.close()
    assert st is TradingState.HALTED, "the live account's halt was lost by a resume on the demo"


def test_a_failed_strategys_own_cancels_and_the_hosts_make_no_noise(tmp_path: Path) -> None:
    """On a failure the host cancels, and on_stop's own cancels too: no refusal lines."""
    desk, name = _desk_with_limit()
    strategy = desk.strategy(name)

    def on_stop() -> None:
        for o in strategy.orders():
            strategy.cancel(o)

    strategy.on_stop = on_stop

    def boom(_s: Any, _b: Any) -> None:
        raise RuntimeError("x")

    Probe.actions = [boom]
    before = len(lines(desk.market))
    desk.minutes([1.1003, 1.1004])
    assert state(desk.market, name) is StrategyState.FAILED
    assert desk.core.working_orders() == ()
    new = lines(desk.market)[before:]
    refused = [m for m in new if "refused" in m.lower() or "no such" in m.lower()]
    assert refused == [], refused


def test_restored_halt_survives_a_transient_first_connect_failure(tmp_path: Path) -> None:
    url, paper = _restart_url(tmp_path)
    journal, desk = journaled_desk(url, paper)
    desk.core.handle(Halt("kill switch"))
    desk.core.disconnect()
    journal.close()
    journal = Journal.open(url)
    again = Desk(journal, paper)
    again.market.broker._link_down = "no route"
    again.market.tick(again.market.clock.now, 1.1)
    assert again.core.connect()
    assert not again.core.connected
    again.market.broker._link_down = None
    again.core.reconnect.next_at = 0
    again.minutes([1.1001, 1.1002])
    assert again.core.connected
    st = again.core.gate.state
    journal.close()
    assert st is TradingState.HALTED


class _Ladder(Probe):
    key = "ladder"

    def on_start(self) -> None:
        super().on_start()
        self.buy(0.1, limit=1.0950)


def test_stop_then_start_keeps_the_new_runs_orders_and_the_traders() -> None:
    from app.domain.commands import CancelOrder, SubmitOrder
    from app.domain.enums import OrderType, Side
    from app.domain.strategies import StartStrategy
    from app.domain.trading import OrderRequest
    from tests.attack.test_strategies import _with

    desk = Desk()
    desk.host._load_catalog = lambda: _with(Probe, _Ladder)
    desk.connect()
    desk.core.handle(
        SubmitOrder(OrderRequest("", "EURUSD", Side.BUY, 0.1, OrderType.LIMIT, price=1.0900))
    )
    name = desk.attach(strategy="ladder", budget=StrategyBudget(max_open_positions=3))
    desk.minutes([1.1001])
    first = {o.ticket for o in desk.core.working_orders() if o.owner > 0}
    assert len(first) == 1
    desk.core.handle(StopStrategy(name))
    desk.core.handle(StartStrategy(name))
    desk.minutes([1.1002, 1.1003])
    mine = [o for o in desk.core.working_orders() if o.owner > 0]
    assert len(mine) == 1 and mine[0].ticket not in first
    desk.core.handle(Halt("kill switch"))
    desk.minutes([1.1004])
    trader = [o for o in desk.core.working_orders() if o.owner == 0]
    assert len(trader) == 1 and not [o for o in desk.core.working_orders() if o.owner > 0]
    desk.core.handle(CancelOrder(trader[0].ticket))
    desk.minutes([1.1005])
    assert desk.core.working_orders() == ()


def test_a_recovery_read_error_does_not_lose_the_restored_halt(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Recovery of unfinished orders fails on a storage error (a locked database):
    the halt is restored all the same."""
    import app.engine.core as core_module
    from app.storage.errors import StorageError

    url, paper = _restart_url(tmp_path)
    journal, desk = journaled_desk(url, paper)
    desk.core.handle(Halt("kill switch"))
    desk.core.disconnect()
    journal.close()

    def broken(*_a: Any, **_k: Any) -> Any:
        raise StorageError("journal: could not read the open orders")

    monkeypatch.setattr(core_module, "reconcile", broken)
    journal, again = journaled_desk(url, paper)
    st = again.core.gate.state
    journal.close()
    assert st is TradingState.HALTED, "a recovery error lost the kill switch across the restart"


def test_a_trading_state_the_journal_cannot_say_starts_halted(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Not knowing whether it was halted, the terminal starts halted: the trader resumes."""
    from app.storage.errors import StorageError

    def unreadable(_self: Journal) -> Any:
        raise StorageError("journal: the risk events cannot be read")

    monkeypatch.setattr(Journal, "last_trading_state", unreadable)
    url, paper = _restart_url(tmp_path)
    journal, desk = journaled_desk(url, paper)
    try:
        assert desk.core.gate.state is TradingState.HALTED
        assert "the journal cannot say" in desk.core.gate.state_reason
    finally:
        journal.close()
