"""Real strategies through the real core, the risk gate with their budgets, and the journal."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from app.domain.commands import Halt, SubmitOrder
from app.domain.enums import LogLevel, OrderSource, OrderStatus, Side, TradingState
from app.domain.market import Bar
from app.domain.risk_limits import RiskLimits
from app.domain.strategies import (
    AttachStrategy,
    EditStrategy,
    StartStrategy,
    StopStrategy,
    StrategyBudget,
    StrategyReply,
    StrategyState,
    StrategyStatus,
)
from app.domain.timeframes import Timeframe
from app.domain.trading import MANUAL, OrderRequest, OrderUpdate
from app.engine.core import OWNED_ORDERS_KEPT
from app.storage.journal import Journal
from app.strategies.base import Strategy
from app.strategies.catalog import Catalog, load_catalog
from app.strategies.host import StrategyHost
from app.strategies.params import StrategyParams, param
from tests.faults import wrong_first_time
from tests.replay_market import START, Clock, Market


def statuses(market: Market, name: str) -> list[StrategyStatus]:
    return [f for f in market.out.other if isinstance(f, StrategyStatus) and f.name == name]


def state(market: Market, name: str) -> StrategyState:
    return statuses(market, name)[-1].state


def lines(market: Market, source: str = "") -> list[str]:
    return [e.message for e in market.out.logs if not source or e.source == source]


class Probe(Strategy):
    """A test strategy that notes what it saw and does what the test tells it."""

    key = "probe"
    title = "Probe"

    class Params(StrategyParams):
        indicator = "Probe"
        period: int = param(3, ge=2, le=50, step=1, title="SMA period")
        volume: float = param(0.1, ge=0.01, le=100, step=0.01, title="Lots")

    actions: ClassVar[list[Any]] = []  # callables run on each live bar, set by a test

    def on_start(self) -> None:
        self.sma = self.indicator("sma", period=self.params.period)
        self.seen: list[tuple[int, bool, float]] = []
        self.updates: list[OrderUpdate] = []
        self.state.setdefault("bars", 0)

    def on_bar(self, bar: Bar) -> None:
        self.seen.append((bar.time, self.warming_up, self.last(self.sma)))
        if self.warming_up:
            self.buy(self.params.volume)  # history is never traded
            return
        self.state["bars"] += 1
        for action in type(self).actions:
            action(self, bar)

    def on_order(self, update: OrderUpdate) -> None:
        self.updates.append(update)


def catalog_with(*classes: type[Strategy]) -> Catalog:
    catalog = load_catalog(None, entry_points=False)
    for cls in classes:
        catalog.add(cls, "test")
    return catalog


class Desk:
    """A market with a strategy host on its core."""

    def __init__(
        self,
        journal: Journal | None = None,
        state_path: Path | None = None,
        limits: RiskLimits | None = None,
    ) -> None:
        self.market = Market(limits, journal=journal, state_path=state_path, clock=Clock(START))
        self.host = StrategyHost(self.market.core, lambda: catalog_with(Probe))
        self.core = self.market.core
        self.next_minute = 60
        # History of 60 minutes before now, so warm-up has bars to replay.
        self.market.clock.now = START + 3600
        self.market.broker._m1["EURUSD"] = _history(60, end=START + 3600)

    def connect(self) -> None:
        self.market.connect()

    def attach(self, **kw: Any) -> str:
        budget = kw.pop("budget", StrategyBudget())
        self.core.handle(
            AttachStrategy(
                kw.pop("strategy", "probe"),
                kw.pop("symbol", "EURUSD"),
                Timeframe.M1,
                kw.pop("params", {}),
                budget,
                start=kw.pop("start", True),
            )
        )
        return list(self.host.configs)[-1]

    def minutes(self, closes: list[float]) -> None:
        """One tick a minute after the history's end; each closes the bar before it."""
        for close in closes:
            self.next_minute += 1
            self.market.tick(START + self.next_minute * 60 + 1, close, poll=True)

    def strategy(self, name: str) -> Any:
        return self.host.runners[name].strategy


