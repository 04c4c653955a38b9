"""The risk gate's rules as plain functions of what they read: one answer, two readers.

The engine's ``RiskGate`` keeps what the rules read about the gate itself (the
trading state, the orders sent in the last second and minute, the typical
spreads, the day's loss and drawdown) and is the authority: it runs these
rules on every order. The window's order desk runs the same rules on the
engine's latest ``RiskSnapshot`` to say, before any dialog, what the gate will
say — the same words, because they are the same functions.

Everything a rule reads is given to it: a ``RiskContext`` (specs, quotes,
account, and a ``Book`` summarising positions and working orders) and a
``GateReading``. So each rule is tested at its boundary with hand-made inputs.

Design choices, documented for the trader (see also ``app/engine/risk_gate.py``):

* Net position and total exposure are **worst case**: working orders are counted
  as if every one on the side that grows the position filled.
* Total exposure is the sum over symbols of |net lots| × contract × mid, in the
  account currency (hedged lots of one symbol offset each other).
* Closes reduce risk, so they pass in every state; only a close larger than the
  position is refused (that would open the other way).
* A value a rule cannot compute is a refusal, never a pass: NaN compares false
  with everything, so every rule checks that what it measures is a finite number
  of the right sign before comparing it with its limit (``over`` is written as
  "not within", so even a NaN that slipped past is over every limit).
* The quote check, which no setting switches off, comes first: a quote that is
  not a price (not finite, not positive, bid above ask), or whose stamp the
  engine cannot trust (``GateReading.quote_distrust``), refuses every new order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.domain.enums import OrderType, Side, TradingState
from app.domain.market import Tick
from app.domain.pnl import CurrencyConverter, notional, required_margin
from app.domain.risk_facts import Rejection
from app.domain.risk_limits import WEEKDAYS, RiskLimits, RiskRule
from app.domain.symbols import SymbolSpec
from app.domain.trading import AccountState, OrderRequest, Position, WorkingOrder
from app.domain.validation import entry_price

MarginCalculator = Callable[[str, Side, float, float], float | None]
"""``(symbol, side, volume, price) -> margin`` in the account currency, or ``None``
when it cannot tell. The seam for a broker's own margin calculation (MT5's
``order_calc_margin``); without one the rules use the domain's leverage formula."""

EPS = 1e-9


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Book:
    """Positions and working orders boiled down to what the rules need."""

    net: Mapping[str, float] = field(default_factory=dict)  # signed lots, + long
    pending_buy: Mapping[str, float] = field(default_factory=dict)
    pending_sell: Mapping[str, float] = field(default_factory=dict)
    open_positions: int = 0
    working_orders: int = 0

    @classmethod
    def build(cls, positions: Iterable[Position], orders: Iterable[WorkingOrder]) -> Book:
        net: dict[str, float] = {}
        count = 0
        for p in positions:
            net[p.symbol] = net.get(p.symbol, 0.0) + p.side.sign * p.volume
            count += 1
        buy: dict[str, float] = {}
        sell: dict[str, float] = {}
        n_orders = 0
        for o in orders:
            side = buy if o.side is Side.BUY else sell
            side[o.symbol] = side.get(o.symbol, 0.0) + o.volume
            n_orders += 1
        return cls(net, buy, sell, count, n_orders)

    def worst_net(self, symbol: str, extra: float = 0.0) -> float:
        """|net lots| if every working order that grows the position filled (+ ``extra``)."""
        n = self.net.get(symbol, 0.0) + extra
        return max(
            abs(n + self.pending_buy.get(symbol, 0.0)), abs(n - self.pending_sell.get(symbol, 0.0))
        )

    @property
    def symbols(self) -> set[str]:
        return set(self.net) | set(self.pending_buy) | set(self.pending_sell)


@dataclass(slots=True)
class RiskContext:
    """What the rules read about the account; the engine (or the window) keeps it current."""

    specs: Mapping[str, SymbolSpec]
    quotes: Mapping[str, Tick]
    currency: str
    leverage: int
    account: AccountState | None = None
    book: Book = field(default_factory=Book)
    # The book itself, for the strategy budgets (which count an instance's own).
    positions: tuple[Position, ...] = ()
    orders: tuple[WorkingOrder, ...] = ()

    def converter(self) -> CurrencyConverter:
        return CurrencyConverter(self.specs, self.quotes)


def _no_spread(_symbol: str) -> float | None:
    return None


