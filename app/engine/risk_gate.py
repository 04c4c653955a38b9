"""The risk gate: every order passes here between the command and the broker.

Plain Python, no Qt. The gate holds what the rules read about it (the trading
state, the order rate, the typical spreads, the day's loss and drawdown) and
runs the rules themselves, which are plain functions in
``app/domain/risk_rules.py`` so the window's preview can run the same ones on
the gate's snapshot. Everything is given explicitly: a ``RiskContext`` (specs,
quotes, account, and a ``Book`` summarising positions and working orders) and a
clock, so each rule is tested at its boundary with a fake clock and hand-made
positions.

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
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from app.domain.enums import OrderSource, TradingState
from app.domain.market import Tick
from app.domain.risk_facts import (
    Rejection,
    RiskBreach,
    RiskSnapshot,
    RiskWarning,
    RuleUsage,
    TradingStateChanged,
    UsageLevel,
)
from app.domain.risk_limits import RiskLimits, RiskRule
from app.domain.risk_rules import (
    EPS,
    Book,
    GateReading,
    MarginCalculator,
    RiskContext,
    check_close,
    check_order,
    loss_fractions,
    lots,
    money,
    over,
    total_exposure,
)
from app.domain.strategies import BudgetHalt
from app.domain.symbols import SymbolSpec
from app.domain.trading import OrderRequest, Position
from app.engine.budgets import Budgets
from app.engine.quote_clock import FUTURE_TOLERANCE_S, QuoteClock, describe_span

Clock = Callable[[], float]
"""Seconds since the epoch (``time.time``); tests pass a fake."""

MIN_SPREAD_SAMPLES = 20
_EPS = EPS


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

    def add_all(self, ticks: Sequence[Tick], specs: Mapping[str, SymbolSpec]) -> None:
        """``add`` for a poll's ticks; a symbol with no spec is skipped."""
        symbol: str | None = None
        spreads: deque[float] | None = None
        point = 1.0
        for tick in ticks:
            if tick.symbol != symbol:
                symbol = tick.symbol
                spec = specs.get(symbol)
                spreads = None
                if spec is not None:
                    point = spec.point
                    spreads = self._spreads.get(symbol)
                    if spreads is None:
                        spreads = self._spreads[symbol] = deque(maxlen=self._window)
            if spreads is not None:
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
    def day_pnl(self) -> float | None:
        """Equity now minus equity at the start of the trading day (None until both known)."""
        if self.day_start_equity is None or self.equity is None or not self.equity_known:
            return None
        return self.equity - self.day_start_equity

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


_over, _lots, _money = over, lots, money


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
        if not (0.0 < bid <= ask < math.inf):  # quote_fault's test, without its words
            return
        self.spreads.add(tick, spec.point)
        self.quote_clock.saw(tick)

    def on_ticks(self, ticks: Sequence[Tick], specs: Mapping[str, SymbolSpec]) -> None:
        """A poll's ticks, already past the engine's door: their spreads and arrival."""
        self.spreads.add_all(ticks, specs)
        self.quote_clock.saw_all(ticks)

    def on_equity(self, equity: float) -> list[RiskBreach | RiskWarning | TradingStateChanged]:
        """Check the loss limits against ``equity``; may halt or reduce. O(1)."""
        limits = self.limits
        new_day = self.watch.update(equity, limits)
        if new_day:
            self._armed[RiskRule.DAILY_LOSS] = self._warn_armed[RiskRule.DAILY_LOSS] = True
        if new_day or self.budgets.day is None:
            # The strategies' "loss today" starts again with the account's (the first
            # time, after a restart that restored the day, it only notes which day it is).
            self.budgets.roll_to(self.watch.day_start(limits).timestamp())
        facts: list[RiskBreach | RiskWarning | TradingStateChanged] = []
        if not self.watch.equity_known:
            return facts  # nothing true to say; new exposure is refused meanwhile
        if limits.max_daily_loss <= 0 and limits.max_drawdown_pct <= 0:
            return facts  # both off: nothing to measure (the tester's usual case)
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
        watch = self.watch
        return loss_fractions(
            self.limits, watch.daily_loss, watch.drawdown_pct, known=watch.equity_known
        )

    # -- orders ---------------------------------------------------------------------
    def admit(self, request: OrderRequest, ctx: RiskContext) -> Rejection | None:
        """Check ``request`` against every rule, then its strategy's budget if it has an
        owner; when it passes it counts towards the account's rate limits
        (``budget_halts`` gets the halt of an instance the budget check halted). An
        instance's own rate is counted as the order road opens each of its commands."""
        rejection = self.check(request, ctx) or self.budgets.check(
            request, ctx.positions, ctx.orders
        )
        if rejection is None:
            self.throttle.record()
        self.budget_halts.extend(self.budgets.take_halts())
        return rejection

    def check(self, request: OrderRequest, ctx: RiskContext) -> Rejection | None:
        """The first rule ``request`` breaks, or ``None``. Records nothing."""
        return check_order(request, ctx, self.reading())

    def reading(self) -> GateReading:
        """What the rules read about the gate now (``app.domain.risk_rules``)."""
        per_second, per_minute = self.throttle.counts()
        now = self._clock()
        return GateReading(
            self.limits,
            now,
            self.state,
            self.state_reason,
            self.watch.daily_loss,
            self.watch.drawdown_pct,
            per_second,
            per_minute,
            self.spreads.typical,
            self.quote_clock.age,
            self.margin_calculator,
            equity_known=self.watch.equity_known,
            quote_distrust=self._stamp_problem,
        )

    def _stamp_problem(self, quote: Tick) -> str | None:
        """Why the stamp of ``quote`` cannot be trusted (from the future), or None."""
        ahead = self.quote_clock.ahead(quote)
        if ahead <= FUTURE_TOLERANCE_S:
            return None
        offset = self.quote_clock.offset()
        usual = (
            f" beyond the broker's usual offset of {offset / 3600:+.2f} h"
            if offset is not None and abs(offset) >= 1
            else ""
        )
        return (
            f"stamped {describe_span(ahead)} ahead of the engine's clock{usual}, "
            f"more than the {FUTURE_TOLERANCE_S:g} s allowed"
        )

    def check_close(self, position: Position, volume: float | None) -> Rejection | None:
        """Closes pass in every state; only one larger than the position is refused."""
        return check_close(position, volume)

    # -- measures -------------------------------------------------------------------
    def total_exposure(
        self, ctx: RiskContext, symbol: str | None = None, lots: float = 0.0
    ) -> float | None:
        """Σ |worst net| × contract × mid in the account currency (``symbol`` at ``lots``)."""
        return total_exposure(ctx, symbol, lots)

    # -- the panel ------------------------------------------------------------------
    def snapshot(self, ctx: RiskContext) -> RiskSnapshot:
        """Each rule with its limit and current usage, for the risk panel."""
        day_pnl = self.watch.day_pnl
        return RiskSnapshot(
            self.state,
            self.state_reason,
            tuple(_usages(self, ctx)),
            self.limits,
            None if day_pnl is None else round(day_pnl, 2),
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
