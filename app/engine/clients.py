"""The engine's extension seam: code that reacts to market data runs here, in the engine thread.

Strategies, alerts, recorders — anything that reacts to ticks, closed bars,
orders or fills — is an ``EngineClient``. A client never holds a broker
connection of its own and never sees the broker: it reads the engine's state
through its ``ClientContext`` and sends the same domain commands as the order
ticket. Those commands are **queued** and run after the current poll (or
command), through the one order road and the risk gate, so a client can never
re-enter the engine mid-poll or go around the gate.

Why it is shaped this way (the ideas of NautilusTrader's ``Actor`` and vn.py's
``CtaTemplate``, written for this engine):

* **Callbacks with no-op defaults.** A client overrides only what it needs;
  the host routes ticks only to clients that override ``on_tick`` and only for
  the symbols they subscribe to, so a bar-driven strategy costs nothing per tick.
* **Closed bars only.** ``on_bar`` gets a bar once, when ``MarketData`` closes it
  (at the first tick of the next period), in time order, shortest timeframe
  first; never the forming bar. What a strategy decides on is what it will see
  again in the tester.
* **Facts first, clients after.** The core journals and publishes a poll's
  fills, order updates and positions before any client runs, so a client that
  raises, or takes a second, never costs the record or the screen a fill.
* **Isolation.** Every callback runs in its own ``try``: an exception is logged
  with the client's name (the traceback in the log file, one line in the event
  log) and, after ``max_failures`` of them, the client is disabled. A callback
  that runs longer than ``SLOW_CALL_S`` is reported with its name and the time
  it took (a thread cannot be pre-empted, so it is named, not stopped).
* **The engine's clock.** ``ClientContext.now_msc`` is the engine's time, never
  the wall clock, so the same client runs unchanged in the tester.
"""

from __future__ import annotations

import logging
import threading
import time
from asyncio import CancelledError
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol, TypeVar

from app.domain.command_shape import shape_problem
from app.domain.commands import (
    CancelOrder,
    CloseBy,
    ClosePosition,
    Command,
    Halt,
    ModifyOrder,
    ModifyPosition,
    ReversePosition,
    SubmitOrder,
    new_client_id,
)
from app.domain.enums import LogLevel, OrderSource
from app.domain.market import Bar, BarHistory, Tick
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import (
    MANUAL,
    AccountState,
    Fill,
    OrderUpdate,
    Position,
    WorkingOrder,
)

log = logging.getLogger(__name__)

BarKey = tuple[str, Timeframe]
T = TypeVar("T")

#: A callback that runs longer than this (seconds) is reported as blocking the engine.
SLOW_CALL_S = 0.25

_FAILURES: tuple[type[BaseException], ...] = (Exception, SystemExit, CancelledError)
_FAILURES_OFF_MAIN = (*_FAILURES, KeyboardInterrupt)


def client_failures() -> tuple[type[BaseException], ...]:
    """What a client's callback may raise that is the client's failure, not the engine's end.

    Every error; ``SystemExit`` too (a script's ``sys.exit()`` in a strategy must
    disable that strategy, never stop the terminal); asyncio's ``CancelledError``
    (a ``BaseException`` that asyncio code in a strategy can let out by accident);
    and, off the main thread, ``KeyboardInterrupt``: Python raises Ctrl+C only in
    the main thread, so on the engine thread one can only come from the strategy.
    On the main thread (a command-line test run) it stays Ctrl+C and ends the run.
    Used as ``except client_failures():``, which is evaluated only when something
    was raised, so the happy path pays nothing.
    """
    if threading.current_thread() is threading.main_thread():
        return _FAILURES
    return _FAILURES_OFF_MAIN


#: Commands a client may send: orders, closes, cancels, modifications and the kill switch.
#: Resuming trading, loosening limits and chart requests stay with the trader.
CLIENT_COMMANDS = (
    SubmitOrder,
    ClosePosition,
    CancelOrder,
    ModifyPosition,
    ModifyOrder,
    ReversePosition,
    CloseBy,
    Halt,
)

#: What a client may still send from its ``on_stop``: commands that only reduce what it
#: holds. Nothing a stopping client sends may open a position (after a detach nobody would
#: own it; a client disabled for a bug has lost track of its state).
STOPPING_COMMANDS = (ClosePosition, CloseBy, CancelOrder, Halt)


