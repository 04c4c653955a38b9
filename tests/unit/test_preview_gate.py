"""The window's preview says what the engine's gate says: the same rules on its snapshot.

For each rule the window can judge, the gate checks an order against its state
and the desk model, fed the gate's snapshot and the same book, refuses it (or
passes it) with the same sentence. No Qt.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.domain.commands import ReversePosition, SubmitOrder
from app.domain.enums import OrderSource, OrderType, Side
from app.domain.frame import MarketFrame
from app.domain.market import Tick
from app.domain.risk_limits import RiskLimits, TradingHours
from app.domain.trading import AccountState, OrderRequest, Position, WorkingOrder
from app.engine.risk_gate import Book, RiskContext, RiskGate
from app.ui.desk.gate import refusal
from app.ui.desk.model import DeskModel
from tests.specs import fx_spec

MONDAY_NOON = datetime(2024, 6, 3, 12, 0, tzinfo=UTC).timestamp()
SPECS = [fx_spec("EURUSD"), fx_spec("GBPUSD")]
QUOTES = {s.name: Tick(s.name, int(MONDAY_NOON * 1000), 1.10000, 1.10002) for s in SPECS}
POSITIONS = (Position(7, "EURUSD", Side.BUY, 2.0, 1.1, 1.1, 0.0, 0),)
ORDERS = (WorkingOrder(8, "o", "GBPUSD", Side.SELL, OrderType.LIMIT, 1.0, 1.12, 0),)
ACCOUNT = AccountState("USD", 10_000, 9_900, 4_400, 5_500, -100, -100, 100)


def judged(limits: RiskLimits, request: OrderRequest, *, halt: bool = False, equity_path=()):  # type: ignore[no-untyped-def]
    """(the gate's refusal, the preview's refusal) of ``request``, each ``None`` if it passes."""
    gate = RiskGate(limits, clock=lambda: MONDAY_NOON)
    for equity in equity_path:  # the day's equity so far: the loss limits' usage
        gate.on_equity(equity)
    if halt:
        gate.halt("kill switch", OrderSource.MENU)
    ctx = RiskContext(
        {s.name: s for s in SPECS},
        QUOTES,
        "USD",
        100,
        ACCOUNT,
        Book.build(POSITIONS, ORDERS),
        POSITIONS,
        ORDERS,
    )
    engine = gate.check(request, ctx)
    model = DeskModel()
    model.set_symbols(SPECS)
    model.apply_frame(MarketFrame(1, QUOTES, {}, 1, POSITIONS, ORDERS, ACCOUNT, gate.snapshot(ctx)))
    window = refusal([SubmitOrder(request)], model, MONDAY_NOON)
    return (
        engine.message if engine else None,
        window.message if window else None,
    )


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


def buy(volume: float, symbol: str = "EURUSD", **fields: object) -> OrderRequest:
    return OrderRequest("c", symbol, Side.BUY, volume, **fields)  # type: ignore[arg-type]


CASES = {
    "volume over": (replace(OFF, max_order_volume=5), buy(6)),
    "volume at the limit": (replace(OFF, max_order_volume=5), buy(5)),
    "notional over": (replace(OFF, max_order_notional=200_000), buy(2)),
    "net position over": (replace(OFF, max_net_volume=3), buy(1.5)),
    "total exposure over": (replace(OFF, max_total_exposure=400_000), buy(2)),
    "open positions": (replace(OFF, max_open_positions=1), buy(0.1)),
    "working orders": (
        replace(OFF, max_working_orders=1),
        buy(0.1, order_type=OrderType.LIMIT, price=1.09),
    ),
    "price collar": (
        replace(OFF, max_price_distance_pct=1),
        buy(0.1, order_type=OrderType.LIMIT, price=1.05),
    ),
    "allowed symbols": (replace(OFF, allowed_symbols=("GBPUSD",)), buy(0.1)),
    "trading hours": (
        replace(OFF, trading_hours=TradingHours.parse({"monday": ["14:00-16:00"]})),
        buy(0.1),
    ),
    "margin level": (replace(OFF, min_margin_level_pct=200), buy(1)),
    "everything passes": (RiskLimits(), buy(0.1)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_preview_refuses_exactly_what_the_gate_refuses(case: str) -> None:
    limits, request = CASES[case]
    engine, window = judged(limits, request)
    assert window == engine
    assert (engine is None) == (case in ("volume at the limit", "everything passes"))


def test_halted_and_a_reached_loss_limit_read_the_same_from_the_snapshot() -> None:
    halted = judged(RiskLimits(), buy(0.1), halt=True)
    assert halted[0] is not None and halted[0].startswith("Trading is HALTED (kill switch)")
    assert halted[1] == halted[0]
    # A daily loss over its limit: the gate halts itself, and says so the same way.
    limits = replace(OFF, max_daily_loss=50)
    lost = judged(limits, buy(0.1), equity_path=(10_000, 9_940))
    assert lost[0] is not None and "HALTED" in lost[0] and lost[1] == lost[0]


def test_a_reverse_is_judged_by_its_opening_leg() -> None:
    model = DeskModel()
    model.set_symbols(SPECS)
    gate = RiskGate(replace(OFF, max_order_volume=1), clock=lambda: MONDAY_NOON)
    ctx = RiskContext(
        {s.name: s for s in SPECS}, QUOTES, "USD", 100, ACCOUNT, Book.build(POSITIONS, ())
    )
    model.apply_frame(MarketFrame(1, QUOTES, {}, 1, POSITIONS, (), ACCOUNT, gate.snapshot(ctx)))
    problem = refusal([ReversePosition(7)], model, MONDAY_NOON)
    assert problem is not None
    assert problem.message == "Max volume per order: 2 lots exceeds the limit of 1 lots for EURUSD"
