"""The ``AlertHost``: the alerts of one engine, evaluated on its thread, kept in its journal.

It is an engine client (ticks of the symbols its alerts watch, closed bars of
the pairs they need, a timer for the clock and the account) and it owns the
alert commands (create, edit, enable/disable, delete, acknowledge, list,
history), registered in the engine's ``command_handlers`` like the strategy
host's. What it does when an alert fires, in this order:

1. the evaluator has already counted the firing (so the next tick cannot fire
   it again);
2. if the alert trades (an order template *and* the trader's opt-in), the
   firing is written to the journal durably, then the order is queued through
   the client seam: it runs at the end of the turn down the one order road,
   risk gate included, with source ``alert`` — refused when trading is halted,
   with the gate's reason. A firing that cannot be recorded sends no order;
3. ``AlertFired`` is published: Telegram, the webhook, the sound and the
   desktop notification are done from it outside the engine thread;
4. a line in the event log; the firing in the journal (batched, never waiting);
   the alert's new status.

Definitions are checked before anything is stored (``alert_problems``, the
indicator library, and — for a webhook — one test POST done by the notifier,
answered with ``WebhookChecked``): a bad one is refused in one sentence and
nothing changes. Everything here runs on the engine thread.
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.alerts.armed import Firing
from app.alerts.evaluator import BarKey, Evaluator
from app.alerts.indicators import (
    IndicatorProblem,
    build_indicator,
    indicator_problem,
    resolve_indicator,
)
from app.domain.alert_facts import (
    AcknowledgeAlert,
    AlertFired,
    AlertFiring,
    AlertHistory,
    AlertList,
    AlertReply,
    AlertStatus,
    CreateAlert,
    DeleteAlert,
    EditAlert,
    EnableAlert,
    RequestAlertHistory,
    RequestAlerts,
    WebhookCheck,
    WebhookChecked,
)
from app.domain.alerts import (
    AlertSpec,
    AlertState,
    Watch,
    alert_problems,
    describe,
    fired_text,
    format_moment,
    webhook_display,
)
from app.domain.commands import SubmitOrder, new_client_id
from app.domain.enums import LogLevel, OrderSource, OrderStatus
from app.domain.market import Bar, Tick
from app.domain.trading import OrderUpdate
from app.engine.clients import ClientContext, EngineClient, Subscriptions
from app.storage.errors import StorageError

if TYPE_CHECKING:
    from app.engine.extensions import EngineServices

log = logging.getLogger(__name__)

#: Engine-time milliseconds between checks of the clock, the account, expiries and reminders.
TIMER_MS = 100
#: How long (engine time) a new alert waits for its webhook's test POST before it is refused.
CHECK_WAIT_MS = 20_000
#: Alerts written to the event log by ``alerts`` (the Alerts tab shows them all).
LISTED = 50
RECENT = 500  # firings kept in memory for the history without a journal


@dataclass(slots=True)
class _Kept:
    """One alert the host keeps (not deleted), whether armed or not."""

    number: int
    spec: AlertSpec
    enabled: bool = True
    generation: int = 1
    acknowledged: int = 0
    count: int = 0
    last: AlertFiring | None = None

    def state(self, now_msc: int) -> AlertState:
        if not self.enabled:
            return AlertState.DISABLED
        spec = self.spec
        if spec.limit and self.count >= spec.limit:
            return AlertState.DONE
        if spec.expires_msc is not None and now_msc >= spec.expires_msc:
            return AlertState.EXPIRED
        return AlertState.ACTIVE


@dataclass(slots=True)
class _Check:
    """An alert waiting for its webhook's test POST before it is stored."""

    command: CreateAlert | EditAlert
    deadline_msc: int


@dataclass(slots=True)
class _Reminder:
    fired: AlertFired
    next_msc: int


Command = CreateAlert | EditAlert | EnableAlert | DeleteAlert | AcknowledgeAlert | RequestAlerts