@dataclass(frozen=True, slots=True)
class GateReading:
    """What the rules read about the gate itself, besides the account.

    ``typical_spread`` is the median of recent spreads in points (``None`` until
    enough ticks were seen: the collar waits). ``quote_age`` is how old a quote
    is in seconds (``None``: the stale-quote guard is the engine's alone, since
    only the engine's clock measures it).
    """

    limits: RiskLimits
    now: float  # seconds since the epoch, UTC: trading hours
    state: TradingState = TradingState.ACTIVE
    reason: str = "trading normally"
    daily_loss: float = 0.0  # money lost since the trading day began
    drawdown_pct: float = 0.0  # fall from the equity peak, percent
    orders_last_second: int = 0
    orders_last_minute: int = 0
    typical_spread: Callable[[str], float | None] = _no_spread
    quote_age: Callable[[Tick], float] | None = None
    margin_calculator: MarginCalculator | None = None
    # False while the account's equity is not a number: the loss limits cannot be
    # computed, so new exposure is refused.
    equity_known: bool = True
    # Why a quote's time stamp cannot be trusted (from the future), or None; only the
    # engine's clock can tell, so the window leaves it out.
    quote_distrust: Callable[[Tick], str | None] | None = None

    def loss_fractions(self) -> dict[RiskRule, float]:
        return loss_fractions(
            self.limits, self.daily_loss, self.drawdown_pct, known=self.equity_known
        )

    def loss_text(self, rule: RiskRule, ccy: str) -> str:
        if rule is RiskRule.DAILY_LOSS:
            loss = money(self.daily_loss, ccy)
            return f"loss today {loss} of {self.limits.max_daily_loss:,.2f}"
        return f"drawdown {self.drawdown_pct:.2f} % of {self.limits.max_drawdown_pct:g} %"


# --------------------------------------------------------------------------- words


def over(value: float, limit: float) -> bool:
    """A limit of 0 is off; ``value`` at the limit passes, just over it does not.

    Written as "not within" so that a NaN, which compares false with everything,
    is over every limit: the rules check their values first and say why, this is
    the last line.
    """
    return limit > 0 and not value <= limit + EPS * max(1.0, limit)


def measurable(value: float | None) -> bool:
    """A measure the rules can compare: a finite number, not below zero."""
    return value is not None and math.isfinite(value) and value >= 0


def quote_fault(quote: Tick) -> str | None:
    """Why ``quote`` is not a price, or None."""
    bid, ask = quote.bid, quote.ask
    if not (math.isfinite(bid) and math.isfinite(ask) and bid > 0 and ask > 0):
        return f"bid {bid:g}, ask {ask:g}: not a price"
    if bid > ask:
        return f"bid {bid:g} is above ask {ask:g}"
    return None


def lots(value: float) -> str:
    return f"{value:g} lots"


def money(value: float, ccy: str) -> str:
    return f"{value:,.2f} {ccy}"


def no_rate(symbol: str, ccy: str) -> Rejection:
    return Rejection(
        RiskRule.TOTAL_EXPOSURE,
        f"Cannot value {symbol} in {ccy}: no quote to convert it; order refused",
        symbol,
    )


def loss_fractions(
    limits: RiskLimits, daily_loss: float, drawdown_pct: float, *, known: bool = True
) -> dict[RiskRule, float]:
    """How much of each loss limit is used (1.0: reached); rules switched off are left out.

    NaN for each limit that is on while the equity is not ``known``.
    """
    out: dict[RiskRule, float] = {}
    if limits.max_daily_loss > 0:
        out[RiskRule.DAILY_LOSS] = daily_loss / limits.max_daily_loss if known else math.nan
    if limits.max_drawdown_pct > 0:
        out[RiskRule.DRAWDOWN] = drawdown_pct / limits.max_drawdown_pct if known else math.nan
    return out


# --------------------------------------------------------------------------- the rules


def check_order(request: OrderRequest, ctx: RiskContext, gate: GateReading) -> Rejection | None:
    """The first rule ``request`` breaks, in the gate's order, or ``None``."""
    symbol = request.symbol
    spec = ctx.specs.get(symbol)
    quote = ctx.quotes.get(symbol)
    if spec is None or quote is None:
        return Rejection(RiskRule.SYMBOLS, f"No price for {symbol}: cannot check risk", symbol)
    problem = quote_problem(quote, gate)
    if problem is not None:
        return problem
    problem = state_problem(request, ctx, gate)
    if problem is not None:
        return problem
    for check in (market_problem, size_problem, exposure_problem):
        problem = check(request, spec, quote, ctx, gate)
        if problem is not None:
            return problem
    return rate_problem(symbol, gate)


