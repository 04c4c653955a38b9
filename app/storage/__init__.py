"""The trade journal: SQLAlchemy models, Alembic migrations and the journal API.

Only the engine uses this package (``app.ui`` reaches the journal through engine
commands). ``Journal.open(url)`` creates or upgrades the schema and checks the
database takes writes; problems become ``JournalUnavailable`` with one line.

Names are resolved on first use (PEP 562), so importing ``app.storage.errors``
does not load SQLAlchemy: the GUI's first frame never waits for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.storage.database import display_url, journal_url, sqlite_path
    from app.storage.errors import JournalUnavailable, StorageError
    from app.storage.failures import FRESH_FLAG, move_aside
    from app.storage.journal import UNRESOLVED, Journal
    from app.storage.startup import check_journal, journal_factory, quick_check

_WHERE = {
    "display_url": "database",
    "journal_url": "database",
    "sqlite_path": "database",
    "JournalUnavailable": "errors",
    "StorageError": "errors",
    "FRESH_FLAG": "failures",
    "move_aside": "failures",
    "UNRESOLVED": "journal",
    "Journal": "journal",
    "check_journal": "startup",
    "journal_factory": "startup",
    "quick_check": "startup",
}

__all__ = [
    "FRESH_FLAG",
    "UNRESOLVED",
    "Journal",
    "JournalUnavailable",
    "StorageError",
    "check_journal",
    "display_url",
    "journal_factory",
    "journal_url",
    "move_aside",
    "quick_check",
    "sqlite_path",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'app.storage' has no attribute {name!r}")
    return getattr(importlib.import_module(f"app.storage.{module}"), name)