def _history(count: int, *, end: int) -> Any:
    import numpy as np

    from app.domain.market import RATES_DTYPE

    rates = np.zeros(count, dtype=RATES_DTYPE)
    rates["time"] = end - 60 * np.arange(count, 0, -1)
    closes = 1.1 + 0.0001 * np.sin(np.arange(count))
    for column in ("open", "high", "low", "close"):
        rates[column] = closes
    rates["tick_volume"] = 10
    return rates


def journaled_desk(url: str, paper: Path) -> tuple[Journal, Desk]:
    """One life of a terminal that restarts: its journal at ``url``, its paper account
    saved in ``paper``, connected (so it has reconciled and restored its instances)."""
    journal = Journal.open(url)
    desk = Desk(journal, paper)
    desk.connect()
    return journal, desk


@pytest.fixture(autouse=True)
def _no_actions() -> Iterator[None]:
    Probe.actions = []
    yield
    Probe.actions = []


def test_warm_up_bars_come_first_and_are_never_traded() -> None:
    desk = Desk()
    desk.connect()
    name = desk.attach(params={"period": 5})
    probe = desk.strategy(name)
    assert state(desk.market, name) is StrategyState.RUNNING
    warm = [s for s in probe.seen if s[1]]
    assert len(warm) == 5  # SMA(5) needs 5 bars: replayed before any live bar
    assert [t for t, _w, _v in warm] == sorted(t for t, _w, _v in warm)
    assert not math.isnan(warm[-1][2])  # the indicator is warm by the last one
    assert desk.core.positions() == ()  # the buys during warm-up were not sent
    desk.minutes([1.1001, 1.1002])  # close the bar forming at the start, then the next
    live = [s for s in probe.seen if not s[1]]
    assert [t for t, _w, _v in live] == [START + 3600, START + 3660]
    assert live[0][0] > warm[-1][0]  # newer than every warm-up bar


def test_an_instance_s_status_names_the_indicators_it_made_once_it_has_started() -> None:
    desk = Desk()
    desk.connect()
    name = desk.attach(params={"period": 7}, start=False)
    assert statuses(desk.market, name)[-1].indicators == ()  # nothing made yet
    desk.core.handle(StartStrategy(name))
    [sma] = statuses(desk.market, name)[-1].indicators
    assert (sma.name, sma.params["period"]) == ("sma", 7)
    desk.core.handle(StopStrategy(name))  # stopped, a chart may still draw them
    assert statuses(desk.market, name)[-1].indicators == (sma,)


def test_a_strategy_trades_through_the_gate_and_owns_what_it_opens() -> None:
    desk = Desk()
    desk.connect()
    Probe.actions = [lambda s, _bar: s.buy(0.2) if not s.positions() else None]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002, 1.1003])
    [position] = desk.core.positions()
    number = desk.host.configs[name].number
    assert position.owner == number and position.volume == pytest.approx(0.2)
    probe = desk.strategy(name)
    assert [u.status for u in probe.updates] == [OrderStatus.PENDING_NEW, OrderStatus.FILLED]
    assert all(u.source is OrderSource.STRATEGY for u in probe.updates)
    status = statuses(desk.market, name)[-1]
    assert status.open_positions == 1


def test_the_event_log_names_the_instance_beside_its_orders_and_fills() -> None:
    desk = Desk()
    desk.connect()
    desk.core.handle(SubmitOrder(OrderRequest("trader-1", "EURUSD", Side.BUY, 0.1)))
    Probe.actions = [lambda s, _bar: s.buy(0.2) if not s.positions() else None]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    logs = desk.market.out.logs
    theirs = [e for e in logs if e.client_id and e.client_id != "trader-1"]
    assert any(e.message.startswith("Filled: buy 0.20") for e in theirs)
    assert theirs and all(e.source == name for e in theirs)
    # The trader's own order keeps the engine as its source.
    mine = [e for e in logs if e.client_id == "trader-1"]
    assert mine and all(e.source == "engine" for e in mine)


