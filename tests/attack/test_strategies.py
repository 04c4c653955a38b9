"""Hostile strategies and strategy files against the real core, gate and journal."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import model_validator

from app.domain.commands import Halt, Resume, SubmitOrder
from app.domain.enums import OrderSource, OrderStatus, Side
from app.domain.strategies import (
    AttachStrategy,
    StartStrategy,
    StopStrategy,
    StrategyBudget,
    StrategyState,
)
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderRequest
from app.storage.journal import Journal
from app.strategies.base import Strategy
from app.strategies.catalog import load_catalog
from app.strategies.params import StrategyParams, param
from tests.strategies.test_strategies import (
    Desk,
    Probe,
    _no_actions,
    journaled_desk,
    lines,
    state,
    statuses,
)

__all__ = ["_no_actions"]  # the Probe's actions are reset around every test


def test_a_strategy_calling_sys_exit_in_on_bar_is_disabled_and_the_engine_polls_on() -> None:
    desk = Desk()
    desk.connect()

    def quit_(_s: Any, _b: Any) -> None:
        raise SystemExit("strategy wants out")

    Probe.actions = [quit_]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])  # the engine must survive the bar that closes
    assert state(desk.market, name) is StrategyState.FAILED


def test_a_cancelled_error_from_on_bar_disables_that_strategy_only() -> None:
    """asyncio's CancelledError is a BaseException; a strategy's is still its own failure."""
    desk = Desk()
    desk.connect()

    def cancelled(s: Any, _b: Any) -> None:
        if s.params.volume == 0.2:
            raise asyncio.CancelledError

    Probe.actions = [cancelled]
    failing = desk.attach(params={"volume": 0.2})
    other = desk.attach()
    desk.minutes([1.1001, 1.1002])
    assert state(desk.market, failing) is StrategyState.FAILED
    assert state(desk.market, other) is StrategyState.RUNNING
    assert desk.strategy(other).state["bars"] == 2


def test_working_orders_count_towards_a_budgets_open_positions() -> None:
    """Five limit orders under a limit of two positions: two are placed, three refused."""
    desk = Desk()
    desk.connect()

    def five_limits(s: Any, bar: Any) -> None:
        if not s.state.get("placed"):
            s.state["placed"] = True
            for i in range(5):
                s.buy(0.1, limit=round(bar.close - 0.0005 - i * 0.0001, 5))

    Probe.actions = [five_limits]
    name = desk.attach(
        budget=StrategyBudget(max_open_positions=2, max_net_position=0, max_orders_per_minute=0)
    )
    desk.minutes([1.1001, 1.0990, 1.0980])  # the market falls through every limit
    number = desk.host.configs[name].number
    assert len([p for p in desk.core.positions() if p.owner == number]) == 2
    refused = [u.reason for u in desk.strategy(name).updates if u.status is OrderStatus.REJECTED]
    assert len(refused) == 3
    assert all("working orders, its limit is 2" in r for r in refused)


def test_a_budget_halt_cancels_the_instances_working_orders() -> None:
    """Halted for its loss, it gains no exposure later from a limit order left resting."""
    desk = Desk()
    desk.connect()

    def market_and_limit(s: Any, bar: Any) -> None:
        if not s.state.get("placed"):
            s.state["placed"] = True
            s.buy(0.5)
            s.buy(0.5, limit=round(bar.close - 0.0030, 5))

    Probe.actions = [market_and_limit]
    name = desk.attach(budget=StrategyBudget(max_daily_loss=50.0, max_orders_per_minute=0))
    desk.minutes([1.1001, 1.0985])  # the market buy loses more than 50
    assert state(desk.market, name) is StrategyState.HALTED
    desk.minutes([1.0960, 1.0950])  # through the limit's price
    number = desk.host.configs[name].number
    assert [p.volume for p in desk.core.positions() if p.owner == number] == [0.5]
    assert [o for o in desk.core.working_orders() if o.owner == number] == []
    assert any("cancelling its 1 working order(s)" in m for m in lines(desk.market))


def test_a_strategy_cannot_change_its_own_saved_settings() -> None:
    desk = Desk()
    desk.connect()

    def rewrite(s: Any, _b: Any) -> None:
        s.config.params["volume"] = 99.0

    Probe.actions = [rewrite]
    name = desk.attach(params={"volume": 0.2})
    desk.minutes([1.1001])
    assert state(desk.market, name) is StrategyState.FAILED  # the write raised, in its code
    assert desk.host.configs[name].params["volume"] == 0.2


def test_a_strategy_file_that_exits_at_import_is_one_problem_line(tmp_path: Path) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "quits.py").write_text("import sys\nsys.exit('no')\n")
    catalog = load_catalog(folder, entry_points=False)  # must not end the program
    assert "ma_cross" in catalog.classes
    assert any(p.startswith("strategies/quits.py: cannot be loaded") for p in catalog.problems)


def test_a_class_with_an_odd_docstring_costs_no_other_strategy(tmp_path: Path) -> None:
    """The catalogue describes each class as it loads it: one that cannot be described
    would otherwise break the whole catalogue's fact, and every strategy with it."""
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "odd_doc.py").write_text(
        "from app.strategies.base import Strategy\n\n"
        "class OddDoc(Strategy):\n"
        "    key = 'odd_doc'\n"
        "    __doc__ = 5\n"
    )
    catalog = load_catalog(folder, entry_points=False)
    described = {d.key: d.description for d in catalog.fact().available}
    assert "ma_cross" in described and described["odd_doc"] == ""


