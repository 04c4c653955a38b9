"""What an order will do, in the words and money a trader checks before pressing Enter.

Plain Python shared by the ticket's preview line, the confirmation dialog and the
chart's line labels: the entry price it expects, the margin it will tie up and the
money at stake at the stop loss and the take profit, in the account currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.enums import OrderType, Side, TimeInForce
from app.domain.market import Tick, utc_from_msc
from app.domain.pnl import CurrencyConverter, position_profit, required_margin
from app.domain.symbols import SymbolSpec
from app.domain.trading import OrderRequest
from app.domain.validation import entry_price


@dataclass(frozen=True, slots=True)
class OrderPreview:
    """The facts of one order before it is sent. Money is ``None`` when unknown."""

    request: OrderRequest
    entry: float | None  # expected entry: the order's price, or ask/bid for market
    margin: float | None
    risk: float | None  # money lost if the stop loss is hit (positive number)
    reward: float | None  # money made if the take profit is hit
    currency: str

    def text(self, spec: SymbolSpec) -> str:
        """One line: ``BUY 0.50 EURUSD market ≈1.08512 · SL … (−54.00 USD) · …``."""
        r = self.request
        fmt = spec.format_price
        parts = [f"{r.side.upper()} {spec.format_volume(r.volume)} {r.symbol}"]
        if r.order_type is OrderType.MARKET:
            parts.append(f"market ≈{fmt(self.entry)}" if self.entry is not None else "market")
        elif r.order_type is OrderType.STOP_LIMIT and r.price is not None:
            limit = fmt(r.stop_limit) if r.stop_limit is not None else "?"
            parts.append(f"stop-limit {fmt(r.price)} → limit {limit}")
        elif r.price is not None:
            parts.append(f"{r.order_type} {fmt(r.price)}")
        line = [" ".join(parts)]
        if r.sl is not None:
            money = f" ({_money(-self.risk, self.currency)})" if self.risk is not None else ""
            line.append(f"SL {fmt(r.sl)}{money}")
        else:
            line.append("no SL")
        if r.tp is not None:
            money = f" ({_money(self.reward, self.currency)})" if self.reward is not None else ""
            line.append(f"TP {fmt(r.tp)}{money}")
        if r.order_type.is_pending and r.time_in_force is not TimeInForce.GTC:
            line.append(expiration_text(r))
        if self.margin is not None:
            line.append(f"margin {self.margin:,.2f} {self.currency}")
        if r.comment:
            line.append(f"“{r.comment}”")
        return " · ".join(line)


def expiration_text(request: OrderRequest) -> str:

    if request.time_in_force is TimeInForce.DAY:
        return "expires end of day"
    if request.time_in_force is TimeInForce.SPECIFIED and request.expiration_msc is not None:
        return f"expires {utc_from_msc(request.expiration_msc):%Y-%m-%d %H:%M} UTC"
    return "good till cancelled"


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "?"
    return f"{value:+,.2f} {currency}"


def money_at(
    side: Side,
    volume: float,
    entry: float,
    price: float,
    spec: SymbolSpec,
    converter: CurrencyConverter,
    currency: str,
) -> float | None:
    """Profit (negative: loss) of ``volume`` opened at ``entry`` and closed at ``price``."""
    try:
        return position_profit(side, volume, entry, price, spec, converter, currency)
    except ValueError:  # no quote to convert the profit currency yet
        return None


def preview_order(
    request: OrderRequest,
    spec: SymbolSpec,
    specs: Mapping[str, SymbolSpec],
    quotes: Mapping[str, Tick],
    currency: str,
    leverage: int,
) -> OrderPreview:
    """The preview of ``request`` at the current quotes (``quotes`` of every symbol)."""
    converter = CurrencyConverter(specs, quotes)
    quote = quotes.get(request.symbol)
    entry = entry_price(request, quote) if quote is not None else _pending_entry(request)
    margin = risk = reward = None
    if entry is not None:
        try:
            margin = required_margin(request.volume, entry, spec, converter, currency, leverage)
        except ValueError:
            margin = None
        if request.sl is not None:
            loss = money_at(
                request.side, request.volume, entry, request.sl, spec, converter, currency
            )
            risk = None if loss is None else -loss
        if request.tp is not None:
            reward = money_at(
                request.side, request.volume, entry, request.tp, spec, converter, currency
            )
    return OrderPreview(request, entry, margin, risk, reward, currency)


def _pending_entry(request: OrderRequest) -> float | None:
    if request.order_type is OrderType.STOP_LIMIT:
        return request.stop_limit
    return request.price if request.order_type.is_pending else None