def test_the_names_kept_for_log_lines_are_the_newest_orders_not_every_order_ever() -> None:
    desk = Desk()
    desk.connect()
    name = desk.attach()
    number = desk.host.configs[name].number
    for i in range(OWNED_ORDERS_KEPT + 5):
        desk.core.note_owner(f"s-{i}", number)
    desk.core.say(LogLevel.INFO, "newest", f"s-{OWNED_ORDERS_KEPT + 4}")
    desk.core.say(LogLevel.INFO, "oldest", "s-0")
    newest, oldest = desk.market.out.logs[-2:]
    assert (newest.source, oldest.source) == (name, "engine")
    assert len(desk.core._client_owners) == OWNED_ORDERS_KEPT


def test_its_last_log_lines_say_what_it_did_at_the_engine_s_time() -> None:
    desk = Desk()
    desk.connect()
    Probe.actions = [
        lambda s, _bar: s.buy(0.2) if not s.positions() else s.close(s.positions()[0]),
        lambda s, _bar: s.log("decided"),
        lambda s, _bar: s.buy(0),  # refused: volume 0
    ]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    desk.core.handle(StopStrategy(name))
    shown = statuses(desk.market, name)[-1].last_log
    assert len(shown) == 5  # the newest five
    assert shown[-1].endswith(" stopped by ticket")
    # It bought, then closed that BUY (with a sell deal): the line names the position.
    assert any(line.endswith("closed BUY 0.2 EURUSD at 1.10020, +0.00") for line in shown)
    assert any(line.endswith("decided") for line in shown)
    assert any("order refused: " in line for line in shown)
    stamps = [line.split(" ", 1)[0] for line in shown]
    assert all(len(t) == 8 and t.count(":") == 2 for t in stamps)  # HH:MM:SS, engine time


def test_nonsense_from_a_strategy_gets_the_same_refusals_as_the_ticket() -> None:
    desk = Desk()
    desk.connect()
    Probe.actions = [
        lambda s, _b: s.buy(0.0),
        lambda s, bar: s.sell(0.1, sl=bar.close - 0.01),  # a sell's stop below the price
    ]
    name = desk.attach()
    desk.minutes([1.1001])
    refused = [u for u in desk.strategy(name).updates if u.status is OrderStatus.REJECTED]
    reasons = " | ".join(u.reason for u in refused)
    assert len(refused) == 2 and "volume" in reasons.lower() and "stop loss" in reasons.lower()
    assert desk.core.positions() == ()


def test_a_wrongly_typed_order_is_refused_in_words_and_costs_no_other_order() -> None:
    """``buy("0.1")`` from one instance is its own refusal; the other's order fills."""
    desk = Desk()
    desk.connect()

    def act(s: Any, _bar: Any) -> None:
        if s.params.volume == 0.2:
            s.buy("0.1")
            s.buy(0.1, sl="1.0")
            s.buy(True)
        elif not s.positions():
            s.buy(0.1)

    Probe.actions = [act]
    good = desk.attach()
    bad = desk.attach(params={"volume": 0.2})
    desk.minutes([1.1001])
    refusals = [m for m in lines(desk.market, bad) if "refused" in m]
    assert refusals == [
        "SubmitOrder refused: volume must be a number, not '0.1'",
        "SubmitOrder refused: sl must be a number or None, not '1.0'",
        "SubmitOrder refused: volume must be a number, not True",
    ]
    assert [(p.volume, p.owner) for p in desk.core.positions()] == [
        (0.1, desk.strategy(good).config.number)
    ]
    assert desk.core.gate.state is TradingState.ACTIVE
    assert state(desk.market, good) is StrategyState.RUNNING
    assert state(desk.market, bad) is StrategyState.RUNNING


