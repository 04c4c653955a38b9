"""The storage suite runs on SQLite and, when a server is configured, on PostgreSQL.

Set ``TRADETERM_TEST_PG_URL`` (e.g.
``postgresql+psycopg://tradeterm:tradeterm@127.0.0.1:5432/tradeterm_test``) to run
every test twice; without it the PostgreSQL half is skipped with that reason.
Each PostgreSQL test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from app.storage import Journal
from app.storage.database import sqlite_url

PG_ENV = "TRADETERM_TEST_PG_URL"
BACKENDS = ["sqlite", "postgresql"]


def pg_schema_url(base: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema; the schema is dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def backend_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "journal.sqlite")
        return
    base = os.environ.get(PG_ENV, "")
    if not base:
        pytest.skip(f"PostgreSQL run skipped: set {PG_ENV} to a server URL to run it")
    yield from pg_schema_url(base)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from backend_url(request.param, tmp_path)


@pytest.fixture
def journal(db_url: str) -> Iterator[Journal]:
    opened = Journal.open(db_url)
    opened.account = "test/1"
    yield opened
    opened.close()
