"""The risk gate: every order passes here between the command and the broker.

Plain Python, no Qt. The gate is given everything it reads explicitly: a
``RiskContext`` (specs, quotes, account, and a ``Book`` summarising positions and
working orders) and a clock, so each rule is tested at its boundary with a fake
clock and hand-made positions.

Cost per order stays flat as positions grow: the ``Book`` (net lots per symbol,
counts) is rebuilt only when the broker's positions or orders change, never per
order, and every check is O(symbols) at worst. Per tick the gate records the
spread (a bounded deque append); the typical spread is the median of the last
``spread_window`` spreads, computed only when an order or a frame asks.

Design choices, documented for the trader:

* Net position and total exposure are **worst case**: working orders are counted
  as if every one on the side that grows the position filled.
* Total exposure is the sum over symbols of |net lots| × contract × mid, in the
  account currency (hedged lots of one symbol offset each other).
* The spread collar compares the current spread with ``max_spread_multiple`` ×
  the median of recent spreads (after at least ``MIN_SPREAD_SAMPLES`` ticks), and
  with an absolute per-symbol ``max_spread_points`` where one is set.
* Closes reduce risk, so they pass in every state; the gate only refuses a close
  larger than the position (that would open the other way). Closes are not
  throttled, so a flatten of many positions is never slowed.
* A value a rule cannot compute is a refusal, never a pass: NaN compares false
  with everything, so every rule checks that what it measures is a finite number
  of the right sign before comparing it with its limit.
* The quote check, which no setting switches off, refuses any new order on a
  quote that is not a price (not finite, not positive, bid above ask) or whose
  stamp runs more than ``FUTURE_TOLERANCE_S`` ahead of the engine's clock (see
  ``app/engine/quote_clock.py``); quote age is measured on the engine's clock.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from app.domain.enums import OrderSource, OrderType, Side, TradingState
from app.domain.market import Tick
from app.domain.pnl import CurrencyConverter, notional, required_margin
from app.domain.risk_facts import (
    Rejection,
    RiskBreach,
    RiskSnapshot,
    RiskWarning,
    RuleUsage,
    TradingStateChanged,
    UsageLevel,
)
from app.domain.risk_limits import WEEKDAYS, RiskLimits, RiskRule
from app.domain.strategies import BudgetHalt
from app.domain.symbols import SymbolSpec
from app.domain.trading import AccountState, OrderRequest, Position, WorkingOrder
from app.domain.validation import entry_price
from app.engine.budgets import Budgets
from app.engine.quote_clock import FUTURE_TOLERANCE_S, QuoteClock, describe_span

Clock = Callable[[], float]
"""Seconds since the epoch (``time.time``); tests pass a fake."""

MarginCalculator = Callable[[str, Side, float, float], float | None]
"""``(symbol, side, volume, price) -> margin`` in the account currency, or ``None``
when it cannot tell. The seam for a broker's own margin calculation (MT5's
``order_calc_margin``); without one the gate uses the domain's leverage formula."""

MIN_SPREAD_SAMPLES = 20
_EPS = 1e-9


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
    """What the gate reads about the account; the engine keeps it current."""

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


# --------------------------------------------------------------------------- parts


