"""The ``StrategyHost``: the strategy instances of one engine, their budgets and their record.

It is an engine client itself (it hears budget halts and trading-state changes)
and it registers the engine's strategy commands (attach, edit, start, stop,
detach). For each instance it keeps the configuration (in the journal, so
instances and their settings survive a restart; none starts by itself unless
the trader asked for it with ``autostart``), sets its budget in the risk gate,
runs it in a ``StrategyRunner`` and says what happens to it as
``StrategyStatus`` facts. It also guards ownership: a strategy may close,
modify or cancel only what it owns.

Everything here runs on the engine thread, like the rest of the engine.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from app.domain.commands import (
    CancelOrder,
    CloseBy,
    ClosePosition,
    Command,
    ModifyOrder,
    ModifyPosition,
    ReversePosition,
)
from app.domain.enums import ConnectionStatus, LogLevel, OrderSource, TradingState
from app.domain.notices import ConnectionState
from app.domain.risk_facts import TradingStateChanged
from app.domain.strategies import (
    AttachStrategy,
    BudgetHalt,
    BudgetReducing,
    DetachStrategy,
    EditStrategy,
    RequestStrategies,
    StartStrategy,
    StopStrategy,
    StrategyBudget,
    StrategyConfig,
    StrategyReply,
    StrategyState,
    StrategyStatus,
)
from app.domain.trading import Fill
from app.engine.clients import ClientContext, EngineClient, Subscriptions, client_failures
from app.storage.errors import StorageError
from app.strategies.base import LOG_LINES_KEPT
from app.strategies.catalog import Catalog
from app.strategies.params import ParamError
from app.strategies.runner import StrategyRunner

if TYPE_CHECKING:
    from app.engine.extensions import EngineServices

log = logging.getLogger(__name__)

#: Engine-time milliseconds between refreshes of the instances' P&L in the panel.
STATUS_REFRESH_MS = 1000


class StrategyHost(EngineClient):
    name = "strategies"

    def __init__(
        self,
        core: EngineServices,
        load_catalog: Callable[[], Catalog],
        *,
        status_refresh_ms: int = STATUS_REFRESH_MS,
    ) -> None:
        """``status_refresh_ms``: engine time between P&L refreshes of the instances'
        statuses (0: only on changes; the tester has no panel to refresh)."""
        self._core = core
        self._load_catalog = load_catalog
        self._status_refresh_ms = status_refresh_ms
        self.catalog = Catalog()
        self.configs: dict[str, StrategyConfig] = {}
        self.runners: dict[str, StrategyRunner] = {}
        self._saved_state: dict[str, dict[str, Any]] = {}
        self._published: dict[str, StrategyStatus] = {}
        self._not_running: dict[str, tuple[StrategyState, str]] = {}  # no runner: why
        self._last_lines: dict[str, tuple[str, ...]] = {}  # what it said before a restart
        # Working orders the host asked to cancel in this turn (one cancel each, however
        # many reasons); cleared when a new fact or command comes, so one the broker
        # refused is asked again by the next halt, stop or reconnect.
        self._cancels_sent: set[int] = set()
        self._trades: dict[str, int] = {}  # closing deals of each instance, from the journal
        self._next_number = 1  # without a journal (tests, the tester)
        self._started = False
        core.command_handlers.update(
            {
                AttachStrategy: self.attach,
                EditStrategy: self.edit,
                StartStrategy: lambda c: self.start(c.name),
                StopStrategy: self._stop_command,
                DetachStrategy: self._detach_command,
                RequestStrategies: lambda _c: self._publish_all(force=True),
            }
        )
        core.clients.refusal = self.refusal
        core.clients.disabled = self._disabled
        core.clients.refused_at_seam = self._refused_at_seam
        core.clients.attach(self)

    def subscriptions(self) -> Subscriptions:
        return Subscriptions(
            timer_ms=self._status_refresh_ms,
            all_orders=True,  # the deals of a stopped instance's positions count too
            facts=frozenset({BudgetHalt, BudgetReducing, TradingStateChanged, ConnectionState}),
        )

    # -- the engine connected -----------------------------------------------------------
    def on_start(self, context: ClientContext) -> None:
        if self._started:
            return
        self._started = True
        self.catalog = self._load_catalog()
        self._core.publish(self.catalog.fact())
        for problem in self.catalog.problems:
            self._say(LogLevel.WARNING, f"Strategy not loaded: {problem}")
        journal = self._core.journal
        if journal is not None:
            unreadable: list[str] = []
            try:
                restored = journal.strategy_instances(unreadable)
                results = journal.owner_results(self._day_start())
            except StorageError as exc:
                self._say(LogLevel.ERROR, f"Strategies not restored: {exc}")
                restored, results = [], {}
            for problem in unreadable:
                self._say(
                    LogLevel.ERROR,
                    f"Strategy {problem}; not restored (its positions stay as they are)",
                )
            for config, state in restored:
                self._keep(config, state)
                self._last_lines[config.name] = self._lines_before(config.name)
                today, total, trades = results.get(config.number, (0.0, 0.0, 0))
                self._core.budgets.restore(config.number, today, total)
                self._trades[config.name] = trades
            if restored:
                names = ", ".join(c.name for c, _ in restored)
                self._say(
                    LogLevel.INFO, f"Strategies restored (stopped unless set to start): {names}"
                )
            if self._core.trading_state() is TradingState.HALTED:
                # Halted before the restart: what strategies left resting at the broker
                # goes now (a cancel the link refused back then never ran).
                self._cancel_strategies_orders("trading is halted")
            for config, _state in restored:
                if config.autostart:
                    self.start(config.name)
                else:
                    # Stopped after the restart: what it left resting at the broker (the
                    # terminal ended while it ran) would fill with nothing to manage it.
                    self._cancel_working_orders(config.name, config.number, "not started")
        self._publish_all(force=True)

    def on_fact(self, fact: object) -> None:
        self._cancels_sent.clear()  # what was sent before has run: still working, send again
        if isinstance(fact, BudgetHalt):
            name = self._name_of(fact.owner)
            if name is not None:
                self.stop(name, f"halted by its budget: {fact.reason}", StrategyState.HALTED)
                self._cancel_working_orders(name, fact.owner, "halted by its budget")  # if idle
        elif isinstance(fact, BudgetReducing):
            name = self._name_of(fact.owner)
            if name is not None:
                runner = self.runners.get(name)
                if runner is not None:
                    runner.note(f"reducing: {fact.reason}")
                self._say(
                    LogLevel.WARNING,
                    f"Strategy {name} is reducing: {fact.reason}; only market orders that "
                    "reduce its own net position pass",
                )
                # A working order opens (or adds to) a position when it fills.
                self._cancel_working_orders(name, fact.owner, "reducing")
                self._publish(name, force=True)
        elif isinstance(fact, TradingStateChanged) and fact.new is TradingState.HALTED:
            running = [n for n, r in self.runners.items() if _active(r)]
            for name in running:
                self.stop(name, f"trading halted: {fact.reason}")
            if running:
                self._say(LogLevel.WARNING, f"Trading halted: stopped {', '.join(running)}")
            self._cancel_strategies_orders("trading halted")
        elif isinstance(fact, ConnectionState) and fact.status is ConnectionStatus.CONNECTED:
            # A cancel sent while the link was down was refused: the halt still holds,
            # so the orders it left go now, before one fills.
            self._cancels_sent.clear()
            for name, runner in self.runners.items():
                if not _active(runner):
                    self._cancel_working_orders(name, runner.owner, f"{runner.state}")
            if self._core.trading_state() is TradingState.HALTED:
                self._cancel_strategies_orders("trading is halted")
            for name, config in self.configs.items():
                budget = self._core.budgets.get(config.number)
                if budget is not None and budget.state is TradingState.HALTED:
                    self._cancel_working_orders(name, config.number, "halted by its budget")
                elif budget is not None and budget.state is TradingState.REDUCING:
                    self._cancel_working_orders(name, config.number, "reducing")

    def _cancel_strategies_orders(self, why: str) -> None:
        """Every strategy-owned working order, of a detached instance too."""
        names = {c.number: n for n, c in self.configs.items()}
        for owner in sorted({o.owner for o in self._core.working_orders() if o.owner > 0}):
            self._cancel_working_orders(names.get(owner, f"#{owner}"), owner, why)

    def _cancel_working_orders(self, name: str, owner: int, why: str) -> None:
        """A halt stops new exposure, so the instance's working orders go too: each
        would open a position when it filled. Its positions stay. Sent by the system,
        not the strategy: they do not count towards its rate."""
        working = self._core.working_orders()
        self._cancels_sent &= {o.ticket for o in working}  # the rest are gone already
        tickets = [o.ticket for o in working if o.owner == owner]
        tickets = [t for t in tickets if t not in self._cancels_sent]
        self._cancels_sent.update(tickets)
        for ticket in tickets:
            self._core.queue(CancelOrder(ticket, source=OrderSource.SYSTEM))
        if tickets:
            self._say(
                LogLevel.WARNING,
                f"Strategy {name}: cancelling its {len(tickets)} working order(s) ({why})",
            )

    def on_fill(self, fill: Fill) -> None:
        """A running instance counts its own deals; one that is stopped (the trader closed
        its position, an SL hit while it was stopped) has them counted here."""
        if fill.owner <= 0:
            return
        name = self._name_of(fill.owner)
        if name is None:
            return
        runner = self.runners.get(name)
        if runner is not None and _active(runner):
            return
        if runner is not None:
            runner.record(fill, self._core.specs.get(fill.symbol), self._core.now_msc())
        elif fill.closes_position:
            self._trades[name] = self._trades.get(name, 0) + 1
        self._publish(name)

    def on_timer(self, now_msc: int) -> None:
        self._publish_all()

    # -- commands ---------------------------------------------------------------------
    def attach(self, command: AttachStrategy) -> None:
        cls = self.catalog.classes.get(command.strategy)
        if cls is None:
            known = ", ".join(self.catalog.classes) or "none loaded"
            self._refuse(f"no strategy {command.strategy!r} (available: {known})", command)
            return
        if command.symbol not in self._core.specs:
            self._refuse(
                f"{command.strategy}: no symbol {command.symbol!r} at this broker", command
            )
            return
        problem = self._settings_problem(cls, command.params, command.budget)
        if problem:
            self._refuse(f"{command.strategy}: {problem}", command)
            return
        number = self._new_number(command)
        if number is None:
            return
        config = StrategyConfig(
            number,
            command.strategy,
            command.symbol,
            command.timeframe,
            dict(cls.Params.parse(command.params).model_dump(mode="json")),
            command.budget,
            command.autostart,
        )
        if not self._record(config, command=command):
            return
        self._keep(config, {})
        self._say(
            LogLevel.INFO,
            f"Strategy {config.name} attached to {config.symbol} {config.timeframe.name} "
            f"({_params_text(config.params)})",
        )
        self._publish(config.name, force=True)
        self._answer(command, True, f"{config.name} attached", config.name)
        if command.start:
            self.start(config.name)

    def edit(self, command: EditStrategy) -> None:
        config = self.configs.get(command.name)
        if config is None:
            self._refuse(f"no strategy instance {command.name!r}", command)
            return
        runner = self.runners.get(command.name)
        if runner is not None and _active(runner):
            self._refuse(
                f"{command.name} is running: stop it before changing its settings", command
            )
            return
        cls = self.catalog.classes.get(config.strategy)
        if cls is None:
            self._refuse(f"{command.name}: its strategy {config.strategy!r} is not loaded", command)
            return
        problem = self._settings_problem(cls, command.params, command.budget)
        if problem:
            self._refuse(f"{command.name}: {problem}", command)
            return
        params = dict(cls.Params.parse(command.params).model_dump(mode="json"))
        new = StrategyConfig(
            config.number,
            config.strategy,
            config.symbol,
            config.timeframe,
            params,
            command.budget,
            command.autostart,
        )
        if not self._record(new, command=command):
            return
        self.configs[command.name] = new
        self._core.budgets.set(new.number, new.budget, new.name)
        self._say(LogLevel.INFO, f"Strategy {new.name} changed: {_params_text(params)}")
        self._publish(new.name, force=True)
        self._answer(command, True, f"{new.name} changed", new.name)

    def start(self, name: str) -> None:
        config = self.configs.get(name)
        if config is None:
            self._refuse(f"no strategy instance {name!r}")
            return
        old = self.runners.get(name)
        if old is not None and _active(old):
            self._say(LogLevel.INFO, f"Strategy {name} is already {old.state}")
            return
        if self._core.trading_state() is TradingState.HALTED:
            self._refuse(f"{name} not started: trading is HALTED; resume trading first")
            return
        cls = self.catalog.classes.get(config.strategy)
        if cls is None:
            self._refuse(f"{name}: its strategy {config.strategy!r} is not loaded")
            return
        try:
            params = cls.Params.parse(config.params)
        except ParamError as exc:
            self._refuse(f"{name}: {exc}")
            return
        # Its own read-only copy of the settings: what it is given cannot change what
        # the panel shows, the journal keeps or the next start trades.
        own = replace(config, params=MappingProxyType(copy.deepcopy(dict(config.params))))
        saved = self._saved_state.get(name)
        try:  # its own __init__ runs here: what it raises is its failure, not the engine's
            strategy = cls(own, params, dict(saved) if isinstance(saved, dict) else {})
            # Its lines go on from where they were: this session's run, else the journal's.
            before = old.last_log if old is not None else self._last_lines.get(name, ())
            strategy._log_lines.extend(before)
            runner = StrategyRunner(
                strategy,
                save_state=self._save_state,
                changed=lambda r: self._publish(r.name),
                trades=old.trades if old is not None else self._trades.get(name, 0),
            )
        except client_failures() as exc:
            log.error("strategy %s failed to start", name, exc_info=exc)
            self._refuse(f"{name} not started: {type(exc).__name__}: {exc}")
            self._mark(name, StrategyState.FAILED, f"failed to start: {type(exc).__name__}: {exc}")
            self._publish(name, force=True)
            return
        budgets = self._core.budgets
        budgets.set(config.number, config.budget, name)
        still_halted = budgets.activate(config.number)
        if still_halted:
            self._mark(name, StrategyState.HALTED, f"halted by its budget: {still_halted}")
            self._refuse(
                f"{name} not started: {still_halted} (it may trade again on the next "
                "trading day, or with a higher limit)"
            )
            self._publish(name, force=True)
            return
        self.runners[name] = runner
        self._not_running.pop(name, None)
        self._core.clients.detach(name)
        self._core.clients.attach(runner)  # starts it: on_start, then its warm-up
        if _active(runner):
            runner.note("started")
            self._say(LogLevel.INFO, f"Strategy {name} started")
        self._publish(name, force=True)

    def stop(
        self,
        name: str,
        reason: str,
        state: StrategyState = StrategyState.STOPPED,
        *,
        then_close: bool = False,
    ) -> None:
        runner = self.runners.get(name)
        if runner is None or not _active(runner):
            if name not in self.configs:
                self._refuse(f"no strategy instance {name!r}")
            elif state is StrategyState.HALTED:
                self._mark(name, state, reason)
                self._publish(name, force=True)
            return
        # While it still has the engine's clock; "stopped by panel", not "stopped: stopped …".
        runner.note(reason if reason.startswith(str(state)) else f"{state}: {reason}")
        self._core.clients.detach(name)  # on_stop, and no callback after it
        self._core.budgets.stopped(runner.owner)
        runner.mark(state, reason)
        level = LogLevel.WARNING if state is StrategyState.HALTED else LogLevel.INFO
        positions = (
            "its positions are closed next" if then_close else "its positions stay as they are"
        )
        self._say(level, f"Strategy {name} {state}: {reason}; {positions}")
        # Nothing manages what it left resting once it is stopped: each would open a
        # position when it filled. Its own on_stop may have cancelled them already.
        self._cancel_working_orders(name, runner.owner, f"{state}: {reason}")
        self._publish(name, force=True)

    def _lines_before(self, name: str) -> tuple[str, ...]:
        """The instance's newest event-log lines from before this start, for the panel's
        last log lines (which otherwise start empty after every restart)."""
        journal = self._core.journal
        if journal is None:
            return ()
        try:
            events = journal.recent_events(name, LOG_LINES_KEPT)
        except StorageError:
            return ()
        return tuple(f"{e.time:%H:%M:%S} {e.message}" for e in events)

    def _mark(self, name: str, state: StrategyState, reason: str) -> None:
        """Why an instance that did not start is not running, for the panel: on its
        runner if it ran this session, else kept here (after a restart it has none)."""
        runner = self.runners.get(name)
        if runner is not None:
            runner.mark(state, reason)
        else:
            self._not_running[name] = (state, reason)

    def _stop_command(self, command: StopStrategy) -> None:
        self._cancels_sent.clear()
        self.stop(command.name, f"stopped by {command.source}", then_close=command.then_close)

    def _detach_command(self, command: DetachStrategy) -> None:
        self._cancels_sent.clear()
        self.detach(command)

    def detach(self, command: DetachStrategy) -> None:
        config = self.configs.get(command.name)
        if config is None:
            self._refuse(f"no strategy instance {command.name!r}")
            return
        self.stop(command.name, f"detached by {command.source}")
        if not self._record(config, detached=True):
            return
        self.configs.pop(command.name)
        runner = self.runners.pop(command.name, None)
        self._core.publish(self._status(config, runner, detached=True))
        self._published.pop(command.name, None)
        self._say(LogLevel.INFO, f"Strategy {command.name} detached")

    # -- ownership ----------------------------------------------------------------------
    def refusal(self, client: EngineClient, command: Command) -> str:
        """A strategy touches only what it owns; the trader's and others' are out of reach."""
        if not isinstance(client, StrategyRunner):
            return ""
        core = self._core
        tickets: list[int] = []
        orders = False
        match command:
            case ClosePosition(ticket=t) | ModifyPosition(ticket=t) | ReversePosition(ticket=t):
                tickets = [t]
            case CloseBy(ticket=t, opposite_ticket=o):
                tickets = [t, o]
            case CancelOrder(ticket=t) | ModifyOrder(ticket=t):
                tickets, orders = [t], True
        book = core.working_orders() if orders else core.positions()
        for ticket in tickets:
            item = next((x for x in book if x.ticket == ticket), None)
            if item is not None and item.owner != client.owner:
                what = "order" if orders else "position"
                return f"#{ticket} is not its own {what}"
        return ""

    def _refused_at_seam(self, client: EngineClient) -> None:
        """A command the seam refused was still sent: it counts towards the rate."""
        if isinstance(client, StrategyRunner):
            halt = self._core.budgets.record(client.owner)
            if halt is not None:
                self._core.publish(halt)

    def _disabled(self, client: EngineClient, reason: str) -> None:
        if isinstance(client, StrategyRunner) and client.name in self.configs:
            client.note(f"failed: {reason}")
            client.mark(StrategyState.FAILED, reason)
            self._core.budgets.stopped(client.owner)
            self._cancels_sent.clear()
            self._cancel_working_orders(client.name, client.owner, "failed")
            self._publish(client.name, force=True)

    # -- record and status ----------------------------------------------------------------
    def _keep(self, config: StrategyConfig, state: dict[str, Any]) -> None:
        self.configs[config.name] = config
        self._saved_state[config.name] = state
        self._core.budgets.set(config.number, config.budget, config.name)

    def _record(
        self, config: StrategyConfig, *, detached: bool = False, command: object = None
    ) -> bool:
        journal = self._core.journal
        if journal is None:
            return True
        try:
            journal.save_strategy(config, detached=detached)
        except StorageError as exc:
            self._refuse(f"{config.name} not saved: {exc}", command)
            return False
        return True

    def _name_of(self, number: int) -> str | None:
        """The attached instance whose magic number this is (a handful are attached)."""
        return next((n for n, c in self.configs.items() if c.number == number), None)

    def _save_state(self, number: int, state: dict[str, Any]) -> None:
        name = self._name_of(number)
        if name is not None:
            self._saved_state[name] = state
        self._core.journal_write(lambda j: j.save_strategy_state(number, state))

    def _new_number(self, command: object = None) -> int | None:
        journal = self._core.journal
        if journal is None:
            number = self._next_number
            self._next_number += 1
            return number
        try:
            return journal.next_strategy_number()
        except StorageError as exc:
            self._refuse(f"strategy not attached: {exc}", command)
            return None

    def _status(
        self, config: StrategyConfig, runner: StrategyRunner | None, *, detached: bool = False
    ) -> StrategyStatus:
        budget = self._core.budgets.get(config.number)
        positions = [p for p in self._core.positions() if p.owner == config.number]
        if runner is not None:
            state, reason = runner.state, runner.reason
            if (
                state is StrategyState.RUNNING
                and budget is not None
                and budget.state is TradingState.REDUCING
            ):
                state, reason = StrategyState.REDUCING, budget.reason
        else:
            state, reason = self._not_running.get(config.name, (StrategyState.STOPPED, ""))
        return StrategyStatus(
            config,
            state,
            reason,
            round(budget.day_pnl, 2) if budget is not None else 0.0,
            len(positions),
            runner.trades if runner is not None else self._trades.get(config.name, 0),
            runner.last_log if runner is not None else self._last_lines.get(config.name, ()),
            detached,
            # Made with the parameters it last ran with: after an edit, none until it starts.
            runner.chart_indicators()
            if runner is not None and runner.strategy.config.params == config.params
            else (),
        )

    def _publish(self, name: str, *, force: bool = False) -> None:
        config = self.configs.get(name)
        if config is None:
            return
        status = self._status(config, self.runners.get(name))
        if force or status != self._published.get(name):
            self._published[name] = status
            self._core.publish(status)

    def _publish_all(self, *, force: bool = False) -> None:
        if force:
            self._core.publish(self.catalog.fact())
        for name in list(self.configs):
            self._publish(name, force=force)

    def _settings_problem(
        self, cls: type, params: Mapping[str, Any], budget: StrategyBudget
    ) -> str | None:
        try:
            parsed = cls.Params.parse(params)  # type: ignore[attr-defined]
        except ParamError as exc:
            return str(exc)
        problems = budget.problems()
        if problems:
            return "; ".join(problems)
        volume = getattr(parsed, "volume", None)  # the examples' lots per trade
        cap = budget.max_order_volume
        if isinstance(volume, int | float) and 0 < cap < volume:
            return (
                f"volume: {volume:g} lots per trade is above its budget's max lots per "
                f"order ({cap:g}): every order it sends would be refused"
            )
        return None

    def _day_start(self) -> Any:
        return self._core.trading_day_start()

    def _refuse(self, message: str, command: object = None) -> None:
        """One line in the event log; and the answer to ``command`` if it asked for one."""
        self._say(LogLevel.WARNING, f"Refused: {message}")
        self._answer(command, False, message)

    def _answer(self, command: object, ok: bool, text: str, name: str = "") -> None:
        request_id = getattr(command, "request_id", "")
        if request_id:
            self._core.publish(StrategyReply(request_id, ok, text, name))

    def _say(self, level: LogLevel, message: str) -> None:
        self._core.say(level, message, source="strategies")


def _active(runner: StrategyRunner) -> bool:
    return runner.state in (StrategyState.RUNNING, StrategyState.WARMING_UP)


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "default parameters"
