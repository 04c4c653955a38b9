"""A locked, read-only or damaged journal: one clear line with the path, and a way out.

Each case is made for real: another connection holding the write lock, a file
the process may not write (chmod, which on Windows sets the read-only attribute
that binds every user; as root on POSIX, a child process running as nobody,
since root ignores file modes), and garbage bytes where the database should be.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event as sqlalchemy_event

from app.storage import Journal, JournalUnavailable, check_journal, move_aside
from app.storage.database import sqlite_url

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


def assert_clear_message(message: str, path: Path, *words: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert str(path) in message
    assert "tradeterm --fresh-journal" in message and "never deleted" in message
    for word in words:
        assert word in message


def make_journal(path: Path) -> None:
    Journal.open(sqlite_url(path)).close()


def test_a_locked_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    make_journal(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        with pytest.raises(JournalUnavailable) as info:
            Journal.open(sqlite_url(path), lock_timeout_s=0.2)
        assert_clear_message(str(info.value), path, "locked by another program")
    finally:
        holder.rollback()
        holder.close()
    Journal.open(sqlite_url(path), lock_timeout_s=0.2).close()  # released: fine again


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder an unprivileged child process can enter (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="tradeterm-ro-"))
    folder.chmod(0o755)
    yield folder
    for child in folder.iterdir():
        child.chmod(0o644)
        child.unlink()
    folder.rmdir()


def running_as_posix_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def can_still_write(path: Path) -> bool:
    try:
        with path.open("r+b"):  # opened for writing, nothing written
            return True
    except PermissionError:
        return False


def open_without_write_permission(path: Path) -> str:
    """The message Journal.open gives when this process may not write ``path``.

    Root writes through any file mode, so as root the open runs in a forked child
    that first drops to the ``nobody`` user (forked: the interpreter and modules
    may live where ``nobody`` cannot read them). Windows has no root and no fork.
    """
    if not running_as_posix_root():
        if can_still_write(path):
            pytest.skip("the read-only file can still be written here (Wine running as root)")
        with pytest.raises(JournalUnavailable) as info:
            Journal.open(sqlite_url(path), lock_timeout_s=0.2)
        return str(info.value)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read_end)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                Journal.open(sqlite_url(path), lock_timeout_s=0.2).close()
                text = "OPENED"
            except JournalUnavailable as exc:
                text = str(exc)
            os.write(write_end, text.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        text = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return text


def test_a_read_only_journal(shared_dir: Path) -> None:
    path = shared_dir / "journal.sqlite"
    make_journal(path)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # 0444
    message = open_without_write_permission(path)
    assert_clear_message(message, path, "read-only")


def test_a_damaged_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"\x00\x13garbage, not a database " * 400)
    with pytest.raises(JournalUnavailable) as info:
        Journal.open(sqlite_url(path))
    assert_clear_message(str(info.value), path, "damaged")
    assert path.read_bytes().startswith(b"\x00\x13garbage")  # untouched


def test_the_command_line_stops_before_the_window_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADETERM_STORAGE__PATH": str(path)}
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("journal error: The trade journal")
    assert_clear_message(line, path, "damaged")


def test_fresh_journal_moves_the_old_file_aside_and_starts_a_new_one(tmp_path: Path) -> None:
    from app.cli import parse_args

    assert parse_args(["--fresh-journal"]).fresh_journal
    path = tmp_path / "journal.sqlite"
    garbage = b"not a database at all" * 100
    path.write_bytes(garbage)
    notice = check_journal(sqlite_url(path), fresh=True)  # what main() runs for the flag
    [backup] = tmp_path.glob("journal.sqlite.*.bak")
    assert backup.read_bytes() == garbage  # kept, byte for byte
    assert notice == f"Started a fresh trade journal {path}; the old one is kept as {backup}"
    journal = Journal.open(sqlite_url(path))  # a new, working journal
    try:
        assert journal.orders() == []
    finally:
        journal.close()


def test_move_aside_keeps_the_wal_with_its_database(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    for suffix, data in (("", b"db"), ("-wal", b"wal"), ("-shm", b"shm")):
        (tmp_path / f"journal.sqlite{suffix}").write_bytes(data)
    first = move_aside(path)
    path.write_bytes(b"db2")
    second = move_aside(path)
    assert first is not None and second is not None and first != second
    assert first.read_bytes() == b"db" and Path(f"{first}-wal").read_bytes() == b"wal"
    assert second.read_bytes() == b"db2"
    assert move_aside(path) is None  # nothing left to move
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [first.name, f"{first.name}-wal", f"{first.name}-shm", second.name]
    )


def test_fresh_journal_refuses_a_server_database() -> None:
    from app.storage import StorageError

    with pytest.raises(StorageError, match="only applies to the SQLite journal"):
        check_journal("postgresql+psycopg://u:secret@db.example/j", fresh=True)


# -- what is at the path, and a full disk --------------------------------------------


def test_a_journal_path_that_is_a_directory_is_named_as_one(tmp_path: Path) -> None:
    from app.storage.failures import describe_failure
    from app.storage.probe import sqlite_problem

    folder = tmp_path / "journals"
    folder.mkdir()
    problem = sqlite_problem(folder)
    assert problem is not None
    message = describe_failure(sqlite_url(folder), problem)
    assert message == (
        f"The trade journal path {folder} is a directory, not a journal file: set [storage] "
        f"path to a file such as {folder / 'journal.sqlite'}"
    )
    with pytest.raises(JournalUnavailable) as info:
        Journal.open(sqlite_url(folder))  # the engine thread's open says the same
    assert str(info.value) == message


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null here")
def test_a_device_as_the_journal_is_never_opened(tmp_path: Path) -> None:
    from app.storage.failures import describe_failure
    from app.storage.probe import sqlite_problem

    device = Path("/dev/null")
    problem = sqlite_problem(device)
    assert problem is not None  # an empty device reads as an empty database otherwise
    assert "is a character device, not a journal file" in describe_failure(
        sqlite_url(device), problem
    )
    assert not Path("/dev/null-journal").exists() and not Path("/dev/null-wal").exists()


def test_a_journal_folder_that_is_a_file_is_named_as_one(tmp_path: Path) -> None:
    from app.storage.failures import describe_failure
    from app.storage.probe import sqlite_problem

    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    path = blocker / "journal.sqlite"
    problem = sqlite_problem(path)
    assert problem is not None
    message = describe_failure(sqlite_url(path), problem)
    assert f"{blocker} is a file, not a folder" in message and str(path) in message
    assert "--fresh-journal" not in message


def test_fresh_journal_moves_aside_only_a_regular_file(tmp_path: Path) -> None:
    from app.storage import StorageError

    folder = tmp_path / "journal.sqlite"
    (folder / "inside").mkdir(parents=True)
    with pytest.raises(StorageError) as info:
        move_aside(folder)
    assert str(info.value) == (
        f"The trade journal path {folder} is a directory, not a journal file; "
        f"{'--fresh-journal'} moves aside only a journal file: set [storage] path to a file"
    )
    assert (folder / "inside").is_dir() and list(tmp_path.iterdir()) == [folder]


def _fill_the_disk(journal: Journal) -> None:
    """Let SQLite grow the file by no more pages: what it answers when the disk is full."""
    engine = journal._engine
    engine.dispose()

    @sqlalchemy_event.listens_for(engine, "connect")
    def _no_more_pages(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    # The order path's own sqlite3 connections (see app.storage.order_statements).
    for connection in vars(journal._statements).values():
        if isinstance(connection, sqlite3.Connection):
            _no_more_pages(connection, None)


def test_a_full_disk_says_the_disk_is_full_and_not_to_start_fresh(tmp_path: Path) -> None:
    from app.domain.enums import Side
    from app.domain.trading import OrderRequest
    from app.storage import StorageError

    path = tmp_path / "journal.sqlite"
    journal = Journal.open(sqlite_url(path))
    try:
        _fill_the_disk(journal)
        with pytest.raises(StorageError) as info:
            for n in range(2_000):  # each intent takes room; the file may not grow
                journal.record_intent(
                    OrderRequest(f"full-{n}", "EURUSD", Side.BUY, 0.1, comment="x" * 30)
                )
    finally:
        journal.close()
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert "the disk is full" in message and "free some space" in message
    assert "--fresh-journal" not in message  # a fresh journal would not fit either
