"""A fast, stdlib-only look at the SQLite journal file before any window opens.

Opening the journal for real loads SQLAlchemy and runs migrations, which the
engine thread does after the window shows. Before that, this probe finds the
failures a user must fix first — a locked, read-only or damaged file — in a few
milliseconds, without importing either.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def sqlite_problem(path: Path, *, lock_timeout_s: float = 2.0) -> Exception | None:
    """The error that opening ``path`` for writing would hit, or ``None`` if it is fine."""
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
