"""The engine's extension seam: what a client sees, when, and what it cannot break."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.domain.commands import (
    ClosePosition,
    Command,
    RequestHistory,
    Resume,
    SubmitOrder,
    UpdateRiskLimits,
)
from app.domain.enums import LogLevel, OrderSource, OrderStatus, OrderType, Side
from app.domain.market import Bar, Tick
from app.domain.notices import LogEvent
from app.domain.risk_limits import RiskLimits
from app.domain.timeframes import Timeframe
from app.domain.trading import Fill, OrderRequest, OrderUpdate
from app.engine.clients import ClientContext, ClientState, EngineClient, Subscriptions
from app.storage.journal import Journal
from tests.reference_bars import BarBuilder
from tests.replay_market import START, Market


class Recorder(EngineClient):
    """Notes every callback, in order."""

    name = "recorder"

    def __init__(self, subs: Subscriptions) -> None:
        self.subs = subs
        self.seen: list[tuple[str, object]] = []
        self.context: ClientContext | None = None

    def subscriptions(self) -> Subscriptions:
        return self.subs

    def on_start(self, context: ClientContext) -> None:
        self.context = context
        self.seen.append(("start", None))

    def on_stop(self) -> None:
        self.seen.append(("stop", None))

    def on_tick(self, tick: Tick) -> None:
        self.seen.append(("tick", tick))

    def on_bar(self, bar: Bar) -> None:
        self.seen.append(("bar", bar))

    def on_order(self, update: OrderUpdate) -> None:
        self.seen.append(("order", update))

    def on_fill(self, fill: Fill) -> None:
        self.seen.append(("fill", fill))

    def on_timer(self, now_msc: int) -> None:
        self.seen.append(("timer", now_msc))

    def of(self, kind: str) -> list:  # type: ignore[type-arg]
        return [value for what, value in self.seen if what == kind]


@pytest.fixture
def market() -> Iterator[Market]:
    yield Market()


ALL = frozenset(("EURUSD", tf) for tf in Timeframe)


def test_closed_bars_arrive_once_each_in_order_for_every_timeframe(market: Market) -> None:
    client = Recorder(Subscriptions(bars=ALL))
    market.core.clients.attach(client)
    market.connect()
    oracles = {tf: BarBuilder("EURUSD", tf) for tf in Timeframe}
    expected: dict[Timeframe, list[Bar]] = {tf: [] for tf in Timeframe}
    # Three days of quotes every 37 s, with a gap of 7 hours in the middle, in polls
    # of varying size: bars close at the first tick of a later period.
    t, n, price = START + 1.0, 0, 1.1
    while t < START + 3 * 86_400:
        n += 1
        price += 0.00003 if n % 7 < 4 else -0.00004
        tick = market.tick(t, price, poll=(n % 5 == 0))
        for tf, oracle in oracles.items():
            before = oracle.current
            _bar, new = oracle.on_tick(tick)
            if new and before is not None:
                expected[tf].append(before)
        t += 37.0 if not (1.5 * 86_400 < t - START < 1.5 * 86_400 + 40) else 7 * 3600.0
    market.core.poll()

    bars = client.of("bar")
    for tf in Timeframe:
        got = [b for b in bars if b.timeframe is tf]
        assert got, f"no {tf.name} bar closed"
        # Every bar but the first is built from the ticks alone (the first one was
        # seeded from the broker at connect), and each closed once, in time order.
        assert [b.time for b in got] == [b.time for b in expected[tf]]
        for mine, oracle in zip(got[1:], expected[tf][1:], strict=True):
            assert (mine.open, mine.high, mine.low, mine.close, mine.volume) == pytest.approx(
                (oracle.open, oracle.high, oracle.low, oracle.close, oracle.volume)
            )
        forming = market.core.market_data.forming("EURUSD", tf)
        assert forming is not None and got[-1].time < forming.time  # never the forming bar
    # Within one tick's closes, the shorter timeframe comes first.
    ordering = [b.timeframe.seconds for b in bars if b.time + b.timeframe.seconds == START + 86_400]
    assert ordering == sorted(ordering) and len(ordering) == len(Timeframe)


def test_a_tick_reaches_a_client_after_the_bars_it_closed(market: Market) -> None:
    client = Recorder(Subscriptions(ticks=frozenset({"EURUSD"}), bars=ALL))
    market.core.clients.attach(client)
    market.connect()
    market.tick(START + 10, 1.1001)
    market.tick(START + 61, 1.1002)  # closes the first M1 bar
    market.core.poll()
    kinds = [(kind, getattr(v, "timeframe", None)) for kind, v in client.seen if kind != "start"]
    assert kinds[-3:] == [("tick", None), ("bar", Timeframe.M1), ("tick", None)]


def test_a_command_from_a_callback_runs_after_the_poll_through_the_risk_gate() -> None:
    market = Market(RiskLimits(max_order_volume=1.0))
    seen_during_callback: list[int] = []

    class Buyer(Recorder):
        def on_bar(self, bar: Bar) -> None:
            super().on_bar(bar)
            assert self.context is not None
            if bar.timeframe is not Timeframe.M1 or self.of("bar")[:-1]:
                return
            self.context.send(SubmitOrder(OrderRequest("", "EURUSD", Side.BUY, 5.0)))  # too big
            self.context.send(SubmitOrder(OrderRequest("", "EURUSD", Side.BUY, 0.5)))
            seen_during_callback.append(len(self.context.positions()))

    client = Buyer(Subscriptions(bars=ALL))
    market.core.clients.attach(client)
    market.connect()
    market.tick(START + 70, 1.1003)
    before = len(market.out.logs)
    market.core.poll()

    assert seen_during_callback == [0]  # queued, not run inside the callback
    mine = [u for u in market.out.orders if u.source is OrderSource.STRATEGY or u.client_id]
    statuses = {u.client_id: u for u in mine if u.status.is_final}
    big, small = (statuses[u.client_id] for u in client.of("order") if u.status.is_final)
    assert big.status is OrderStatus.REJECTED
    assert "Max volume per order: 5 lots exceeds the limit of 1 lots" in big.reason
    assert small.status is OrderStatus.FILLED
    assert len(market.core.positions()) == 1
    # The client heard of its own orders (and of its own fill), with its source on them.
    assert {u.source for u in client.of("order")} == {OrderSource.SYSTEM}
    assert [f.volume for f in client.of("fill")] == [0.5]
    assert any("refused" in e.message for e in market.out.logs[before:])


def test_a_client_may_not_resume_trading_loosen_limits_or_ask_for_charts(market: Market) -> None:
    client = Recorder(Subscriptions())
    market.core.clients.attach(client)
    market.connect()
    assert client.context is not None
    for command in (Resume(), UpdateRiskLimits(RiskLimits()), RequestHistory("EURUSD")):
        assert client.context.send(command) == ""  # type: ignore[arg-type]
    market.core.poll()
    refused = [e.message for e in market.out.logs if e.source == "recorder"]
    assert len(refused) == 3 and all("only the trader may send it" in m for m in refused)


def test_a_raising_client_is_disabled_and_the_polls_fills_still_reach_the_journal_and_gui(
    tmp_path: Path,
) -> None:
    journal = Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite'}")
    market = Market(journal=journal)

    class Broken(EngineClient):
        name = "broken"
        max_failures = 2

        def subscriptions(self) -> Subscriptions:
            return Subscriptions(ticks=None, all_orders=True)

        def on_tick(self, tick: Tick) -> None:
            raise ValueError("strategy bug")

        def on_fill(self, fill: Fill) -> None:
            raise ValueError("strategy bug in on_fill")

    healthy = Recorder(Subscriptions(ticks=None, all_orders=True))
    market.core.clients.attach(Broken())
    market.core.clients.attach(healthy)
    market.connect()
    for price in (1.0990, 1.0980):  # two buy limits that one tick triggers
        request = OrderRequest(f"lim-{price}", "EURUSD", Side.BUY, 0.1, OrderType.LIMIT, price)
        market.core.handle(SubmitOrder(request))
    market.tick(START + 5, 1.0970, poll=True)

    filled = [u for u in market.out.orders if u.status is OrderStatus.FILLED]
    assert {u.client_id for u in filled} == {"lim-1.099", "lim-1.098"}
    assert len(market.out.fills) == 2 and len(market.core.positions()) == 2
    assert market.core.clients.state("broken") is ClientState.DISABLED
    assert "strategy bug" in market.core.clients.reason("broken")
    errors = [e.message for e in market.out.logs if e.source == "broken"]
    assert errors[0].startswith("broken failed in on_tick (ValueError: strategy bug)")
    assert errors[-1].startswith("broken disabled after 2 error(s)")
    assert len(healthy.of("fill")) == 2 and healthy.of("tick")  # the others carry on
    market.tick(START + 6, 1.0971, poll=True)
    assert len(errors) == len([e for e in market.out.logs if e.source == "broken"])  # silent now
    journaled = {o.client_id: o.status for o in journal.orders()}
    assert (
        journaled["lim-1.099"] is OrderStatus.FILLED
        and journaled["lim-1.098"] is OrderStatus.FILLED
    )
    assert len(journal.deals()) == 2
    journal.close()


def test_a_client_that_fails_to_start_is_disabled_with_the_reason(market: Market) -> None:
    class CannotStart(EngineClient):
        name = "cannot start"

        def on_start(self, context: ClientContext) -> None:
            raise RuntimeError("missing data file")

    market.core.clients.attach(CannotStart())
    market.connect()
    assert market.core.clients.state("cannot start") is ClientState.DISABLED
    lines = [e for e in market.out.logs if e.source == "cannot start"]
    assert lines and lines[0].level is LogLevel.ERROR
    assert "failed to start: RuntimeError: missing data file" in lines[0].message


def test_a_client_calling_sys_exit_in_on_start_or_on_stop_is_a_client_failure(
    market: Market,
) -> None:
    class Quits(EngineClient):
        name = "quits"

        def __init__(self, where: str) -> None:
            self.where = where

        def on_start(self, context: ClientContext) -> None:
            if self.where == "start":
                raise SystemExit(2)

        def on_stop(self) -> None:
            raise SystemExit(3)

    market.core.clients.attach(Quits("start"))
    market.connect()  # must not end the program
    assert market.core.clients.state("quits") is ClientState.DISABLED
    assert any("failed to start: SystemExit: 2" in e.message for e in market.out.logs)
    market.core.clients.detach("quits")
    market.core.clients.attach(Quits("stop"))
    assert market.core.clients.state("quits") is ClientState.RUNNING
    market.core.clients.detach("quits")  # its on_stop exits: it is gone all the same
    assert market.core.clients.state("quits") is None


def test_the_engine_guard_takes_a_stray_sys_exit_as_an_engine_error(qapp: object) -> None:
    import sys

    from app.brokers.sim.broker import SimBroker
    from app.domain.enums import TradingState
    from app.engine.bus import EventBus
    from app.engine.thread import Engine

    bus = EventBus()
    failed: list[str] = []
    bus.engine_failed.connect(failed.append)
    engine = Engine(bus, lambda: SimBroker(seed=11))
    assert engine._guard(lambda: sys.exit(4)) is False  # no SystemExit reaches the thread
    assert failed and "SystemExit" in failed[0]
    assert engine.core.gate.state is TradingState.HALTED


def test_a_slow_callback_is_named_with_the_time_it_took() -> None:
    market = Market()
    times = iter([0.0, 1.25] * 50)
    market.core.clients._perf = lambda: next(times)  # type: ignore[method-assign]

    class Slow(Recorder):
        name = "slow strategy"

    market.core.clients.attach(Slow(Subscriptions(ticks=None)))
    market.connect()
    market.tick(START + 3, 1.1002, poll=True)
    slow = [e.message for e in market.out.logs if e.source == "slow strategy"]
    assert any("slow strategy blocked the engine for 1.25 s in on_tick" in m for m in slow)


def test_timers_fire_on_the_engines_clock_not_the_wall_clock(market: Market) -> None:
    client = Recorder(Subscriptions(timer_ms=60_000))
    market.core.clients.attach(client)
    market.connect()
    for seconds in (30, 59, 61, 100, 125, 400):
        market.tick(START + seconds, 1.1, poll=True)
    fired = [(ms - START * 1000) // 1000 for ms in client.of("timer")]
    assert fired == [61, 125, 400]


def test_closed_bars_for_warm_up_never_include_the_forming_bar(market: Market) -> None:
    market.connect()
    for minute in range(1, 6):
        market.tick(START + minute * 60 + 1, 1.1 + minute * 0.0001, poll=True)
    bars = market.core.closed_bars("EURUSD", Timeframe.M1, 10)
    forming = market.core.market_data.forming("EURUSD", Timeframe.M1)
    assert forming is not None
    assert list(bars.time) == [START + m * 60 for m in range(0, 5)]  # type: ignore[call-overload]
    assert forming.time == START + 5 * 60


def test_commands_are_stamped_with_the_clients_source_and_fresh_ids(market: Market) -> None:
    class Strategy(Recorder):
        source = OrderSource.STRATEGY

    client = Strategy(Subscriptions())
    market.core.clients.attach(client)
    market.connect()
    assert client.context is not None
    sent: list[Command] = []
    market.core.queue = sent.append  # type: ignore[method-assign]
    request = OrderRequest("", "EURUSD", Side.BUY, 0.1, source=OrderSource.TICKET)
    first = client.context.send(SubmitOrder(request))
    second = client.context.send(ClosePosition(1))
    assert first and second and first != second
    submitted = sent[0]
    assert isinstance(submitted, SubmitOrder)
    assert submitted.request == replace(request, client_id=first, source=OrderSource.STRATEGY)
    assert sent[1] == ClosePosition(1, client_id=second, source=OrderSource.STRATEGY)
    assert market.core.clients.owner(first) is client


def test_no_client_hears_of_the_trader_s_orders_unless_it_asks(market: Market) -> None:
    quiet = Recorder(Subscriptions())
    quiet.name = "quiet"
    watcher = Recorder(Subscriptions(all_orders=True))
    market.core.clients.attach(quiet)
    market.core.clients.attach(watcher)
    market.connect()
    market.core.handle(SubmitOrder(OrderRequest("t-1", "EURUSD", Side.BUY, 0.1)))
    assert quiet.of("order") == [] and quiet.of("fill") == []
    assert [u.status for u in watcher.of("order")] == [OrderStatus.PENDING_NEW, OrderStatus.FILLED]
    assert isinstance(market.out.logs[-1], LogEvent)
