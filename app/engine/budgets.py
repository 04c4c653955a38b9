"""Per-strategy budgets in the risk gate: each instance's own limits and trading state.

The account-wide rules (``risk_gate.py``) protect the account; a budget protects
the account from one strategy. An order from an instance (``OrderRequest.owner``
> 0) must pass both: first every account rule, then its instance's budget — max
volume per order, max open positions, max net position per symbol (working
orders counted as filled, like the account rule), max orders per minute, and
the instance's own daily loss and drawdown. Each instance has its own state:
ACTIVE; REDUCING once its loss reaches the warning share of a loss limit, when
the account's ``reduce_on_warning`` is on (only market orders that reduce its own
net position pass, until a new trading day or until it is started again); or
HALTED by its budget (only closes and cancels pass), until the trader starts it
again. Sending commands faster than its limit is flooding: it halts the
instance rather than just refusing the extra orders. The rate counts every
command the instance sends (``record``, called as the order road opens it), so a
strategy cannot flood with modifications, cancels or orders the checks refuse.

An order with an owner that has no budget is refused: nothing trades unbudgeted.

The instance's P&L is its own: what its positions' deals realised since the
trading day began, plus what its open positions float. Its drawdown is measured
from the peak of that figure plus what it realised on earlier days.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.domain.enums import OrderStatus, TradingState
from app.domain.risk_facts import Rejection
from app.domain.risk_limits import RiskRule
from app.domain.risk_rules import reduces
from app.domain.strategies import BudgetHalt, BudgetReducing, StrategyBudget
from app.domain.trading import Fill, OrderRequest, OrderUpdate, Position, WorkingOrder

_EPS = 1e-9


@dataclass(slots=True)
class OwnerBudget:
    limits: StrategyBudget
    name: str
    state: TradingState = TradingState.ACTIVE
    reason: str = ""
    realized_today: float = 0.0
    realized_before: float = 0.0  # on earlier days: the base of the drawdown
    floating: float = 0.0
    peak: float = 0.0
    sent: deque[float] = field(default_factory=deque)  # times of the last minute's orders
    flooded: bool = False  # halted for flooding: nothing more it sends passes
    running: bool = False  # started and not stopped since: only then may it open
    # Its market orders still filling (a partial fill, an outcome not yet known): client
    # id -> (symbol, signed lots still to come), counted in its net as if filled.
    unfilled: dict[str, tuple[str, float]] = field(default_factory=dict)

    def coming(self, symbol: str) -> float:
        """Signed lots its market orders in ``symbol`` still have to fill."""
        return sum(lots for s, lots in self.unfilled.values() if s == symbol)

    @property
    def day_pnl(self) -> float:
        return self.realized_today + self.floating


class Budgets:
    """Every instance's budget, keyed by owner number; lives in the engine thread."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._owners: dict[int, OwnerBudget] = {}
        self._day: float | None = None  # start of the trading day "today" means
        self._halted_in_check: list[BudgetHalt] = []

    # -- keeping them ---------------------------------------------------------------
    def name_of(self, owner: int) -> str | None:
        """The instance's name (the event log's source for its orders), if attached."""
        budget = self._owners.get(owner)
        return budget.name if budget is not None else None

    def set(self, owner: int, limits: StrategyBudget, name: str) -> OwnerBudget:
        budget = self._owners.get(owner)
        if budget is None:
            budget = self._owners[owner] = OwnerBudget(limits, name)
        budget.limits, budget.name = limits, name
        return budget

    def get(self, owner: int) -> OwnerBudget | None:
        return self._owners.get(owner)

    def reducing(self, owner: int) -> bool:
        budget = self._owners.get(owner) if owner > 0 else None
        return budget is not None and budget.state is TradingState.REDUCING

    def on_update(self, update: OrderUpdate) -> None:
        """Keep what an instance's market orders still have to fill: until they end, the
        net it may reduce (and its net position limit) counts them as filled."""
        budget = self._owners.get(update.owner) if update.owner > 0 else None
        if budget is None or update.order_type.is_pending:
            return
        if update.status is OrderStatus.PARTIALLY_FILLED:
            rest = max(0.0, update.volume - update.filled_volume)
            budget.unfilled[update.client_id] = (update.symbol, update.side.sign * rest)
        elif update.status is OrderStatus.UNKNOWN:
            budget.unfilled[update.client_id] = (update.symbol, update.side.sign * update.volume)
        elif update.status.is_final:
            budget.unfilled.pop(update.client_id, None)

    def restore(self, owner: int, realized_today: float, realized_total: float) -> None:
        """At start: the P&L its deals made, from the journal."""
        budget = self._owners.get(owner)
        if budget is not None:
            budget.realized_today = realized_today
            budget.realized_before = realized_total - realized_today
            budget.peak = max(budget.peak, realized_total)

    def activate(self, owner: int) -> str | None:
        """The trader starts the instance again: its budget is ACTIVE, unless it is still
        past a loss limit (its loss today, its drawdown), which is returned in words and
        keeps it HALTED: starting it again must not buy it one more order the same day."""
        budget = self._owners.get(owner)
        if budget is None:
            return None
        budget.flooded = False
        problem = _loss_problem(budget)
        if problem is not None:
            budget.state, budget.reason = TradingState.HALTED, problem
            return problem
        budget.state, budget.reason = TradingState.ACTIVE, ""  # a REDUCING one too
        budget.sent.clear()
        budget.running = True
        return None

    def stopped(self, owner: int) -> None:
        """The instance stopped (or failed): an order it queued before that is refused,
        since nothing would manage what it opened. Closes and cancels still pass."""
        budget = self._owners.get(owner)
        if budget is not None:
            budget.running = False

    def new_day(self) -> None:
        for budget in self._owners.values():
            budget.realized_before += budget.realized_today
            budget.realized_today = 0.0
            if budget.state is TradingState.REDUCING:  # judged again at the next marking
                budget.state, budget.reason = TradingState.ACTIVE, ""

    @property
    def day(self) -> float | None:
        """When the trading day "today" means began (epoch seconds); ``None`` until known."""
        return self._day

    def roll_to(self, day_start: float) -> None:
        """The trading day that began at ``day_start`` (epoch seconds) is the current one.

        The first call only notes it (what ``restore`` gave is already today's); a
        later day moves every instance's "today" into its earlier days.
        """
        if self._day is not None and day_start > self._day:
            self.new_day()
        if self._day is None or day_start > self._day:
            self._day = day_start

    # -- the gate -------------------------------------------------------------------
    def check(
        self,
        request: OrderRequest,
        positions: Iterable[Position],
        orders: Iterable[WorkingOrder],
    ) -> Rejection | None:
        """Whether the instance's budget admits ``request`` (a new order); ``None`` if so."""
        owner = request.owner
        if owner <= 0:
            return None
        symbol = request.symbol
        budget = self._owners.get(owner)
        if budget is None:
            return _refuse(f"strategy #{owner} has no budget, so it may not trade", symbol)
        limits, name = budget.limits, budget.name
        if budget.state is not TradingState.HALTED:
            # Judged here too, not only at the next poll's marking: an instance past its
            # loss limit (restored from the journal, started again) must not get one order.
            problem = _loss_problem(budget)
            if problem is not None:
                self._halted_in_check.append(self._halt(owner, problem))
        if budget.state is TradingState.HALTED:
            return _refuse(f"{name} is halted by its budget ({budget.reason})", symbol)
        if not budget.running:
            return _refuse(f"{name} is not running: an order it sent before it stopped", symbol)
        mine = [p for p in positions if p.owner == owner]
        if budget.state is TradingState.REDUCING and not _reduces(request, mine, budget):
            return _refuse(
                f"{name} is reducing ({budget.reason}): only market orders that reduce its "
                f"own net {symbol} position pass",
                symbol,
            )
        if 0 < limits.max_order_volume < request.volume - _EPS:
            return _refuse(
                f"{name}: {request.volume:g} lots exceeds its limit of "
                f"{limits.max_order_volume:g} lots per order",
                symbol,
            )
        my_orders = [o for o in orders if o.owner == owner]
        # A working order opens a position when it fills: it counts as one already.
        if limits.max_open_positions > 0 and len(mine) + len(my_orders) >= (
            limits.max_open_positions
        ):
            held = f"{len(mine)} open positions"
            if my_orders:
                held += f" and {len(my_orders)} working orders"
            return _refuse(
                f"{name}: it has {held}, its limit is {limits.max_open_positions}", symbol
            )
        if limits.max_net_position > 0:
            worst = _worst_net(request, mine, my_orders, budget.coming(symbol))
            if worst > limits.max_net_position + _EPS:
                return _refuse(
                    f"{name}: its net {symbol} position would reach {worst:g} lots, its "
                    f"limit is {limits.max_net_position:g}",
                    symbol,
                )
        return None

    def record(self, owner: int) -> BudgetHalt | None:
        """One command the instance sent counts towards its rate: every order, close,
        modification and cancel it hands the engine, before any check (flooding is what
        it sends, not what passes; a refused order is still an attempt). Over its limit
        it is halted, and the gate refuses what it sends next."""
        budget = self._owners.get(owner) if owner > 0 else None
        if budget is None or budget.state is TradingState.HALTED:
            return None
        now = self._clock()
        sent = budget.sent
        sent.append(now)
        while sent and now - sent[0] >= 60.0:
            sent.popleft()
        limit = budget.limits.max_orders_per_minute
        if limit > 0 and len(sent) > limit:
            budget.flooded = True
            return self._halt(
                owner,
                f"flooding: {len(sent)} orders within a minute, over its limit of {limit}",
            )
        return None

    def flood_refusal(self, owner: int) -> str | None:
        """Why a command of an instance halted for flooding is refused, whatever it is:
        a close or a modification too (a loss halt lets those pass), so what it had
        queued before the halt landed never reaches the broker."""
        budget = self._owners.get(owner) if owner > 0 else None
        if budget is None or not budget.flooded or budget.state is not TradingState.HALTED:
            return None
        return f"Strategy budget: {budget.name} is halted by its budget ({budget.reason})"

    def take_halts(self) -> list[BudgetHalt]:
        """The halts ``check`` decided since the last call (for the engine to publish)."""
        halts, self._halted_in_check = self._halted_in_check, []
        return halts

    # -- P&L ------------------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        budget = self._owners.get(fill.owner) if fill.owner > 0 else None
        if budget is not None and fill.closes_position:
            budget.realized_today += fill.realized_pnl

    def on_positions(
        self, positions: Iterable[Position], warning: float | None = None
    ) -> list[BudgetHalt | BudgetReducing]:
        """Mark every instance's P&L to the open positions; halts those past a loss limit,
        and with ``warning`` (the share of a limit that warns, when the account reduces on
        warnings) sets those past that share REDUCING."""
        if not self._owners:
            return []
        floating: dict[int, float] = {}
        for p in positions:
            if p.owner > 0:
                floating[p.owner] = floating.get(p.owner, 0.0) + p.profit + p.swap
        halts: list[BudgetHalt | BudgetReducing] = []
        for owner, budget in self._owners.items():
            budget.floating = floating.get(owner, 0.0)
            total = budget.realized_before + budget.day_pnl
            budget.peak = max(budget.peak, total)
            if budget.state is TradingState.HALTED:
                continue
            problem = _loss_problem(budget)
            if problem is not None:
                halts.append(self._halt(owner, problem))
            elif warning is not None and budget.running and budget.state is TradingState.ACTIVE:
                near = _near_problem(budget, warning)
                if near is not None:
                    budget.state, budget.reason = TradingState.REDUCING, near
                    halts.append(BudgetReducing(owner, near))
        return halts

    def _halt(self, owner: int, reason: str) -> BudgetHalt:
        budget = self._owners[owner]
        budget.state, budget.reason = TradingState.HALTED, reason
        return BudgetHalt(owner, reason)


