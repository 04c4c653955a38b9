"""The gate when its inputs cannot be trusted: a value it cannot compute is a refusal.

NaN compares false with everything, so ``value > limit`` let a NaN notional pass;
a tick stamped a year ahead made the quote's age negative, so it never went
stale. Each case here is refused with a reason that says what was wrong.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from app.domain.enums import OrderType, Side
from app.domain.market import Tick
from app.domain.risk_limits import RiskRule
from app.domain.trading import AccountState
from app.engine.risk_gate import FUTURE_TOLERANCE_S, Book, RiskContext, RiskGate
from tests.unit.test_risk_rules import OFF, SPECS, FakeClock, _ctx, _gate, _order, _pos

YEAR = 365 * 24 * 3600.0
ACCOUNT = AccountState("USD", 10_000, 10_000, 4_000, 6_000, 0, 0, 100)


def _with_quote(ctx: RiskContext, bid: float, ask: float, symbol: str = "EURUSD") -> RiskContext:
    quotes = dict(ctx.quotes)
    quotes[symbol] = replace(quotes[symbol], bid=bid, ask=ask)
    ctx.quotes = quotes
    return ctx


# -- prices that are not prices --------------------------------------------------------


@pytest.mark.parametrize(
    ("bid", "ask"),
    [
        (math.nan, 1.00002),
        (1.0, math.nan),
        (0.0, 1.00002),
        (1.0, 0.0),
        (-1.0, 1.00002),
        (1.0, -1.0),
        (math.inf, math.inf),
        (1.0002, 1.0),  # bid above ask
    ],
)
@pytest.mark.parametrize("kind", [OrderType.MARKET, OrderType.LIMIT])
def test_an_order_on_a_quote_that_is_not_a_price_is_refused(
    bid: float, ask: float, kind: OrderType
) -> None:
    gate, clock = _gate(max_order_notional=500_000)  # every other rule off
    ctx = _with_quote(_ctx(clock), bid, ask)
    price = 0.99 if kind is OrderType.LIMIT else None
    rejection = gate.check(_order(3.0, Side.BUY, order_type=kind, price=price), ctx)
    assert rejection is not None
    assert rejection.rule is RiskRule.QUOTE_CHECK
    assert rejection.message.startswith("Quote check: the EURUSD quote cannot be trusted (")
    assert "order refused" in rejection.message


def test_the_quote_check_cannot_be_switched_off() -> None:
    gate = RiskGate(OFF, clock=FakeClock())  # every limit off
    ctx = _with_quote(_ctx(FakeClock()), math.nan, math.nan)
    rejection = gate.check(_order(0.1), ctx)
    assert rejection is not None and rejection.rule is RiskRule.QUOTE_CHECK


def test_a_close_still_passes_on_a_bad_quote() -> None:
    gate, _clock = _gate(max_order_notional=500_000)
    assert gate.check_close(_pos("EURUSD", Side.BUY, 1.0), None) is None


def test_bad_ticks_do_not_poison_the_typical_spread() -> None:
    gate, clock = _gate(max_spread_multiple=5.0)
    ms = int(clock() * 1000)
    for _ in range(30):
        gate.on_tick(Tick("EURUSD", ms, 1.0, 1.00002), SPECS["EURUSD"])
    for _ in range(40):  # a burst of crossed and empty quotes outnumbering the good ones
        gate.on_tick(Tick("EURUSD", ms, 1.5, 1.0), SPECS["EURUSD"])
        gate.on_tick(Tick("EURUSD", ms, math.nan, math.nan), SPECS["EURUSD"])
    assert gate.spreads.typical("EURUSD") == pytest.approx(2.0)


# -- rules that cannot compute their value --------------------------------------------


@pytest.mark.parametrize("price", [math.nan, -0.99, 0.0, math.inf])
def test_a_pending_price_that_is_not_a_price_is_refused_by_the_notional_rule(
    price: float,
) -> None:
    gate, clock = _gate(max_order_notional=100_000)
    request = _order(3.0, Side.BUY, order_type=OrderType.LIMIT, price=price)
    rejection = gate.check(request, _ctx(clock))
    assert rejection is not None and rejection.rule is RiskRule.ORDER_NOTIONAL
    assert "cannot compute the notional" in rejection.message


@pytest.mark.parametrize("price", [math.nan, -0.99, 0.0])
def test_a_pending_price_that_is_not_a_price_is_refused_by_the_price_collar(
    price: float,
) -> None:
    gate, clock = _gate(max_price_distance_pct=5.0)
    request = _order(0.1, Side.BUY, order_type=OrderType.LIMIT, price=price)
    rejection = gate.check(request, _ctx(clock))
    assert rejection is not None and rejection.rule is RiskRule.PRICE_COLLAR
    assert "cannot compute" in rejection.message


@pytest.mark.parametrize("volume", [math.nan, -1.0, 0.0, math.inf])
def test_a_volume_that_is_not_a_volume_is_refused(volume: float) -> None:
    gate, clock = _gate(max_order_volume=5.0)
    rejection = gate.check(_order(volume), _ctx(clock))
    assert rejection is not None and rejection.rule is RiskRule.ORDER_VOLUME
    assert "is not a volume" in rejection.message


@pytest.mark.parametrize("needed", [math.nan, -500.0, math.inf])
def test_a_margin_the_broker_cannot_tell_is_a_refusal(needed: float) -> None:
    gate, clock = _gate(min_margin_level_pct=200)
    gate.margin_calculator = lambda symbol, side, volume, price: needed
    rejection = gate.check(_order(0.5), _ctx(clock, account=ACCOUNT))
    assert rejection is not None and rejection.rule is RiskRule.MARGIN_LEVEL
    assert "cannot compute the margin" in rejection.message


@pytest.mark.parametrize("field", ["equity", "margin"])
def test_an_account_that_is_not_known_is_a_refusal_for_the_margin_rule(field: str) -> None:
    gate, clock = _gate(min_margin_level_pct=200)
    account = replace(ACCOUNT, **{field: math.nan})
    rejection = gate.check(_order(0.5), _ctx(clock, account=account))
    assert rejection is not None and rejection.rule is RiskRule.MARGIN_LEVEL
    assert "cannot compute the margin level" in rejection.message


def test_exposure_that_cannot_be_valued_is_a_refusal() -> None:
    gate, clock = _gate(max_total_exposure=1_000_000)
    ctx = _with_quote(_ctx(clock, Book(net={"GBPUSD": 1.0})), math.nan, math.nan, "GBPUSD")
    rejection = gate.check(_order(0.1, Side.BUY), ctx)
    assert rejection is not None and rejection.rule is RiskRule.TOTAL_EXPOSURE
    assert "GBPUSD" in rejection.message and "cannot" in rejection.message


def test_an_equity_that_is_not_a_number_blocks_new_exposure_and_poisons_nothing() -> None:
    gate, clock = _gate(max_daily_loss=500)
    assert gate.on_equity(10_000.0) == []
    assert gate.on_equity(math.nan) == []  # nothing to say, and no halt on a bad number
    rejection = gate.check(_order(0.1, Side.BUY), _ctx(clock))
    assert rejection is not None and rejection.rule is RiskRule.DAILY_LOSS
    assert "cannot compute" in rejection.message
    assert gate.on_equity(9_900.0) == []  # a real equity again: the day started at 10,000
    assert gate.watch.day_start_equity == 10_000.0 and gate.watch.peak == 10_000.0
    assert gate.check(_order(0.1, Side.BUY), _ctx(clock)) is None


# -- the quote's time ------------------------------------------------------------------


def _tick(clock: FakeClock, ahead_s: float = 0.0, bid: float = 1.0) -> Tick:
    return Tick("EURUSD", int((clock() + ahead_s) * 1000), bid, round(bid + 0.00002, 5))


def _live(gate: RiskGate, clock: FakeClock, tick: Tick) -> RiskContext:
    """``tick`` arrives now (the engine tells the gate) and is the latest quote."""
    gate.on_tick(tick, SPECS["EURUSD"])
    ctx = _ctx(clock)
    ctx.quotes = {**ctx.quotes, "EURUSD": tick}
    return ctx


def test_a_quote_from_a_year_ahead_is_refused_as_untrustworthy() -> None:
    gate, clock = _gate(stale_quote_seconds=15)
    ctx = _live(gate, clock, _tick(clock, ahead_s=YEAR))
    for kind, price in ((OrderType.MARKET, None), (OrderType.LIMIT, 0.99)):
        rejection = gate.check(_order(0.1, Side.BUY, order_type=kind, price=price), ctx)
        assert rejection is not None and rejection.rule is RiskRule.QUOTE_CHECK
        assert "stamped 365 days ahead of the engine's clock" in rejection.message
        assert f"{FUTURE_TOLERANCE_S:g} s" in rejection.message


def test_a_quote_from_the_future_never_stays_fresh() -> None:
    """The attack: one future tick, then silence; minutes later a market order."""
    gate, clock = _gate(stale_quote_seconds=15)
    for _ in range(5):  # a live feed first: the gate knows the broker's clock
        clock.t += 0.6
        _live(gate, clock, _tick(clock))
    ctx = _live(gate, clock, _tick(clock, ahead_s=YEAR))
    clock.t += 120
    rejection = gate.check(_order(0.1), ctx)
    assert rejection is not None and rejection.rule in (RiskRule.QUOTE_CHECK, RiskRule.STALE_QUOTE)


def test_quote_age_is_measured_on_the_engines_clock() -> None:
    gate, clock = _gate(stale_quote_seconds=15)
    for _ in range(5):
        clock.t += 0.6
        ctx = _live(gate, clock, _tick(clock))
    clock.t += 15.1
    rejection = gate.check(_order(0.1), ctx)
    assert rejection is not None and rejection.rule is RiskRule.STALE_QUOTE
    assert "15.1 s old" in rejection.message


def test_a_tick_within_the_tolerance_ahead_is_accepted() -> None:
    gate, clock = _gate(stale_quote_seconds=15)
    ctx = _live(gate, clock, _tick(clock, ahead_s=FUTURE_TOLERANCE_S - 0.5))
    assert gate.check(_order(0.1), ctx) is None


def test_a_trade_server_stamping_its_own_time_zone_is_followed() -> None:
    """MetaTrader 5 servers often stamp ticks in their zone (UTC+2): that is not the future."""
    gate, clock = _gate(stale_quote_seconds=15)
    zone = 2 * 3600.0
    for _ in range(5):
        clock.t += 0.6
        ctx = _live(gate, clock, _tick(clock, ahead_s=zone))
    assert gate.check(_order(0.1), ctx) is None
    clock.t += 15.1  # and the stale guard still works on that feed
    rejection = gate.check(_order(0.1), ctx)
    assert rejection is not None and rejection.rule is RiskRule.STALE_QUOTE
    clock.t += 1
    late = _live(gate, clock, _tick(clock, ahead_s=zone + 600))  # ten minutes beyond its zone
    rejection = gate.check(_order(0.1), late)
    assert rejection is not None and rejection.rule is RiskRule.QUOTE_CHECK
    assert "10 min ahead" in rejection.message


def test_an_old_tick_delivered_late_is_stale_by_its_stamp() -> None:
    """After a reconnect the terminal may hand over the last tick of a quiet market."""
    gate, clock = _gate(stale_quote_seconds=15)
    for _ in range(5):
        clock.t += 0.6
        _live(gate, clock, _tick(clock))
    ctx = _live(gate, clock, _tick(clock, ahead_s=-600))
    rejection = gate.check(_order(0.1), ctx)
    assert rejection is not None and rejection.rule is RiskRule.STALE_QUOTE
