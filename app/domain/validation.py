"""Order validation against the symbol spec and the current quote.

Shared by every path that creates orders. Returns problems as sentences a trader
reads, never raises on bad input.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain.enums import OrderType, Side, TimeInForce
from app.domain.market import Tick
from app.domain.symbols import SymbolSpec
from app.domain.trading import OrderRequest, Position, WorkingOrder


def entry_price(request: OrderRequest, quote: Tick) -> float:
    """The price an order would open at: its own price if pending, else ask/bid.

    A stop-limit opens at its limit price (the stop price only places the limit).
    """
    if request.order_type is OrderType.STOP_LIMIT and request.stop_limit is not None:
        return request.stop_limit
    if request.order_type.is_pending and request.price is not None:
        return request.price
    return quote.ask if request.side is Side.BUY else quote.bid


def order_problems(
    request: OrderRequest, spec: SymbolSpec, quote: Tick | None, *, now_msc: int | None = None
) -> list[str]:
    """Everything wrong with ``request``; an empty list means it may be sent.

    ``now_msc`` dates the expiration check; without it the quote's time is used.
    """
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
        elif request.order_type is OrderType.STOP_LIMIT and request.stop_limit is not None:
            limit = request.stop_limit
            if (lp := spec.price_problem(limit, "Limit price")) is not None:
                problems.append(lp)
            elif request.price is not None and (sp := _stop_limit_problem(request, spec)):
                problems.append(sp)
    problems.extend(_expiration_problems(request, quote, now_msc))
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


def _stop_limit_problem(request: OrderRequest, spec: SymbolSpec) -> str | None:
    """A buy stop-limit places a buy limit below its stop price; a sell one above it."""
    assert request.price is not None and request.stop_limit is not None
    fmt = spec.format_price
    if request.side is Side.BUY and request.stop_limit > request.price:
        return (
            f"The limit price {fmt(request.stop_limit)} of a buy stop-limit must not be "
            f"above its stop price {fmt(request.price)}"
        )
    if request.side is Side.SELL and request.stop_limit < request.price:
        return (
            f"The limit price {fmt(request.stop_limit)} of a sell stop-limit must not be "
            f"below its stop price {fmt(request.price)}"
        )
    return None


def _expiration_problems(
    request: OrderRequest, quote: Tick | None, now_msc: int | None
) -> list[str]:
    tif = request.time_in_force
    if tif is TimeInForce.GTC:
        return []
    if not request.order_type.is_pending:
        return [f"Only pending orders expire; a market order cannot be '{tif}'"]
    if tif is TimeInForce.DAY:
        return []
    if request.expiration_msc is None:
        return ["An order that expires at a set time needs that time"]
    now = now_msc if now_msc is not None else (quote.time_msc if quote else None)
    if now is not None and request.expiration_msc <= now:
        when = datetime.fromtimestamp(request.expiration_msc / 1000, tz=UTC)
        return [f"Expiration {when:%Y-%m-%d %H:%M} UTC is already past"]
    return []


def _distance_problem(
    value: float, ref: float, spec: SymbolSpec, what: str, ref_label: str
) -> str | None:
    """``value`` must be at least the stops level away from ``ref``."""
    min_distance = spec.stops_level * spec.point
    if min_distance > 0 and abs(value - ref) < min_distance - spec.point * 1e-6:
        fmt = spec.format_price
        return (
            f"{what} {fmt(value)} is closer than the broker's minimum of "
            f"{spec.stops_level} points from the {ref_label} {fmt(ref)}"
        )
    return None


def _wrong_side(
    value: float, ref: float, loss: bool, side: Side, what: str, label: str, spec: SymbolSpec
) -> str | None:
    """A stop on the wrong side of ``ref``: for a buy the stop loss is below, the take profit above."""
    below = loss == (side is Side.BUY)
    if below and value >= ref:
        where = "below"
    elif not below and value <= ref:
        where = "above"
    else:
        return None
    fmt = spec.format_price
    return f"{what} {fmt(value)} must be {where} the {label} {fmt(ref)} for a {side}"


def _frozen(price: float, market: float, spec: SymbolSpec) -> bool:
    """Within the freeze level of the market the broker refuses to modify or cancel."""
    freeze = spec.freeze_level * spec.point
    return freeze > 0 and abs(price - market) < freeze - spec.point * 1e-6


def modify_position_problems(
    position: Position, sl: float | None, tp: float | None, spec: SymbolSpec, quote: Tick | None
) -> list[str]:
    """Everything wrong with new stops for an open position; empty means send.

    Both stops are measured from the price the position closes at (bid for a buy),
    as MT5 does; neither may be inside the stops level, and a stop already within
    the freeze level of the market cannot be moved.
    """
    problems: list[str] = []
    for value, what in ((sl, "Stop loss"), (tp, "Take profit")):
        if value is not None and (pp := spec.price_problem(value, what)) is not None:
            problems.append(pp)
    if problems:
        return problems
    if quote is None:
        return [f"No price yet for {spec.name}; wait for the first quote"]
    ref = quote.bid if position.side is Side.BUY else quote.ask
    label = "bid" if position.side is Side.BUY else "ask"
    fmt = spec.format_price
    for value, old, what, loss in (
        (sl, position.sl, "Stop loss", True),
        (tp, position.tp, "Take profit", False),
    ):
        if old is not None and value != old and _frozen(old, ref, spec):
            problems.append(
                f"{what} {fmt(old)} is within the freeze level of {spec.freeze_level} points "
                f"from the market and cannot be moved now"
            )
            continue
        if value is None:
            continue
        if (wrong := _wrong_side(value, ref, loss, position.side, what, label, spec)) is not None:
            problems.append(wrong)
        elif (dp := _distance_problem(value, ref, spec, what, label)) is not None:
            problems.append(dp)
    return problems


def modify_order_problems(
    order: WorkingOrder,
    price: float,
    sl: float | None,
    tp: float | None,
    spec: SymbolSpec,
    quote: Tick | None,
) -> list[str]:
    """Everything wrong with moving a working order; empty means send.

    The moved order must pass every rule a new one would; an order already within
    the freeze level of the market cannot be changed.
    """
    if quote is not None:
        market = quote.ask if order.side is Side.BUY else quote.bid
        if _frozen(order.price, market, spec):
            return [
                f"Order #{order.ticket} at {spec.format_price(order.price)} is within the freeze "
                f"level of {spec.freeze_level} points from the market and cannot be changed now"
            ]
    request = OrderRequest(
        client_id=order.client_id,
        symbol=order.symbol,
        side=order.side,
        volume=order.volume,
        order_type=order.order_type,
        price=price,
        stop_limit=order.stop_limit,
        sl=sl,
        tp=tp,
    )
    return order_problems(request, spec, quote)


def cancel_problems(order: WorkingOrder, spec: SymbolSpec, quote: Tick | None) -> list[str]:
    """A working order within the freeze level of the market cannot be cancelled."""
    if quote is None:
        return []
    market = quote.ask if order.side is Side.BUY else quote.bid
    if _frozen(order.price, market, spec):
        return [
            f"Order #{order.ticket} at {spec.format_price(order.price)} is within the freeze "
            f"level of {spec.freeze_level} points from the market and cannot be cancelled now"
        ]
    return []


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
    problem = _distance_problem(request.price, market, spec, "Order price", "market")
    return [problem] if problem else []


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
        if (
            wrong := _wrong_side(value, ref, loss_side, request.side, what, label, spec)
        ) is not None:
            problems.append(wrong)
        elif min_distance > 0 and abs(value - ref) < min_distance - spec.point * 1e-6:
            problems.append(
                f"{what} {fmt(value)} is closer than the broker's minimum of "
                f"{spec.stops_level} points from {fmt(ref)}"
            )
    return problems