def test_commands_queued_behind_one_that_breaks_the_engine_run_next_turn() -> None:
    desk = Desk()
    desk.connect()

    def two_orders_once(s: Any, _bar: Any) -> None:
        if not s.state.get("sent"):
            s.state["sent"] = True
            s.buy(0.1)
            s.buy(0.2)

    Probe.actions = [two_orders_once]
    desk.attach()
    real_run = desk.core._run

    def engine_bug(_command: Any) -> None:
        raise RuntimeError("an engine bug")

    desk.core._run, _ = wrong_first_time(real_run, engine_bug)  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        desk.minutes([1.1001])
    assert [c.request.volume for c in desk.core._queued] == [0.2]  # not dropped unseen
    desk.core._run = real_run  # type: ignore[method-assign]
    desk.minutes([1.1002])
    assert sorted(p.volume for p in desk.core.positions()) == [0.2]


def test_a_strategy_may_halt_but_not_flatten_the_account() -> None:
    desk = Desk()
    desk.connect()
    desk.core.handle(SubmitOrder(OrderRequest("manual", "EURUSD", Side.BUY, 0.3)))
    [manual] = desk.core.positions()
    Probe.actions = [lambda s, _b: s._ctx().send(Halt("mine", flatten=True))]
    name = desk.attach()
    desk.minutes([1.1001])
    assert [p.ticket for p in desk.core.positions()] == [manual.ticket]
    assert any(
        m.startswith("Halt refused: only the trader may flatten") for m in lines(desk.market, name)
    )


def test_budget_limits_refuse_with_the_reason_and_flooding_halts_the_instance() -> None:
    desk = Desk()
    desk.connect()
    Probe.actions = [lambda s, _b: s.buy(0.5)]
    name = desk.attach(budget=StrategyBudget(max_order_volume=0.3))
    desk.minutes([1.1001])
    [refusal] = [u for u in desk.strategy(name).updates if u.status is OrderStatus.REJECTED]
    assert "Strategy budget: probe#1: 0.5 lots exceeds its limit of 0.3 lots" in refusal.reason
    desk.core.handle(StopStrategy(name))

    Probe.actions = [lambda s, _b: [s.buy(0.01) for _ in range(4)]]
    flooder = desk.attach(budget=StrategyBudget(max_orders_per_minute=3, max_open_positions=50))
    desk.minutes([1.1003])
    assert state(desk.market, flooder) is StrategyState.HALTED
    assert "flooding: 4 orders within a minute" in statuses(desk.market, flooder)[-1].reason
    # The fourth was over the limit: refused, with the reason, and never sent.
    assert len(desk.core.positions()) == 3
    refused = [u.reason for u in desk.market.out.orders if u.status is OrderStatus.REJECTED]
    assert [r for r in refused if "flooding" in r] == [
        "Strategy budget: probe#2 is halted by its budget (flooding: 4 orders within a minute, "
        "over its limit of 3)"
    ]
    desk.minutes([1.1004, 1.1005])
    assert len(desk.core.positions()) == 3


def test_a_strategys_own_daily_loss_halts_it_and_nobody_else() -> None:
    desk = Desk()
    desk.connect()
    Probe.actions = [lambda s, _b: s.buy(1.0) if not s.positions() else None]
    name = desk.attach(budget=StrategyBudget(max_daily_loss=50.0))
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.positions()) == 1
    desk.core.handle(SubmitOrder(OrderRequest("mine", "EURUSD", Side.SELL, 0.1)))  # the trader's
    desk.minutes([1.0990])  # −110 USD on the strategy's lot
    assert state(desk.market, name) is StrategyState.HALTED
    assert "its loss today" in statuses(desk.market, name)[-1].reason
    desk.core.handle(SubmitOrder(OrderRequest("mine-2", "EURUSD", Side.SELL, 0.1)))
    trader = [u for u in desk.market.out.orders if u.client_id == "mine-2"]
    assert trader[-1].status is OrderStatus.FILLED  # the account still trades