class RateThrottle:
    """Orders sent in the last second and minute; O(1) amortised per call."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._second: deque[float] = deque()
        self._minute: deque[float] = deque()

    def counts(self) -> tuple[int, int]:
        now = self._clock()
        while self._second and self._second[0] <= now - 1.0:
            self._second.popleft()
        while self._minute and self._minute[0] <= now - 60.0:
            self._minute.popleft()
        return len(self._second), len(self._minute)

    def record(self) -> None:
        now = self._clock()
        self._second.append(now)
        self._minute.append(now)


class SpreadTracker:
    """The last ``window`` spreads per symbol, in points; median on demand."""

    def __init__(self, window: int) -> None:
        self._window = window
        self._spreads: dict[str, deque[float]] = {}

    def add(self, tick: Tick, point: float) -> None:
        spreads = self._spreads.get(tick.symbol)
        if spreads is None:
            spreads = self._spreads[tick.symbol] = deque(maxlen=self._window)
        spreads.append((tick.ask - tick.bid) / point)

    def typical(self, symbol: str) -> float | None:
        spreads = self._spreads.get(symbol)
        if spreads is None or len(spreads) < MIN_SPREAD_SAMPLES:
            return None
        return statistics.median(spreads)


def _zone(name: str) -> tzinfo:
    """``UTC`` needs no time-zone database (Windows has none without ``tzdata``)."""
    return UTC if name.upper() == "UTC" else ZoneInfo(name)


def trading_day_start(now: datetime, reset: str, zone: tzinfo) -> datetime:
    """The most recent daily reset at or before ``now`` (``reset`` is ``HH:MM`` local)."""
    hour, minute = (int(x) for x in reset.split(":"))
    local = now.astimezone(zone)

    def at(day: date) -> datetime:
        if hour == 24:
            return datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
        return datetime.combine(day, datetime.min.time(), zone).replace(hour=hour, minute=minute)

    start = at(local.date())
    if start > local:
        start = at(local.date() - timedelta(days=1))
    return start


class EquityWatch:
    """Daily loss from the start-of-day equity and drawdown from the equity peak.

    ``update`` is O(1): called once per batch of ticks with the portfolio's equity.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.day_start_equity: float | None = None
        self.peak: float | None = None
        self.equity: float | None = None
        self._next_reset: float = -math.inf

    def update(self, equity: float, limits: RiskLimits) -> bool:
        """Record ``equity``; returns True when a new trading day started.

        An equity that is not a number (a bad quote marked a position) is kept as
        unknown: it neither starts the day nor moves the peak, so one bad tick
        cannot blind the loss limits for the rest of the day.
        """
        if not math.isfinite(equity):
            self.equity = math.nan
            return False
        now = self._clock()
        new_day = now >= self._next_reset
        if new_day:
            zone = _zone(limits.daily_reset_timezone)
            start = trading_day_start(
                datetime.fromtimestamp(now, UTC), limits.daily_reset_time, zone
            )
            nxt = trading_day_start(start + timedelta(hours=26), limits.daily_reset_time, zone)
            self._next_reset = nxt.timestamp()
            self.day_start_equity = equity
        self.equity = equity
        self.peak = equity if self.peak is None else max(self.peak, equity)
        return new_day

    def day_start(self, limits: RiskLimits) -> datetime:
        """When the current trading day began (the configured reset time and zone)."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        return trading_day_start(now, limits.daily_reset_time, _zone(limits.daily_reset_timezone))

    def restore(
        self, day_start_equity: float | None, peak: float | None, limits: RiskLimits
    ) -> None:
        """Carry today's starting equity and the all-time peak over a restart.

        Without this a restart would forget the day's losses and the drawdown taken
        so far, and a halted trader could trade on by restarting the terminal.
        """
        start = self.day_start(limits)
        if day_start_equity is not None:
            self.day_start_equity = day_start_equity
            zone = _zone(limits.daily_reset_timezone)
            nxt = trading_day_start(start + timedelta(hours=26), limits.daily_reset_time, zone)
            self._next_reset = nxt.timestamp()
        if peak is not None:
            self.peak = peak if self.peak is None else max(self.peak, peak)

    def rearm(self) -> None:
        """Recompute the reset boundary at the next update (the time or zone changed)."""
        self._next_reset = -math.inf if self.day_start_equity is None else self._next_reset

    @property
    def equity_known(self) -> bool:
        """False while the latest equity was not a number."""
        return self.equity is None or math.isfinite(self.equity)

    @property
    def daily_loss(self) -> float:
        if self.day_start_equity is None or self.equity is None:
            return 0.0
        return max(0.0, self.day_start_equity - self.equity)

    @property
    def drawdown_pct(self) -> float:
        if not self.peak or self.equity is None or self.peak <= 0:
            return 0.0
        return max(0.0, (self.peak - self.equity) / self.peak * 100)


# --------------------------------------------------------------------------- the gate


def _over(value: float, limit: float) -> bool:
    """A limit of 0 is off; ``value`` at the limit passes, just over it does not.

    Written as "not within" so that a NaN, which compares false with everything,
    is over every limit: the rules check their values first and say why, this is
    the last line.
    """
    return limit > 0 and not value <= limit + _EPS * max(1.0, limit)


def _measurable(value: float | None) -> bool:
    """A measure the rules can compare: a finite number, not below zero."""
    return value is not None and math.isfinite(value) and value >= 0


def _quote_fault(quote: Tick) -> str | None:
    """Why ``quote`` is not a price, or None."""
    bid, ask = quote.bid, quote.ask
    if not (math.isfinite(bid) and math.isfinite(ask) and bid > 0 and ask > 0):
        return f"bid {bid:g}, ask {ask:g}: not a price"
    if bid > ask:
        return f"bid {bid:g} is above ask {ask:g}"
    return None


def _lots(value: float) -> str:
    return f"{value:g} lots"


def _money(value: float, ccy: str) -> str:
    return f"{value:,.2f} {ccy}"


class RiskGate:
    """Decides, per order, whether it may go to the broker, and holds the trading state."""

    def __init__(
        self,
        limits: RiskLimits | None = None,
        *,
        clock: Clock = time.time,
        margin_calculator: MarginCalculator | None = None,
    ) -> None:
        self.limits = limits or RiskLimits()
        self._clock = clock
        self.margin_calculator = margin_calculator
        self.state = TradingState.ACTIVE
        self.state_reason = "trading normally"
        self.throttle = RateThrottle(clock)
        self.spreads = SpreadTracker(self.limits.spread_window)
        self.quote_clock = QuoteClock(clock)
        self.watch = EquityWatch(clock)
        self.budgets = Budgets(clock)  # each strategy instance's own limits and state
        self.budget_halts: list[BudgetHalt] = []  # taken by the engine after each order
        self._armed: dict[RiskRule, bool] = {RiskRule.DAILY_LOSS: True, RiskRule.DRAWDOWN: True}
        self._warn_armed: dict[RiskRule, bool] = {
            RiskRule.DAILY_LOSS: True,
            RiskRule.DRAWDOWN: True,
        }

    def now(self) -> float:
        return self._clock()

    # -- state ----------------------------------------------------------------------
    def set_state(
        self, new: TradingState, reason: str, source: OrderSource
    ) -> TradingStateChanged | None:
        if new is self.state:
            return None
        old, self.state, self.state_reason = self.state, new, reason
        return TradingStateChanged(old, new, reason, source)

    def halt(self, reason: str, source: OrderSource) -> TradingStateChanged | None:
        return self.set_state(TradingState.HALTED, reason, source)

    def resume(self, source: OrderSource) -> TradingStateChanged | None:
        """Back to ACTIVE; limits already hit stay acknowledged until usage falls back."""
        for rule, fraction in self._loss_fractions().items():
            if fraction >= 1:
                self._armed[rule] = False
            if fraction >= self.limits.warning_fraction:
                self._warn_armed[rule] = False
        return self.set_state(TradingState.ACTIVE, f"resumed by {source}", source)

    def set_limits(self, limits: RiskLimits) -> None:
        reset_changed = (limits.daily_reset_time, limits.daily_reset_timezone) != (
            self.limits.daily_reset_time,
            self.limits.daily_reset_timezone,
        )
        if limits.spread_window != self.limits.spread_window:
            self.spreads = SpreadTracker(limits.spread_window)
        self.limits = limits
        if reset_changed:
            self.watch.rearm()

    # -- ticks and equity -----------------------------------------------------------
    def on_tick(self, tick: Tick, spec: SymbolSpec) -> None:
        """Record a tick's spread and arrival; a tick that is not a price teaches nothing."""
        bid, ask = tick.bid, tick.ask
        if not (0.0 < bid <= ask < math.inf):  # _quote_fault's test, without its words
            return
        self.spreads.add(tick, spec.point)
        self.quote_clock.saw(tick)

    def on_equity(self, equity: float) -> list[RiskBreach | RiskWarning | TradingStateChanged]:
        """Check the loss limits against ``equity``; may halt or reduce. O(1)."""
        limits = self.limits
        if self.watch.update(equity, limits):
            self._armed[RiskRule.DAILY_LOSS] = self._warn_armed[RiskRule.DAILY_LOSS] = True
        facts: list[RiskBreach | RiskWarning | TradingStateChanged] = []
        if not self.watch.equity_known:
            return facts  # nothing true to say; new exposure is refused meanwhile
        for rule, fraction in self._loss_fractions().items():
            if fraction < 1:
                self._armed[rule] = True
            if fraction < limits.warning_fraction:
                self._warn_armed[rule] = True
            if fraction >= 1 and self._armed[rule]:
                self._armed[rule] = self._warn_armed[rule] = False
                value, limit = self._loss_texts(rule)
                message = f"{rule.label}: {value} reached the limit of {limit}"
                changed = self.halt(message, OrderSource.SYSTEM)
                facts.append(RiskBreach(rule, message, halted=True))
                if changed:
                    facts.append(changed)
            elif fraction >= limits.warning_fraction and self._warn_armed[rule]:
                self._warn_armed[rule] = False
                value, limit = self._loss_texts(rule)
                message = f"{rule.label}: {value} is {fraction:.0%} of the limit of {limit}"
                facts.append(RiskWarning(rule, message))
                if limits.reduce_on_warning and self.state is TradingState.ACTIVE:
                    changed = self.set_state(TradingState.REDUCING, message, OrderSource.SYSTEM)
                    if changed:
                        facts.append(changed)
        return facts

    def _loss_texts(self, rule: RiskRule) -> tuple[str, str]:
        """What a loss rule measured and its limit, in words (only when it speaks:
        formatting them on every poll cost more than the checks)."""
        limits, watch = self.limits, self.watch
        if rule is RiskRule.DAILY_LOSS:
            return f"loss today {watch.daily_loss:,.2f}", f"{limits.max_daily_loss:,.2f}"
        return (
            f"drawdown {watch.drawdown_pct:.2f} % from the equity peak {watch.peak or 0:,.2f}",
            f"{limits.max_drawdown_pct:g} %",
        )

    def _loss_fractions(self) -> dict[RiskRule, float]:
        """Usage of each loss limit that is on; NaN while the equity is not a number."""
        limits = self.limits
        out: dict[RiskRule, float] = {}
        unknown = not self.watch.equity_known
        if limits.max_daily_loss > 0:
            out[RiskRule.DAILY_LOSS] = (
                math.nan if unknown else self.watch.daily_loss / limits.max_daily_loss
            )
        if limits.max_drawdown_pct > 0:
            out[RiskRule.DRAWDOWN] = (
                math.nan if unknown else self.watch.drawdown_pct / limits.max_drawdown_pct
            )
        return out

    # -- orders ---------------------------------------------------------------------
    def admit(self, request: OrderRequest, ctx: RiskContext) -> Rejection | None:
        """Check ``request`` against every rule, then its strategy's budget if it has an
        owner; when it passes it counts towards the rate limits (``budget_halts`` gets
        the halt of an instance that flooded)."""
        rejection = self.check(request, ctx) or self.budgets.check(
            request, ctx.positions, ctx.orders
        )
        if rejection is None:
            self.throttle.record()
            halt = self.budgets.record(request)
            if halt is not None:
                self.budget_halts.append(halt)
        return rejection

    def check(self, request: OrderRequest, ctx: RiskContext) -> Rejection | None:
        """The first rule ``request`` breaks, or ``None``. Records nothing."""
        symbol = request.symbol
        spec = ctx.specs.get(symbol)
        quote = ctx.quotes.get(symbol)
        if spec is None or quote is None:
            return Rejection(RiskRule.SYMBOLS, f"No price for {symbol}: cannot check risk", symbol)
        untrusted = self._quote_problem(quote)
        if untrusted is not None:
            return untrusted
        state = self._state_problem(request, ctx)
        if state is not None:
            return state
        for check in (self._market_problem, self._size_problem, self._exposure_problem):
            problem = check(request, spec, quote, ctx)
            if problem is not None:
                return problem
        return self._rate_problem(symbol)

    def check_close(self, position: Position, volume: float | None) -> Rejection | None:
        """Closes pass in every state; only one larger than the position is refused."""
        if volume is not None and volume > position.volume + _EPS:
            return Rejection(
                RiskRule.TRADING_STATE,
                f"Close of {_lots(volume)} is larger than position #{position.ticket} "
                f"({_lots(position.volume)}); it would open the other way",
                position.symbol,
            )
        return None

    # -- the rules ------------------------------------------------------------------
    def _quote_problem(self, quote: Tick) -> Rejection | None:
        """Any new order needs a quote that is a price and not stamped in the future."""
        why = _quote_fault(quote)
        if why is None:
            ahead = self.quote_clock.ahead(quote)
            if ahead > FUTURE_TOLERANCE_S:
                offset = self.quote_clock.offset()
                usual = (
                    f" beyond the broker's usual offset of {offset / 3600:+.2f} h"
                    if offset is not None and abs(offset) >= 1
                    else ""
                )
                why = (
                    f"stamped {describe_span(ahead)} ahead of the engine's clock{usual}, "
                    f"more than the {FUTURE_TOLERANCE_S:g} s allowed"
                )
        if why is None:
            return None
        return Rejection(
            RiskRule.QUOTE_CHECK,
            f"Quote check: the {quote.symbol} quote cannot be trusted ({why}); order refused",
            quote.symbol,
        )

    def _state_problem(self, request: OrderRequest, ctx: RiskContext) -> Rejection | None:
        symbol = request.symbol
        if self.state is TradingState.HALTED:
            return Rejection(
                RiskRule.TRADING_STATE,
                f"Trading is HALTED ({self.state_reason}): only closes and cancels are allowed",
                symbol,
            )
        if self.state is TradingState.REDUCING:
            net = ctx.book.net.get(symbol, 0.0)
            reduces = (
                not request.order_type.is_pending
                and abs(net) > _EPS
                and (request.side.sign > 0) != (net > 0)
                and request.volume <= abs(net) + _EPS
            )
            if not reduces:
                return Rejection(
                    RiskRule.TRADING_STATE,
                    f"Trading is REDUCING ({self.state_reason}): only market orders that reduce "
                    f"the net position are allowed; net {symbol} is {net:+g} lots, "
                    f"a {request.side} of {_lots(request.volume)} would not reduce it",
                    symbol,
                )
        return None

    def _market_problem(
        self, request: OrderRequest, spec: SymbolSpec, quote: Tick, ctx: RiskContext
    ) -> Rejection | None:
        limits, symbol = self.limits, request.symbol
        if limits.allowed_symbols and symbol not in limits.allowed_symbols:
            return Rejection(
                RiskRule.SYMBOLS,
                f"Allowed symbols: {symbol} is not in the list "
                f"({', '.join(limits.allowed_symbols)})",
                symbol,
            )
        now = self._clock()
        when = datetime.fromtimestamp(now, UTC)
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
            age = self.quote_clock.age(quote)
            if _over(age, limits.stale_quote_seconds):
                return Rejection(
                    RiskRule.STALE_QUOTE,
                    f"Stale quote guard: the last {symbol} price is {age:.1f} s old, "
                    f"older than the limit of {limits.stale_quote_seconds:g} s",
                    symbol,
                )
            spread = (quote.ask - quote.bid) / spec.point
            max_points = limits.for_symbol(symbol, "max_spread_points")
            if _over(spread, max_points):
                return Rejection(
                    RiskRule.SPREAD_COLLAR,
                    f"Spread collar: the {symbol} spread of {spread:.0f} points exceeds "
                    f"the limit of {max_points:g} points",
                    symbol,
                )
            typical = self.spreads.typical(symbol)
            if typical is not None and typical > 0:
                multiple = spread / typical
                if _over(multiple, limits.max_spread_multiple):
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
            if _over(distance, limits.max_price_distance_pct):
                return Rejection(
                    RiskRule.PRICE_COLLAR,
                    f"Price collar: {request.side} {request.order_type} at "
                    f"{fmt(request.price)} is {distance:.2f} % from the market {fmt(market)}, "
                    f"beyond the limit of {limits.max_price_distance_pct:g} % for {symbol}",
                    symbol,
                )
        return None

    def _size_problem(
        self, request: OrderRequest, spec: SymbolSpec, quote: Tick, ctx: RiskContext
    ) -> Rejection | None:
        limits, symbol = self.limits, request.symbol
        if not (math.isfinite(request.volume) and request.volume > 0):
            return Rejection(
                RiskRule.ORDER_VOLUME,
                f"Max volume per order: {request.volume:g} is not a volume; order refused",
                symbol,
            )
        max_volume = limits.for_symbol(symbol, "max_order_volume")
        if _over(request.volume, max_volume):
            return Rejection(
                RiskRule.ORDER_VOLUME,
                f"Max volume per order: {_lots(request.volume)} exceeds the limit of "
                f"{_lots(max_volume)} for {symbol}",
                symbol,
            )
        max_notional = limits.for_symbol(symbol, "max_order_notional")
        if max_notional > 0:
            price = entry_price(request, quote)
            value = self._notional(request.volume, price, spec, ctx)
            if value is None:
                return _no_rate(symbol, ctx.currency)
            if not (_measurable(value) and price > 0):
                return Rejection(
                    RiskRule.ORDER_NOTIONAL,
                    f"Max notional per order: cannot compute the notional of "
                    f"{_lots(request.volume)} {symbol} at {price:g}; order refused",
                    symbol,
                )
            if _over(value, max_notional):
                return Rejection(
                    RiskRule.ORDER_NOTIONAL,
                    f"Max notional per order: {_money(value, ctx.currency)} exceeds the limit "
                    f"of {_money(max_notional, ctx.currency)} for {symbol}",
                    symbol,
                )
        return None

    def _exposure_problem(
        self, request: OrderRequest, spec: SymbolSpec, quote: Tick, ctx: RiskContext
    ) -> Rejection | None:
        limits, symbol, book, ccy = self.limits, request.symbol, ctx.book, ctx.currency
        signed = request.side.sign * request.volume
        before = book.worst_net(symbol)
        after = book.worst_net(symbol, signed)
        grows = after > before + _EPS
        max_net = limits.for_symbol(symbol, "max_net_volume")
        if grows and _over(after, max_net):
            return Rejection(
                RiskRule.NET_POSITION,
                f"Max net position: {symbol} would reach {_lots(round(after, 8))}, over the "
                f"limit of {_lots(max_net)}",
                symbol,
            )
        if grows and limits.max_total_exposure > 0:
            unpriced = self._unpriced(ctx, symbol)
            if unpriced is not None:
                return Rejection(
                    RiskRule.TOTAL_EXPOSURE,
                    f"Max total exposure: cannot value the {unpriced} exposure (its quote is "
                    f"not a price); no new exposure",
                    symbol,
                )
            total = self.total_exposure(ctx, symbol, after)
            if total is None:
                return _no_rate(symbol, ccy)
            if not _measurable(total):
                return Rejection(
                    RiskRule.TOTAL_EXPOSURE,
                    f"Max total exposure: cannot compute it ({total:g} {ccy}); no new exposure",
                    symbol,
                )
            if _over(total, limits.max_total_exposure):
                return Rejection(
                    RiskRule.TOTAL_EXPOSURE,
                    f"Max total exposure: {_money(total, ccy)} after this order exceeds the "
                    f"limit of {_money(limits.max_total_exposure, ccy)}",
                    symbol,
                )
        if request.order_type.is_pending:
            if _over(book.working_orders + 1, limits.max_working_orders):
                return Rejection(
                    RiskRule.WORKING_ORDERS,
                    f"Max working orders: {book.working_orders + 1} would exceed the limit "
                    f"of {limits.max_working_orders}",
                    symbol,
                )
        elif _over(book.open_positions + 1, limits.max_open_positions):
            return Rejection(
                RiskRule.OPEN_POSITIONS,
                f"Max open positions: {book.open_positions + 1} would exceed the limit of "
                f"{limits.max_open_positions}",
                symbol,
            )
        if grows:
            for rule, fraction in self._loss_fractions().items():
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
                        f"{rule.label}: the limit is reached "
                        f"({self._loss_text(rule, ccy)}); no new exposure",
                        symbol,
                    )
        # Every opening order takes margin on a hedging account (an opposite order opens
        # a second position there), so the margin level is checked even for reducing ones.
        return self._margin_problem(request, spec, quote, ctx)

    def _margin_problem(
        self, request: OrderRequest, spec: SymbolSpec, quote: Tick, ctx: RiskContext
    ) -> Rejection | None:
        minimum = self.limits.min_margin_level_pct
        account = ctx.account
        if minimum <= 0 or account is None:
            return None
        price = entry_price(request, quote)
        needed = None
        if self.margin_calculator is not None:
            needed = self.margin_calculator(request.symbol, request.side, request.volume, price)
        if needed is None:
            try:
                needed = required_margin(
                    request.volume, price, spec, ctx.converter(), ctx.currency, ctx.leverage
                )
            except ValueError:
                return _no_rate(request.symbol, ctx.currency)
        if not _measurable(needed):
            return Rejection(
                RiskRule.MARGIN_LEVEL,
                f"Min margin level: cannot compute the margin this order needs "
                f"({needed:g} {ctx.currency}); order refused",
                request.symbol,
            )
        if not (_measurable(account.margin) and math.isfinite(account.equity)):
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
        if not level >= minimum - _EPS:
            return Rejection(
                RiskRule.MARGIN_LEVEL,
                f"Min margin level: {level:,.1f} % after this order is below the limit of "
                f"{minimum:g} % (needs {_money(needed, ctx.currency)} margin)",
                request.symbol,
            )
        return None

    def _rate_problem(self, symbol: str) -> Rejection | None:
        limits = self.limits
        per_second, per_minute = self.throttle.counts()
        if _over(per_second + 1, limits.max_orders_per_second):
            return Rejection(
                RiskRule.RATE_SECOND,
                f"Max orders per second: {per_second + 1} would exceed the limit of "
                f"{limits.max_orders_per_second}; wait a moment",
                symbol,
            )
        if _over(per_minute + 1, limits.max_orders_per_minute):
            return Rejection(
                RiskRule.RATE_MINUTE,
                f"Max orders per minute: {per_minute + 1} would exceed the limit of "
                f"{limits.max_orders_per_minute}",
                symbol,
            )
        return None

    # -- measures -------------------------------------------------------------------
    def _notional(
        self, volume: float, price: float, spec: SymbolSpec, ctx: RiskContext
    ) -> float | None:
        try:
            return notional(volume, price, spec, ctx.converter(), ctx.currency)
        except ValueError:
            return None

    def _unpriced(self, ctx: RiskContext, symbol: str) -> str | None:
        """A symbol held (or this one) whose quote is not a price, if any."""
        for name in sorted(ctx.book.symbols | {symbol}):
            quote = ctx.quotes.get(name)
            if quote is not None and _quote_fault(quote) is not None:
                return name
        return None

    def total_exposure(
        self, ctx: RiskContext, symbol: str | None = None, lots: float = 0.0
    ) -> float | None:
        """Σ |worst net| × contract × mid in the account currency (``symbol`` at ``lots``)."""
        total = 0.0
        converter = ctx.converter()
        names = ctx.book.symbols | ({symbol} if symbol else set())
        for name in names:
            size = lots if name == symbol else ctx.book.worst_net(name)
            if size <= _EPS:
                continue
            spec, quote = ctx.specs.get(name), ctx.quotes.get(name)
            if spec is None or quote is None:
                return None
            try:
                total += notional(size, quote.mid, spec, converter, ctx.currency)
            except ValueError:
                return None
        return total

    def _loss_text(self, rule: RiskRule, ccy: str) -> str:
        if rule is RiskRule.DAILY_LOSS:
            loss = _money(self.watch.daily_loss, ccy)
            return f"loss today {loss} of {self.limits.max_daily_loss:,.2f}"
        return f"drawdown {self.watch.drawdown_pct:.2f} % of {self.limits.max_drawdown_pct:g} %"

    # -- the panel ------------------------------------------------------------------
    def snapshot(self, ctx: RiskContext) -> RiskSnapshot:
        """Each rule with its limit and current usage, for the risk panel."""
        return RiskSnapshot(self.state, self.state_reason, tuple(_usages(self, ctx)), self.limits)