def check_close(position: Position, volume: float | None) -> Rejection | None:
    """Closes pass in every state; only one larger than the position is refused."""
    if volume is not None and volume > position.volume + EPS:
        return Rejection(
            RiskRule.TRADING_STATE,
            f"Close of {lots(volume)} is larger than position #{position.ticket} "
            f"({lots(position.volume)}); it would open the other way",
            position.symbol,
        )
    return None


def quote_problem(quote: Tick, gate: GateReading) -> Rejection | None:
    """Any new order needs a quote that is a price and whose stamp can be trusted."""
    why = quote_fault(quote)
    if why is None and gate.quote_distrust is not None:
        why = gate.quote_distrust(quote)
    if why is None:
        return None
    return Rejection(
        RiskRule.QUOTE_CHECK,
        f"Quote check: the {quote.symbol} quote cannot be trusted ({why}); order refused",
        quote.symbol,
    )


def reduces(request: OrderRequest, net: float) -> bool:
    """A market order against the net lots held in its symbol, no larger: what REDUCING
    lets through (the account's, or a strategy instance's own). A pending order might
    fill after the position is gone, so it never counts as reducing."""
    return (
        not request.order_type.is_pending
        and abs(net) > EPS
        and (request.side.sign > 0) != (net > 0)
        and request.volume <= abs(net) + EPS
    )


def state_problem(request: OrderRequest, ctx: RiskContext, gate: GateReading) -> Rejection | None:
    symbol = request.symbol
    if gate.state is TradingState.HALTED:
        return Rejection(
            RiskRule.TRADING_STATE,
            f"Trading is HALTED ({gate.reason}): only closes and cancels are allowed",
            symbol,
        )
    if gate.state is TradingState.REDUCING:
        net = ctx.book.net.get(symbol, 0.0)
        if not reduces(request, net):
            return Rejection(
                RiskRule.TRADING_STATE,
                f"Trading is REDUCING ({gate.reason}): only market orders that reduce "
                f"the net position are allowed; net {symbol} is {net:+g} lots, "
                f"a {request.side} of {lots(request.volume)} would not reduce it",
                symbol,
            )
    return None


def market_problem(
    request: OrderRequest, spec: SymbolSpec, quote: Tick, ctx: RiskContext, gate: GateReading
) -> Rejection | None:
    limits, symbol = gate.limits, request.symbol
    if limits.allowed_symbols and symbol not in limits.allowed_symbols:
        return Rejection(
            RiskRule.SYMBOLS,
            f"Allowed symbols: {symbol} is not in the list ({', '.join(limits.allowed_symbols)})",
            symbol,
        )
    when = datetime.fromtimestamp(gate.now, UTC)
    if not limits.trading_hours.is_open(when):
        day = when.weekday()
        return Rejection(
            RiskRule.TRADING_HOURS,
            f"Trading hours: {when:%H:%M} UTC on {WEEKDAYS[day].capitalize()} is outside "
            f"the allowed hours ({limits.trading_hours.describe(day)} UTC)",
            symbol,
        )
    fmt = spec.format_price
    if request.order_type is OrderType.MARKET:
        if gate.quote_age is not None:
            age = gate.quote_age(quote)
            if over(age, limits.stale_quote_seconds):
                return Rejection(
                    RiskRule.STALE_QUOTE,
                    f"Stale quote guard: the last {symbol} price is {age:.1f} s old, "
                    f"older than the limit of {limits.stale_quote_seconds:g} s",
                    symbol,
                )
        spread = (quote.ask - quote.bid) / spec.point
        max_points = limits.for_symbol(symbol, "max_spread_points")
        if over(spread, max_points):
            return Rejection(
                RiskRule.SPREAD_COLLAR,
                f"Spread collar: the {symbol} spread of {spread:.0f} points exceeds "
                f"the limit of {max_points:g} points",
                symbol,
            )
        typical = gate.typical_spread(symbol)
        if typical is not None and typical > 0:
            multiple = spread / typical
            if over(multiple, limits.max_spread_multiple):
                return Rejection(
                    RiskRule.SPREAD_COLLAR,
                    f"Spread collar: the {symbol} spread of {spread:.0f} points is "
                    f"{multiple:.1f}× the typical {typical:.0f}, above the limit of "
                    f"{limits.max_spread_multiple:g}×",
                    symbol,
                )
    elif request.price is not None and limits.max_price_distance_pct > 0:
        market = quote.ask if request.side is Side.BUY else quote.bid
        if not (math.isfinite(request.price) and request.price > 0):
            return Rejection(
                RiskRule.PRICE_COLLAR,
                f"Price collar: cannot compute the distance from the market of a "
                f"{request.order_type} at {request.price:g}, which is not a price; "
                f"order refused",
                symbol,
            )
        distance = abs(request.price - market) / market * 100
        if over(distance, limits.max_price_distance_pct):
            return Rejection(
                RiskRule.PRICE_COLLAR,
                f"Price collar: {request.side} {request.order_type} at "
                f"{fmt(request.price)} is {distance:.2f} % from the market {fmt(market)}, "
                f"beyond the limit of {limits.max_price_distance_pct:g} % for {symbol}",
                symbol,
            )
    return None


