"""A publisher that writes what it publishes to the journal on the way out.

Every log line the core publishes is journaled (batched) and every risk fact
(breach, warning, trading state change) is journaled durably, without touching
each place in the core that publishes them. Every fact, journaled or not, then
goes on to the bus.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from app.domain.notices import LogEvent
from app.domain.risk_facts import RiskBreach, RiskWarning, TradingStateChanged
from app.domain.strategies import BudgetHalt
from app.storage.errors import StorageError

if TYPE_CHECKING:
    from app.storage.journal import Journal

log = logging.getLogger(__name__)


class _Publisher(Protocol):
    def publish(self, fact: object) -> None: ...


class JournalTap:
    """Wraps the core's publisher; ``journal()`` returns the journal, or ``None``."""

    def __init__(self, inner: _Publisher, journal: Callable[[], Journal | None]) -> None:
        self._inner = inner
        self._journal = journal

    def publish(self, fact: object) -> None:
        journal = self._journal()
        if journal is not None:
            if isinstance(fact, LogEvent):
                journal.log_event(fact)
            elif isinstance(fact, RiskBreach | RiskWarning | TradingStateChanged | BudgetHalt):
                _record_risk(journal, fact)
        self._inner.publish(fact)


def _record_risk(
    journal: Journal, fact: RiskBreach | RiskWarning | TradingStateChanged | BudgetHalt
) -> None:
    """(kind, message, new trading state or None, source) of a risk fact, durably."""
    if isinstance(fact, TradingStateChanged):
        state: str | None = str(fact.new)
        message = f"{fact.old} → {fact.new}: {fact.reason}"
        source = str(fact.source)
    elif isinstance(fact, BudgetHalt):
        state, message, source = "halted", fact.reason, f"strategy #{fact.owner}"
    else:
        state, message, source = None, fact.message, str(fact.rule)
    try:
        journal.record_risk_event(type(fact).__name__, message, state=state, source=source)
    except StorageError as exc:
        log.error("journal: risk fact not recorded: %s", exc)