@dataclass(frozen=True, slots=True)
class Subscriptions:
    """What a client receives besides its own orders' updates and fills.

    ``ticks``: the symbols whose ticks reach ``on_tick`` (``None``: every symbol).
    ``bars``: the ``(symbol, timeframe)`` pairs whose closed bars reach ``on_bar``.
    ``timer_ms``: the period of ``on_timer`` in engine-clock milliseconds (0: none).
    ``all_orders``: every order's updates and fills, not only the client's own
    (a recorder, a notifier).
    ``facts``: kinds of other facts the engine publishes (a trading-state change,
    a strategy budget's halt) that reach ``on_fact`` at the end of the turn.
    """

    ticks: frozenset[str] | None = frozenset()
    bars: frozenset[BarKey] = frozenset()
    timer_ms: int = 0
    all_orders: bool = False
    facts: frozenset[type] = frozenset()  # other facts to receive in ``on_fact``


class EngineView(Protocol):
    """What the engine lets its clients read and do (``TradingCore`` implements it)."""

    def now_msc(self) -> int: ...
    def quote(self, symbol: str) -> Tick | None: ...
    def spec(self, symbol: str) -> SymbolSpec | None: ...
    def closed_bars(self, symbol: str, timeframe: Timeframe, count: int) -> BarHistory: ...
    def positions(self) -> Sequence[Position]: ...
    def working_orders(self) -> Sequence[WorkingOrder]: ...
    def account(self) -> AccountState | None: ...
    def queue(self, command: Command) -> None: ...
    def say(
        self, level: LogLevel, message: str, client_id: str | None = None, *, source: str = ...
    ) -> None: ...


class EngineClient:
    """Base class of everything that runs on the engine seam; override what you need.

    Every callback runs on the engine thread, between polls, with the facts of
    the poll already journaled and published.
    """

    #: Shown in the event log and the log file with everything the client does.
    name: str = "client"
    #: Stamped on every command the client sends (the journal keeps it).
    source: OrderSource = OrderSource.SYSTEM
    #: Exceptions tolerated before the client is disabled.
    max_failures: int = 3
    #: What its orders and positions carry at the broker (``OrderRequest.owner``):
    #: a strategy instance's number, so their updates and fills come back to it even
    #: after a restart; ``MANUAL`` (0) for clients that own nothing.
    owner: int = MANUAL

    def subscriptions(self) -> Subscriptions:
        return Subscriptions()

    def on_start(self, context: ClientContext) -> None:
        """The engine is connected; ``context`` stays valid until ``on_stop``."""

    def on_stop(self) -> None:
        """The engine is stopping, or the client was detached or disabled."""

    def on_tick(self, tick: Tick) -> None:
        """A quote of a subscribed symbol; after the bars it closed have been delivered."""

    def on_poll(self, ticks: Sequence[Tick]) -> None:
        """Every tick of one poll at once, all symbols, in order, before ``on_tick`` and
        ``on_bar`` (a recorder: it learns where polls end). Only if overridden."""

    def on_bar(self, bar: Bar) -> None:
        """A closed bar of a subscribed ``(symbol, timeframe)``; never the forming bar."""

    def on_order(self, update: OrderUpdate) -> None:
        """A step in the life of one of the client's own orders (or any, with ``all_orders``)."""

    def on_fill(self, fill: Fill) -> None:
        """A deal of one of the client's own orders or positions (or any, with ``all_orders``)."""

    def on_timer(self, now_msc: int) -> None:
        """Every ``Subscriptions.timer_ms`` of engine time."""

    def on_fact(self, fact: object) -> None:
        """A fact of a kind in ``Subscriptions.facts``, after the turn's orders and fills."""


