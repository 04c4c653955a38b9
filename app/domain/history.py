"""Summaries of the trade history that every view computes the same way."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from app.domain.market import utc_from_msc
from app.domain.trading import Fill


def daily_realized_pnl(deals: Iterable[Fill]) -> list[tuple[date, float, int]]:
    """Realised P&L per UTC day: ``(day, pnl, closing deals)``, oldest day first.

    Only deals that close (part of) a position realise profit; opening deals are
    counted nowhere, so a day with only entries does not appear.
    """
    totals: dict[date, float] = defaultdict(float)
    counts: dict[date, int] = defaultdict(int)
    for deal in deals:
        if deal.closes_position:
            day = utc_from_msc(deal.time_msc).date()
            totals[day] += deal.realized_pnl
            counts[day] += 1
    return [(day, round(totals[day], 2), counts[day]) for day in sorted(totals)]
