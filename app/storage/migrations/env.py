"""Alembic environment: always runs on the connection ``migrate.upgrade`` hands in.

There is no alembic.ini; the app builds the configuration in code, so migrations
run the same way from source, from a wheel and from the packaged app.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