def test_near_its_loss_limit_an_instance_only_reduces_and_its_working_orders_go() -> None:
    """With the account's reduce-on-warning on, an instance whose own loss reaches the
    warning share (80 %) of its limit keeps running but may only reduce what it holds;
    what it had resting is cancelled; at the limit itself it halts."""
    desk = Desk(limits=RiskLimits(reduce_on_warning=True))
    desk.connect()
    plan: list[str] = ["open"]

    def act(s: Any, _bar: Bar) -> None:
        step = plan.pop(0) if plan else ""
        if step == "open":
            s.buy(1.0)
            s.buy(0.1, limit=1.05)  # rests far below the market
        elif step == "more and less":
            s.buy(0.1)  # adds to its long: refused
            s.sell(0.4)  # reduces it: passes

    Probe.actions = [act]
    name = desk.attach(budget=StrategyBudget(max_daily_loss=100.0))
    number = desk.host.configs[name].number
    desk.minutes([1.1001])
    [position] = desk.core.positions()
    assert [o.owner for o in desk.core.working_orders()] == [number]
    loss_85 = round(position.price_open - 0.00085, 5)  # 1 lot: -85.00 of its 100.00
    desk.minutes([loss_85])
    status = statuses(desk.market, name)[-1]
    assert status.state is StrategyState.REDUCING, status
    assert "its loss today 85.00 is 85% of its limit of 100.00" in status.reason
    assert desk.core.working_orders() == ()  # its resting buy would have added to it
    assert any(f"Strategy {name} is reducing" in line for line in lines(desk.market))

    plan.append("more and less")
    desk.minutes([loss_85])
    refused = [u for u in desk.strategy(name).updates if u.status is OrderStatus.REJECTED]
    assert refused and f"{name} is reducing" in refused[-1].reason
    net = sum(p.side.sign * p.volume for p in desk.core.positions() if p.owner == number)
    assert net == pytest.approx(0.6)  # the sell passed, the buy did not
    assert state(desk.market, name) is StrategyState.REDUCING

    desk.minutes([round(position.price_open - 0.0030, 5)])  # past the limit itself
    assert state(desk.market, name) is StrategyState.HALTED


def test_without_reduce_on_warning_an_instance_trades_on_until_its_limit() -> None:
    desk = Desk()  # the account's reduce-on-warning is off by default
    desk.connect()
    Probe.actions = [lambda s, _b: s.buy(1.0) if not s.positions() else None]
    name = desk.attach(budget=StrategyBudget(max_daily_loss=100.0))
    desk.minutes([1.1001])
    [position] = desk.core.positions()
    desk.minutes([round(position.price_open - 0.00085, 5)])
    assert state(desk.market, name) is StrategyState.RUNNING


