"""One report for a backtest and for the live account's history.

``build_report`` takes deals — the tester's, or the journal's for a date range —
the starting balance and, when known, the prices the positions were marked at
(the tester's replayed ticks). Without prices the equity curve is the balance
curve and the trades carry no excursions, and the report says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from app.domain.trading import Fill
from app.reporting.curves import Curve, PricePath, balance_curve, excursions, tick_curve
from app.reporting.figures import (
    Bucket,
    Figures,
    Month,
    by_hour,
    by_weekday,
    compute_figures,
    monthly_returns,
)
from app.reporting.trades import Trade, trades_from_deals


@dataclass(frozen=True)
class Report:
    title: str
    currency: str
    figures: Figures
    trades: tuple[Trade, ...]
    curve: Curve  # thinned for charts; the figures were computed on the full curve
    months: tuple[Month, ...]
    hours: tuple[Bucket, ...]
    weekdays: tuple[Bucket, ...]
    equity_marked: bool  # False: no prices, so equity is known only at deals
    settings: Mapping[str, object] = field(default_factory=dict)  # what was tested, if a test
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "currency": self.currency,
            "figures": self.figures.as_dict(),
            "months": [vars_of(m) for m in self.months],
            "hours": [vars_of(b) for b in self.hours],
            "weekdays": [vars_of(b) for b in self.weekdays],
            "equity_marked": self.equity_marked,
            "notes": list(self.notes),
        }


def vars_of(item: object) -> dict[str, object]:
    return {name: getattr(item, name) for name in item.__slots__}  # type: ignore[attr-defined]


def build_report(
    deals: Sequence[Fill],
    *,
    deposit: float,
    currency: str,
    points: Mapping[str, float],
    title: str = "Report",
    path: PricePath | None = None,
    reason: Callable[[Fill], str] | None = None,
    settings: Mapping[str, object] | None = None,
    notes: Sequence[str] = (),
    curve_points: int = 2000,
) -> Report:
    """The report of ``deals`` on an account that started at ``deposit``."""
    trades = (
        trades_from_deals(deals, points, reason=reason)
        if reason is not None
        else trades_from_deals(deals, points)
    )
    if path is not None and len(path.time_msc):
        curve = tick_curve(deals, trades, deposit, path)
        trades = excursions(trades, path)
    else:
        curve = balance_curve(deals, deposit)
    closing = sum(1 for d in deals if d.closes_position)
    figures = compute_figures(trades, deposit, curve, deals=len(deals))
    assert figures.trades == closing
    return Report(
        title=title,
        currency=currency,
        figures=figures,
        trades=tuple(trades),
        curve=curve.thinned(curve_points),
        months=tuple(monthly_returns(trades, deposit)),
        hours=tuple(by_hour(trades)),
        weekdays=tuple(by_weekday(trades)),
        equity_marked=path is not None,
        settings=dict(settings or {}),
        notes=tuple(notes),
    )
