"""What the risk gate will say about an order, said by the window before any dialog.

The engine's gate is the authority and checks every order again. Here the same
rule functions (``app.domain.risk_rules``) run on what the window knows: the desk
model's book, quotes and account, and the engine's latest ``RiskSnapshot`` for
the gate's own state (trading state, limits, the day's loss and drawdown, the
orders sent in the last second and minute). Two rules are the engine's alone,
because only it holds their inputs: the typical-spread collar (the median of
ticks the window never sees) and the stale-quote guard (measured on the
engine's clock). Strategy budgets concern strategies' orders, never the window's.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.commands import Command, ReversePosition, SubmitOrder
from app.domain.risk_facts import Rejection, RiskSnapshot, RuleUsage
from app.domain.risk_limits import RiskRule
from app.domain.risk_rules import Book, GateReading, RiskContext, check_order
from app.domain.trading import OrderRequest
from app.ui.desk.model import DeskModel


def reading(snapshot: RiskSnapshot, model: DeskModel, now: float) -> GateReading:
    """The gate's state as its last snapshot told it (the trading state as the model has it)."""
    usage = {row.rule: row for row in snapshot.rules}
    limits = snapshot.limits
    if snapshot.day_pnl is not None:
        daily_loss = max(0.0, -snapshot.day_pnl)
    else:
        daily_loss = _fraction(usage.get(RiskRule.DAILY_LOSS)) * limits.max_daily_loss
    return GateReading(
        limits,
        now,
        model.state,
        model.state_reason,
        daily_loss,
        _fraction(usage.get(RiskRule.DRAWDOWN)) * limits.max_drawdown_pct,
        _count(usage.get(RiskRule.RATE_SECOND)),
        _count(usage.get(RiskRule.RATE_MINUTE)),
    )


def context(model: DeskModel) -> RiskContext:
    """The account as the desk model holds it, in the rules' terms."""
    return RiskContext(
        model.specs,
        model.quotes,
        model.currency,
        model.leverage,
        model.account,
        Book.build(model.positions, model.orders),
        model.positions,
        model.orders,
    )


def refusal(commands: Iterable[Command], model: DeskModel, now: float) -> Rejection | None:
    """The first refusal the gate would give these commands, or ``None``.

    New orders and the opening leg of a reverse are checked; closes, cancels and
    modifications pass in every state, as at the gate. Before the engine's first
    snapshot nothing is said: the engine decides.
    """
    snapshot = model.risk
    if snapshot is None:
        return None
    gate, ctx = reading(snapshot, model, now), context(model)
    for command in commands:
        request = _opening(command, model)
        if request is not None:
            problem = check_order(request, ctx, gate)
            if problem is not None:
                return problem
    return None


def _opening(command: Command, model: DeskModel) -> OrderRequest | None:
    if isinstance(command, SubmitOrder):
        return command.request
    if isinstance(command, ReversePosition):
        position = model.position(command.ticket)
        if position is not None:
            return OrderRequest(
                command.client_id,
                position.symbol,
                position.side.opposite,
                position.volume,
                source=command.source,
            )
    return None


def _fraction(row: RuleUsage | None) -> float:
    return row.fraction or 0.0 if row is not None else 0.0


def _count(row: RuleUsage | None) -> int:
    """An order count as the snapshot wrote it ("3"); anything else counts as none."""
    text = row.usage_text if row is not None else ""
    return int(text) if text.isdigit() else 0
