"""Property tests: whatever orders arrive, the accepted ones never break a limit.

A small in-memory model plays the broker: an accepted market order opens a
position at once (hedging account, like the paper broker), a close removes one,
and time moves on between orders. After every step the whole accepted set is
checked against every configured limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.enums import OrderSource, Side, TradingState
from app.domain.market import Tick
from app.domain.pnl import CurrencyConverter, notional, required_margin
from app.domain.risk_limits import RiskLimits, SymbolLimits
from app.domain.symbols import SymbolSpec
from app.domain.trading import AccountState, OrderRequest, Position
from app.engine.risk_gate import Book, RiskContext, RiskGate

T0 = 1_717_416_000.0  # a Monday, 12:00 UTC
EQUITY = 10_000.0
LEVERAGE = 100
SPECS = {
    "EURUSD": SymbolSpec("EURUSD", "", 5, 0.00001, 100_000, 0.01, 100, 0.01, "EUR", "USD"),
    "XAUUSD": SymbolSpec("XAUUSD", "", 2, 0.01, 100, 0.01, 100, 0.01, "XAU", "USD"),
}
PRICES = {"EURUSD": (1.08500, 1.08508), "XAUUSD": (2350.00, 2350.25)}
LIMITS = RiskLimits(
    max_order_volume=1.0,
    max_order_notional=90_000,
    max_net_volume=1.5,
    max_total_exposure=250_000,
    max_open_positions=6,
    max_working_orders=5,
    max_orders_per_second=3,
    max_orders_per_minute=8,
    min_margin_level_pct=500,
    max_daily_loss=0,
    max_drawdown_pct=0,
    symbols={"XAUUSD": SymbolLimits(max_order_volume=0.3, max_net_volume=0.5)},
)


@dataclass
class Model:
    """The broker's side of things: positions opened by accepted orders."""

    now: float = T0
    positions: list[Position] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)
    next_ticket: int = 1

    def quotes(self) -> dict[str, Tick]:
        return {s: Tick(s, int(self.now * 1000), b, a) for s, (b, a) in PRICES.items()}

    def converter(self) -> CurrencyConverter:
        return CurrencyConverter(SPECS, self.quotes())

    def margin(self) -> float:
        conv = self.converter()
        return sum(
            required_margin(p.volume, p.price_open, SPECS[p.symbol], conv, "USD", LEVERAGE)
            for p in self.positions
        )

    def context(self) -> RiskContext:
        margin = self.margin()
        account = AccountState("USD", EQUITY, EQUITY, margin, EQUITY - margin, 0, 0, LEVERAGE)
        book = Book.build(self.positions, ())
        return RiskContext(SPECS, self.quotes(), "USD", LEVERAGE, account, book)

    def fill(self, request: OrderRequest) -> None:
        bid, ask = PRICES[request.symbol]
        price = ask if request.side is Side.BUY else bid
        self.positions.append(
            Position(
                self.next_ticket,
                request.symbol,
                request.side,
                request.volume,
                price,
                price,
                0.0,
                int(self.now * 1000),
            )
        )
        self.next_ticket += 1
        self.sent.append(self.now)

    def net(self, symbol: str) -> float:
        return sum(p.side.sign * p.volume for p in self.positions if p.symbol == symbol)


def assert_within_limits(model: Model, request: OrderRequest, limits: RiskLimits) -> None:
    eps = 1e-9
    symbol = request.symbol
    assert request.volume <= limits.for_symbol(symbol, "max_order_volume") + eps
    bid, ask = PRICES[symbol]
    price = ask if request.side is Side.BUY else bid
    value = notional(request.volume, price, SPECS[symbol], model.converter(), "USD")
    assert value <= limits.max_order_notional + eps * value
    for name in SPECS:
        assert abs(model.net(name)) <= limits.for_symbol(name, "max_net_volume") + eps
    exposure = sum(
        notional(abs(model.net(n)), sum(PRICES[n]) / 2, SPECS[n], model.converter(), "USD")
        for n in SPECS
    )
    assert exposure <= limits.max_total_exposure * (1 + eps)
    assert len(model.positions) <= limits.max_open_positions
    assert sum(1 for t in model.sent if t > model.now - 1.0) <= limits.max_orders_per_second
    assert sum(1 for t in model.sent if t > model.now - 60.0) <= limits.max_orders_per_minute
    margin = model.margin()
    assert EQUITY / margin * 100 >= limits.min_margin_level_pct - eps


orders = st.tuples(
    st.sampled_from(list(SPECS)),
    st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(min_value=1, max_value=150).map(lambda n: n / 100),
    st.sampled_from([0.0, 0.0, 0.05, 0.2, 0.7, 5.0, 30.0]),  # seconds before this order
    st.booleans(),  # close the oldest position first
)


@settings(max_examples=250, deadline=None)
@given(steps=st.lists(orders, min_size=1, max_size=40))
def test_accepted_orders_never_exceed_any_limit(steps: list) -> None:  # type: ignore[type-arg]
    model = Model()
    gate = RiskGate(LIMITS, clock=lambda: model.now)
    for symbol, side, volume, wait, close_first in steps:
        model.now += wait
        if close_first and model.positions:
            oldest = model.positions[0]
            assert gate.check_close(oldest, None) is None  # closes always pass
            model.positions.pop(0)
        request = OrderRequest("c", symbol, side, volume, source=OrderSource.STRATEGY)
        if gate.admit(request, model.context()) is None:
            model.fill(request)
            assert_within_limits(model, request, LIMITS)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(orders, min_size=1, max_size=30), start=st.lists(orders, max_size=6))
def test_reducing_never_grows_or_flips_a_position(steps: list, start: list) -> None:  # type: ignore[type-arg]
    model = Model()
    for symbol, side, volume, _, _ in start:
        model.fill(OrderRequest("c", symbol, side, volume))
    relaxed = RiskLimits(
        max_orders_per_second=0,
        max_orders_per_minute=0,
        min_margin_level_pct=0,
        max_open_positions=0,
    )
    gate = RiskGate(relaxed, clock=lambda: model.now)
    gate.set_state(TradingState.REDUCING, "test", OrderSource.SYSTEM)
    for symbol, side, volume, wait, _ in steps:
        model.now += wait
        before = model.net(symbol)
        request = OrderRequest("c", symbol, side, volume)
        if gate.admit(request, model.context()) is None:
            model.fill(request)
            after = model.net(symbol)
            assert abs(after) <= abs(before) + 1e-9
            assert after == 0 or (after > 0) == (before > 0) or abs(after) < 1e-9


@settings(max_examples=100, deadline=None)
@given(steps=st.lists(orders, min_size=1, max_size=20))
def test_halted_accepts_nothing(steps: list) -> None:  # type: ignore[type-arg]
    model = Model()
    gate = RiskGate(LIMITS, clock=lambda: model.now)
    gate.halt("test", OrderSource.TICKET)
    for symbol, side, volume, wait, _ in steps:
        model.now += wait
        assert gate.admit(OrderRequest("c", symbol, side, volume), model.context()) is not None