def test_a_params_validator_raising_a_non_value_error_is_one_problem_line(tmp_path: Path) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "odd.py").write_text(
        "from pydantic import model_validator\n"
        "from app.strategies.base import Strategy\n"
        "from app.strategies.params import StrategyParams, param\n\n"
        "class Odd(Strategy):\n"
        "    key = 'odd'\n"
        "    class Params(StrategyParams):\n"
        "        level: float = param(1.0, ge=0, le=2, step=0.1, title='Level')\n"
        "        @model_validator(mode='after')\n"
        "        def _check(self):\n"
        "            raise TypeError('broken validator')\n"
    )
    (folder / "good.py").write_text(
        "from app.strategies.base import Strategy\n\nclass Good(Strategy):\n    key = 'good'\n"
    )
    catalog = load_catalog(folder, entry_points=False)  # the rest must still load
    assert "good" in catalog.classes and "ma_cross" in catalog.classes
    assert any(p.startswith("strategies/odd.py") for p in catalog.problems)


class Picky(Strategy):
    """Its parameter check raises a TypeError for one value (a bug in the user's class)."""

    key = "picky"

    class Params(StrategyParams):
        indicator = "Picky"
        level: float = param(1.0, ge=0, le=10, step=0.5, title="Level")

        @model_validator(mode="after")
        def _check(self) -> Any:
            if self.level == 3:
                raise TypeError("cannot handle 3")
            return self


def test_attaching_with_a_value_the_params_check_chokes_on_is_refused_in_words() -> None:
    desk = Desk()
    desk.host._load_catalog = lambda: _with(Picky)
    desk.connect()
    desk.core.handle(AttachStrategy("picky", "EURUSD", Timeframe.M1, {"level": 3}))
    assert desk.host.configs == {}
    assert any(m.startswith("Refused: picky") for m in lines(desk.market, "strategies"))


def _with(*classes: type[Strategy]) -> Any:
    catalog = load_catalog(None, entry_points=False)
    for cls in classes:
        catalog.add(cls, "test")
    return catalog


@pytest.mark.parametrize("field", ["max_order_volume", "max_net_position", "max_daily_loss"])
def test_a_budget_limit_of_nan_is_refused_not_taken_as_no_limit(field: str) -> None:
    desk = Desk()
    desk.connect()
    from dataclasses import replace

    nan: dict[str, Any] = {field: math.nan}
    budget = replace(StrategyBudget(), **nan)
    desk.core.handle(AttachStrategy("probe", "EURUSD", Timeframe.M1, {}, budget))
    assert desk.host.configs == {}, "a NaN limit was stored: the gate then never applies it"
    assert any(m.startswith("Refused") for m in lines(desk.market, "strategies"))


def test_a_context_kept_after_stop_cannot_send_orders() -> None:
    desk = Desk()
    desk.connect()
    kept: list[Any] = []
    Probe.actions = [lambda s, _b: kept.append(s._context) if not kept else None]
    name = desk.attach()
    desk.minutes([1.1001])
    assert kept
    from app.domain.strategies import StopStrategy

    desk.core.handle(StopStrategy(name))
    assert state(desk.market, name) is StrategyState.STOPPED
    # e.g. a thread the strategy started, or another instance sharing a module global
    kept[0].send(SubmitOrder(OrderRequest("", "EURUSD", Side.BUY, 0.5)))
    desk.minutes([1.1002, 1.1003])
    assert desk.core.positions() == (), "a stopped strategy still traded through its old context"