class ClientContext:
    """A client's window on the engine: read the book, send commands, log.

    One per client; it stamps the client's source and fresh client ids on the
    commands it sends and remembers which orders are the client's, so their
    updates and fills come back to it.
    """

    def __init__(self, view: EngineView, host: ClientHost, client: EngineClient) -> None:
        self._view = view
        self._host = host
        self._client = client
        #: Whether ``send`` passes anything: set by the host around ``on_start`` and
        #: ``on_stop``, so a context kept past its client's stop (a thread of its own,
        #: a module global) can no longer trade.
        self.phase = ContextPhase.CLOSED

    def now_msc(self) -> int:
        """The engine's time in epoch milliseconds (the replayed time in the tester)."""
        return self._view.now_msc()

    def quote(self, symbol: str) -> Tick | None:
        return self._view.quote(symbol)

    def spec(self, symbol: str) -> SymbolSpec | None:
        return self._view.spec(symbol)

    def closed_bars(self, symbol: str, timeframe: Timeframe, count: int) -> BarHistory:
        """The newest ``count`` closed bars, oldest first; the forming bar is never included."""
        return self._view.closed_bars(symbol, timeframe, count)

    def positions(self) -> Sequence[Position]:
        return self._view.positions()

    def orders(self) -> Sequence[WorkingOrder]:
        return self._view.working_orders()

    def account(self) -> AccountState | None:
        return self._view.account()

    def send(self, command: Command) -> str:
        """Queue ``command`` for the engine; returns the client id its events will carry.

        It runs after the current poll or command, through the same road and risk
        gate as the ticket's. A command a client may not send is refused here,
        with a line in the event log, and ``""`` is returned.
        """
        if not isinstance(command, CLIENT_COMMANDS):
            return self._refused(command, "only the trader may send it")
        problem = shape_problem(command)
        if problem is None and isinstance(command, Halt) and command.flatten:
            problem = "only the trader may flatten the account; a client halts, and closes its own"
        if problem is not None:
            return self._refused(command, problem)
        phase = self.phase
        if phase is ContextPhase.CLOSED:
            return self._refused(command, f"{self._client.name} is not running")
        if phase is ContextPhase.STOPPING and not isinstance(command, STOPPING_COMMANDS):
            return self._refused(
                command, f"{self._client.name} is stopping; only closes and cancels pass"
            )
        stamped, client_id = _stamp(command, self._client.source, self._client.owner)
        refusal = self._host.refusal(self._client, stamped)
        if refusal:
            return self._refused(command, refusal)
        if client_id:
            self._host.claim(client_id, self._client)
        self._view.queue(stamped)
        return client_id

    def _refused(self, command: object, why: str) -> str:
        """One line in the event log; the command still counts as sent (its rate)."""
        self.log(LogLevel.WARNING, f"{type(command).__name__} refused: {why}")
        self._host.refused_at_seam(self._client)
        return ""

    def log(self, level: LogLevel, message: str) -> None:
        """A line in the event log under the client's name."""
        self._view.say(level, message, source=self._client.name)


def _stamp(command: Command, source: OrderSource, owner: int) -> tuple[Command, str]:
    """``command`` with the client's source, owner and a client id (fresh if it had none)."""
    if isinstance(command, SubmitOrder):
        request = command.request
        client_id = request.client_id or new_client_id()
        stamped = replace(request, client_id=client_id, source=source, owner=owner)
        return SubmitOrder(stamped), client_id
    if isinstance(command, Halt):
        return replace(command, source=source), ""
    client_id = command.client_id or new_client_id()  # type: ignore[union-attr]
    return replace(command, client_id=client_id, source=source), client_id  # type: ignore[arg-type]


class ContextPhase(StrEnum):
    LIVE = "live"  # its client runs: everything a client may send passes to the gate
    STOPPING = "stopping"  # in on_stop: only closes and cancels
    CLOSED = "closed"  # not started, or stopped: nothing


class ClientState(StrEnum):
    ATTACHED = "attached"  # waiting for the engine to start
    RUNNING = "running"
    DISABLED = "disabled"  # failed too often; its reason is in ``ClientHost.reason``
    STOPPED = "stopped"


@dataclass(slots=True)
class _Entry:
    client: EngineClient
    context: ClientContext
    subs: Subscriptions
    state: ClientState = ClientState.ATTACHED
    failures: int = 0
    reason: str = ""
    next_timer: int | None = None


Refusal = Callable[[EngineClient, Command], str]
"""Extra admission for a client's command (e.g. a strategy may only close its own
positions): returns a reason to refuse it, or ``""``."""


def _overrides(client: EngineClient, method: str) -> bool:
    return getattr(type(client), method) is not getattr(EngineClient, method)