def _no_rate(symbol: str, ccy: str) -> Rejection:
    return Rejection(
        RiskRule.TOTAL_EXPOSURE,
        f"Cannot value {symbol} in {ccy}: no quote to convert it; order refused",
        symbol,
    )


def _usages(gate: RiskGate, ctx: RiskContext) -> list[RuleUsage]:
    limits, book, ccy = gate.limits, ctx.book, ctx.currency
    warn = limits.warning_fraction

    def row(rule: RiskRule, limit: str, usage: str = "—", fraction: float | None = None) -> None:
        rows.append(RuleUsage(rule, limit, usage, fraction, level_of(fraction, warn)))

    def off_or(value: float, text: str) -> str:
        return text if value > 0 else "off"

    rows: list[RuleUsage] = []
    overrides = "".join(
        f", {s} {o.max_order_volume:g}"
        for s, o in sorted(limits.symbols.items())
        if o.max_order_volume is not None
    )
    row(
        RiskRule.ORDER_VOLUME,
        off_or(limits.max_order_volume, _lots(limits.max_order_volume)) + overrides,
    )
    row(
        RiskRule.ORDER_NOTIONAL,
        off_or(limits.max_order_notional, _money(limits.max_order_notional, ccy)),
    )

    worst_symbol, worst_fraction, worst_lots = "", 0.0, 0.0
    for name in book.symbols:
        cap = limits.for_symbol(name, "max_net_volume")
        lots = book.worst_net(name)
        if cap > 0 and lots / cap >= worst_fraction:
            worst_symbol, worst_fraction, worst_lots = name, lots / cap, lots
    row(
        RiskRule.NET_POSITION,
        off_or(limits.max_net_volume, _lots(limits.max_net_volume)),
        f"{worst_symbol} {_lots(round(worst_lots, 8))}" if worst_symbol else "0 lots",
        worst_fraction if limits.max_net_volume > 0 else None,
    )
    exposure = gate.total_exposure(ctx) or 0.0
    row(
        RiskRule.TOTAL_EXPOSURE,
        off_or(limits.max_total_exposure, _money(limits.max_total_exposure, ccy)),
        _money(exposure, ccy),
        exposure / limits.max_total_exposure if limits.max_total_exposure > 0 else None,
    )
    for rule, count, cap in (
        (RiskRule.OPEN_POSITIONS, book.open_positions, limits.max_open_positions),
        (RiskRule.WORKING_ORDERS, book.working_orders, limits.max_working_orders),
    ):
        row(rule, off_or(cap, str(cap)), str(count), count / cap if cap > 0 else None)
    per_second, per_minute = gate.throttle.counts()
    for rule, count, cap in (
        (RiskRule.RATE_SECOND, per_second, limits.max_orders_per_second),
        (RiskRule.RATE_MINUTE, per_minute, limits.max_orders_per_minute),
    ):
        row(rule, off_or(cap, str(cap)), str(count), count / cap if cap > 0 else None)
    row(
        RiskRule.PRICE_COLLAR,
        off_or(limits.max_price_distance_pct, f"{limits.max_price_distance_pct:g} % from market"),
    )
    row(
        RiskRule.SPREAD_COLLAR,
        off_or(limits.max_spread_multiple, f"{limits.max_spread_multiple:g}× typical"),
    )
    row(
        RiskRule.STALE_QUOTE,
        off_or(limits.stale_quote_seconds, f"{limits.stale_quote_seconds:g} s"),
    )
    watch = gate.watch
    unknown = "unknown: the equity is not a number"
    row(
        RiskRule.DAILY_LOSS,
        off_or(limits.max_daily_loss, _money(limits.max_daily_loss, ccy)),
        _money(watch.daily_loss, ccy) if watch.equity_known else unknown,
        watch.daily_loss / limits.max_daily_loss if limits.max_daily_loss > 0 else None,
    )
    row(
        RiskRule.DRAWDOWN,
        off_or(limits.max_drawdown_pct, f"{limits.max_drawdown_pct:g} %"),
        f"{watch.drawdown_pct:.2f} %" if watch.equity_known else unknown,
        watch.drawdown_pct / limits.max_drawdown_pct if limits.max_drawdown_pct > 0 else None,
    )
    account = ctx.account
    level = account.margin_level if account is not None else None
    minimum = limits.min_margin_level_pct
    row(
        RiskRule.MARGIN_LEVEL,
        off_or(minimum, f"{minimum:g} %"),
        "no margin used" if level is None else f"{level:,.1f} %",
        (0.0 if level is None or level <= 0 else min(10.0, minimum / level))
        if minimum > 0
        else None,
    )
    row(RiskRule.SYMBOLS, ", ".join(limits.allowed_symbols) or "all")
    now = datetime.fromtimestamp(gate.now(), UTC)
    hours = limits.trading_hours
    row(
        RiskRule.TRADING_HOURS,
        "always" if hours.always_open else f"today {hours.describe(now.weekday())} UTC",
        "open" if hours.is_open(now) else "closed",
    )
    return rows


def level_of(fraction: float | None, warning: float) -> UsageLevel:
    if fraction is None or fraction < warning:
        return UsageLevel.OK
    return UsageLevel.BREACH if fraction >= 1 - _EPS else UsageLevel.WARNING


__all__ = [
    "FUTURE_TOLERANCE_S",
    "Book",
    "Clock",
    "EquityWatch",
    "MarginCalculator",
    "RateThrottle",
    "RiskContext",
    "RiskGate",
    "RuleUsage",
    "SpreadTracker",
    "level_of",
    "trading_day_start",
]
