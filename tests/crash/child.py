"""One life of the app for the crash harness: the engine core, a journal, a paper broker.

Run as ``python -m tests.crash.child URL STATE ACTION CLIENT_ID RESULT`` or called
in a forked process. ``TRADETERM_CRASH_AT`` names where the process SIGKILLs
itself during the order's life: ``before_intent``, ``after_intent``,
``after_send`` (the broker has the order and saved it) or ``after_result``.
Without it the run finishes and writes the event log to ``RESULT`` as JSON.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from app.brokers.sim.broker import SimBroker
from app.domain.commands import ClosePosition, SubmitOrder
from app.domain.enums import Side
from app.domain.trading import OrderRequest
from app.engine.core import TradingCore
from app.storage import Journal
from tests.published import Published

KILL_ENV = "TRADETERM_CRASH_AT"
KILL_POINTS = ("before_intent", "after_intent", "after_send", "after_result")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


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
    elif point:
        raise SystemExit(f"unknown kill point {point!r}; use one of {', '.join(KILL_POINTS)}")


def run(url: str, state: Path, action: str, client_id: str, result: Path) -> None:
    journal = Journal.open(url)
    broker = SimBroker(state_path=state, history_bars=20, seed=3, ticks_per_second=1.0)
    _arm(os.environ.get(KILL_ENV, ""), journal, broker)
    out = Published()
    core = TradingCore(lambda: broker, out, journal=journal)
    if not core.connect():
        raise SystemExit(3)
    if action == "open":
        core.handle(SubmitOrder(OrderRequest(client_id, "EURUSD", Side.BUY, 0.1)))
    elif action == "close":
        [position] = broker.positions()
        core.handle(ClosePosition(position.ticket, client_id=client_id))
    journal.close()
    result.write_text(json.dumps([[e.level.name, e.message] for e in out.logs]))


if __name__ == "__main__":
    _url, _state, _action, _cid, _result = sys.argv[1:6]
    run(_url, Path(_state), _action, _cid, Path(_result))
