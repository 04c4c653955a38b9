"""MetaTrader 5 result tuples turned into our domain objects.

Reads fields by name (the package's named tuples), never by position, and turns
MT5's "0.0 means none" for SL/TP into ``None``.
"""

from __future__ import annotations

from typing import Any

from app.brokers.mt5 import mapping as m
from app.domain.enums import OrderType, Side
from app.domain.market import Tick
from app.domain.symbols import SymbolSpec
from app.domain.trading import AccountState, Fill, Position, WorkingOrder

# ENUM_ORDER_TYPE values: 0 BUY, 1 SELL, 2/3 BUY/SELL LIMIT, 4/5 STOP, 6/7 STOP LIMIT.
ORDER_TYPE_CODES: dict[tuple[Side, OrderType], int] = {
    (Side.BUY, OrderType.MARKET): 0,
    (Side.SELL, OrderType.MARKET): 1,
    (Side.BUY, OrderType.LIMIT): 2,
    (Side.SELL, OrderType.LIMIT): 3,
    (Side.BUY, OrderType.STOP): 4,
    (Side.SELL, OrderType.STOP): 5,
    (Side.BUY, OrderType.STOP_LIMIT): 6,
    (Side.SELL, OrderType.STOP_LIMIT): 7,
}
ORDER_TYPES_BY_CODE = {code: key for key, code in ORDER_TYPE_CODES.items()}


def _level(value: float) -> float | None:
    return float(value) if value else None


def spec_from_info(info: Any) -> SymbolSpec:
    """A ``SymbolSpec`` from ``symbol_info()``; MT5 symbols may lack currencies (indices)."""
    return SymbolSpec(
        name=info.name,
        description=info.description or info.name,
        digits=int(info.digits),
        point=float(info.point),
        contract_size=float(info.trade_contract_size),
        volume_min=float(info.volume_min),
        volume_max=float(info.volume_max),
        volume_step=float(info.volume_step) or 0.01,
        base_currency=info.currency_base or info.currency_profit,
        profit_currency=info.currency_profit,
        tick_size=float(info.trade_tick_size),
        stops_level=int(info.trade_stops_level),
        freeze_level=int(info.trade_freeze_level),
        tick_value=float(info.trade_tick_value),
        trade_mode=m.TRADE_MODE_NAMES.get(int(info.trade_mode), "disabled"),
        filling_modes=m.filling_names(int(info.filling_mode)),
        order_modes=m.order_mode_names(int(info.order_mode)),
    )


def tick_from(symbol: str, tick: Any) -> Tick:
    """A ``Tick`` from a ``Tick`` tuple or a row of a ``copy_ticks_*`` array."""
    return Tick(
        symbol,
        int(tick["time_msc"] if not hasattr(tick, "time_msc") else tick.time_msc),
        float(tick["bid"] if not hasattr(tick, "bid") else tick.bid),
        float(tick["ask"] if not hasattr(tick, "ask") else tick.ask),
        float(tick["last"] if not hasattr(tick, "last") else tick.last),
        float(tick["volume_real"] if not hasattr(tick, "volume_real") else tick.volume_real),
    )


def position_from(p: Any, base_magic: int) -> Position:
    return Position(
        ticket=int(p.ticket),
        symbol=p.symbol,
        side=Side.BUY if p.type == 0 else Side.SELL,
        volume=float(p.volume),
        price_open=float(p.price_open),
        price_current=float(p.price_current),
        profit=float(p.profit),
        time_msc=int(p.time_msc),
        sl=_level(p.sl),
        tp=_level(p.tp),
        swap=float(p.swap),
        comment=p.comment,
        owner=m.owner_of(int(p.magic), base_magic),
    )


def working_order_from(o: Any, base_magic: int) -> WorkingOrder | None:
    """A pending order; ``None`` for kinds we do not show (close-by, market in flight)."""
    kind = ORDER_TYPES_BY_CODE.get(int(o.type))
    if kind is None or kind[1] is OrderType.MARKET:
        return None
    side, order_type = kind
    return WorkingOrder(
        ticket=int(o.ticket),
        client_id=o.comment,
        symbol=o.symbol,
        side=side,
        order_type=order_type,
        volume=float(o.volume_current),
        price=float(o.price_open),
        time_msc=int(o.time_setup_msc),
        sl=_level(o.sl),
        tp=_level(o.tp),
        stop_limit=_level(o.price_stoplimit),
        owner=m.owner_of(int(o.magic), base_magic),
    )


def fill_from_deal(deal: Any, client_id: str, base_magic: int) -> Fill:
    """A ``Fill`` from a ``TradeDeal``; entries OUT, INOUT and OUT_BY close (part of) one."""
    closes = int(deal.entry) != m.DEAL_ENTRY_IN
    return Fill(
        client_id=client_id,
        deal_ticket=int(deal.ticket),
        position_ticket=int(deal.position_id),
        symbol=deal.symbol,
        side=Side.BUY if deal.type == 0 else Side.SELL,
        volume=float(deal.volume),
        price=float(deal.price),
        time_msc=int(deal.time_msc),
        closes_position=closes,
        realized_pnl=float(deal.profit)
        + float(deal.commission)
        + float(deal.swap)
        + float(deal.fee),
        reason=m.DEAL_REASON_WORDS.get(int(deal.reason), "client"),
        owner=m.owner_of(int(deal.magic), base_magic),
        commission=float(deal.commission),
    )


def account_from(a: Any) -> AccountState:
    return AccountState(
        currency=a.currency,
        balance=float(a.balance),
        equity=float(a.equity),
        margin=float(a.margin),
        free_margin=float(a.margin_free),
        floating_pnl=float(a.profit),
        day_pnl=0.0,  # the engine's portfolio counts today's realised P&L itself
        leverage=int(a.leverage),
    )