def size_problem(
    request: OrderRequest, spec: SymbolSpec, quote: Tick, ctx: RiskContext, gate: GateReading
) -> Rejection | None:
    limits, symbol = gate.limits, request.symbol
    if not (math.isfinite(request.volume) and request.volume > 0):
        return Rejection(
            RiskRule.ORDER_VOLUME,
            f"Max volume per order: {request.volume:g} is not a volume; order refused",
            symbol,
        )
    max_volume = limits.for_symbol(symbol, "max_order_volume")
    if over(request.volume, max_volume):
        return Rejection(
            RiskRule.ORDER_VOLUME,
            f"Max volume per order: {lots(request.volume)} exceeds the limit of "
            f"{lots(max_volume)} for {symbol}",
            symbol,
        )
    max_notional = limits.for_symbol(symbol, "max_order_notional")
    if max_notional > 0:
        price = entry_price(request, quote)
        value = order_notional(request.volume, price, spec, ctx)
        if value is None:
            return no_rate(symbol, ctx.currency)
        if not (measurable(value) and price > 0):
            return Rejection(
                RiskRule.ORDER_NOTIONAL,
                f"Max notional per order: cannot compute the notional of "
                f"{lots(request.volume)} {symbol} at {price:g}; order refused",
                symbol,
            )
        if over(value, max_notional):
            return Rejection(
                RiskRule.ORDER_NOTIONAL,
                f"Max notional per order: {money(value, ctx.currency)} exceeds the limit "
                f"of {money(max_notional, ctx.currency)} for {symbol}",
                symbol,
            )
    return None


def exposure_problem(
    request: OrderRequest, spec: SymbolSpec, quote: Tick, ctx: RiskContext, gate: GateReading
) -> Rejection | None:
    limits, symbol, book, ccy = gate.limits, request.symbol, ctx.book, ctx.currency
    signed = request.side.sign * request.volume
    before = book.worst_net(symbol)
    after = book.worst_net(symbol, signed)
    grows = after > before + EPS
    max_net = limits.for_symbol(symbol, "max_net_volume")
    if grows and over(after, max_net):
        return Rejection(
            RiskRule.NET_POSITION,
            f"Max net position: {symbol} would reach {lots(round(after, 8))}, over the "
            f"limit of {lots(max_net)}",
            symbol,
        )
    if grows and limits.max_total_exposure > 0:
        unpriced_symbol = unpriced(ctx, symbol)
        if unpriced_symbol is not None:
            return Rejection(
                RiskRule.TOTAL_EXPOSURE,
                f"Max total exposure: cannot value the {unpriced_symbol} exposure (its quote "
                f"is not a price); no new exposure",
                symbol,
            )
        total = total_exposure(ctx, symbol, after)
        if total is None:
            return no_rate(symbol, ccy)
        if not measurable(total):
            return Rejection(
                RiskRule.TOTAL_EXPOSURE,
                f"Max total exposure: cannot compute it ({total:g} {ccy}); no new exposure",
                symbol,
            )
        if over(total, limits.max_total_exposure):
            return Rejection(
                RiskRule.TOTAL_EXPOSURE,
                f"Max total exposure: {money(total, ccy)} after this order exceeds the "
                f"limit of {money(limits.max_total_exposure, ccy)}",
                symbol,
            )
    if request.order_type.is_pending:
        if over(book.working_orders + 1, limits.max_working_orders):
            return Rejection(
                RiskRule.WORKING_ORDERS,
                f"Max working orders: {book.working_orders + 1} would exceed the limit "
                f"of {limits.max_working_orders}",
                symbol,
            )
    elif over(book.open_positions + 1, limits.max_open_positions):
        return Rejection(
            RiskRule.OPEN_POSITIONS,
            f"Max open positions: {book.open_positions + 1} would exceed the limit of "
            f"{limits.max_open_positions}",
            symbol,
        )
    if grows:
        for rule, fraction in gate.loss_fractions().items():
            if math.isnan(fraction):
                return Rejection(
                    rule,
                    f"{rule.label}: cannot compute it, the account's equity is not a "
                    f"number; no new exposure",
                    symbol,
                )
            if fraction >= 1:
                return Rejection(
                    rule,
                    f"{rule.label}: the limit is reached ({gate.loss_text(rule, ccy)}); "
                    "no new exposure",
                    symbol,
                )
    # Every opening order takes margin on a hedging account (an opposite order opens
    # a second position there), so the margin level is checked even for reducing ones.
    return margin_problem(request, spec, quote, ctx, gate)


