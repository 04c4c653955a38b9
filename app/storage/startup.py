"""What the command line does with the journal before any window opens.

A journal that cannot be opened must stop the start with one line naming the
file, not surface later as a failed order; ``--fresh-journal`` moves a broken
journal aside (never deletes it) and starts a new one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from app.settings import Settings
from app.storage.database import display_url, journal_url, sqlite_path
from app.storage.failures import (
    FRESH_FLAG,
    JournalUnavailable,
    StorageError,
    describe_failure,
    move_aside,
)
from app.storage.probe import sqlite_problem

if TYPE_CHECKING:
    from app.storage.journal import Journal


def quick_check(url: str, *, fresh: bool = False) -> str | None:
    """``check_journal`` for the start-up path: a stdlib probe for SQLite files.

    The full open (SQLAlchemy, migrations) then happens in the engine thread,
    after the window shows; any other database is checked fully here.
    """
    path = sqlite_path(url)
    if path is None:
        return check_journal(url, fresh=fresh)
    notice = None
    if fresh:
        moved = move_aside(path)
        if moved is not None:
            notice = f"Started a fresh trade journal {path}; the old one is kept as {moved}"
    problem = sqlite_problem(path)
    if problem is not None:
        raise JournalUnavailable(describe_failure(url, problem))
    return notice


def check_journal(url: str, *, fresh: bool = False, lock_timeout_s: float = 2.0) -> str | None:
    """Open the journal once and close it; returns a notice for the user, if any.

    Raises ``StorageError`` (``JournalUnavailable``) with a one-line message.
    """
    notice = None
    if fresh:
        path = sqlite_path(url)
        if path is None:
            raise StorageError(
                f"{FRESH_FLAG} only applies to the SQLite journal file; the journal is the "
                f"database {display_url(url)}"
            )
        moved = move_aside(path)
        if moved is not None:
            notice = f"Started a fresh trade journal {path}; the old one is kept as {moved}"
    from app.storage.journal import Journal  # SQLAlchemy ORM + Alembic: only when needed

    Journal.open(url, lock_timeout_s=lock_timeout_s).close()
    return notice


def journal_factory(settings: Settings) -> Callable[[], Journal]:
    """Opens the journal of ``settings`` and audits the settings into it (engine thread)."""
    url = journal_url(settings.storage)
    values = settings_audit_values(settings.model_dump(mode="json"))

    def open_journal() -> Journal:
        from app.storage.journal import Journal  # loaded in the engine thread

        journal = Journal.open(url)
        try:
            journal.record_settings(values)
        except StorageError:
            journal.close()
            raise
        return journal

    return open_journal


def settings_audit_values(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten settings to ``section.key -> JSON value``; a database URL loses its password."""
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(settings_audit_values(value, f"{name}."))
        elif name == "storage.url" and value:
            flat[name] = json.dumps(display_url(str(value)))
        else:
            flat[name] = json.dumps(value, sort_keys=True, default=str)
    return flat