def test_a_corrupt_instance_row_costs_only_that_instance(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    journal = Journal.open(url)
    desk = Desk(journal, tmp_path / "paper.json")
    desk.connect()
    good = desk.attach(start=False)
    bad = desk.attach(start=False)
    desk.core.disconnect()
    journal.close()
    from sqlalchemy import text

    journal = Journal.open(url)
    with journal.session() as session:
        session.execute(
            text("UPDATE strategy_instances SET timeframe = 'M7' WHERE name = :n"), {"n": bad}
        )
    again = Desk(journal, tmp_path / "paper.json")
    again.connect()
    assert good in again.host.configs, "one corrupt row lost every instance"
    said = " | ".join(lines(again.market))
    assert bad in said
    journal.close()


def test_with_a_corrupt_instance_row_the_kill_switch_still_stops_strategies(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    journal = Journal.open(url)
    desk = Desk(journal, tmp_path / "paper.json")
    desk.connect()
    bad = desk.attach(start=False)
    desk.core.disconnect()
    journal.close()
    from sqlalchemy import text

    journal = Journal.open(url)
    with journal.session() as session:
        session.execute(
            text("UPDATE strategy_instances SET params = 'not json' WHERE name = :n"), {"n": bad}
        )
    again = Desk(journal, tmp_path / "paper.json")
    again.connect()
    Probe.actions = [lambda s, _b: s.buy(0.1)]
    name = again.attach()
    again.core.handle(Halt("kill switch", source=OrderSource.TICKET))
    again.core.handle(Resume(source=OrderSource.TICKET))
    again.minutes([1.1001, 1.1002])
    assert state(again.market, name) is not StrategyState.RUNNING
    assert again.core.positions() == (), "the kill switch did not stop the strategy"
    journal.close()


class Opener(Probe):
    """A probe that also buys as soon as it starts (an "enter at start" strategy)."""

    key = "opener"
    buy_at_start = False

    def on_start(self) -> None:
        super().on_start()
        if type(self).buy_at_start:
            self.buy(0.1)


def test_started_again_after_its_daily_loss_halt_it_cannot_trade_before_the_next_quote() -> None:
    from app.domain.commands import ClosePosition
    from app.domain.strategies import StartStrategy

    desk = Desk()
    desk.host._load_catalog = lambda: _with(Probe, Opener)
    desk.connect()
    Opener.buy_at_start = False
    Probe.actions = [lambda s, _b: s.buy(1.0) if not s.positions() else None]
    name = desk.attach(strategy="opener", budget=StrategyBudget(max_daily_loss=50.0))
    desk.minutes([1.1001, 1.1002])
    desk.minutes([1.0990])  # −110 USD on its lot: halted by its budget
    assert state(desk.market, name) is StrategyState.HALTED
    Probe.actions = []
    [position] = desk.core.positions()
    desk.core.handle(ClosePosition(position.ticket))  # the trader closes it: −110 realised today
    assert desk.core.positions() == ()
    Opener.buy_at_start = True
    desk.core.handle(StartStrategy(name))  # the trader tries again the same day
    opened = [p for p in desk.core.positions() if p.owner == desk.host.configs[name].number]
    assert opened == [], "its loss today is past its limit, yet its first order was filled"


def test_after_a_restart_a_strategy_past_its_daily_loss_cannot_trade_at_once(
    tmp_path: Path,
) -> None:
    from app.domain.commands import ClosePosition

    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    paper = tmp_path / "paper.json"
    journal = Journal.open(url)
    desk = Desk(journal, paper)
    desk.host._load_catalog = lambda: _with(Probe, Opener)
    desk.connect()
    Opener.buy_at_start = False
    Probe.actions = [lambda s, _b: s.buy(1.0) if not s.positions() else None]
    desk.core.handle(
        AttachStrategy(
            "opener",
            "EURUSD",
            Timeframe.M1,
            {},
            StrategyBudget(max_daily_loss=50.0),
            autostart=True,
            start=True,
        )
    )
    [name] = desk.host.configs
    desk.minutes([1.1001, 1.1002, 1.0990])
    assert state(desk.market, name) is StrategyState.HALTED
    Probe.actions = []
    [position] = desk.core.positions()
    desk.core.handle(ClosePosition(position.ticket))  # −110 realised today
    desk.core.disconnect()
    journal.close()

    journal = Journal.open(url)
    again = Desk(journal, paper)
    again.host._load_catalog = lambda: _with(Probe, Opener)
    again.market.clock.now = desk.market.clock.now + 60  # the same trading day
    Opener.buy_at_start = True
    again.connect()  # it is set to start by itself
    assert again.core.positions() == (), "past its daily loss, it traded right after the restart"
    last = statuses(again.market, name)[-1]
    assert last.state is StrategyState.HALTED, "after a restart the panel must say why"
    assert last.reason.startswith("halted by its budget: its loss today")
    journal.close()


def test_an_order_sent_again_under_its_client_id_is_not_blamed_on_a_broken_journal(
    tmp_path: Path,
) -> None:
    """A strategy retries an order with the client id it chose (its own idempotency key)."""
    journal = Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite'}")
    desk = Desk(journal, tmp_path / "paper.json")
    desk.connect()

    def send_twice(s: Any, _b: Any) -> None:
        if not s.state.get("sent"):
            s.state["sent"] = True
            for _ in range(2):
                s._ctx().send(SubmitOrder(OrderRequest("probe-entry-1", "EURUSD", Side.BUY, 0.1)))

    Probe.actions = [send_twice]
    desk.attach()
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.positions()) == 1  # held: it was not sent twice
    said = " | ".join(lines(desk.market))
    assert "--fresh-journal" not in said and "cannot be opened" not in said, said
    story = [u.status for u in desk.market.out.orders if u.client_id == "probe-entry-1"]
    assert story[-1].name == "FILLED", f"the filled order is now shown as {story[-1].name}"
    journal.close()


def test_without_a_journal_an_order_sent_again_under_its_client_id_is_not_sent_twice() -> None:
    """The tester's core has no journal: the same retry must not open a second position."""
    desk = Desk()
    desk.connect()

    def send_twice(s: Any, _b: Any) -> None:
        if not s.state.get("sent"):
            s.state["sent"] = True
            for _ in range(2):
                s._ctx().send(SubmitOrder(OrderRequest("probe-entry-1", "EURUSD", Side.BUY, 0.1)))

    Probe.actions = [send_twice]
    desk.attach()
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.positions()) == 1, "one client id, two positions"


