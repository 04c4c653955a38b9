"""Order validation against the symbol spec and the current quote.

Shared by every path that creates orders. Returns problems as sentences a trader
reads, never raises on bad input.
"""

from __future__ import annotations

from app.domain.enums import OrderType, Side
from app.domain.events import OrderRequest, Tick
from app.domain.symbols import SymbolSpec


def entry_price(request: OrderRequest, quote: Tick) -> float:
    """The price an order would open at: its own price if pending, else ask/bid."""
    if request.order_type.is_pending and request.price is not None:
        return request.price
    return quote.ask if request.side is Side.BUY else quote.bid


def order_problems(request: OrderRequest, spec: SymbolSpec, quote: Tick | None) -> list[str]:
    """Everything wrong with ``request``; an empty list means it may be sent."""
    problems: list[str] = []
    if (vp := spec.volume_problem(request.volume)) is not None:
        problems.append(vp)

    if request.order_type.is_pending:
        if request.price is None:
            problems.append(f"A {request.order_type} order needs a price")
        elif (pp := spec.price_problem(request.price, "Order price")) is not None:
            problems.append(pp)
        if request.order_type is OrderType.STOP_LIMIT and request.stop_limit is None:
            problems.append("A stop-limit order needs a limit price after the stop price")
    for value, what in ((request.sl, "Stop loss"), (request.tp, "Take profit")):
        if value is not None and (pp := spec.price_problem(value, what)) is not None:
            problems.append(pp)
    if problems:
        return problems

    if quote is None:
        return [f"No price yet for {spec.name}; wait for the first quote"]
    problems.extend(_pending_price_side(request, spec, quote))
    problems.extend(_stops_side(request, spec, quote))
    return problems


def _pending_price_side(request: OrderRequest, spec: SymbolSpec, quote: Tick) -> list[str]:
    if not request.order_type.is_pending or request.price is None:
        return []
    market = quote.ask if request.side is Side.BUY else quote.bid
    fmt = spec.format_price
    below_market = request.price < market
    kind = request.order_type
    # A buy limit / sell stop rests below the market; a buy stop / sell limit above it.
    wants_below = (kind is OrderType.LIMIT) == (request.side is Side.BUY)
    if wants_below and not below_market:
        return [
            f"A {request.side} {kind} must be below the market "
            f"({fmt(market)}), not at {fmt(request.price)}"
        ]
    if not wants_below and request.price <= market:
        return [
            f"A {request.side} {kind} must be above the market "
            f"({fmt(market)}), not at {fmt(request.price)}"
        ]
    return []


def _stops_side(request: OrderRequest, spec: SymbolSpec, quote: Tick) -> list[str]:
    entry = entry_price(request, quote)
    fmt = spec.format_price
    min_distance = spec.stops_level * spec.point
    # A market position is marked and stopped at its closing price (bid for a buy), so
    # its stop loss is measured from there, as MT5 does; measured from the entry, an SL
    # inside the spread passes and then triggers on the next tick.
    sl_ref, sl_label = entry, "entry"
    if not request.order_type.is_pending:
        sl_label = "bid" if request.side is Side.BUY else "ask"
        sl_ref = quote.bid if request.side is Side.BUY else quote.ask
    problems: list[str] = []
    for value, what, loss_side, ref, label in (
        (request.sl, "Stop loss", True, sl_ref, sl_label),
        (request.tp, "Take profit", False, entry, "entry"),
    ):
        if value is None:
            continue
        # For a buy the stop loss is below the entry and the take profit above it.
        should_be_below = loss_side == (request.side is Side.BUY)
        if should_be_below and value >= ref:
            problems.append(
                f"{what} {fmt(value)} must be below the {label} {fmt(ref)} for a {request.side}"
            )
        elif not should_be_below and value <= ref:
            problems.append(
                f"{what} {fmt(value)} must be above the {label} {fmt(ref)} for a {request.side}"
            )
        elif min_distance > 0 and abs(value - ref) < min_distance - spec.point * 1e-6:
            problems.append(
                f"{what} {fmt(value)} is closer than the broker's minimum of "
                f"{spec.stops_level} points from {fmt(ref)}"
            )
    return problems
