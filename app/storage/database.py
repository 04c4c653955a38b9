"""Opening the journal's database: URLs, SQLite pragmas, and schema migrations.

SQLite is the default: one file in the user data directory, WAL mode so readers
never block the writer. Order records need every commit on disk before the
broker is called, so the order engine runs with ``synchronous=FULL`` (each commit
fsyncs the WAL); the batch writer's connection uses ``NORMAL`` (a commit may be
lost in a power cut, never corrupted), which is what high-rate rows can afford.
Any other SQLAlchemy URL (PostgreSQL for a desk) is used as given.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL

from app.paths import not_a_file
from app.settings import StorageSettings
from app.storage.probe import NotAJournalFile

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HEAD = "head"
SCHEMA_HEAD = "0005"
"""The newest migration's revision; a test keeps it equal to Alembic's own head."""


def journal_url(storage: StorageSettings) -> str:
    """The database URL to open: ``storage.url`` if set, else the SQLite file."""
    if storage.url:
        return storage.url
    return sqlite_url(storage.resolved_path())


def sqlite_url(path: Path) -> str:
    return URL.create("sqlite", database=str(path)).render_as_string()


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or ``None`` for other databases and ``:memory:``."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def display_url(url: str) -> str:
    """The URL as it may be shown or logged: never with its password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


def create_db_engine(url: str, *, durable: bool = True, lock_timeout_s: float = 5.0) -> Engine:
    """An engine for the journal; ``durable=False`` relaxes fsync for batched rows (SQLite)."""
    path = sqlite_path(url)
    if path is None:
        if make_url(url).get_backend_name() == "sqlite":
            return create_engine(url)
        return create_engine(url, pool_pre_ping=True)
    sqlite_problem_before_open(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": lock_timeout_s})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: object) -> None:
        set_sqlite_pragmas(dbapi_connection, durable=durable, lock_timeout_s=lock_timeout_s)

    return engine


def connect_sqlite(path: Path, *, durable: bool, lock_timeout_s: float) -> sqlite3.Connection:
    """A bare sqlite3 connection with the journal's pragmas, in autocommit mode.

    For the journal's hot writes, which run their few statements themselves (see
    ``order_statements``); transactions are begun and committed explicitly.
    Usable from any thread: the journal's write lock serialises its writers.
    """
    connection = sqlite3.connect(
        path, timeout=lock_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        set_sqlite_pragmas(connection, durable=durable, lock_timeout_s=lock_timeout_s)
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def set_sqlite_pragmas(connection: Any, *, durable: bool, lock_timeout_s: float) -> None:
    """WAL, the fsync level (``FULL`` durable, else ``NORMAL``) and the lock wait."""
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_s * 1000)}")
    finally:
        cursor.close()


def sqlite_problem_before_open(path: Path) -> None:
    """Refuse a journal path that is not a regular file before SQLite touches it."""
    kind = not_a_file(path)
    if kind is not None:
        raise NotAJournalFile(path, kind)


def upgrade_schema(engine: Engine, revision: str = HEAD) -> None:
    """Bring the schema to ``revision`` with Alembic, configured in code (no alembic.ini).

    Alembic is imported here, not at module level: it costs over a second to import
    and only the engine thread's journal opening needs it, after the window shows.
    """
    if revision == HEAD and current_revision(engine) == SCHEMA_HEAD:
        return  # already current: every start after the first skips Alembic altogether
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            return None


def probe_writable(engine: Engine) -> None:
    """Take the write lock once and roll back: finds a locked or read-only file at start.

    Reading an up-to-date schema succeeds on a locked or read-only SQLite file, so
    without this the first order would be the first write, and the first failure.
    """
    with engine.connect() as connection, connection.begin() as transaction:
        connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        transaction.rollback()
