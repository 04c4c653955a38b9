"""One life of the app for the crash harness: the engine core, a journal, a paper broker.

Run as ``python -m tests.crash.child URL STATE ACTION CLIENT_ID RESULT`` or through
``life`` in a child process. ``TRADETERM_CRASH_AT`` names where the process kills
itself during the order's life: ``before_intent``, ``after_intent``,
``after_send`` (the broker has the order and saved it), ``after_result``, or
``after_broker_close`` (the broker closed a position at its stop on its own and
saved it; the engine has not journaled the deal yet). ``TRADETERM_CRASH_AFTER_S``
kills it after that many seconds instead, wherever it is. Without either the run
finishes and writes the event log to ``RESULT`` as JSON (and its duration beside it).

Actions: ``open`` (a market buy), ``close`` (the open position), ``place`` (a buy
limit below the market), ``modify`` (new stop loss on the position), ``cancel``
(the working order), ``stop`` (a buy whose stop loss the market soon hits; the
run waits for the broker to close it), ``session`` (all of them, one after the
other, with the market running), ``none`` (connect, reconcile, stop).

The kill is the abrupt kind a power cut or the task manager gives: SIGKILL on
POSIX, TerminateProcess on Windows (which has no SIGKILL). Neither runs a
``finally``, an ``atexit`` hook or a flush; the parent sees ``KILLED_EXIT_CODE``.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from app.brokers.sim.broker import SimBroker
from app.domain.commands import CancelOrder, ClosePosition, ModifyPosition, SubmitOrder
from app.domain.enums import OrderType, Side
from app.domain.trading import OrderRequest
from app.engine.core import TradingCore
from app.storage import Journal
from tests.published import Published

KILL_ENV = "TRADETERM_CRASH_AT"
KILL_POINTS = ("before_intent", "after_intent", "after_send", "after_result")
BROKER_CLOSE = "after_broker_close"
KILL_AFTER_ENV = "TRADETERM_CRASH_AFTER_S"

# On Windows ``os.kill`` with any number but the two console events is
# TerminateProcess, and the number becomes the exit code.
_KILL_SIGNAL: int = getattr(signal, "SIGKILL", 9)
KILLED_EXIT_CODE = -_KILL_SIGNAL if hasattr(signal, "SIGKILL") else _KILL_SIGNAL


def _die() -> None:
    os.kill(os.getpid(), _KILL_SIGNAL)


def _kill_around(owner: Any, name: str, *, before: bool) -> None:
    real = getattr(owner, name)

    @functools.wraps(real)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if before:
            _die()
        result = real(*args, **kwargs)
        _die()
        return result

    setattr(owner, name, wrapped)


def _kill_after_a_close(broker: SimBroker) -> None:
    """Die right after a poll in which the broker closed a position on its own."""
    real = broker.poll

    @functools.wraps(real)
    def poll() -> Any:
        events = real()
        if any(f.closes_position for f in events.fills):
            _die()  # the broker saved the close; the engine never journals it
        return events

    broker.poll = poll  # type: ignore[method-assign]


def _kill_later(seconds: float) -> None:
    """Die after ``seconds``, wherever the life is by then (a power cut)."""
    timer = threading.Timer(seconds, _die)
    timer.daemon = True
    timer.start()


def _arm(point: str, journal: Journal, broker: SimBroker) -> None:
    if point == "before_intent":
        _kill_around(journal, "record_intent", before=True)
    elif point == "after_intent":
        _kill_around(journal, "record_intent", before=False)
    elif point == "after_send":
        _kill_around(broker, "submit", before=False)
        _kill_around(broker, "close_position", before=False)
    elif point == "after_result":
        _kill_around(journal, "record_result", before=False)
    elif point == BROKER_CLOSE:
        _kill_after_a_close(broker)
    elif point:
        raise SystemExit(f"unknown kill point {point!r}; use one of {', '.join(KILL_POINTS)}")


def run(url: str, state: Path, action: str, client_id: str, result: Path) -> None:
    journal = Journal.open(url)
    fast = action in ("stop", "session")  # these need the market to move
    broker = SimBroker(
        state_path=state, history_bars=20, seed=3, ticks_per_second=200.0 if fast else 1.0
    )
    _arm(os.environ.get(KILL_ENV, ""), journal, broker)
    after = os.environ.get(KILL_AFTER_ENV)
    if after:
        _kill_later(float(after))
    started = time.monotonic()  # the moment a kill's delay counts from
    out = Published()
    core = TradingCore(lambda: broker, out, journal=journal)
    if not core.connect():
        raise SystemExit(3)
    for step in SESSION if action == "session" else (action,):
        _act(core, broker, step, f"{client_id}-{step}" if action == "session" else client_id)
    journal.close()
    result.write_text(json.dumps([[e.level.name, e.message] for e in out.logs]))
    seconds_file(result).write_text(f"{time.monotonic() - started:.4f}")


def seconds_file(result: Path) -> Path:
    """Where a finished life notes how long it took from the moment a kill is timed from
    (so the harness can time kills within a session on a fast or a slow machine)."""
    return result.with_name(result.name + ".seconds")


SESSION = ("open", "place", "modify", "cancel", "stop", "close")


def _act(core: TradingCore, broker: SimBroker, action: str, client_id: str) -> None:
    positions = [p for p in broker.positions() if p.sl is None]
    if action == "open":
        core.handle(SubmitOrder(OrderRequest(client_id, "EURUSD", Side.BUY, 0.1)))
    elif action == "close" and positions:
        core.handle(ClosePosition(positions[0].ticket, client_id=client_id))
    elif action == "place":
        bid = broker.last_tick("EURUSD").bid  # type: ignore[union-attr]
        limit = round(bid * 0.99, 5)
        request = OrderRequest(client_id, "EURUSD", Side.BUY, 0.1, OrderType.LIMIT, limit)
        core.handle(SubmitOrder(request))
    elif action == "modify" and positions:
        bid = broker.last_tick("EURUSD").bid  # type: ignore[union-attr]
        core.handle(ModifyPosition(positions[0].ticket, round(bid * 0.98, 5), None, client_id))
        # a stop far from the market: the position is not closed by it
        core.handle(ModifyPosition(positions[0].ticket, None, None, client_id + "-undo"))
    elif action == "cancel":
        for order in broker.working_orders():
            core.handle(CancelOrder(order.ticket, client_id=client_id))
    elif action == "stop":
        spec = next(s for s in broker.symbols() if s.name == "EURUSD")
        bid = broker.last_tick("EURUSD").bid  # type: ignore[union-attr]
        distance = (spec.stops_level + 5) * spec.point
        stop = round(bid - distance, spec.digits)
        core.handle(SubmitOrder(OrderRequest(client_id, "EURUSD", Side.BUY, 0.1, sl=stop)))
        broker._true_bid["EURUSD"] = bid - 3 * distance  # the market drops through the stop
        deadline = time.monotonic() + 20
        while any(p.sl is not None for p in broker.positions()) and time.monotonic() < deadline:
            core.poll()
            time.sleep(0.005)


def life(
    point: str,
    url: str,
    state: Path,
    action: str,
    client_id: str,
    result: Path,
    after_s: float | None = None,
) -> None:
    """The body of a child process: arm the kill point (or none), then ``run``."""
    if point:
        os.environ[KILL_ENV] = point
    else:
        os.environ.pop(KILL_ENV, None)
    if after_s is not None:
        os.environ[KILL_AFTER_ENV] = f"{after_s:.4f}"
    else:
        os.environ.pop(KILL_AFTER_ENV, None)
    run(url, state, action, client_id, result)


if __name__ == "__main__":
    _url, _state, _action, _cid, _result = sys.argv[1:6]
    run(_url, Path(_state), _action, _cid, Path(_result))
