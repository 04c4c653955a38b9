"""The order road: the only way from a command to the broker, and back.

Every order command — new orders, closes, close-by, reverse, cancels and
modifications, whoever sends them (ticket, chart, tables, Telegram, strategies,
alerts) — takes the same steps, in this module only:

1. **One opening** (``_open``): the command's story starts under its client id
   (``PENDING_NEW``), and a broken link refuses it at once, with its
   ``REJECTED`` event, before anything else is looked at.
2. **The checks**: the symbol is known, the domain validation passes, the risk
   gate admits it (closes and cancels pass in every trading state). A refusal
   is logged as "refused", never as "sent".
3. **The journal** records the intent, durably, before the broker hears of it.
4. **One broker call** (``_execute``): the one place where broker errors become
   outcomes. A refusal is ``REJECTED`` in the broker's words. A lost link before
   sending is "not sent". A lost answer, or anything unexpected after the call
   may have reached the broker, is ``UNKNOWN`` everywhere (event, journal,
   Telegram) and is looked up at the broker as soon as the link allows
   (``resolve_unknown``), never resent.
5. **The outcome**: the journal records it with its deals, the events tell it,
   the portfolio is re-read from the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.brokers.base import (
    Broker,
    BrokerError,
    ExecutionReport,
    OutcomeUnknownError,
    TransientBrokerError,
)
from app.domain.commands import (
    CancelOrder,
    CloseBy,
    ClosePosition,
    ModifyOrder,
    ModifyPosition,
    ReversePosition,
    new_client_id,
)
from app.domain.enums import LogLevel, OrderSource, OrderStatus, OrderType, Side, TradingState
from app.domain.risk_facts import RiskBreach
from app.domain.risk_limits import RiskRule
from app.domain.symbols import SymbolSpec
from app.domain.trading import Fill, OrderRequest, OrderUpdate, Position, WorkingOrder
from app.domain.validation import order_problems
from app.engine.recovery import record_report
from app.storage.errors import StorageError

if TYPE_CHECKING:
    from app.engine.core import TradingCore

log = logging.getLogger(__name__)

#: Seconds between two lookups of outcomes still unknown while the link is up.
UNKNOWN_RETRY_S = 1.0

Lookup = Callable[[Broker], ExecutionReport | None]
"""Asks the broker what became of a request; ``None``: it did not happen."""


@dataclass(slots=True)
class _Unknown:
    """A request whose answer was lost: how to learn its fate, and how to tell it."""

    request: OrderRequest  # the call that was made (its client id is the broker's)
    story: OrderRequest  # whose events tell the outcome (the command the trader sent)
    lookup: Lookup
    settle: Callable[[ExecutionReport], None]
    did_not_happen: str  # the reason given when the lookup says it did not happen


class OrderRoad:
    """Takes each order command down the road; state lives in the ``TradingCore``."""

    def __init__(self, core: TradingCore) -> None:
        self._core = core
        self.unknown: dict[str, _Unknown] = {}
        self._next_lookup = 0.0
        # Cancels and modifications change an order or position; they are not
        # orders of their own, so their refusals are logged, not journaled as orders.
        self._not_orders: set[str] = set()
        # Every client id that started down the road: one id is one order, so a second
        # command under it (a strategy retrying with its own id) is refused, never sent.
        self._used: set[str] = set()

    # -- new orders -----------------------------------------------------------------
    def submit(self, request: OrderRequest) -> None:
        if not self._open(request):
            return
        problem = self._pre_trade_problem(request)
        if problem is not None:
            self._refuse(request, problem)
            return
        if not self._journal_intent(request):
            return
        self._sent(f"Order {self._describe(request)} sent", request)
        report = self._execute(request, lambda b: b.submit(request))
        if report is not None:
            self._apply(request, report)

    # -- closing --------------------------------------------------------------------
    def close_position(self, command: ClosePosition) -> None:
        client_id = command.client_id or new_client_id()
        position = self._position(command.ticket)
        if position is None:
            self._no_such(client_id, f"Close #{command.ticket}", "no such open position", command)
            return
        request = OrderRequest(
            client_id=client_id,
            symbol=position.symbol,
            side=position.side.opposite,
            volume=command.volume if command.volume is not None else position.volume,
            comment=f"close #{position.ticket}",
            source=command.source,
            owner=position.owner,
        )
        what = f"Close position #{position.ticket} ({request.volume:g} lots)"
        if not self._open(request):
            return
        refused = self._core.gate.check_close(position, command.volume)
        if refused is not None:
            self._refuse(request, refused.message)
            return
        if not self._journal_intent(request, "close", position.ticket):
            return
        self._sent(f"{what} sent", request)
        report = self._execute(
            request, lambda b: b.close_position(command.ticket, command.volume, client_id)
        )
        if report is not None:
            self._apply(request, report)

    def close_by(self, command: CloseBy) -> None:
        """Close a position against an opposite one of the same symbol (hedging)."""
        client_id = command.client_id or new_client_id()
        what = f"Close #{command.ticket} by #{command.opposite_ticket}"
        first, other = self._position(command.ticket), self._position(command.opposite_ticket)
        if first is None or other is None:
            self._no_such(client_id, what, "no such open positions", command)
            return
        request = OrderRequest(
            client_id=client_id,
            symbol=first.symbol,
            side=first.side.opposite,
            volume=min(first.volume, other.volume),
            comment=f"close #{first.ticket} by #{other.ticket}",
            source=command.source,
            owner=first.owner,
        )
        if not self._open(request):
            return
        if other.owner != first.owner and request.source is OrderSource.STRATEGY:
            self._refuse(request, f"#{other.ticket} is not its own position")
            return
        if first.symbol != other.symbol or first.side is other.side:
            self._refuse(request, f"#{other.ticket} is not an opposite {first.symbol} position")
            return
        if not self._journal_intent(request, "close", first.ticket):
            return
        self._sent(f"{what} sent", request)
        report = self._execute(request, lambda b: b.close_by(first.ticket, other.ticket, client_id))
        if report is not None:
            self._apply(request, report)

    def reverse(self, command: ReversePosition) -> None:
        """Close a position, then open the opposite side with its volume: one story.

        Every event of both legs carries the command's client id. The opening leg is
        checked (validation, risk) before the closing leg is sent, so a reverse that
        would be refused leaves the position as it was. At the broker and in the
        journal the closing leg has its own id (the command's id + "-x"), because
        crash recovery looks each broker order up by its id.
        """
        client_id = command.client_id or new_client_id()
        position = self._position(command.ticket)
        if position is None:
            self._no_such(client_id, f"Reverse #{command.ticket}", "no such open position", command)
            return
        ticket = position.ticket
        request = OrderRequest(
            client_id=client_id,
            symbol=position.symbol,
            side=position.side.opposite,
            volume=position.volume,
            comment=f"reverse #{ticket}",
            source=command.source,
            owner=position.owner,  # the flipped position keeps its owner
        )
        if not self._open(request):
            return
        refused = self._core.gate.check_close(position, None)
        problem = refused.message if refused else self._reducing_problem(position)
        problem = problem or self._pre_trade_problem(request)
        if problem is not None:
            self._refuse(request, f"Reverse refused, position #{ticket} kept: {problem}")
            return
        close = replace(request, client_id=f"{client_id}-x", comment=f"close #{ticket}")
        if not self._journal_intent(close, "close", ticket, story=request):
            return
        self._sent(
            f"Reverse position #{ticket} sent: close it, then {self._describe(request)}",
            request,
        )
        closed = self._execute(
            close,
            lambda b: b.close_position(ticket, None, close.client_id),
            story=request,
            prefix=f"Reverse refused, position #{ticket} kept: ",
            settle=lambda report: self._late_close(close, request, ticket, report),
        )
        if closed is not None:
            self._closed_then_open(close, request, ticket, closed)

    def _closed_then_open(
        self, close: OrderRequest, request: OrderRequest, ticket: int, closed: ExecutionReport
    ) -> None:
        """The closing leg's answer: refused ends the reverse, done sends the opening leg."""
        if closed.status is OrderStatus.REJECTED:
            reason = closed.reason or "rejected by the broker"
            self._journal(lambda j: j.record_rejection(close, reason))
            self._reject(request, f"Reverse refused, position #{ticket} kept: {reason}")
            return
        self._journal_result(close, closed)
        for fill in closed.fills:
            self._publish_fill(replace(fill, client_id=request.client_id))
        self._core.sync_portfolio()
        if not self._journal_intent(request):
            return
        prefix = f"Position #{ticket} closed, but the opposite order failed: "
        report = self._execute(request, lambda b: b.submit(request), prefix=prefix)
        if report is not None:
            self._apply(request, report, prefix=prefix)

    def _late_close(
        self, close: OrderRequest, request: OrderRequest, ticket: int, closed: ExecutionReport
    ) -> None:
        """A closing leg whose answer was lost and found later: the reverse stops there.

        The trader asked for a reverse at the price of that moment; sending the
        opposite order minutes later, at another price, is not what was asked.
        """
        if closed.status is OrderStatus.REJECTED:
            self._closed_then_open(close, request, ticket, closed)
            return
        self._journal_result(close, closed)
        for fill in closed.fills:
            self._publish_fill(replace(fill, client_id=request.client_id))
        self._core.sync_portfolio()
        self._reject(
            request,
            f"Reverse stopped: the close of #{ticket} was confirmed late, so the opposite "
            "order was not sent",
        )

    # -- cancels and modifications ----------------------------------------------------
    def cancel(self, command: CancelOrder) -> None:
        client_id = command.client_id or new_client_id()
        order = self._order(command.ticket)
        what = f"Cancel #{command.ticket}"
        if order is None:
            self._no_such(client_id, what, "no such working order", command)
            return
        request = _request_for_order(order, client_id, command.source)
        self._not_orders.add(client_id)
        if not self._open(request, what):
            return
        self._sent(f"{what} sent", request)

        def settle(report: ExecutionReport) -> None:
            if report.status is OrderStatus.REJECTED:
                reason = report.reason or "rejected by the broker"
                self._refuse(request, reason, line=f"{what} refused: {reason}")
                return
            self._journal(lambda j: j.record_cancelled(command.ticket))
            self._say(LogLevel.INFO, f"Order #{command.ticket} cancelled", client_id)
            self._not_orders.discard(client_id)
            self._update(request, OrderStatus.DONE, ticket=command.ticket, reason="cancelled")
            if order.client_id != client_id:  # the order's own story ends under its own id
                self._core.publish(
                    OrderUpdate.of_order(
                        order,
                        OrderStatus.CANCELLED,
                        source=command.source,
                        price=order.price,
                        reason=f"cancelled by {command.source}",
                    )
                )
            self._core.sync_portfolio()

        report = self._execute(
            request,
            lambda b: b.cancel_order(command.ticket),
            prefix=f"{what} refused: ",
            settle=settle,
            lookup=lambda b: _order_gone(b, command.ticket),
            did_not_happen="not cancelled: the order is still working at the broker",
        )
        if report is not None:
            settle(report)

    def modify_position(self, command: ModifyPosition) -> None:
        client_id = command.client_id or new_client_id()
        what = f"Modify position #{command.ticket}"
        position = self._position(command.ticket)
        if position is None:
            self._no_such(client_id, what, "no such open position", command)
            return
        probe = OrderRequest(
            client_id,
            position.symbol,
            position.side,
            position.volume,
            sl=command.sl,
            tp=command.tp,
            source=command.source,
            owner=position.owner,
        )
        spec = self._core.specs.get(position.symbol)
        self._modify(
            what,
            probe,
            lambda b: b.modify_position(command.ticket, command.sl, command.tp),
            lookup=lambda b: _position_levels(b, command.ticket, command.sl, command.tp, spec),
            done=f"Position #{command.ticket}: {self._levels(probe)}",
            ticket=command.ticket,
        )

    def modify_order(self, command: ModifyOrder) -> None:
        client_id = command.client_id or new_client_id()
        what = f"Modify order #{command.ticket}"
        order = self._order(command.ticket)
        if order is None:
            self._no_such(client_id, what, "no such working order", command)
            return
        probe = OrderRequest(
            client_id,
            order.symbol,
            order.side,
            order.volume,
            order.order_type,
            price=command.price,
            stop_limit=order.stop_limit,
            sl=command.sl,
            tp=command.tp,
            source=command.source,
            owner=order.owner,
        )
        spec = self._core.specs.get(order.symbol)
        self._modify(
            what,
            probe,
            lambda b: b.modify_order(command.ticket, command.price, command.sl, command.tp),
            lookup=lambda b: _order_levels(
                b, command.ticket, command.price, command.sl, command.tp, spec
            ),
            done=f"Order #{command.ticket}: {self._levels(probe)}",
            ticket=command.ticket,
        )

    def _modify(
        self,
        what: str,
        probe: OrderRequest,
        call: Callable[[Broker], ExecutionReport],
        *,
        lookup: Lookup,
        done: str,
        ticket: int,
    ) -> None:
        """New levels are checked like an order's, then sent; the story ends DONE or REJECTED."""
        self._not_orders.add(probe.client_id)
        if not self._open(probe, what):
            return
        spec = self._core.specs.get(probe.symbol)
        quote = self._core.quote(probe.symbol)
        found = order_problems(probe, spec, quote) if spec else [f"Unknown {probe.symbol}"]
        if found:
            problem = "; ".join(found)
            self._refuse(probe, problem, line=f"{what} refused: {problem}")
            return

        def settle(report: ExecutionReport) -> None:
            self._core.sync_portfolio()
            if report.status is OrderStatus.REJECTED:
                reason = report.reason or "rejected by the broker"
                self._refuse(probe, reason, line=f"{what} refused: {reason}")
                return
            self._not_orders.discard(probe.client_id)
            self._update(probe, OrderStatus.DONE, ticket=ticket, reason="modified")
            self._say(LogLevel.INFO, done, probe.client_id)

        report = self._execute(
            probe,
            call,
            prefix=f"{what} refused: ",
            settle=settle,
            lookup=lookup,
            did_not_happen="not changed: the broker shows the old levels",
        )
        if report is not None:
            settle(report)

    # -- the one opening and the one broker call --------------------------------------
    def _open(self, request: OrderRequest, what: str = "") -> bool:
        """Every order command starts here: its story begins, and a broken link ends it.

        ``what`` names a change to an existing order or position ("Cancel #5"),
        whose refusal is told as "Cancel #5 refused: …" rather than as an order's.
        """
        strategy = request.source is OrderSource.STRATEGY
        sender = self._sender(request) if strategy else 0
        flooded = self._count(sender) if strategy else None
        if self._reused(request.client_id, what):
            return False
        if strategy:
            self._core.note_owner(request.client_id, sender)
        self._update(request, OrderStatus.PENDING_NEW)
        if flooded is not None:
            self._refuse(request, flooded, line=f"{what} refused: {flooded}" if what else None)
            return False
        if strategy and sender != request.owner:
            # Checked at the seam too; here again, as it runs: a ticket that did not
            # exist when the command was sent may be another owner's by now.
            foreign = "not its own: that position or order belongs to another owner"
            self._refuse(request, foreign, line=f"{what} refused: {foreign}" if what else None)
            return False
        problem = self._core.link_problem()
        if problem is not None:
            self._refuse(request, problem, line=f"{what} refused: {problem}" if what else None)
            return False
        return True

    def _reused(self, client_id: str, what: str) -> bool:
        """Whether ``client_id`` was used already (this session, or in the journal).

        Said in one line and nothing else: no order update is published under the
        id, which belongs to the order that had it first (it may be filled).
        """
        used = client_id in self._used
        journal = self._core.journal
        if not used and journal is not None:
            try:
                used = journal.has_order(client_id)
            except StorageError:
                used = False  # recording the intent will fail in words if the journal does
        if not used:
            self._used.add(client_id)
            return False
        self._say(
            LogLevel.WARNING,
            f"{what or 'Order'} refused: client id {client_id} was used already; not sent",
            client_id,
        )
        return True

    def _execute(
        self,
        request: OrderRequest,
        call: Callable[[Broker], ExecutionReport],
        *,
        story: OrderRequest | None = None,
        prefix: str = "",
        settle: Callable[[ExecutionReport], None] | None = None,
        lookup: Lookup | None = None,
        did_not_happen: str = "not executed: the broker has no trace of it",
    ) -> ExecutionReport | None:
        """Make one broker call for ``request``; ``None`` if it ended here (refused, unknown).

        ``story`` is the request whose events the trader follows (a reverse's legs
        tell the reverse's story); ``prefix`` starts the refusal's sentence;
        ``lookup`` and ``settle`` learn and tell the outcome if the answer is lost
        (by default the broker is asked by the request's client id).
        """
        story = story or request
        broker = self._core.broker
        assert broker is not None  # the opening refused the command otherwise
        settle = settle or (lambda report: self._apply(story, report, prefix=prefix))
        lookup = lookup or (lambda b: b.order_outcome(request.client_id))
        try:
            return call(broker)
        except OutcomeUnknownError as exc:
            self._outcome_unknown(request, story, str(exc), lookup, settle, did_not_happen)
        except TransientBrokerError as exc:
            self._reject_leg(request, story, f"{prefix}not sent: {exc}")
            self._core.connection_lost(str(exc))
        except BrokerError as exc:
            self._reject_leg(request, story, f"{prefix}{exc}")
        except Exception as exc:
            log.exception("broker call failed for %s", request.client_id)
            why = (
                f"an unexpected error in the broker adapter after the request was handed to "
                f"it ({type(exc).__name__}: {exc}); it may have executed"
            )
            self._outcome_unknown(
                request, story, why, lookup, settle, did_not_happen, link_lost=False
            )
            self._core.sync_portfolio()
        return None

    def _outcome_unknown(
        self,
        request: OrderRequest,
        story: OrderRequest,
        reason: str,
        lookup: Lookup,
        settle: Callable[[ExecutionReport], None],
        did_not_happen: str,
        *,
        link_lost: bool = True,
    ) -> None:
        """Sent, but no answer: UNKNOWN everywhere until the broker is asked."""
        self.unknown[request.client_id] = _Unknown(request, story, lookup, settle, did_not_happen)
        self._journal(lambda j: j.mark_unknown(request.client_id, reason))
        self._update(story, OrderStatus.UNKNOWN, reason=reason)
        self._say(
            LogLevel.WARNING,
            f"Outcome unknown: {reason}. Not resent; checking with the broker "
            "as soon as it answers",
            story.client_id,
        )
        self._next_lookup = 0.0
        if link_lost:
            self._core.connection_lost("the terminal stopped answering")

    def resolve_unknown(self, now: float | None = None) -> None:
        """Ask the broker what became of requests whose answer was lost.

        Called after a reconnect and, while the link is up, from the poll at most
        every ``UNKNOWN_RETRY_S`` (``now``: monotonic seconds; ``None`` asks at once).
        """
        if not self.unknown or self._core.link_problem() is not None:
            return
        if now is not None:
            if now < self._next_lookup:
                return
            self._next_lookup = now + UNKNOWN_RETRY_S
        broker = self._core.broker
        assert broker is not None
        for client_id, pending in list(self.unknown.items()):
            try:
                report = pending.lookup(broker)
            except BrokerError as exc:
                log.info("outcome of %s still unknown: %s", client_id, exc)
                continue
            except Exception:
                log.exception("looking up %s failed", client_id)
                continue
            del self.unknown[client_id]
            if report is None:
                if pending.request is not pending.story:
                    self._journal(
                        lambda j, r=pending: j.record_rejection(r.request, r.did_not_happen)
                    )
                self._reject(pending.story, f"Checked with the broker: {pending.did_not_happen}")
                continue
            self._say(
                LogLevel.INFO,
                f"Checked with the broker: the order was {report.status.replace('_', ' ')}",
                pending.story.client_id,
            )
            pending.settle(report)

    # -- outcomes -------------------------------------------------------------------
    def _apply(self, request: OrderRequest, report: ExecutionReport, *, prefix: str = "") -> None:
        if report.status is OrderStatus.REJECTED:
            self._reject(request, f"{prefix}{report.reason or 'rejected by the broker'}")
            self._core.sync_portfolio()
            return
        self._journal_result(request, report)
        self._update(
            request,
            report.status,
            filled=report.filled_volume,
            price=report.price,
            ticket=report.broker_ticket,
            reason=report.reason,
        )
        if report.status is OrderStatus.WORKING:
            spec = self._core.specs.get(request.symbol)
            price = spec.format_price(report.price) if spec and report.price else "?"
            self._say(
                LogLevel.INFO,
                f"Order #{report.broker_ticket} {request.side} {request.order_type} "
                f"placed at {price}",
                request.client_id,
            )
        for fill in report.fills:
            self._publish_fill(fill)
        self._core.sync_portfolio()

    def _reject(self, request: OrderRequest, reason: str, *, log_it: bool = True) -> None:
        """The story of ``request`` ends REJECTED; the journal keeps the reason."""
        if request.client_id in self._not_orders:
            self._not_orders.discard(request.client_id)
        else:
            self._journal(lambda j: j.record_rejection(request, reason))
        self._update(request, OrderStatus.REJECTED, reason=reason)
        if log_it:
            self._say(LogLevel.WARNING, f"Rejected: {reason}", request.client_id)

    def _reject_leg(self, request: OrderRequest, story: OrderRequest, reason: str) -> None:
        """A refused broker call: its own record, and the trader's story."""
        if request is not story:
            self._journal(lambda j: j.record_rejection(request, reason))
        self._reject(story, reason)

    def _refuse(self, request: OrderRequest, reason: str, *, line: str | None = None) -> None:
        """Refused before the broker: REJECTED with ``reason``, one log line that says so.

        Nothing was sent, so nothing is logged as sent: the line says "refused".
        """
        self._reject(request, reason, log_it=False)
        if line is None:
            line = f"Rejected: {reason} (refused, not sent to the broker)"
        self._say(LogLevel.WARNING, line, request.client_id)

    def _sender(self, request: OrderRequest) -> int:
        """The owner number of the strategy that sent ``request`` (by its client id)."""
        client = self._core.clients.owner(request.client_id)
        return client.owner if client is not None else request.owner

    def _count(self, owner: int) -> str | None:
        """A strategy's command counts towards its instance's rate before any check (a
        refused one, a reused client id, a ticket that does not exist: all are sent);
        the one over its limit halts it. Returns the refusal of every command of an
        instance halted for flooding: closes and modifications too."""
        budgets = self._core.gate.budgets
        halt = budgets.record(owner)
        if halt is not None:
            self._core.publish(halt)
        return budgets.flood_refusal(owner)

    def _no_such(self, client_id: str, what: str, problem: str, command: object) -> None:
        """The position or order a command names is not in the book."""
        source = getattr(command, "source", OrderSource.TICKET)
        if source is OrderSource.SYSTEM and isinstance(command, CancelOrder):
            return  # the system cancels what is still working: gone already is done
        if source is OrderSource.STRATEGY:
            client = self._core.clients.owner(client_id)
            flooded = self._count(client.owner) if client is not None else None
            if flooded is not None:
                problem = flooded
        volume = getattr(command, "volume", None) or 0.0
        self._core.publish(
            OrderUpdate(
                client_id, OrderStatus.REJECTED, "", Side.BUY, volume, reason=problem, source=source
            )
        )
        self._say(LogLevel.WARNING, f"{what} refused: {problem}", client_id)

    def _sent(self, line: str, request: OrderRequest) -> None:
        self._say(LogLevel.INFO, line, request.client_id)

    def _reducing_problem(self, position: Position) -> str | None:
        """A reverse's opening leg is checked while the position still stands, where it
        looks like a reduction; after the close it opens the other side. So it is refused
        while the account, or the position's instance, may only reduce."""
        gate = self._core.gate
        if gate.state is TradingState.REDUCING:
            return (
                f"Trading is REDUCING ({gate.state_reason}): a reverse opens the opposite position"
            )
        if gate.budgets.reducing(position.owner):
            budget = gate.budgets.get(position.owner)
            name = budget.name if budget is not None else f"strategy #{position.owner}"
            return f"{name} is reducing: a reverse opens the opposite position"
        return None

    def _pre_trade_problem(self, request: OrderRequest) -> str | None:
        core = self._core
        spec = core.specs.get(request.symbol)
        if spec is None:
            return f"Unknown symbol {request.symbol}"
        problems = order_problems(request, spec, core.quote(request.symbol))
        if problems:
            return "; ".join(problems)
        refused = core.gate.admit(request, core.risk_context())
        halts, core.gate.budget_halts = core.gate.budget_halts, []
        for halt in halts:  # its strategy is past a loss limit: it halts, the order is refused
            core.publish(halt)
        if refused is None:
            return None
        if refused.rule not in (RiskRule.TRADING_STATE, RiskRule.STRATEGY_BUDGET):
            core.publish(
                RiskBreach(refused.rule, refused.message, request.symbol, False, request.client_id)
            )
        return refused.message

    def _publish_fill(self, fill: Fill) -> None:
        self._core.publish_fill(fill)

    def _update(
        self,
        request: OrderRequest,
        status: OrderStatus,
        *,
        filled: float = 0.0,
        price: float | None = None,
        ticket: int | None = None,
        reason: str = "",
    ) -> None:
        self._core.publish(
            OrderUpdate.of_request(
                request, status, filled=filled, price=price, ticket=ticket, reason=reason
            )
        )

    # -- the journal: intent before the broker, outcome after ------------------------
    def _journal_intent(
        self,
        request: OrderRequest,
        action: str = "open",
        position_ticket: int | None = None,
        *,
        story: OrderRequest | None = None,
    ) -> bool:
        """Durably record that ``request`` is about to be sent; ``False`` refuses it."""
        if action == "open":  # its position shows this comment, not the id the broker keeps
            self._core.comments.note(request.client_id, request.comment)
        journal = self._core.journal
        if journal is None:
            return True
        try:
            journal.record_intent(request, action=action, position_ticket=position_ticket)
        except StorageError as exc:
            story = story or request
            self._update(story, OrderStatus.REJECTED, reason=str(exc))
            self._say(LogLevel.ERROR, f"Order not sent: {exc}", story.client_id)
            return False
        return True

    def _journal_result(self, request: OrderRequest, report: ExecutionReport) -> None:
        journal = self._core.journal
        if journal is None:
            return
        try:
            record_report(journal, request.client_id, report)
        except StorageError as exc:
            self._say(
                LogLevel.ERROR,
                f"{exc}; the order is on record as sent and will be reconciled with the "
                f"broker at the next start",
                request.client_id,
            )

    def _journal(self, action: Callable[..., object]) -> None:
        self._core.journal_write(action)

    # -- small helpers --------------------------------------------------------------
    def _say(self, level: LogLevel, message: str, client_id: str | None = None) -> None:
        self._core.say(level, message, client_id)

    def _position(self, ticket: int) -> Position | None:
        portfolio = self._core.portfolio
        return portfolio.position(ticket) if portfolio is not None else None

    def _order(self, ticket: int) -> WorkingOrder | None:
        portfolio = self._core.portfolio
        orders = portfolio.orders if portfolio is not None else ()
        return next((o for o in orders if o.ticket == ticket), None)

    def _describe(self, request: OrderRequest) -> str:
        return describe(request, self._core.specs)

    def _levels(self, request: OrderRequest) -> str:
        return levels(request, self._core.specs)


def _request_for_order(order: WorkingOrder, client_id: str, source: OrderSource) -> OrderRequest:
    """A cancel's story is told with the order's symbol, side and volume."""
    return OrderRequest(
        client_id,
        order.symbol,
        order.side,
        order.volume,
        order.order_type,
        price=order.price,
        source=source,
        comment=f"cancel #{order.ticket}",
        owner=order.owner,
    )


def _order_gone(broker: Broker, ticket: int) -> ExecutionReport | None:
    """A lost cancel's fate: the order no longer working means it was cancelled."""
    if any(o.ticket == ticket for o in broker.working_orders()):
        return None
    return ExecutionReport(OrderStatus.CANCELLED, ticket)


def _same(a: float | None, b: float | None, spec: SymbolSpec | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    tolerance = spec.point / 2 if spec is not None else 1e-9
    return abs(a - b) <= tolerance


def _position_levels(
    broker: Broker, ticket: int, sl: float | None, tp: float | None, spec: SymbolSpec | None
) -> ExecutionReport | None:
    """A lost modify's fate: the position shows the requested levels, or it does not."""
    position = next((p for p in broker.positions() if p.ticket == ticket), None)
    if position is None or not (_same(position.sl, sl, spec) and _same(position.tp, tp, spec)):
        return None
    return ExecutionReport(OrderStatus.WORKING, ticket)


def _order_levels(
    broker: Broker,
    ticket: int,
    price: float,
    sl: float | None,
    tp: float | None,
    spec: SymbolSpec | None,
) -> ExecutionReport | None:
    order = next((o for o in broker.working_orders() if o.ticket == ticket), None)
    if order is None or not (
        _same(order.price, price, spec) and _same(order.sl, sl, spec) and _same(order.tp, tp, spec)
    ):
        return None
    return ExecutionReport(OrderStatus.WORKING, ticket, price=order.price)


def describe(request: OrderRequest, specs: dict[str, SymbolSpec]) -> str:
    """'buy 0.1 EURUSD limit 1.08000 sl 1.07500' for the event log."""
    spec = specs.get(request.symbol)
    fmt = spec.format_price if spec else (lambda p: f"{p:g}")
    parts = [str(request.side), f"{request.volume:g}", request.symbol]
    if request.order_type is not OrderType.MARKET and request.price is not None:
        parts += [str(request.order_type), fmt(request.price)]
    if request.sl is not None:
        parts += ["sl", fmt(request.sl)]
    if request.tp is not None:
        parts += ["tp", fmt(request.tp)]
    if request.source is not OrderSource.TICKET:
        parts.append(f"(from {request.source})")
    return " ".join(parts)


def levels(request: OrderRequest, specs: dict[str, SymbolSpec]) -> str:
    """'price 1.08000, stop loss 1.07000, take profit none' for the event log."""
    spec = specs.get(request.symbol)
    fmt = spec.format_price if spec else (lambda p: f"{p:g}")
    price = request.price if request.order_type.is_pending else None
    parts = [f"price {fmt(price)}"] if price else []
    parts.append(f"stop loss {fmt(request.sl) if request.sl else 'none'}")
    parts.append(f"take profit {fmt(request.tp) if request.tp else 'none'}")
    return ", ".join(parts)
