"""Each risk rule at its boundary: just under, at, and just over the limit. No Qt."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.domain.enums import OrderSource, OrderType, Side, TradingState
from app.domain.market import Tick
from app.domain.risk_facts import RiskBreach, RiskWarning, TradingStateChanged, UsageLevel
from app.domain.risk_limits import RiskLimits, RiskRule, SymbolLimits, TradingHours
from app.domain.trading import AccountState, OrderRequest, Position
from app.engine.risk_gate import Book, RiskContext, RiskGate, trading_day_start
from tests.specs import fx_spec

MONDAY_NOON = datetime(2024, 6, 3, 12, 0, tzinfo=UTC).timestamp()

# Every rule off; each test switches on the one it checks.
OFF = RiskLimits(
    max_order_volume=0,
    max_order_notional=0,
    max_net_volume=0,
    max_total_exposure=0,
    max_open_positions=0,
    max_working_orders=0,
    max_orders_per_second=0,
    max_orders_per_minute=0,
    max_price_distance_pct=0,
    max_spread_multiple=0,
    stale_quote_seconds=0,
    max_daily_loss=0,
    max_drawdown_pct=0,
    min_margin_level_pct=0,
)


class FakeClock:
    def __init__(self, t: float = MONDAY_NOON) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


SPECS = {name: fx_spec(name) for name in ("EURUSD", "GBPUSD")}


def _quotes(clock: FakeClock, spread_points: int = 2) -> dict[str, Tick]:
    ms = int(clock() * 1000)
    ask = round(1.0 + spread_points * 0.00001, 5)
    return {name: Tick(name, ms, 1.0, ask) for name in SPECS}


def _ctx(clock: FakeClock, book: Book | None = None, account: AccountState | None = None):  # type: ignore[no-untyped-def]
    return RiskContext(SPECS, _quotes(clock), "USD", 100, account, book or Book())


def _order(
    volume: float,
    side: Side = Side.SELL,
    symbol: str = "EURUSD",
    order_type: OrderType = OrderType.MARKET,
    price: float | None = None,
) -> OrderRequest:
    return OrderRequest("c", symbol, side, volume, order_type, price)


def _pos(symbol: str, side: Side, volume: float, ticket: int = 1) -> Position:
    return Position(ticket, symbol, side, volume, 1.0, 1.0, 0.0, 0)


def _gate(**limits: object) -> tuple[RiskGate, FakeClock]:
    clock = FakeClock()
    return RiskGate(replace(OFF, **limits), clock=clock), clock  # type: ignore[arg-type]


def _rule(gate: RiskGate, request: OrderRequest, ctx: RiskContext) -> RiskRule | None:
    rejection = gate.check(request, ctx)
    return None if rejection is None else rejection.rule


# --------------------------------------------------------------------------- per order


@pytest.mark.parametrize(("volume", "ok"), [(0.99, True), (1.0, True), (1.01, False)])
def test_max_order_volume(volume: float, ok: bool) -> None:
    gate, clock = _gate(max_order_volume=1.0)
    assert (_rule(gate, _order(volume), _ctx(clock)) is None) == ok


def test_volume_message_names_rule_limit_and_value() -> None:
    gate, clock = _gate(max_order_volume=10.0)
    rejection = gate.check(_order(12), _ctx(clock))
    assert rejection is not None
    assert rejection.message == (
        "Max volume per order: 12 lots exceeds the limit of 10 lots for EURUSD"
    )


def test_per_symbol_override_beats_the_account_wide_limit() -> None:
    gate, clock = _gate(max_order_volume=5.0, symbols={"GBPUSD": SymbolLimits(1.0)})
    ctx = _ctx(clock)
    assert gate.check(_order(2, symbol="EURUSD"), ctx) is None
    rejection = gate.check(_order(2, symbol="GBPUSD"), ctx)
    assert rejection is not None and "limit of 1 lots for GBPUSD" in rejection.message


@pytest.mark.parametrize(("volume", "ok"), [(0.99, True), (1.0, True), (1.01, False)])
def test_max_order_notional(volume: float, ok: bool) -> None:
    gate, clock = _gate(max_order_notional=100_000)  # 1 lot sold at 1.00000
    rejection = gate.check(_order(volume), _ctx(clock))
    assert (rejection is None) == ok
    if rejection:
        assert rejection.message == (
            "Max notional per order: 101,000.00 USD exceeds the limit of 100,000.00 USD for EURUSD"
        )


@pytest.mark.parametrize(("price", "ok"), [(1.04999, True), (1.05, True), (1.05001, False)])
def test_price_collar_on_pending_orders(price: float, ok: bool) -> None:
    gate, clock = _gate(max_price_distance_pct=5.0)
    request = _order(0.1, Side.SELL, order_type=OrderType.LIMIT, price=price)
    rejection = gate.check(request, _ctx(clock))
    assert (rejection is None) == ok
    if rejection:
        assert rejection.rule is RiskRule.PRICE_COLLAR
        assert "beyond the limit of 5 % for EURUSD" in rejection.message


@pytest.mark.parametrize(("points", "ok"), [(9, True), (10, True), (11, False)])
def test_spread_collar_against_the_typical_spread(points: int, ok: bool) -> None:
    gate, clock = _gate(max_spread_multiple=5.0)
    for tick in [_quotes(clock, spread_points=2)["EURUSD"]] * 30:
        gate.on_tick(tick, SPECS["EURUSD"])
    ctx = _ctx(clock)
    ctx.quotes = _quotes(clock, spread_points=points)
    rejection = gate.check(_order(0.1), ctx)
    assert (rejection is None) == ok
    if rejection:
        assert rejection.rule is RiskRule.SPREAD_COLLAR
        assert "5.5× the typical 2" in rejection.message


def test_spread_collar_waits_for_enough_ticks_and_ignores_pending_orders() -> None:
    gate, clock = _gate(max_spread_multiple=2.0)
    for tick in [_quotes(clock, spread_points=2)["EURUSD"]] * 5:
        gate.on_tick(tick, SPECS["EURUSD"])
    ctx = _ctx(clock)
    ctx.quotes = _quotes(clock, spread_points=50)
    assert gate.check(_order(0.1), ctx) is None  # too few ticks to know what is typical


@pytest.mark.parametrize(("points", "ok"), [(29, True), (30, True), (31, False)])
def test_absolute_spread_cap_per_symbol(points: int, ok: bool) -> None:
    gate, clock = _gate(symbols={"EURUSD": SymbolLimits(max_spread_points=30)})
    ctx = _ctx(clock)
    ctx.quotes = _quotes(clock, spread_points=points)
    assert (_rule(gate, _order(0.1), ctx) is None) == ok


@pytest.mark.parametrize(("age", "ok"), [(14.9, True), (15.0, True), (15.1, False)])
def test_stale_quote_guard(age: float, ok: bool) -> None:
    gate, clock = _gate(stale_quote_seconds=15)
    ctx = _ctx(clock)
    clock.t += age
    rejection = gate.check(_order(0.1), ctx)
    assert (rejection is None) == ok
    if rejection:
        assert rejection.message == (
            "Stale quote guard: the last EURUSD price is 15.1 s old, older than the limit of 15 s"
        )
    pending = _order(0.1, Side.SELL, order_type=OrderType.LIMIT, price=1.001)
    assert gate.check(pending, ctx) is None  # resting orders do not trade on this quote


# --------------------------------------------------------------------------- positions


@pytest.mark.parametrize(("volume", "ok"), [(0.99, True), (1.0, True), (1.01, False)])
def test_max_net_position_counts_positions_and_working_orders(volume: float, ok: bool) -> None:
    gate, clock = _gate(max_net_volume=2.0)
    book = Book(net={"EURUSD": -0.5}, pending_sell={"EURUSD": 0.5})
    rejection = gate.check(_order(volume), _ctx(clock, book))
    assert (rejection is None) == ok
    if rejection:
        assert rejection.message == (
            "Max net position: EURUSD would reach 2.01 lots, over the limit of 2 lots"
        )


def test_net_position_limit_never_blocks_a_reducing_order() -> None:
    gate, clock = _gate(max_net_volume=1.0)
    book = Book(net={"EURUSD": -3.0})  # already over (the limit was lowered)
    assert gate.check(_order(1.0, Side.BUY), _ctx(clock, book)) is None
    assert gate.check(_order(0.1, Side.SELL), _ctx(clock, book)) is not None


@pytest.mark.parametrize(("volume", "ok"), [(0.99, True), (1.0, True), (1.01, False)])
def test_max_total_exposure(volume: float, ok: bool) -> None:
    # One lot of EURUSD is 100,001 USD at the mid 1.00001: the limit is two lots.
    gate, clock = _gate(max_total_exposure=200_002)
    book = Book(net={"GBPUSD": 1.0})
    rejection = gate.check(_order(volume, Side.BUY), _ctx(clock, book))
    assert (rejection is None) == ok
    if rejection:
        assert rejection.rule is RiskRule.TOTAL_EXPOSURE
        assert "exceeds the limit of 200,002.00 USD" in rejection.message


@pytest.mark.parametrize(("open_now", "ok"), [(1, True), (2, True), (3, False)])
def test_max_open_positions(open_now: int, ok: bool) -> None:
    gate, clock = _gate(max_open_positions=3)
    rejection = gate.check(_order(0.1), _ctx(clock, Book(open_positions=open_now)))
    assert (rejection is None) == ok
    if rejection:
        assert rejection.message == "Max open positions: 4 would exceed the limit of 3"


@pytest.mark.parametrize(("working", "ok"), [(1, True), (2, True), (3, False)])
def test_max_working_orders(working: int, ok: bool) -> None:
    gate, clock = _gate(max_working_orders=3)
    request = _order(0.1, Side.SELL, order_type=OrderType.LIMIT, price=1.001)
    rejection = gate.check(request, _ctx(clock, Book(working_orders=working)))
    assert (rejection is None) == ok


@pytest.mark.parametrize(("volume", "ok"), [(0.99, True), (1.0, True), (1.01, False)])
def test_min_margin_level_after_the_order(volume: float, ok: bool) -> None:
    # Equity 10,000 with 4,000 margin used; one lot at 1:100 needs 1,000 → level 200 %.
    gate, clock = _gate(min_margin_level_pct=200)
    account = AccountState("USD", 10_000, 10_000, 4_000, 6_000, 0, 0, 100)
    rejection = gate.check(_order(volume), _ctx(clock, account=account))
    assert (rejection is None) == ok
    if rejection:
        assert rejection.message.startswith(
            "Min margin level: 199.6 % after this order is below the limit of 200 %"
        )


def test_margin_uses_the_brokers_own_calculation_when_there_is_one() -> None:
    gate, clock = _gate(min_margin_level_pct=200)
    account = AccountState("USD", 10_000, 10_000, 4_000, 6_000, 0, 0, 100)
    asked: list[tuple[str, Side, float, float]] = []

    def broker_margin(symbol: str, side: Side, volume: float, price: float) -> float:
        asked.append((symbol, side, volume, price))
        return 2_000 * volume  # a stricter broker: 1:50 on this symbol

    gate.margin_calculator = broker_margin
    assert gate.check(_order(0.5), _ctx(clock, account=account)) is None
    assert gate.check(_order(0.6), _ctx(clock, account=account)) is not None
    assert asked[0] == ("EURUSD", Side.SELL, 0.5, 1.0)


# --------------------------------------------------------------------------- time and lists


def test_rate_throttle_per_second_then_per_minute() -> None:
    gate, clock = _gate(max_orders_per_second=3, max_orders_per_minute=5)
    ctx = _ctx(clock)
    assert [gate.admit(_order(0.1), ctx) is None for _ in range(4)] == [True] * 3 + [False]
    rejection = gate.check(_order(0.1), ctx)
    assert rejection is not None and rejection.message == (
        "Max orders per second: 4 would exceed the limit of 3; wait a moment"
    )
    clock.t += 1.0
    assert [gate.admit(_order(0.1), ctx) is None for _ in range(3)] == [True, True, False]
    rejected = gate.check(_order(0.1), ctx)
    assert rejected is not None and rejected.rule is RiskRule.RATE_MINUTE
    clock.t += 59.0  # the first three fall out of the minute window
    assert gate.admit(_order(0.1), ctx) is None


def test_refused_orders_do_not_use_up_the_rate() -> None:
    gate, clock = _gate(max_orders_per_second=1, max_order_volume=1)
    ctx = _ctx(clock)
    assert gate.admit(_order(5), ctx) is not None
    assert gate.admit(_order(0.5), ctx) is None


def test_allowed_symbols() -> None:
    gate, clock = _gate(allowed_symbols=("EURUSD",))
    ctx = _ctx(clock)
    assert gate.check(_order(0.1, symbol="EURUSD"), ctx) is None
    rejection = gate.check(_order(0.1, symbol="GBPUSD"), ctx)
    assert rejection is not None
    assert rejection.message == "Allowed symbols: GBPUSD is not in the list (EURUSD)"


@pytest.mark.parametrize(
    ("hhmm", "ok"), [("07:59", False), ("08:00", True), ("15:59", True), ("16:00", False)]
)
def test_trading_hours_are_utc_windows_per_weekday(hhmm: str, ok: bool) -> None:
    hours = TradingHours.parse(
        {day: ["00:00-24:00"] for day in ("tuesday",)} | {"monday": ["08:00-16:00"]}
    )
    gate, clock = _gate(trading_hours=hours)
    hour, minute = (int(x) for x in hhmm.split(":"))
    clock.t = datetime(2024, 6, 3, hour, minute, tzinfo=UTC).timestamp()  # a Monday
    rejection = gate.check(_order(0.1), _ctx(clock))
    assert (rejection is None) == ok
    if rejection:
        assert rejection.message == (
            f"Trading hours: {hhmm} UTC on Monday is outside the allowed hours (08:00-16:00 UTC)"
        )


@pytest.mark.parametrize("bad", ["8-16", "16:00-08:00", "00:00-25:00", "10:61-11:00"])
def test_bad_trading_hours_are_refused_in_words(bad: str) -> None:
    with pytest.raises(ValueError, match=bad[:4]):
        TradingHours.parse({"monday": [bad]})


# --------------------------------------------------------------------------- states


def test_halted_refuses_orders_but_lets_closes_through() -> None:
    gate, clock = _gate()
    change = gate.halt("kill switch", OrderSource.TICKET)
    assert change == TradingStateChanged(
        TradingState.ACTIVE, TradingState.HALTED, "kill switch", OrderSource.TICKET, change.time
    )
    rejection = gate.check(_order(0.01), _ctx(clock))
    assert rejection is not None and rejection.message == (
        "Trading is HALTED (kill switch): only closes and cancels are allowed"
    )
    position = _pos("EURUSD", Side.BUY, 1.0)
    assert gate.check_close(position, None) is None
    assert gate.check_close(position, 0.4) is None
    assert gate.check_close(position, 1.5) is not None  # would open a short
    assert gate.halt("again", OrderSource.TICKET) is None  # no news


@pytest.mark.parametrize(
    ("side", "volume", "order_type", "ok"),
    [
        (Side.SELL, 0.5, OrderType.MARKET, True),
        (Side.SELL, 1.0, OrderType.MARKET, True),  # down to flat
        (Side.SELL, 1.01, OrderType.MARKET, False),  # beyond flat
        (Side.BUY, 0.01, OrderType.MARKET, False),  # adds
        (Side.SELL, 0.5, OrderType.LIMIT, False),  # could fill after the position is gone
    ],
)
def test_reducing_lets_only_reducing_orders_through(
    side: Side, volume: float, order_type: OrderType, ok: bool
) -> None:
    gate, clock = _gate()
    gate.set_state(TradingState.REDUCING, "warning", OrderSource.SYSTEM)
    price = 1.001 if order_type is OrderType.LIMIT else None
    request = _order(volume, side, order_type=order_type, price=price)
    rejection = gate.check(request, _ctx(clock, Book(net={"EURUSD": 1.0})))
    assert (rejection is None) == ok


def test_resume_is_explicit_and_names_its_source() -> None:
    gate, _ = _gate()
    gate.halt("kill switch", OrderSource.TICKET)
    change = gate.resume(OrderSource.TELEGRAM)
    assert change is not None and change.new is TradingState.ACTIVE
    assert change.source is OrderSource.TELEGRAM and "telegram" in change.message


# --------------------------------------------------------------------------- loss limits


def _rules_of(facts: list) -> list:  # type: ignore[type-arg]
    return [(type(f).__name__, getattr(f, "rule", None)) for f in facts]


@pytest.mark.parametrize(
    ("equity", "halts"), [(9_500.01, False), (9_500.0, True), (9_499.99, True)]
)
def test_daily_loss_reaching_the_limit_halts(equity: float, halts: bool) -> None:
    gate, _ = _gate(max_daily_loss=500)
    assert gate.on_equity(10_000) == []
    facts = gate.on_equity(equity)
    assert (gate.state is TradingState.HALTED) == halts
    if halts:
        breach = facts[0]
        assert isinstance(breach, RiskBreach) and breach.halted
        assert breach.rule is RiskRule.DAILY_LOSS
        assert breach.message.startswith("Max daily loss: loss today ")
        assert "reached the limit of 500.00" in breach.message
        assert isinstance(facts[1], TradingStateChanged)
        assert facts[1].source is OrderSource.SYSTEM
    else:
        assert _rules_of(facts) == [("RiskWarning", RiskRule.DAILY_LOSS)]  # ≥ 80 %


@pytest.mark.parametrize(("equity", "halts"), [(9_900.01, False), (9_900.0, True)])
def test_drawdown_from_the_equity_peak_halts(equity: float, halts: bool) -> None:
    gate, _ = _gate(max_drawdown_pct=10)
    gate.on_equity(10_000)
    gate.on_equity(11_000)  # the peak
    gate.on_equity(equity)
    assert (gate.state is TradingState.HALTED) == halts


def test_warning_can_move_to_reducing_and_warns_once() -> None:
    gate, _ = _gate(max_daily_loss=500, warning_fraction=0.8, reduce_on_warning=True)
    gate.on_equity(10_000)
    facts = gate.on_equity(9_590)  # 410 lost: 82 %
    assert isinstance(facts[0], RiskWarning) and "82% of the limit" in facts[0].message
    assert gate.state is TradingState.REDUCING
    assert gate.on_equity(9_580) == []  # still above the warning: no repeat


def test_daily_loss_resets_at_the_configured_time_and_zone() -> None:
    gate, clock = _gate(
        max_daily_loss=500, daily_reset_time="17:00", daily_reset_timezone="America/New_York"
    )
    clock.t = datetime(2024, 6, 3, 20, 0, tzinfo=UTC).timestamp()  # 16:00 in New York
    gate.on_equity(10_000)
    gate.on_equity(9_700)
    assert gate.watch.daily_loss == 300
    clock.t += 3600  # 17:00 in New York: a new trading day
    gate.on_equity(9_700)
    assert gate.watch.daily_loss == 0
    gate.on_equity(9_300)
    assert gate.watch.daily_loss == 400 and gate.state is TradingState.ACTIVE


def test_trading_day_start_handles_zones_and_midnight() -> None:
    ny = ZoneInfo("America/New_York")
    now = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)  # 08:00 in New York
    assert trading_day_start(now, "17:00", ny) == datetime(2024, 6, 2, 17, 0, tzinfo=ny)
    assert trading_day_start(now, "00:00", UTC) == datetime(2024, 6, 3, tzinfo=UTC)


def test_after_resume_a_reached_loss_limit_blocks_new_exposure_but_not_the_resume() -> None:
    gate, clock = _gate(max_daily_loss=500)
    gate.on_equity(10_000)
    gate.on_equity(9_400)
    assert gate.state is TradingState.HALTED
    gate.resume(OrderSource.TICKET)
    assert gate.on_equity(9_390) == []  # acknowledged: no instant re-halt
    assert gate.state is TradingState.ACTIVE
    rejection = gate.check(_order(0.1), _ctx(clock))
    assert rejection is not None and rejection.rule is RiskRule.DAILY_LOSS
    assert gate.check(_order(0.1, Side.BUY), _ctx(clock, Book(net={"EURUSD": -1}))) is None
    gate.on_equity(9_800)  # back under the limit, then over it again: halts again
    gate.on_equity(9_450)
    assert gate.state is TradingState.HALTED


# --------------------------------------------------------------------------- limits and panel


def test_limits_validation_names_the_setting() -> None:
    bad = RiskLimits(max_daily_loss=-1, warning_fraction=1.5, daily_reset_timezone="Mars/Base")
    problems = bad.problems()
    assert "max_daily_loss must be a number of 0 or more (0 turns the rule off)" in problems
    assert "warning_fraction must be above 0 and at most 1 (e.g. 0.8)" in problems
    assert any("Mars/Base" in p for p in problems)
    assert RiskLimits().problems() == []


def test_loosening_is_detected_and_changes_are_listed() -> None:
    old = RiskLimits(max_daily_loss=500, min_margin_level_pct=200)
    assert old.loosened(replace(old, max_daily_loss=400, min_margin_level_pct=300)) == []
    assert old.loosened(replace(old, max_daily_loss=0)) == ["max_daily_loss"]  # 0 = off
    assert old.loosened(replace(old, min_margin_level_pct=150)) == ["min_margin_level_pct"]
    looser_symbol = replace(old, symbols={"XAUUSD": SymbolLimits(max_order_volume=50)})
    assert old.loosened(looser_symbol) == ["symbols.XAUUSD.max_order_volume"]
    assert old.changes(replace(old, max_daily_loss=400)) == ["max_daily_loss: 500 → 400"]


def test_snapshot_colours_usage_by_warning_and_limit() -> None:
    gate, clock = _gate(max_open_positions=10, max_net_volume=2.0, warning_fraction=0.8)
    ctx = _ctx(clock, Book(net={"EURUSD": 1.7}, open_positions=10))
    rows = {row.rule: row for row in gate.snapshot(ctx).rules}
    assert rows[RiskRule.OPEN_POSITIONS].level is UsageLevel.BREACH
    assert rows[RiskRule.NET_POSITION].level is UsageLevel.WARNING
    assert rows[RiskRule.NET_POSITION].usage_text == "EURUSD 1.7 lots"
    assert (
        rows[RiskRule.ORDER_VOLUME].fraction is None
        and rows[RiskRule.ORDER_VOLUME].limit_text == "off"
    )


def test_a_strategys_loss_today_starts_again_at_midnight_after_a_restart_restored_the_day() -> None:
    from app.domain.strategies import StrategyBudget

    gate, clock = _gate()
    budget = gate.budgets.set(1, StrategyBudget(max_daily_loss=50.0), "probe#1")
    # A restart: the journal gives back today's start equity and the instance's −30 today.
    gate.watch.restore(10_000.0, 10_000.0, gate.limits)
    gate.budgets.restore(1, -30.0, -30.0)
    gate.on_equity(9_970.0)
    assert budget.day_pnl == pytest.approx(-30.0)  # the first equity keeps what was restored
    clock.t = datetime(2024, 6, 4, 0, 1, tzinfo=UTC).timestamp()  # past midnight (UTC reset)
    gate.on_equity(9_970.0)
    assert budget.day_pnl == pytest.approx(0.0)
    assert budget.realized_before == pytest.approx(-30.0)  # still in its drawdown's base