def test_a_raising_strategy_is_disabled_with_its_traceback_in_the_log_file(
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk = Desk()
    desk.connect()

    def boom(_s: Any, _b: Any) -> None:
        raise ZeroDivisionError("bug in the signal")

    Probe.actions = [boom]
    name = desk.attach()
    with caplog.at_level(logging.ERROR):
        desk.minutes([1.1001, 1.1002, 1.1003])
    assert state(desk.market, name) is StrategyState.FAILED
    assert "ZeroDivisionError: bug in the signal" in statuses(desk.market, name)[-1].reason
    said = [m for m in lines(desk.market, name) if "disabled" in m]
    assert len(said) == 1 and "traceback in the log file" in said[0]
    assert any("bug in the signal" in r.getMessage() or r.exc_info for r in caplog.records)
    assert sum("disabled" in m for m in lines(desk.market)) == 1  # once, not per bar


def test_a_strategy_that_blocks_is_named_with_the_time_it_took() -> None:
    desk = Desk()
    times = iter(range(0, 10_000, 2))  # every callback "takes" two seconds
    desk.core.clients._perf = lambda: float(next(times))  # type: ignore[method-assign]
    desk.connect()
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    assert any(f"{name} blocked the engine for 2.00 s in on_bar" in m for m in lines(desk.market))


def test_the_kill_switch_stops_every_strategy_at_once() -> None:
    desk = Desk()
    desk.connect()
    first, second = desk.attach(), desk.attach()
    desk.core.handle(Halt("kill switch", source=OrderSource.TICKET))
    for name in (first, second):
        assert state(desk.market, name) is StrategyState.STOPPED
        assert "trading halted" in statuses(desk.market, name)[-1].reason
    Probe.actions = [lambda s, _b: s.buy(0.1)]
    desk.minutes([1.1001, 1.1002])
    assert desk.core.positions() == ()


def test_a_strategy_never_touches_what_is_not_its_own() -> None:
    desk = Desk()
    desk.connect()
    desk.core.handle(SubmitOrder(OrderRequest("manual", "EURUSD", Side.BUY, 0.1)))
    [manual] = desk.core.positions()
    assert manual.owner == MANUAL
    Probe.actions = [lambda s, _b: s.close(manual.ticket)]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    assert [p.ticket for p in desk.core.positions()] == [manual.ticket]
    assert any(f"#{manual.ticket} is not its own position" in m for m in lines(desk.market, name))


def test_instances_state_and_ownership_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    paper = tmp_path / "paper.json"
    journal, desk = journaled_desk(url, paper)
    Probe.actions = [
        lambda s, _b: s.buy(0.1) if not s.positions() else None,
        lambda s, _b: s.log(f"bar {s.state['bars']} seen"),
    ]
    name = desk.attach(params={"period": 4}, budget=StrategyBudget(max_open_positions=3))
    desk.minutes([1.1001, 1.1002, 1.1003])
    bars_seen = desk.strategy(name).state["bars"]
    assert bars_seen == 3
    desk.core.disconnect()
    journal.close()

    journal, again = journaled_desk(url, paper)
    assert list(again.host.configs) == [name]
    config = again.host.configs[name]
    assert config.params == {"period": 4, "volume": 0.1}
    assert config.budget.max_open_positions == 3
    assert state(again.market, name) is StrategyState.STOPPED  # never starts by itself
    # What it last said is in the panel again, not an empty pane.
    said = [line.split(" ", 1)[1] for line in statuses(again.market, name)[-1].last_log]
    assert said[-2:] == ["bar 2 seen", "bar 3 seen"]
    [position] = again.core.positions()
    assert position.owner == config.number
    again.core.handle(StartStrategy(name))
    probe = again.strategy(name)
    assert probe.state["bars"] == bars_seen  # its own memory came back
    assert "bar 3 seen" in statuses(again.market, name)[-1].last_log[-2]  # then "started"
    assert probe.positions() == [position]  # and so did what it owns
    journal.close()


def test_its_last_lines_go_on_after_a_stop_and_start_and_after_a_restart(tmp_path: Path) -> None:
    """An instance that never calls ``log`` (as ma_cross): its deals are its lines, and
    neither F5 after a stop nor a restart empties them."""
    url, paper = f"sqlite:///{tmp_path / 'journal.sqlite'}", tmp_path / "paper.json"
    journal, desk = journaled_desk(url, paper)
    Probe.actions = [lambda s, _b: s.buy(0.1) if not s.positions() else s.close()]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    said = statuses(desk.market, name)[-1].last_log
    assert any("closed BUY 0.1 EURUSD" in line for line in said), said
    desk.core.handle(StopStrategy(name))
    Probe.actions = []
    desk.core.handle(StartStrategy(name))
    again_said = statuses(desk.market, name)[-1].last_log
    assert any("closed BUY 0.1 EURUSD" in line for line in again_said), again_said
    desk.core.disconnect()
    journal.close()

    journal, again = journaled_desk(url, paper)
    try:
        restored = statuses(again.market, name)[-1].last_log
        assert any("Filled: buy 0.10 EURUSD" in line for line in restored), restored
        assert any(line.split(" ", 1)[1].startswith("Closed") for line in restored), restored
    finally:
        journal.close()


@pytest.mark.parametrize("autostart", [False, True])
def test_a_resting_order_left_by_an_instance_that_does_not_start_again_is_cancelled(
    tmp_path: Path, autostart: bool
) -> None:
    """The terminal ended while an instance ran with an order resting at the broker.
    Restored stopped, nothing would manage that order: it is cancelled at the start.
    Set to start by itself, it runs again and keeps it."""
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    paper = tmp_path / "paper.json"
    journal, desk = journaled_desk(url, paper)
    Probe.actions = [lambda s, _b: s.buy(0.1, limit=1.05) if not s.orders() else None]
    desk.core.handle(
        AttachStrategy("probe", "EURUSD", Timeframe.M1, {}, StrategyBudget(), autostart=autostart)
    )
    name = list(desk.host.configs)[-1]
    desk.core.handle(StartStrategy(name))
    desk.minutes([1.1001])
    number = desk.host.configs[name].number
    assert [o.owner for o in desk.core.working_orders()] == [number]
    desk.core.disconnect()  # not stopped: the terminal simply ended
    journal.close()

    journal, again = journaled_desk(url, paper)
    left = [o for o in again.core.working_orders() if o.owner == number]
    if autostart:
        assert len(left) == 1 and state(again.market, name) is StrategyState.RUNNING
    else:
        assert left == [] and state(again.market, name) is StrategyState.STOPPED
        assert any(
            "cancelling its 1 working order(s) (not started)" in m for m in lines(again.market)
        )
    journal.close()


def test_a_broken_file_in_the_user_folder_is_one_line_and_the_rest_load(tmp_path: Path) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "good.py").write_text(
        "from app.strategies.base import Strategy\n"
        "from app.strategies.params import StrategyParams, param\n\n"
        "class Good(Strategy):\n"
        "    key = 'good'\n"
        "    title = 'A good one'\n"
        "    class Params(StrategyParams):\n"
        "        level: float = param(1.0, ge=0, le=2, step=0.1, title='Level')\n"
    )
    (folder / "broken.py").write_text("import math\n\nx = 1 / 0\n")
    (folder / "syntax.py").write_text("def oops(:\n")
    (folder / "bad_api.py").write_text(
        "from app.strategies.base import Strategy\n\nclass Bad(Strategy):\n    key = 'bad one'\n"
    )
    catalog = load_catalog(folder, entry_points=False)
    assert "good" in catalog.classes and "ma_cross" in catalog.classes
    problems = sorted(catalog.problems)
    assert len(problems) == 3
    assert problems[0].startswith("strategies/bad_api.py: Bad: its key must be a name")
    assert problems[1] == (
        "strategies/broken.py: cannot be loaded (ZeroDivisionError: division by zero (line 3))"
    )
    assert problems[2].startswith("strategies/syntax.py: cannot be loaded (SyntaxError")
    desk = Desk()
    desk.host._load_catalog = lambda: catalog
    desk.connect()
    said = [m for m in lines(desk.market, "strategies") if m.startswith("Strategy not loaded")]
    assert len(said) == 3