def _loss_problem(budget: OwnerBudget) -> str | None:
    """Which loss limit the instance's own P&L has reached, in words; ``None`` if none."""
    limits = budget.limits
    total = budget.realized_before + budget.day_pnl
    if 0 < limits.max_daily_loss <= -budget.day_pnl:
        return (
            f"its loss today {-budget.day_pnl:,.2f} reached its limit of "
            f"{limits.max_daily_loss:,.2f}"
        )
    if 0 < limits.max_drawdown <= budget.peak - total:
        return (
            f"its drawdown {budget.peak - total:,.2f} reached its limit of "
            f"{limits.max_drawdown:,.2f}"
        )
    return None


def _near_problem(budget: OwnerBudget, share: float) -> str | None:
    """Which loss limit the instance's own P&L has used ``share`` of, in words."""
    limits = budget.limits
    loss = -budget.day_pnl
    drawdown = budget.peak - (budget.realized_before + budget.day_pnl)
    if limits.max_daily_loss > 0 and loss >= share * limits.max_daily_loss:
        return (
            f"its loss today {loss:,.2f} is {loss / limits.max_daily_loss:.0%} of its "
            f"limit of {limits.max_daily_loss:,.2f}"
        )
    if limits.max_drawdown > 0 and drawdown >= share * limits.max_drawdown:
        return (
            f"its drawdown {drawdown:,.2f} is {drawdown / limits.max_drawdown:.0%} of its "
            f"limit of {limits.max_drawdown:,.2f}"
        )
    return None