def test_a_strategy_flooding_past_the_accounts_rate_limit_is_halted_as_flooding() -> None:
    """30 orders a bar against a budget of 10 a minute: the account's 5-a-second rule
    refuses most of them first, and the budget, counting only what passed, never halts it."""
    desk = Desk()
    desk.connect()
    Probe.actions = [lambda s, _b: [s.buy(0.01) for _ in range(30)]]
    name = desk.attach(
        budget=StrategyBudget(max_orders_per_minute=10, max_open_positions=100, max_net_position=0)
    )
    desk.minutes([1.1001, 1.1002, 1.1003, 1.1004])
    refused = [u for u in desk.market.out.orders if u.status.name == "REJECTED"]
    # It did flood: of its first bar's 30 orders, the account's 5-a-second rule let 5 pass.
    assert len(refused) >= 25
    assert state(desk.market, name) is StrategyState.HALTED, (
        f"{len(refused)} orders refused, yet it still runs; positions: {len(desk.core.positions())}"
    )


class Stopper(Probe):
    """Opens a position from on_stop (a strategy "re-entering" as it goes)."""

    key = "stopper"

    def on_stop(self) -> None:
        self.buy(0.3)


def test_a_strategy_that_raised_opens_nothing_from_its_on_stop() -> None:
    desk = Desk()
    desk.host._load_catalog = lambda: _with(Probe, Stopper)
    desk.connect()

    def boom(_s: Any, _b: Any) -> None:
        raise ZeroDivisionError("bug in the signal")

    Probe.actions = [boom]
    name = desk.attach(strategy="stopper")
    desk.minutes([1.1001, 1.1002])
    assert state(desk.market, name) is StrategyState.FAILED
    assert desk.core.positions() == (), "disabled for a bug, it still opened a position"


