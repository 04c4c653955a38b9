"""Turning storage failures into one line a trader can act on, and starting fresh.

A locked, read-only or damaged journal must never end in a traceback or, worse,
in trading without a journal. The message names the file and the way out:
``tradeterm --fresh-journal`` moves the old file aside (never deletes it).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from app.storage.database import display_url, sqlite_path
from app.storage.errors import JournalUnavailable, StorageError

__all__ = ["FRESH_FLAG", "JournalUnavailable", "StorageError", "describe_failure", "move_aside"]

FRESH_FLAG = "--fresh-journal"
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def describe_failure(url: str, exc: BaseException) -> str:
    """One line: what is wrong with the journal at ``url`` and how to start fresh."""
    reason = _first_line(str(getattr(exc, "orig", None) or exc))
    lowered = reason.lower()
    path = sqlite_path(url)
    if path is None:
        return (
            f"The trade journal database {display_url(url)} cannot be used: {reason}. "
            f"Check that the server is running and the [storage] url is right."
        )
    fresh = (
        f"; to start with a fresh journal run: tradeterm {FRESH_FLAG} "
        f"(the old file is kept as {path.name}.<time>.bak, never deleted)"
    )
    if "locked" in lowered or "busy" in lowered:
        what = "is locked by another program (is Tradeterm already running?)"
    elif "readonly" in lowered or "read-only" in lowered or _exists_read_only(path):
        what = "is read-only: Tradeterm cannot write to it (check the file's permissions)"
    elif any(word in lowered for word in ("not a database", "malformed", "disk image", "encrypt")):
        what = f"is damaged ({reason})"
    else:
        what = f"cannot be opened ({reason})"
    return f"The trade journal {path} {what}{fresh}"


def move_aside(path: Path, now: datetime | None = None) -> Path | None:
    """Rename ``path`` (and its WAL files) to ``<name>.<timestamp>.bak``; never deletes.

    Returns the new name, or ``None`` when there was no file to move. The WAL files
    keep their suffix after the new name, so SQLite still finds any commits that
    only live in the WAL when the backup is opened.
    """
    if not path.exists():
        return None
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{stamp}.bak")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{stamp}-{counter}.bak")
    try:
        path.rename(target)
        for suffix in SQLITE_SIDE_FILES:
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
    except OSError as exc:
        raise StorageError(
            f"Cannot move the trade journal {path} aside: {exc.strerror or exc}"
        ) from None
    return target


def _exists_read_only(path: Path) -> bool:
    return path.exists() and not os.access(path, os.W_OK)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return line.rstrip(".")
