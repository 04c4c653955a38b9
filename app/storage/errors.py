"""Storage exceptions, in a module light enough for the engine to import at start-up.

The rest of ``app.storage`` pulls in SQLAlchemy; the engine needs only these
names until the journal actually opens (in the engine thread).
"""

from __future__ import annotations


class StorageError(Exception):
    """A journal operation failed; ``str()`` is one line for the user."""


class JournalUnavailable(StorageError):
    """The journal cannot be opened; ``str()`` names the file and what to do."""