def _reduces(request: OrderRequest, mine: Iterable[Position], budget: OwnerBudget) -> bool:
    """A market order against the instance's own net position in its symbol, no larger;
    its orders still filling count as filled (two sells must not flip it)."""
    net = sum(p.side.sign * p.volume for p in mine if p.symbol == request.symbol)
    net += budget.coming(request.symbol) if budget.unfilled else 0.0
    return reduces(request, net)


def _refuse(message: str, symbol: str) -> Rejection:
    return Rejection(RiskRule.STRATEGY_BUDGET, f"Strategy budget: {message}", symbol)


def _worst_net(
    request: OrderRequest,
    positions: Iterable[Position],
    orders: Iterable[WorkingOrder],
    coming: float = 0.0,
) -> float:
    """|net lots| of the instance in the symbol if the request, its growing orders and
    its market orders still filling (``coming``, signed) filled."""
    symbol = request.symbol
    net = coming + sum(p.side.sign * p.volume for p in positions if p.symbol == symbol)
    net += request.side.sign * request.volume
    buys = sum(o.volume for o in orders if o.symbol == symbol and o.side.sign > 0)
    sells = sum(o.volume for o in orders if o.symbol == symbol and o.side.sign < 0)
    return max(abs(net + buys), abs(net - sells))
