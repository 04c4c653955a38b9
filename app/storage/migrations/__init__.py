"""Alembic migrations of the journal, run in code at every start (see ``migrate.py``)."""
