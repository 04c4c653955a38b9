"""A publisher that writes what it publishes to the journal on the way out.

Every log line the core publishes is journaled (batched) and every risk fact
(breach, warning, trading state change) is journaled durably, without touching
each place in the core that publishes them. Anything else passes straight through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.domain.notices import LogEvent
from app.storage.errors import StorageError

if TYPE_CHECKING:
    from app.storage.journal import Journal

log = logging.getLogger(__name__)


class JournalTap:
    """Wraps the core's publisher; ``journal()`` returns the journal, or ``None``."""

    def __init__(self, inner: Any, journal: Callable[[], Journal | None]) -> None:
        self._inner = inner
        self._journal = journal

    def log(self, event: LogEvent) -> None:
        journal = self._journal()
        if journal is not None:
            journal.log_event(event)
        self._inner.log(event)

    def risk(self, fact: Any) -> None:
        journal = self._journal()
        if journal is not None:
            try:
                kind, message, state, source = _risk_row(fact)
                journal.record_risk_event(kind, message, state=state, source=source)
            except StorageError as exc:
                log.error("journal: risk fact not recorded: %s", exc)
        self._inner.risk(fact)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _risk_row(fact: Any) -> tuple[str, str, str | None, str]:
    """(kind, message, new trading state or None, source) of any risk fact."""
    new_state = getattr(fact, "new", None)
    message = getattr(fact, "message", None)
    if message is None:
        old = getattr(fact, "old", "?")
        message = f"{old} → {new_state}: {getattr(fact, 'reason', '')}"
    source = getattr(fact, "source", None) or getattr(fact, "rule", None) or ""
    state = None if new_state is None else str(new_state)
    return type(fact).__name__, str(message), state, str(source)