def test_attaching_with_bad_input_stores_nothing_and_says_why() -> None:
    desk = Desk()
    desk.connect()
    desk.core.handle(AttachStrategy("nope", "EURUSD", Timeframe.M1))
    desk.core.handle(AttachStrategy("ma_cross", "EURUSDX", Timeframe.M1))
    desk.core.handle(AttachStrategy("ma_cross", "EURUSD", Timeframe.M1, {"fast": 50, "slow": 20}))
    desk.core.handle(AttachStrategy("ma_cross", "EURUSD", Timeframe.M1, {"fast": 1}))
    assert desk.host.configs == {}
    refused = [m for m in lines(desk.market, "strategies") if m.startswith("Refused")]
    assert refused[0].startswith("Refused: no strategy 'nope'")
    assert "no symbol 'EURUSDX'" in refused[1]
    assert "MA cross fast: must be below slow (20) (got 50)" in refused[2]
    assert "MA cross fast: must be at least 2 (got 1)" in refused[3]


def test_an_attach_or_edit_that_asks_is_answered_in_the_words_of_the_log() -> None:
    desk = Desk()
    desk.connect()
    bad = {"fast": 50, "slow": 20}
    desk.core.handle(AttachStrategy("ma_cross", "EURUSD", Timeframe.M1, bad, request_id="a1"))
    desk.core.handle(AttachStrategy("ma_cross", "EURUSD", Timeframe.M1, request_id="a2"))
    name = list(desk.host.configs)[-1]
    desk.core.handle(
        EditStrategy(name, {"fast": 5, "slow": 4}, StrategyBudget(), False, request_id="e1")
    )
    desk.core.handle(
        EditStrategy(name, {"fast": 5, "slow": 40}, StrategyBudget(), True, request_id="e2")
    )
    desk.core.handle(AttachStrategy("ma_cross", "EURUSD", Timeframe.M1))  # asks for no answer
    replies = {f.request_id: f for f in desk.market.out.other if isinstance(f, StrategyReply)}
    assert sorted(replies) == ["a1", "a2", "e1", "e2"]
    assert not replies["a1"].ok and "fast: must be below slow (20) (got 50)" in replies["a1"].text
    assert f"Refused: {replies['a1'].text}" in lines(desk.market, "strategies")
    assert replies["a2"].ok and replies["a2"].name == name == "ma_cross#1"
    assert not replies["e1"].ok and "must be below slow (4)" in replies["e1"].text
    assert replies["e2"].ok and desk.host.configs[name].params["slow"] == 40
    assert desk.host.configs[name].autostart
    assert len(desk.host.configs) == 2