def test_detaching_a_strategy_opens_no_position_that_nobody_owns() -> None:
    from app.domain.strategies import DetachStrategy

    desk = Desk()
    desk.host._load_catalog = lambda: _with(Probe, Stopper)
    desk.connect()
    name = desk.attach(strategy="stopper")
    desk.minutes([1.1001])
    desk.core.handle(DetachStrategy(name))
    assert name not in desk.host.configs
    assert desk.core.positions() == (), "the detached instance opened a position as it left"


def test_a_strategys_loss_today_starts_again_at_the_next_trading_day() -> None:
    from app.domain.commands import ClosePosition
    from tests.replay_market import START

    desk = Desk()
    desk.connect()
    Probe.actions = [
        lambda s, _b: s.buy(1.0) if not s.positions() and not s.state.get("done") else None,
        lambda s, _b: s.state.update(done=True) if s.positions() else None,
    ]
    name = desk.attach(budget=StrategyBudget(max_daily_loss=50.0))
    desk.minutes([1.1001, 1.1002, 1.1003])
    [position] = desk.core.positions()
    desk.minutes([1.0999])
    desk.core.handle(ClosePosition(position.ticket))  # about −30 today: under its limit
    assert statuses(desk.market, name)[-1].day_pnl < -20
    # The terminal runs on past midnight (UTC, the default reset) into the next day.
    for minute in range(3):
        desk.market.tick(START + 86_400 + 60 * minute + 1, 1.0999, poll=True)
    day_two = statuses(desk.market, name)[-1]
    assert day_two.day_pnl == pytest.approx(0.0), (
        f"on the next day its 'today' still carries yesterday's {day_two.day_pnl:+.2f}"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_open_positions", 2.5),
        ("max_orders_per_minute", 0.5),
        ("max_order_volume", math.inf),
        ("max_daily_loss", -math.inf),
    ],
)
def test_a_budget_with_a_broken_count_or_an_infinite_limit_is_refused(
    field: str, value: float
) -> None:
    desk = Desk()
    desk.connect()
    from dataclasses import replace

    budget = replace(StrategyBudget(), **{field: value})
    desk.core.handle(AttachStrategy("probe", "EURUSD", Timeframe.M1, {}, budget))
    assert desk.host.configs == {}
    [refusal] = [m for m in lines(desk.market, "strategies") if m.startswith("Refused")]
    assert field in refusal
    with pytest.raises(ValueError, match=field):
        StrategyBudget.from_dict({field: value})


def test_after_a_restart_an_order_under_a_client_id_the_journal_has_is_refused_in_words(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    paper = tmp_path / "paper.json"

    def send_once(s: Any, _b: Any) -> None:
        if not s.state.get("sent"):
            s.state["sent"] = True
            s._ctx().send(SubmitOrder(OrderRequest("probe-entry-1", "EURUSD", Side.BUY, 0.1)))

    journal, desk = journaled_desk(url, paper)
    Probe.actions = [send_once]
    desk.attach()
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.positions()) == 1
    desk.core.disconnect()
    journal.close()

    journal = Journal.open(url)
    again = Desk(journal, paper)
    again.market.clock.now = desk.market.clock.now + 60
    again.next_minute = desk.next_minute + 1
    again.connect()
    again.attach()  # a new instance, fresh state: it sends under the same id again
    again.minutes([1.1003, 1.1004])
    assert len(again.core.positions()) == 1, "the id the journal had was sent again"
    said = " | ".join(lines(again.market))
    assert "client id probe-entry-1 was used already; not sent" in said, said
    assert "--fresh-journal" not in said
    assert [u for u in again.market.out.orders if u.client_id == "probe-entry-1"] == []
    journal.close()


def test_a_number_given_as_text_is_refused_on_attach() -> None:
    desk = Desk()
    desk.connect()
    desk.core.handle(AttachStrategy("probe", "EURUSD", Timeframe.M1, {"period": "3"}))
    assert desk.host.configs == {}
    [refusal] = [m for m in lines(desk.market, "strategies") if m.startswith("Refused")]
    assert "period: must be a number (got '3')" in refusal


def test_modifications_count_towards_the_rate_so_a_modify_flood_halts_the_instance() -> None:
    desk = Desk()
    desk.connect()

    def fiddle(s: Any, bar: Any) -> None:
        if not s.positions():
            s.buy(0.1)
            return
        [mine] = s.positions()
        for i in range(5):  # five new stops a bar, none needed
            s.modify(mine.ticket, sl=round(bar.close - 0.0050 - i * 0.0001, 5), tp=None)

    Probe.actions = [fiddle]
    name = desk.attach(budget=StrategyBudget(max_orders_per_minute=4))
    desk.minutes([1.1001, 1.1002, 1.1003])
    assert state(desk.market, name) is StrategyState.HALTED
    assert "flooding: 5 orders within a minute" in statuses(desk.market, name)[-1].reason
    assert len(desk.core.positions()) == 1, "its position stays"


