"""Crash recovery: settle every order whose outcome the journal does not know.

At connect, the journal may hold intents without results (the app died between
writing the intent and writing the outcome) and orders last seen working. Each
is looked up at the broker by its client id; what the broker says is recorded.
An order the broker cannot account for is marked UNKNOWN and shown to the
user. Nothing is ever sent again from here: recovery only reads the broker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.brokers.base import Broker, ExecutionReport
from app.domain.enums import LogLevel, OrderStatus
from app.domain.trading import HistoryOrder

if TYPE_CHECKING:
    from app.storage.journal import Journal


def record_report(
    journal: Journal, client_id: str, report: ExecutionReport, *, recovered: bool = False
) -> None:
    """Write the broker's answer for ``client_id`` and its deals to the journal, in one go."""
    journal.record_result(
        client_id,
        report.status,
        broker_ticket=report.broker_ticket,
        filled_volume=report.filled_volume,
        price=report.price,
        reason=report.reason,
        fills=report.fills,
        recovered=recovered,
    )


NEVER_EXECUTED = "not executed: Tradeterm stopped before the broker received it"

Say = Callable[[LogLevel, str, str | None], None]


@dataclass(slots=True)
class Reconciliation:
    """What recovery found, per outcome, as client ids."""

    checked: int = 0
    filled: list[str] = field(default_factory=list)
    working: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)  # cancelled, expired or refused by the broker
    never_executed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.checked == 0:
            return "Journal reconciled with the broker: no unfinished orders"
        parts = [
            f"{len(self.filled)} filled",
            f"{len(self.working)} working",
            f"{len(self.ended)} cancelled or rejected",
            f"{len(self.never_executed)} never executed",
            f"{len(self.unknown)} unknown",
        ]
        orders = "order" if self.checked == 1 else "orders"
        return (
            f"Journal reconciled with the broker: {self.checked} unfinished {orders} checked — "
            + ", ".join(parts)
        )


def reconcile(journal: Journal, broker: Broker, say: Say) -> Reconciliation:
    """Look up each unfinished order at the broker and journal its real outcome.

    ``say(level, message, client_id)`` reports each settled order; unknown ones at
    WARNING. Raises ``StorageError`` if the journal itself fails.
    """
    result = Reconciliation()
    for order in journal.unresolved_orders(include_working=True):
        result.checked += 1
        cid = order.client_id
        try:
            report = broker.order_outcome(cid)
        except Exception as exc:  # any failure to look is "we do not know", never a resend
            reason = f"the broker could not say what became of it ({exc})"
            journal.mark_unknown(cid, reason)
            result.unknown.append(cid)
            say(LogLevel.WARNING, _unknown_message(order, reason), cid)
            continue
        if report is None:
            if order.status is OrderStatus.WORKING:
                reason = "no longer at the broker, and not in its history"
                journal.mark_unknown(cid, reason)
                result.unknown.append(cid)
                say(LogLevel.WARNING, _unknown_message(order, reason), cid)
            else:
                journal.record_result(
                    cid, OrderStatus.REJECTED, reason=NEVER_EXECUTED, recovered=True
                )
                result.never_executed.append(cid)
                say(LogLevel.INFO, f"Recovered order {_label(order)}: {NEVER_EXECUTED}", cid)
            continue
        if report.status is order.status and report.status is OrderStatus.WORKING:
            result.working.append(cid)  # still resting, nothing new to record
            continue
        record_report(journal, cid, report, recovered=True)
        bucket = {
            OrderStatus.FILLED: result.filled,
            OrderStatus.PARTIALLY_FILLED: result.filled,
            OrderStatus.WORKING: result.working,
        }.get(report.status, result.ended)
        bucket.append(cid)
        ticket = f" as #{report.broker_ticket}" if report.broker_ticket else ""
        say(
            LogLevel.INFO,
            f"Recovered order {_label(order)}: {report.status.replace('_', ' ')} at the broker{ticket}",
            cid,
        )
    return result


def _label(order: HistoryOrder) -> str:
    what = "close" if order.action == "close" else str(order.side)
    return f"{order.client_id} ({what} {order.volume:g} {order.symbol})"


def _unknown_message(order: HistoryOrder, reason: str) -> str:
    when = order.created.strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"Order {_label(order)} sent {when}: outcome UNKNOWN — {reason}. "
        f"It was NOT resent; check the broker's terminal before trading this symbol"
    )


def reconcile_deals(journal: Journal, broker: Broker, say: Say) -> int:
    """Record the broker's deals that the journal missed; returns how many there were.

    A deal can happen with no order of ours being unfinished: a stop loss or take
    profit the broker executed just before the app died, before the engine could
    journal it, or anything closed at the broker while the app was not running.
    Each is recorded with the broker's own time and price, and told once. Raises
    ``StorageError`` if the journal fails; a broker that cannot answer is told,
    and the next start tries again.
    """
    since = journal.deals_checked_from()
    if since is None:
        return 0
    try:
        deals = broker.deals_since(since)
    except Exception as exc:  # reading, never a reason to stop the start
        say(
            LogLevel.WARNING, f"Could not read the broker's deals to check the journal: {exc}", None
        )
        return 0
    if not deals:
        return 0
    missed = journal.record_missed_deals(deals)
    for fill in missed:
        when = datetime.fromtimestamp(fill.time_msc / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        what = f"closed position #{fill.position_ticket}" if fill.closes_position else "opened"
        why = f" by {fill.reason}" if fill.reason and fill.reason != "client" else ""
        pnl = f", P&L {fill.realized_pnl:+,.2f}" if fill.closes_position else ""
        say(
            LogLevel.WARNING,
            f"Recovered deal #{fill.deal_ticket} the journal had missed: {fill.side} "
            f"{fill.volume:g} {fill.symbol} at {fill.price} on {when}, {what}{why}{pnl}",
            fill.client_id or None,
        )
    return len(missed)