def test_at_metatrader_5_a_strategy_s_orders_carry_its_magic_number(tmp_path: Path) -> None:
    from app.brokers.mt5.broker import Mt5Broker
    from app.engine.core import TradingCore
    from app.settings import Mt5Settings
    from tests.fakes import metatrader5 as mt5
    from tests.published import Published

    clock = Clock(1_700_000_000.25)
    mt5.control.reset(clock=clock, ticks_per_second=0, history_bars=50)
    settings = Mt5Settings(magic=424_200)
    out = Published()
    core = TradingCore(lambda: Mt5Broker(mt5, settings, ["EURUSD"], clock=clock), out, clock=clock)
    host = StrategyHost(core, lambda: catalog_with(Probe))
    assert core.connect()
    Probe.actions = [lambda s, _b: s.buy(0.1) if not s.positions() else None]
    core.handle(AttachStrategy("probe", "EURUSD", Timeframe.M1, start=True))
    [name] = host.configs
    number = host.configs[name].number
    for _minute in (1, 2):
        clock.now += 60
        bid, _ask = mt5.control.quote("EURUSD")
        mt5.control.push_tick("EURUSD", bid + 0.0001)
        core.poll()
    sent = [args[0] for fn, args, _ in mt5.control.calls if fn == "order_send"]
    assert [r["magic"] for r in sent] == [424_200 + number]
    [position] = core.positions()
    assert position.owner == number  # read back from the terminal's magic number
    mt5.control.open_external_position("EURUSD", True, 0.2)  # by hand in the terminal
    core.poll()
    owners = sorted(p.owner for p in core.positions())
    assert owners == [MANUAL, number]
    mt5.control.reset()


def test_lots_per_trade_above_the_budgets_max_lots_per_order_is_refused_at_attach() -> None:
    """Else it runs, green, and every signal it acts on is refused."""
    desk = Desk()
    desk.connect()
    desk.core.handle(
        AttachStrategy(
            "probe", "EURUSD", Timeframe.M1, {"volume": 5.0}, StrategyBudget(max_order_volume=1.0)
        )
    )
    assert desk.host.configs == {}
    assert lines(desk.market)[-1] == (
        "Refused: probe: volume: 5 lots per trade is above its budget's max lots per order "
        "(1): every order it sends would be refused"
    )