def test_orders_the_checks_refuse_count_towards_the_rate_so_a_nonsense_flood_halts() -> None:
    """Volume 0, ten times a bar: each is refused by validation, and together they flood."""
    desk = Desk()
    desk.connect()
    Probe.actions = [lambda s, _b: [s.buy(0.0) for _ in range(10)]]
    name = desk.attach(budget=StrategyBudget(max_orders_per_minute=6))
    desk.minutes([1.1001, 1.1002])
    assert state(desk.market, name) is StrategyState.HALTED
    assert "flooding: 7 orders within a minute" in statuses(desk.market, name)[-1].reason
    assert desk.core.positions() == ()


def test_cancels_the_host_sends_for_a_halted_instance_are_not_its_flooding() -> None:
    """Two working orders each under a rate of three a minute: the kill switch's cancels
    would be the third and fourth; they are the system's, and nobody is blamed for flooding."""
    desk = Desk()
    desk.connect()

    def two_limits(s: Any, bar: Any) -> None:
        if not s.state.get("placed"):
            s.state["placed"] = True
            for i in range(2):
                s.buy(0.1, limit=round(bar.close - 0.0005 - i * 0.0001, 5))

    Probe.actions = [two_limits]
    name = desk.attach(budget=StrategyBudget(max_orders_per_minute=3, max_open_positions=0))
    other = desk.attach(budget=StrategyBudget(max_orders_per_minute=3, max_open_positions=0))
    desk.minutes([1.1001, 1.1002])
    assert len(desk.core.working_orders()) == 4
    desk.core.handle(Halt("kill switch"))
    desk.minutes([1.1003])
    assert desk.core.working_orders() == (), "a halted strategy's resting order could still fill"
    for each in (name, other):
        assert state(desk.market, each) is StrategyState.STOPPED
        assert statuses(desk.market, each)[-1].reason == "trading halted: kill switch"
    assert any(
        "cancelling its 2 working order(s) (stopped: trading halted: kill switch)" in m
        for m in lines(desk.market)
    )


def test_a_keyboard_interrupt_from_a_strategy_on_the_engine_thread_disables_only_it() -> None:
    """On the engine thread no signal raises KeyboardInterrupt: one can only be the strategy's."""
    import threading

    desk = Desk()
    desk.connect()

    def interrupt(s: Any, _b: Any) -> None:
        if s.params.volume == 0.2:
            raise KeyboardInterrupt

    Probe.actions = [interrupt]
    failing = desk.attach(params={"volume": 0.2})
    other = desk.attach()
    escaped: list[BaseException] = []

    def engine() -> None:
        try:
            desk.minutes([1.1001, 1.1002])
        except BaseException as exc:  # what escapes is the finding
            escaped.append(exc)

    thread = threading.Thread(target=engine, name="engine")
    thread.start()
    thread.join(30)
    assert escaped == []
    assert state(desk.market, failing) is StrategyState.FAILED
    assert "KeyboardInterrupt" in statuses(desk.market, failing)[-1].reason
    assert state(desk.market, other) is StrategyState.RUNNING
    assert desk.strategy(other).state["bars"] == 2


def test_a_keyboard_interrupt_on_the_main_thread_is_still_ctrl_c() -> None:
    """A command-line test run (the engine on the main thread) still ends on Ctrl+C."""
    desk = Desk()
    desk.connect()

    def interrupt(_s: Any, _b: Any) -> None:
        raise KeyboardInterrupt

    Probe.actions = [interrupt]
    desk.attach()
    with pytest.raises(KeyboardInterrupt):
        desk.minutes([1.1001, 1.1002])


def test_a_state_replaced_by_a_list_fails_that_strategy_in_words_and_it_can_start_again() -> None:
    desk = Desk()
    desk.connect()

    def replace_state(s: Any, _b: Any) -> None:
        s.state = ["not", "a", "dict"]

    Probe.actions = [replace_state]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    last = statuses(desk.market, name)[-1]
    assert last.state is StrategyState.FAILED
    assert "self.state must stay a dict (it was set to a list)" in last.reason
    Probe.actions = []
    desk.core.handle(StartStrategy(name))
    desk.minutes([1.1003])
    assert state(desk.market, name) is StrategyState.RUNNING


