"""The one error the history package raises for things a trader can fix or should know."""

from __future__ import annotations


class HistoryError(Exception):
    """``str(error)`` is one sentence for the trader; nothing was changed by the call."""