def margin_problem(
    request: OrderRequest, spec: SymbolSpec, quote: Tick, ctx: RiskContext, gate: GateReading
) -> Rejection | None:
    minimum = gate.limits.min_margin_level_pct
    account = ctx.account
    if minimum <= 0 or account is None:
        return None
    price = entry_price(request, quote)
    needed = None
    if gate.margin_calculator is not None:
        needed = gate.margin_calculator(request.symbol, request.side, request.volume, price)
    if needed is None:
        try:
            needed = required_margin(
                request.volume, price, spec, ctx.converter(), ctx.currency, ctx.leverage
            )
        except ValueError:
            return no_rate(request.symbol, ctx.currency)
    if not measurable(needed):
        return Rejection(
            RiskRule.MARGIN_LEVEL,
            f"Min margin level: cannot compute the margin this order needs "
            f"({needed:g} {ctx.currency}); order refused",
            request.symbol,
        )
    if not (measurable(account.margin) and math.isfinite(account.equity)):
        return Rejection(
            RiskRule.MARGIN_LEVEL,
            f"Min margin level: cannot compute the margin level, the account shows "
            f"equity {account.equity:g} and margin {account.margin:g}; order refused",
            request.symbol,
        )
    margin = account.margin + needed
    if margin <= 0:
        return None
    level = account.equity / margin * 100
    if not level >= minimum - EPS:
        return Rejection(
            RiskRule.MARGIN_LEVEL,
            f"Min margin level: {level:,.1f} % after this order is below the limit of "
            f"{minimum:g} % (needs {money(needed, ctx.currency)} margin)",
            request.symbol,
        )
    return None


def rate_problem(symbol: str, gate: GateReading) -> Rejection | None:
    limits = gate.limits
    per_second, per_minute = gate.orders_last_second, gate.orders_last_minute
    if over(per_second + 1, limits.max_orders_per_second):
        return Rejection(
            RiskRule.RATE_SECOND,
            f"Max orders per second: {per_second + 1} would exceed the limit of "
            f"{limits.max_orders_per_second}; wait a moment",
            symbol,
        )
    if over(per_minute + 1, limits.max_orders_per_minute):
        return Rejection(
            RiskRule.RATE_MINUTE,
            f"Max orders per minute: {per_minute + 1} would exceed the limit of "
            f"{limits.max_orders_per_minute}",
            symbol,
        )
    return None


# --------------------------------------------------------------------------- measures


def order_notional(volume: float, price: float, spec: SymbolSpec, ctx: RiskContext) -> float | None:
    try:
        return notional(volume, price, spec, ctx.converter(), ctx.currency)
    except ValueError:
        return None


def unpriced(ctx: RiskContext, symbol: str) -> str | None:
    """A symbol held (or this one) whose quote is not a price, if any."""
    for name in sorted(ctx.book.symbols | {symbol}):
        quote = ctx.quotes.get(name)
        if quote is not None and quote_fault(quote) is not None:
            return name
    return None


def total_exposure(ctx: RiskContext, symbol: str | None = None, size: float = 0.0) -> float | None:
    """Σ |worst net| × contract × mid in the account currency (``symbol`` at ``size`` lots)."""
    total = 0.0
    converter = ctx.converter()
    names = ctx.book.symbols | ({symbol} if symbol else set())
    for name in names:
        net = size if name == symbol else ctx.book.worst_net(name)
        if net <= EPS:
            continue
        spec, quote = ctx.specs.get(name), ctx.quotes.get(name)
        if spec is None or quote is None:
            return None
        try:
            total += notional(net, quote.mid, spec, converter, ctx.currency)
        except ValueError:
            return None
    return total