def test_a_state_that_json_cannot_hold_is_refused_not_saved_as_text(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    journal = Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite'}")
    desk = Desk(journal, tmp_path / "paper.json")
    desk.connect()

    def keep_a_time(s: Any, _b: Any) -> None:
        s.state["entered"] = datetime(2026, 1, 2, tzinfo=UTC)

    Probe.actions = [keep_a_time]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    last = statuses(desk.market, name)[-1]
    assert last.state is StrategyState.FAILED
    assert "self.state cannot be saved: self.state['entered'] is a datetime" in last.reason
    [(_config, saved)] = journal.strategy_instances([])
    assert "entered" not in saved, "a time saved as text would come back as a string"
    journal.close()


class FailsToStop(Probe):
    key = "fails_to_stop"

    def on_stop(self) -> None:
        raise RuntimeError("cannot let go")


def test_an_error_in_on_stop_is_one_line_in_the_event_log() -> None:
    desk = Desk()
    desk.host._load_catalog = lambda: _with(Probe, FailsToStop)
    desk.connect()
    name = desk.attach(strategy="fails_to_stop")
    desk.minutes([1.1001])
    desk.core.handle(StopStrategy(name))
    assert state(desk.market, name) is StrategyState.STOPPED
    assert any(
        "failed in on_stop (RuntimeError: cannot let go); it is stopped anyway" in m
        for m in lines(desk.market)
    )


class BrokenInit(Probe):
    key = "broken_init"

    def __init__(self, *args: Any) -> None:
        raise ValueError("no")


def test_a_strategy_whose_constructor_raises_is_refused_and_shows_failed() -> None:
    desk = Desk()
    desk.host._load_catalog = lambda: _with(Probe, BrokenInit)
    desk.connect()
    desk.core.handle(
        AttachStrategy("broken_init", "EURUSD", Timeframe.M1, {}, StrategyBudget(), start=True)
    )
    [name] = desk.host.configs
    last = statuses(desk.market, name)[-1]
    assert last.state is StrategyState.FAILED
    assert last.reason == "failed to start: ValueError: no"
    desk.minutes([1.1001])  # the engine goes on
    assert any(f"Refused: {name} not started: ValueError: no" in m for m in lines(desk.market))


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ({1002: "opened"}, "self.state['kept'] has the key 1002, which is not text"),
        ((1, 2), "self.state['kept'] is a tuple"),
    ],
)
def test_a_state_json_would_change_fails_in_words_instead_of_coming_back_different(
    value: object, why: str
) -> None:
    """JSON turns an int key into text and a tuple into a list: a strategy keeping its
    tickets as keys would not find them after a restart, and might trade again."""
    desk = Desk()
    desk.connect()
    Probe.actions = [lambda s, _b: s.state.__setitem__("kept", value)]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    last = statuses(desk.market, name)[-1]
    assert last.state is StrategyState.FAILED
    assert f"self.state would not come back the same: {why}" in last.reason
    assert not any("on_stop" in m for m in lines(desk.market)), "one failure, said once"


@pytest.mark.parametrize(
    ("build", "why"),
    [
        (lambda: {1: "x", "a": 2}, "self.state['kept'] has the key 1, which is not text"),
        (lambda: _nested(100_000), "nested more than 64 levels deep"),
    ],
)
def test_a_state_json_cannot_write_is_refused_in_words(build: Any, why: str) -> None:
    desk = Desk()
    desk.connect()
    value = build()
    Probe.actions = [lambda s, _b: s.state.__setitem__("kept", value)]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    last = statuses(desk.market, name)[-1]
    assert last.state is StrategyState.FAILED
    assert last.reason.startswith("failed in on_bar: StateNotSaved: self.state cannot be saved")
    assert why in last.reason


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def test_nan_and_infinity_in_state_come_back_after_a_stop_and_start() -> None:
    desk = Desk()
    desk.connect()
    Probe.actions = [lambda s, _b: s.state.update(a=float("nan"), b=float("inf"))]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    desk.core.handle(StopStrategy(name))
    Probe.actions = []
    desk.core.handle(StartStrategy(name))
    back = desk.strategy(name).state
    assert back["b"] == float("inf") and math.isnan(back["a"])