class AlertHost(EngineClient):
    name = "alerts"
    source = OrderSource.ALERT

    def __init__(self, core: EngineServices) -> None:
        self._core = core
        self.evaluator = Evaluator(build_indicator)
        self.alerts: dict[int, _Kept] = {}
        self._context: ClientContext | None = None
        self._started = False
        self._next_number = 1  # without a journal
        self._checks: dict[str, _Check] = {}
        self._check_seq = 0
        self._reminders: dict[int, _Reminder] = {}
        self._orders: dict[str, int] = {}  # client id of an alert's order -> the alert
        self._expiries: list[tuple[int, int]] = []  # (expires_msc, number)
        self._recent: deque[AlertFiring] = deque(maxlen=RECENT)
        #: Alerts that fired and still run: their new counts go out with the next timer,
        #: so a burst of firings costs one status each per tenth of a second, not per firing.
        self._dirty: set[int] = set()
        #: Firings' event-log lines and journal rows, written at the end of the turn.
        self._pending: list[tuple[str, AlertFiring, int]] = []
        self._routes: tuple[frozenset[str], frozenset[BarKey]] = (frozenset(), frozenset())
        core.command_handlers.update(
            {
                CreateAlert: self.create,
                EditAlert: self.edit,
                EnableAlert: self.enable,
                DeleteAlert: self.delete,
                AcknowledgeAlert: self.acknowledge,
                RequestAlerts: self.request_list,
                RequestAlertHistory: self.request_history,
                WebhookChecked: self.webhook_checked,
            }
        )
        core.clients.attach(self)

    # -- the seam ---------------------------------------------------------------------
    def subscriptions(self) -> Subscriptions:
        evaluator = self.evaluator
        return Subscriptions(ticks=evaluator.symbols, bars=evaluator.bar_keys, timer_ms=TIMER_MS)

    def on_start(self, context: ClientContext) -> None:
        self._context = context
        if not self._started:
            self._started = True
            self._restore()
        for kept in self.alerts.values():
            self._arm(kept)
        self._resubscribe()
        self._publish_list()

    def on_stop(self) -> None:
        self._flush()
        self.evaluator = Evaluator(build_indicator)  # re-armed from what is kept at the next start
        self._checks.clear()

    def on_tick(self, tick: Tick) -> None:
        firings = self.evaluator.on_tick(tick)
        if firings is not None:
            self._act(firings)

    def on_bar(self, bar: Bar) -> None:
        firings = self.evaluator.on_bar(bar)
        if firings is not None:
            self._act(firings)

    def on_timer(self, now_msc: int) -> None:
        self._flush()
        self._expire_checks(now_msc)
        self._expire(now_msc)
        evaluator, context = self.evaluator, self._context
        if evaluator.watches_account and context is not None:
            firings = evaluator.on_clock(now_msc, context.positions, context.account)
        else:
            firings = evaluator.on_clock(now_msc)
        if firings is not None:
            self._act(firings)
        self._tell_missed()
        for number in evaluator.take_gone():
            kept = self.alerts.get(number)
            if kept is not None and kept.enabled:
                self._switch_off(kept, f"position #{kept.spec.ticket} is closed")
        self._remind(now_msc)
        if self._dirty:
            dirty, self._dirty = self._dirty, set()
            for number in sorted(dirty):
                kept = self.alerts.get(number)
                if kept is not None:
                    self._publish(kept, now_msc)

    def on_order(self, update: OrderUpdate) -> None:
        number = self._orders.get(update.client_id)
        if number is None:
            return
        if update.status is OrderStatus.REJECTED:
            self._say(
                LogLevel.WARNING,
                f"Alert {number}: its order was refused: {update.reason or 'no reason given'}",
            )
        elif update.status is OrderStatus.UNKNOWN:
            self._say(LogLevel.WARNING, f"Alert {number}: its order's outcome is unknown")
        if update.status.is_final:
            self._orders.pop(update.client_id, None)

    # -- firing -----------------------------------------------------------------------
    def _act(self, firings: Iterable[Firing]) -> None:
        now = self._now()
        finished = False
        for firing in firings:
            armed = firing.armed
            kept = self.alerts.get(armed.number)
            if kept is None or self.evaluator.get(armed.number) is not armed:
                continue
            expires = kept.spec.expires_msc
            if expires is not None and now >= expires:
                self._expire_one(kept)
                finished = True
                continue
            kept.count = armed.count
            self._fire(kept, firing, now)
            if armed.done:
                self.evaluator.disarm(kept.number)
                finished = True
                self._publish(kept, now)  # its state changed: say so at once
            else:
                self._dirty.add(kept.number)  # a new count: said with the next timer
        if finished:
            self._resubscribe()

    def _fire(self, kept: _Kept, firing: Firing, now: int) -> None:
        spec = kept.spec
        symbol = self._core.specs.get(spec.symbol)
        text = fired_text(spec, firing.value, symbol, time_msc=firing.time_msc)
        record = AlertFiring(kept.number, firing.time_msc, kept.count, firing.value, text)
        client_id, said = "", ""
        actions = spec.actions
        if actions.trades:
            self._flush()  # the event log keeps the order things happened in
            client_id, said = self._trade(kept, record)
            record = replace(record, order_client_id=client_id)
        elif actions.order is not None:
            said = "; its order is off (not opted in)"
        fired = AlertFired(
            kept.number, spec, text, firing.value, firing.time_msc, kept.count, False, client_id
        )
        self._core.publish(fired)
        line = f"Alert {kept.number} fired: {text}{said}"
        if actions.trades:
            self._say(LogLevel.INFO, line)
        else:
            # Said and journaled at the end of the turn: each journaled row wakes the
            # journal's writer thread, which then competes for the interpreter lock with
            # the rest of this poll's ticks and firings (docs/alerts.md, "Figures").
            self._pending.append((line, record, kept.generation))
        kept.last = record
        self._recent.appendleft(record)
        if actions.repeat_until_ack:
            self._reminders[kept.number] = _Reminder(fired, now + actions.repeat_every_s * 1000)

    def _flush(self) -> None:
        """The event-log lines and journal rows of firings that were left for the turn's end."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        journal = self._core.journal
        for line, record, generation in pending:
            self._say(LogLevel.INFO, line)
            if journal is not None:
                try:
                    journal.record_alert_firing(record, generation)
                except StorageError as exc:  # pragma: no cover - batched puts do not fail
                    log.error("alert firing not recorded: %s", exc)

    def _trade(self, kept: _Kept, record: AlertFiring) -> tuple[str, str]:
        """Record the firing durably, then queue its order; (client id, what to add to the log)."""
        order = kept.spec.actions.order
        context = self._context
        assert order is not None and context is not None
        client_id = new_client_id()
        journal = self._core.journal
        if journal is not None:
            try:
                journal.record_alert_firing(
                    replace(record, order_client_id=client_id), kept.generation, durable=True
                )
            except StorageError as exc:
                return "", f"; its order was NOT sent: the firing could not be recorded ({exc})"
        request = replace(order, client_id=client_id, source=OrderSource.ALERT)
        sent = context.send(SubmitOrder(request))
        if not sent:
            return "", "; its order was refused before the risk gate (see above)"
        self._orders[sent] = kept.number
        what = f"{order.side.upper()} {order.volume:g} {order.symbol}"
        return sent, f"; order {what} at market sent to the risk gate ({sent})"

    def _remind(self, now_msc: int) -> None:
        for reminder in self._reminders.values():
            if now_msc >= reminder.next_msc:
                every = reminder.fired.spec.actions.repeat_every_s * 1000
                reminder.next_msc = now_msc + every
                self._core.publish(replace(reminder.fired, repeat=True))

    # -- commands ---------------------------------------------------------------------
    def create(self, command: CreateAlert) -> None:
        problem = self._not_ready()
        if not problem:
            spec, problem = self._prepare(command.spec)
            command = replace(command, spec=spec)
        if problem:
            self._refuse(command, f"Alert not created: {problem}")
            return
        if command.spec.actions.webhook:
            self._check_webhook(command)
            return
        self._store_new(command)

    def edit(self, command: EditAlert) -> None:
        kept = self.alerts.get(command.number)
        problem = self._not_ready() or ("no such alert" if kept is None else "")
        if not problem:
            spec, problem = self._prepare(command.spec)
            command = replace(command, spec=spec)
        if problem:
            self._refuse(command, f"Alert {command.number} not changed: {problem}")
            return
        assert kept is not None
        webhook = command.spec.actions.webhook
        if webhook and webhook != kept.spec.actions.webhook:
            self._check_webhook(command)
            return
        self._apply_edit(command)

    def enable(self, command: EnableAlert) -> None:
        kept = self.alerts.get(command.number)
        verb = "on" if command.enabled else "off"
        if kept is None:
            self._refuse(command, f"Alert {command.number} not switched {verb}: no such alert")
            return
        now = self._now()
        if not command.enabled:
            if not kept.enabled:
                self._reply(command, True, f"Alert {kept.number} is already off", kept.number)
                return
            self._switch_off(kept, f"by {command.source}", command)
            return
        if command.source is OrderSource.TELEGRAM and kept.spec.actions.trades:
            # An alert that places orders is set up in the terminal, where its order is
            # seen; a message from the phone must not arm one (docs/alerts.md).
            self._refuse(
                command,
                f"Alert {kept.number} not switched on: it places orders, so it is switched "
                "on in the terminal, not from Telegram",
            )
            return
        state = kept.state(now)
        if kept.enabled and state is AlertState.ACTIVE:
            self._reply(command, True, f"Alert {kept.number} is already on", kept.number)
            return
        expires = kept.spec.expires_msc
        if expires is not None and now >= expires:
            self._refuse(
                command,
                f"Alert {kept.number} not switched on: it expired; edit it to give a later expiry",
            )
            return
        restart = kept.spec.limit and kept.count >= kept.spec.limit
        generation = kept.generation + 1 if restart else kept.generation
        acknowledged = 0 if restart else kept.acknowledged
        if not self._save(kept, command, enabled=True, generation=generation, ack=acknowledged):
            return
        kept.enabled, kept.generation, kept.acknowledged = True, generation, acknowledged
        if restart:
            kept.count, kept.last = 0, None
        self._arm(kept)
        self._resubscribe()
        self._publish(kept, now)
        again = " (it starts again: its count is reset)" if restart else ""
        self._reply(command, True, f"Alert {kept.number} switched on{again}", kept.number)

    def delete(self, command: DeleteAlert) -> None:
        kept = self.alerts.get(command.number)
        if kept is None:
            self._refuse(command, f"Alert {command.number} not deleted: no such alert")
            return
        if not self._save(kept, command, deleted=True):
            return
        self.evaluator.disarm(kept.number)
        self._reminders.pop(kept.number, None)
        del self.alerts[kept.number]
        self._resubscribe()
        self._core.publish(self._status(kept, self._now(), deleted=True))
        self._reply(command, True, f"Alert {kept.number} deleted", kept.number)

    def acknowledge(self, command: AcknowledgeAlert) -> None:
        if command.number is not None and command.number not in self.alerts:
            self._refuse(command, f"Alert {command.number} not acknowledged: no such alert")
            return
        chosen = [
            kept
            for kept in self.alerts.values()
            if (command.number is None or kept.number == command.number)
            and kept.count > kept.acknowledged
        ]
        now = self._now()
        done = []
        for kept in chosen:
            if not self._save(kept, command, ack=kept.count):
                return
            kept.acknowledged = kept.count
            self._reminders.pop(kept.number, None)
            self._publish(kept, now)
            done.append(str(kept.number))
        if not done:
            what = f"alert {command.number}" if command.number is not None else "any alert"
            self._reply(command, True, f"Nothing to acknowledge for {what}", command.number)
            return
        self._reply(command, True, f"Acknowledged alert(s) {', '.join(done)}", command.number)

    def request_list(self, command: RequestAlerts) -> None:
        self._publish_list()
        now = self._now()
        kept = list(self.alerts.values())
        if command.say:
            if not kept:
                self._say(LogLevel.INFO, "No alerts")
            for item in kept[:LISTED]:
                self._say(LogLevel.INFO, self._line(item, now))
            if len(kept) > LISTED:
                self._say(LogLevel.INFO, f"…and {len(kept) - LISTED} more alerts")
        if command.request_id:
            active = sum(1 for k in kept if k.state(now) is AlertState.ACTIVE)
            text = f"{len(kept)} alert(s), {active} active"
            self._core.publish(AlertReply(command.request_id, True, text))

    def request_history(self, command: RequestAlertHistory) -> None:
        self._flush()
        journal = self._core.journal
        if journal is None:
            firings = tuple(
                f for f in self._recent if command.number is None or f.number == command.number
            )[: command.limit]
            self._core.publish(AlertHistory(command.number, firings))
            return
        try:
            got = tuple(journal.alert_firings(command.number, command.limit))
        except StorageError as exc:
            self._core.publish(AlertHistory(command.number, (), str(exc)))
            return
        self._core.publish(AlertHistory(command.number, got))

    def webhook_checked(self, command: WebhookChecked) -> None:
        check = self._checks.pop(command.check_id, None)
        if check is None:
            log.info("webhook check %s answered after it was given up", command.check_id)
            return
        pending = check.command
        if command.problem:
            where = webhook_display(pending.spec.actions.webhook)
            self._refuse(
                pending,
                f"{_not_done(pending)}: the webhook {where} did not take the test POST: "
                f"{command.problem}",
            )
            return
        if isinstance(pending, CreateAlert):
            self._store_new(pending)
        elif pending.number in self.alerts:
            self._apply_edit(pending)
        else:
            self._refuse(pending, f"Alert {pending.number} not changed: it was deleted meanwhile")

    # -- storing ----------------------------------------------------------------------
    def _store_new(self, command: CreateAlert) -> None:
        number = self._new_number()
        if number is None:
            self._refuse(command, "Alert not created: the journal could not give it a number")
            return
        kept = _Kept(number, command.spec)
        if not self._save(kept, command):
            return
        self.alerts[number] = kept
        self._arm(kept)
        self._resubscribe()
        self._publish(kept, self._now())
        self._reply(command, True, f"Alert {number} created: {self._describe(kept)}", number)

    def _apply_edit(self, command: EditAlert) -> None:
        kept = self.alerts[command.number]
        edited = _Kept(
            kept.number,
            command.spec,
            kept.enabled,
            kept.generation + 1,
        )
        if not self._save(edited, command):
            return
        self.alerts[kept.number] = edited
        self._reminders.pop(kept.number, None)
        self.evaluator.disarm(kept.number)
        self._arm(edited)
        self._resubscribe()
        self._publish(edited, self._now())
        self._reply(
            command, True, f"Alert {kept.number} changed: {self._describe(edited)}", kept.number
        )

    def _save(
        self,
        kept: _Kept,
        command: object,
        *,
        enabled: bool | None = None,
        generation: int | None = None,
        ack: int | None = None,
        deleted: bool = False,
    ) -> bool:
        journal = self._core.journal
        if journal is None:
            return True
        try:
            journal.save_alert(
                kept.number,
                kept.spec,
                enabled=kept.enabled if enabled is None else enabled,
                generation=kept.generation if generation is None else generation,
                acknowledged=kept.acknowledged if ack is None else ack,
                deleted=deleted,
            )
        except StorageError as exc:
            self._refuse(command, f"Alert {kept.number} not saved: {exc}")  # type: ignore[arg-type]
            return False
        return True

    def _new_number(self) -> int | None:
        journal = self._core.journal
        if journal is None:
            number = self._next_number
            self._next_number += 1
            return number
        try:
            return journal.next_alert_number()
        except StorageError as exc:
            log.error("no alert number: %s", exc)
            return None

    def _restore(self) -> None:
        journal = self._core.journal
        if journal is None:
            return

        def unreadable(number: int, reason: str) -> None:
            self._say(
                LogLevel.WARNING,
                f"Alert {number} was not restored: its stored definition does not read "
                f"({reason}); it is kept in the journal unchanged, define it again if you need it",
            )

        try:
            stored = journal.alerts(on_unreadable=unreadable)
        except StorageError as exc:
            self._say(LogLevel.ERROR, f"Alerts not restored: {exc}")
            return
        now = self._now()
        for item in stored:
            kept = _Kept(
                item.number,
                item.spec,
                item.enabled,
                item.generation,
                item.acknowledged,
                item.count,
                item.last,
            )
            self.alerts[item.number] = kept
            last = item.last
            if item.spec.actions.repeat_until_ack and kept.count > kept.acknowledged and last:
                fired = AlertFired(
                    kept.number,
                    kept.spec,
                    last.text,
                    last.value,
                    last.time_msc,
                    last.count,
                    True,
                    last.order_client_id,
                )
                self._reminders[kept.number] = _Reminder(fired, now)
        if stored:
            active = sum(1 for k in self.alerts.values() if k.state(now) is AlertState.ACTIVE)
            self._say(LogLevel.INFO, f"Alerts restored: {len(stored)}, of which {active} active")

    # -- arming -----------------------------------------------------------------------
    def _arm(self, kept: _Kept) -> None:
        context = self._context
        if context is None or kept.state(self._now()) is not AlertState.ACTIVE:
            return
        spec = kept.spec
        last = kept.last.time_msc if kept.last is not None else None
        try:
            self.evaluator.arm(
                kept.number,
                spec,
                quote=context.quote(spec.symbol) if spec.symbol else None,
                history=context.closed_bars,
                count=kept.count,
                last_fired_msc=last,
                now_msc=self._now(),
            )
        except IndicatorProblem as exc:
            self._switch_off(kept, str(exc))
            return
        if spec.expires_msc is not None:
            heapq.heappush(self._expiries, (spec.expires_msc, kept.number))
        self._tell_missed()

    def _tell_missed(self) -> None:
        """Time alerts whose moment passed unseen: said in one line each, never fired late.

        An alert that trades must never act on what nobody saw, and one that
        only tells would tell a false "it is 09:00" at 11:00 (docs/alerts.md).
        """
        for missed in self.evaluator.take_missed():
            kept = self.alerts.get(missed.number)
            if kept is None:
                continue
            when = format_moment(missed.last_msc)
            times = f"{missed.times} of its times, the last " if missed.times > 1 else "its time "
            what = (
                f"missed {times}{when} while it was not running (Tradeterm closed, "
                "disconnected or asleep): it did not fire"
            )
            if kept.spec.actions.trades:
                what += " and sent no order"
            if missed.next_msc is None:
                self._switch_off(kept, what)
            else:
                self._say(
                    LogLevel.WARNING,
                    f"Alert {kept.number} {what}; next at {format_moment(missed.next_msc)}",
                )

    def _resubscribe(self) -> None:
        routes = (self.evaluator.symbols, self.evaluator.bar_keys)
        if routes != self._routes:
            self._routes = routes
            self._core.clients.resubscribe(self)

    def _switch_off(self, kept: _Kept, why: str, command: object | None = None) -> None:
        if not self._save(kept, command, enabled=False):
            return
        kept.enabled = False
        self.evaluator.disarm(kept.number)
        self._reminders.pop(kept.number, None)
        self._resubscribe()
        self._publish(kept, self._now())
        text = f"Alert {kept.number} switched off: {why}"
        if command is not None:
            self._reply(command, True, text, kept.number)  # type: ignore[arg-type]
        else:
            self._say(LogLevel.WARNING, text)

    def _expire(self, now_msc: int) -> None:
        expiries = self._expiries
        while expiries and expiries[0][0] <= now_msc:
            _at, number = heapq.heappop(expiries)
            kept = self.alerts.get(number)
            expires = kept.spec.expires_msc if kept is not None else None
            # An entry left by an earlier definition (edited since) may be due first.
            due = kept is not None and expires is not None and now_msc >= expires
            if due and kept is not None and number in self.evaluator:
                self._expire_one(kept)
                self._resubscribe()

    def _expire_one(self, kept: _Kept) -> None:
        self.evaluator.disarm(kept.number)
        self._reminders.pop(kept.number, None)
        self._publish(kept, self._now())
        self._say(LogLevel.INFO, f"Alert {kept.number} expired: {self._describe(kept)}")

    def _check_webhook(self, command: CreateAlert | EditAlert) -> None:
        self._check_seq += 1
        check_id = f"webhook-check-{self._check_seq}"
        self._checks[check_id] = _Check(command, self._now() + CHECK_WAIT_MS)
        url = command.spec.actions.webhook
        self._core.publish(WebhookCheck(check_id, url))
        self._say(
            LogLevel.INFO,
            f"Checking the webhook {webhook_display(url)} with a test POST before storing "
            "the alert",
        )

    def _expire_checks(self, now_msc: int) -> None:
        for check_id, check in list(self._checks.items()):
            if now_msc >= check.deadline_msc:
                del self._checks[check_id]
                where = webhook_display(check.command.spec.actions.webhook)
                self._refuse(
                    check.command,
                    f"{_not_done(check.command)}: the webhook {where} could not be checked "
                    f"within {CHECK_WAIT_MS // 1000} s (no answer to the test POST)",
                )

    # -- what the host says -----------------------------------------------------------
    def _not_ready(self) -> str:
        if not self._started or self._context is None:
            return "not connected to the broker yet (its symbols are not known)"
        return ""

    def _prepare(self, spec: AlertSpec) -> tuple[AlertSpec, str]:
        """``spec`` with its indicators' parameters named, and everything wrong with it."""
        try:
            spec = replace(
                spec,
                indicator=resolve_indicator(spec.indicator) if spec.indicator else None,
                other=resolve_indicator(spec.other) if spec.other else None,
            )
        except IndicatorProblem as exc:
            return spec, str(exc)
        problems = alert_problems(spec, self._core.specs, self._now())
        for ref in (spec.indicator, spec.other):
            problem = indicator_problem(ref)
            if problem:
                problems.append(problem)
        context = self._context
        if (
            spec.watch is Watch.POSITION_PNL
            and spec.ticket
            and context is not None
            and not any(p.ticket == spec.ticket for p in context.positions())
        ):
            problems.append(f"No open position #{spec.ticket}")
        return spec, "; ".join(problems)

    def _now(self) -> int:
        context = self._context
        return context.now_msc() if context is not None else 0

    def _describe(self, kept: _Kept) -> str:
        return describe(kept.spec, self._core.specs.get(kept.spec.symbol))

    def _line(self, kept: _Kept, now: int) -> str:
        fired = f", fired {kept.count}×" if kept.count else ""
        return f"Alert {kept.number} [{kept.state(now)}]: {self._describe(kept)}{fired}"

    def _status(self, kept: _Kept, now: int, *, deleted: bool = False) -> AlertStatus:
        return AlertStatus(
            kept.number,
            kept.spec,
            kept.state(now),
            self._describe(kept),
            kept.count,
            kept.last.time_msc if kept.last is not None else None,
            kept.count > kept.acknowledged,
            deleted,
        )

    def _publish(self, kept: _Kept, now: int) -> None:
        self._core.publish(self._status(kept, now))

    def _publish_list(self) -> None:
        now = self._now()
        self._core.publish(AlertList(tuple(self._status(k, now) for k in self.alerts.values())))

    def _reply(self, command: Command, ok: bool, text: str, number: int | None = None) -> None:
        self._say(LogLevel.INFO if ok else LogLevel.WARNING, text)
        request_id = getattr(command, "request_id", "")
        if request_id:
            self._core.publish(AlertReply(request_id, ok, text, number))

    def _refuse(self, command: Command, text: str) -> None:
        self._reply(command, False, text)

    def _say(self, level: LogLevel, message: str) -> None:
        self._core.say(level, message, source="alerts")


def _not_done(command: CreateAlert | EditAlert) -> str:
    if isinstance(command, CreateAlert):
        return "Alert not created"
    return f"Alert {command.number} not changed"