class ClientHost:
    """Keeps the engine's clients and calls them, each isolated from the others."""

    def __init__(
        self,
        view: EngineView,
        *,
        slow_call_s: float = SLOW_CALL_S,
        perf: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._view = view
        self._slow = slow_call_s
        self._perf = perf
        self._entries: dict[str, _Entry] = {}
        self._owners: dict[str, _Entry] = {}  # client id -> the client that sent it
        self._tick_clients: list[_Entry] = []  # clients that override on_tick
        self._bar_routes: dict[BarKey, list[_Entry]] = {}
        self._order_watchers: list[_Entry] = []
        self._poll_watchers: list[_Entry] = []
        self._by_owner: dict[int, _Entry] = {}  # strategy instance number -> its client
        self._timed: list[_Entry] = []
        self._fact_routes: dict[type, list[_Entry]] = {}
        self._running = False
        self.refusal: Refusal = lambda _client, _command: ""
        #: Told when a client is disabled (it raised too often, or could not start).
        self.disabled: Callable[[EngineClient, str], None] = lambda _client, _reason: None
        # A command a client sent and the seam refused (its shape, its phase, not its
        # own): still sent, so the strategy host counts it towards the client's rate.
        self.refused_at_seam: Callable[[EngineClient], None] = lambda _client: None

    # -- attaching ------------------------------------------------------------------
    def attach(self, client: EngineClient) -> None:
        """Add ``client``; it starts at once if the engine runs, else when it starts."""
        if client.name in self._entries:
            raise ValueError(f"an engine client named {client.name!r} is already attached")
        entry = _Entry(client, ClientContext(self._view, self, client), client.subscriptions())
        self._entries[client.name] = entry
        if self._running:
            self._start(entry)

    def detach(self, name: str) -> None:
        entry = self._entries.pop(name, None)
        if entry is None:
            return
        if entry.state is ClientState.RUNNING:
            self._stop(entry, ClientState.STOPPED)
        self._owners = {cid: e for cid, e in self._owners.items() if e is not entry}

    def start(self) -> None:
        """The engine connected: start every attached client."""
        self._running = True
        for entry in list(self._entries.values()):
            if entry.state is ClientState.ATTACHED:
                self._start(entry)

    def stop(self) -> None:
        """The engine is stopping: stop every running client (each isolated)."""
        self._running = False
        for entry in list(self._entries.values()):
            if entry.state is ClientState.RUNNING:
                self._stop(entry, ClientState.ATTACHED)

    def resubscribe(self, client: EngineClient) -> None:
        """Read ``client.subscriptions()`` again and route by them, without a stop and start.

        For a client whose interests change while it runs (the alert host: a new
        alert on a new symbol needs that symbol's ticks).
        """
        entry = self._entries.get(client.name)
        if entry is None or entry.client is not client:
            return
        before = entry.subs.timer_ms
        entry.subs = client.subscriptions()
        if entry.state is not ClientState.RUNNING:
            return
        if entry.subs.timer_ms != before:
            timer = entry.subs.timer_ms
            entry.next_timer = self._view.now_msc() + timer if timer > 0 else None
        self._route()

    def state(self, name: str) -> ClientState | None:
        entry = self._entries.get(name)
        return entry.state if entry is not None else None

    def reason(self, name: str) -> str:
        entry = self._entries.get(name)
        return entry.reason if entry is not None else ""

    @property
    def names(self) -> list[str]:
        return list(self._entries)

    @property
    def wants_ticks(self) -> bool:
        return bool(self._tick_clients or self._poll_watchers)

    def claim(self, client_id: str, client: EngineClient) -> None:
        entry = self._entries.get(client.name)
        if entry is not None:
            self._owners[client_id] = entry

    def owner(self, client_id: str) -> EngineClient | None:
        entry = self._owners.get(client_id)
        return entry.client if entry is not None else None

    # -- dispatching ----------------------------------------------------------------
    def ticks(self, ticks: Sequence[Tick], closed: Iterable[tuple[int, Sequence[Bar]]]) -> None:
        """One poll's ticks and the bars they closed (``closed``: tick index, bars).

        Each client gets its own ticks and bars in time order, every tick after the
        bars it closed. Clients are served one after the other, each in one timed
        pass over the poll: a client's commands wait for the end of the turn anyway,
        so the order between clients changes nothing, and one pass costs far less
        per tick than timing every call.
        """
        if ticks:
            for poll_entry in self._poll_watchers:
                self._call(poll_entry, poll_entry.client.on_poll, ticks)
        marks = list(closed)
        served: set[int] = set()
        for entry in self._tick_clients:
            served.add(id(entry))
            self._tick_pass(entry, ticks, marks)
        if marks and self._bar_routes:
            for _index, bars in marks:
                for bar in bars:
                    for entry in self._bar_routes.get((bar.symbol, bar.timeframe), ()):
                        if id(entry) not in served:
                            self._call(entry, entry.client.on_bar, bar)

    def _tick_pass(
        self, entry: _Entry, ticks: Sequence[Tick], marks: list[tuple[int, Sequence[Bar]]]
    ) -> None:
        """One client's ticks of this poll, with its closed bars in place; timed once."""
        if entry.state is not ClientState.RUNNING:
            return
        client, symbols, keys = entry.client, entry.subs.ticks, entry.subs.bars
        on_tick, on_bar = client.on_tick, client.on_bar
        mine = [(i, [b for b in bars if (b.symbol, b.timeframe) in keys]) for i, bars in marks]
        mine = [(i, bars) for i, bars in mine if bars]
        calls = 0
        started = self._perf()
        if not mine:  # the common case: ticks only
            for tick in ticks:
                if symbols is None or tick.symbol in symbols:
                    calls += 1
                    try:
                        on_tick(tick)
                    except client_failures() as exc:
                        self._failed(entry, "on_tick", exc)
                        if entry.state is not ClientState.RUNNING:
                            break
        else:
            bars_at = dict(mine)
            for index, tick in enumerate(ticks):
                for bar in bars_at.get(index, ()):
                    calls += 1
                    try:
                        on_bar(bar)
                    except client_failures() as exc:
                        self._failed(entry, "on_bar", exc)
                    if entry.state is not ClientState.RUNNING:
                        return
                if symbols is None or tick.symbol in symbols:
                    calls += 1
                    try:
                        on_tick(tick)
                    except client_failures() as exc:
                        self._failed(entry, "on_tick", exc)
                        if entry.state is not ClientState.RUNNING:
                            break
        took = self._perf() - started
        if took > self._slow:
            self._view.say(
                LogLevel.WARNING,
                f"{client.name} blocked the engine for {took:.2f} s in on_tick/on_bar "
                f"({calls} calls in one poll); ticks and orders waited meanwhile",
                source=client.name,
            )

    def bars(self, bars: Iterable[Bar]) -> None:
        routes = self._bar_routes
        if not routes:
            return
        for bar in bars:
            for entry in routes.get((bar.symbol, bar.timeframe), ()):
                self._call(entry, entry.client.on_bar, bar)

    def _owner_of(self, client_id: str, owner: int) -> _Entry | None:
        return self._by_owner.get(owner) if owner > 0 else self._owners.get(client_id)

    def order(self, update: OrderUpdate) -> None:
        owner = self._owner_of(update.client_id, update.owner)
        if owner is not None and owner.state is ClientState.RUNNING:
            self._call(owner, owner.client.on_order, update)
            if update.status.is_final and not update.broker_ticket:
                self._owners.pop(update.client_id, None)  # nothing more can come of it
        for entry in self._order_watchers:
            if entry is not owner:
                self._call(entry, entry.client.on_order, update)

    def fill(self, fill: Fill) -> None:
        owner = self._owner_of(fill.client_id, fill.owner)
        if owner is not None and owner.state is ClientState.RUNNING:
            self._call(owner, owner.client.on_fill, fill)
        for entry in self._order_watchers:
            if entry is not owner:
                self._call(entry, entry.client.on_fill, fill)

    def wants(self, fact: object) -> bool:
        return type(fact) in self._fact_routes

    def fact(self, fact: object) -> None:
        for entry in self._fact_routes.get(type(fact), ()):
            self._call(entry, entry.client.on_fact, fact)

    def clock(self, now_msc: int) -> None:
        """Fire the timers that are due at ``now_msc`` (engine time)."""
        for entry in self._timed:
            due = entry.next_timer
            if due is None or now_msc < due:
                continue
            entry.next_timer = now_msc + entry.subs.timer_ms
            self._call(entry, entry.client.on_timer, now_msc)

    # -- isolation ------------------------------------------------------------------
    def _call(self, entry: _Entry, callback: Callable[[T], None], arg: T) -> None:
        if entry.state is not ClientState.RUNNING:
            return
        started = self._perf()
        try:
            callback(arg)
        except client_failures() as exc:
            self._failed(entry, callback.__name__, exc)
        finally:
            took = self._perf() - started
            if took > self._slow:
                self._view.say(
                    LogLevel.WARNING,
                    f"{entry.client.name} blocked the engine for {took:.2f} s in "
                    f"{callback.__name__}; ticks and orders waited meanwhile",
                    source=entry.client.name,
                )

    def _failed(self, entry: _Entry, where: str, exc: BaseException) -> None:
        entry.failures += 1
        name = entry.client.name
        log.error("engine client %s failed in %s", name, where, exc_info=exc)
        limit = max(1, entry.client.max_failures)
        what = f"{type(exc).__name__}: {exc}"
        if entry.failures < limit:
            self._view.say(
                LogLevel.ERROR,
                f"{name} failed in {where} ({what}); error {entry.failures} of {limit} "
                "before it is disabled (traceback in the log file)",
                source=name,
            )
            return
        entry.reason = f"failed in {where}: {what}"
        self._disable(entry)
        self._view.say(
            LogLevel.ERROR,
            f"{name} disabled after {entry.failures} error(s): {what} (traceback in the log "
            "file); its open positions and orders are left as they are",
            source=name,
        )

    # -- life -----------------------------------------------------------------------
    def _start(self, entry: _Entry) -> None:
        """Start one client; one that cannot start is disabled at once, with the reason."""
        entry.state = ClientState.RUNNING
        entry.failures, entry.reason = 0, ""
        entry.context.phase = ContextPhase.LIVE
        try:
            entry.client.on_start(entry.context)
        except client_failures() as exc:
            name = entry.client.name
            log.error("engine client %s failed to start", name, exc_info=exc)
            entry.reason = f"failed to start: {type(exc).__name__}: {exc}"
            self._disable(entry)
            self._view.say(
                LogLevel.ERROR,
                f"{name} {entry.reason} (traceback in the log file); it is disabled",
                source=name,
            )
            return
        if entry.subs.timer_ms > 0:
            entry.next_timer = self._view.now_msc() + entry.subs.timer_ms
        self._route()

    def _disable(self, entry: _Entry) -> None:
        """Stop a client that failed; its owner is told *before* its ``on_stop`` runs.

        So a strategy runner is marked failed first and skips the strategy's own
        ``on_stop``: code that just raised has lost track of its state and must not
        trade on the way out.
        """
        entry.state = ClientState.DISABLED
        self._route()
        self.disabled(entry.client, entry.reason)
        self._stop(entry, ClientState.DISABLED)

    def _stop(self, entry: _Entry, state: ClientState) -> None:
        entry.state = state
        self._route()
        entry.context.phase = ContextPhase.STOPPING
        try:
            entry.client.on_stop()
        except client_failures() as exc:
            name = entry.client.name
            log.error("engine client %s failed in on_stop", name, exc_info=exc)
            self._view.say(
                LogLevel.ERROR,
                f"{name} failed in on_stop ({type(exc).__name__}: {exc}); it is stopped "
                "anyway (traceback in the log file)",
                source=name,
            )
        finally:
            entry.context.phase = ContextPhase.CLOSED

    def _route(self) -> None:
        """Rebuild the routing tables from the running clients (on any change)."""
        tick_clients: list[_Entry] = []
        bars: dict[BarKey, list[_Entry]] = {}
        watchers: list[_Entry] = []
        polls: list[_Entry] = []
        timed: list[_Entry] = []
        by_owner: dict[int, _Entry] = {}
        facts: dict[type, list[_Entry]] = {}
        for entry in self._entries.values():
            if entry.state is not ClientState.RUNNING:
                continue
            client, subs = entry.client, entry.subs
            if client.owner > 0:
                by_owner[client.owner] = entry
            if _overrides(client, "on_tick") and (subs.ticks is None or subs.ticks):
                tick_clients.append(entry)
            for key in subs.bars:
                bars.setdefault(key, []).append(entry)
            if _overrides(client, "on_poll"):
                polls.append(entry)
            if subs.all_orders:
                watchers.append(entry)
            if subs.timer_ms > 0:
                timed.append(entry)
            for kind in subs.facts:
                facts.setdefault(kind, []).append(entry)
        self._fact_routes = facts
        self._tick_clients, self._bar_routes = tick_clients, bars
        self._order_watchers, self._timed, self._by_owner = watchers, timed, by_owner
        self._poll_watchers = polls
