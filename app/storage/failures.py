"""Turning storage failures into one line a trader can act on, and starting fresh.

A locked, read-only or damaged journal must never end in a traceback or, worse,
in trading without a journal. The message names the file and the way out:
``tradeterm --fresh-journal`` moves the old file aside (never deletes it). Where
a fresh journal would not help — a full disk, a folder or a device where the
file should be — the message says what is wrong instead, and ``--fresh-journal``
never renames anything but a regular file.
"""

from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

from app.paths import not_a_file
from app.storage.database import display_url, sqlite_path
from app.storage.errors import JournalUnavailable, StorageError
from app.storage.probe import NotAJournalFile

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
    kind = exc.kind if isinstance(exc, NotAJournalFile) else not_a_file(path)
    if kind is not None:
        return (
            f"The trade journal path {path} is {kind}, not a journal file: set [storage] "
            f"path to a file such as {path / 'journal.sqlite'}"
        )
    blocker = _file_in_the_way(path)
    if blocker is not None:
        return (
            f"The trade journal {path} cannot be created: {blocker} is a file, not a folder "
            f"(set [storage] path to a file in a folder)"
        )
    if _disk_full(exc, lowered):
        return (
            f"The trade journal {path} cannot be written: the disk is full; free some space "
            f"on the drive that holds it, then start again"
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
    kind = not_a_file(path)
    if kind is not None:  # a folder or a device is never renamed: it is not the journal
        raise StorageError(
            f"The trade journal path {path} is {kind}, not a journal file; {FRESH_FLAG} "
            f"moves aside only a journal file: set [storage] path to a file"
        )
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


def _disk_full(exc: BaseException, lowered: str) -> bool:
    """SQLite says "database or disk is full"; the OS says ENOSPC."""
    cause = getattr(exc, "orig", None) or exc
    if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
        return True
    return "disk is full" in lowered or "no space left" in lowered


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing folder of ``path`` when it is a file, not a folder."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def _exists_read_only(path: Path) -> bool:
    return path.exists() and not os.access(path, os.W_OK)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return line.rstrip(".")
