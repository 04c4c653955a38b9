"""The comment the trader (or a strategy) gave an order, shown where the broker keeps our id.

MetaTrader 5 has one free-text field per order, the comment, and Tradeterm
fills it with the order's client id: it is how an order whose answer was lost
is found again, and how a position is known as ours after a restart. The
comment typed in the ticket (or given by a strategy) is kept with the order in
the journal instead, and shown in its place in the positions and orders the
window gets: never the internal id. Positions and orders from elsewhere (the
MT5 app, an Expert Advisor) keep the broker's own comment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from app.domain.commands import is_client_id
from app.domain.trading import Position, WorkingOrder

#: Comments remembered by client id; the oldest are forgotten first.
COMMENTS_KEPT = 10_000

Row = TypeVar("Row", Position, WorkingOrder)


class TraderComments:
    """Client id → the order's own comment, from the orders sent and, after a restart,
    from the journal (``lookup``: the journaled comment, ``None`` if not there)."""

    def __init__(self, lookup: Callable[[str], str | None] | None = None) -> None:
        self._by_client: dict[str, str] = {}
        self.lookup = lookup

    def note(self, client_id: str, comment: str) -> None:
        """``client_id`` is about to be sent with ``comment`` (empty: none given)."""
        if not client_id:
            return
        self._by_client[client_id] = comment
        if len(self._by_client) > COMMENTS_KEPT:
            del self._by_client[next(iter(self._by_client))]

    def shown(self, broker_comment: str, client_id: str = "") -> str:
        """What the trader should read for a broker comment: the order's own comment if
        the broker's is one of our client ids (or empty, on an order of ours), else the
        broker's."""
        if is_client_id(broker_comment):
            key = broker_comment
        elif not broker_comment and is_client_id(client_id):
            key = client_id
        else:
            return broker_comment
        known = self._by_client.get(key)
        if known is None:
            found = self.lookup(key) if self.lookup is not None else None
            self.note(key, found or "")  # asked once: a miss stays a miss
            known = found or ""
        return known

    def rows(self, rows: Sequence[Row]) -> tuple[Row, ...]:
        """``rows`` with each comment as :meth:`shown` has it (unchanged rows are reused)."""
        out = []
        for row in rows:
            client_id = row.client_id if isinstance(row, WorkingOrder) else ""
            shown = self.shown(row.comment, client_id)
            out.append(row if shown == row.comment else replace(row, comment=shown))
        return tuple(out)
