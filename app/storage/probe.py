"""A fast, stdlib-only look at the SQLite journal file before any window opens.

Opening the journal for real loads SQLAlchemy and runs migrations, which the
engine thread does after the window shows. Before that, this probe finds the
failures a user must fix first — a locked, read-only or damaged file — in a few
milliseconds, without importing either.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.paths import not_a_file


class NotAJournalFile(OSError):
    """Something other than a regular file is where the journal should be.

    Never handed to SQLite: a device such as ``/dev/null`` reads as an empty
    database, and SQLite would then create its ``-journal`` file beside it.
    """

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is {kind}")
        self.path = path
        self.kind = kind


def sqlite_problem(path: Path, *, lock_timeout_s: float = 2.0) -> Exception | None:
    """The error that opening ``path`` for writing would hit, or ``None`` if it is fine."""
    kind = not_a_file(path)
    if kind is not None:
        return NotAJournalFile(path, kind)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return exc
    if not path.exists():
        return None
    try:
        connection = sqlite3.connect(path, timeout=lock_timeout_s, isolation_level=None)
    except sqlite3.Error as exc:
        return exc
    try:
        connection.execute("PRAGMA schema_version").fetchone()  # reads the header: damaged?
        connection.execute("BEGIN IMMEDIATE")  # takes the write lock: locked or read-only?
        connection.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return exc
    finally:
        connection.close()
    return None
