"""Trades from deals: what a report counts.

A *trade* is what MetaTrader 5's report counts: one deal that closes (part of)
a position, with the position's entry. A position closed in two parts is two
trades. Its profit is the closing deal's P&L plus the commissions of both its
deals — the closing deal's own and the closed share of the entry's — so the
trades of a fully closed account add up to the balance's change exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from app.domain.enums import Side
from app.domain.trading import Fill


@dataclass(frozen=True, slots=True)
class Trade:
    """One closed trade. Times are epoch milliseconds; money in the account currency."""

    position: int  # the position's ticket
    symbol: str
    side: Side  # the position's side: BUY is a long trade
    volume: float  # lots closed by this trade
    entry_time_msc: int | None  # None when the entry is not in the deals given (a range)
    entry_price: float | None
    exit_time_msc: int
    exit_price: float
    profit: float  # net: the closing deal's P&L and both commissions
    commission: float  # both deals' (the entry's share), 0 or negative
    points: float | None  # the price move in points, positive in the trade's favour
    reason: str  # why it closed: "strategy", "stop loss", "take profit", "end of test" ...
    mfe: float | None = None  # most the trade was up while open, money (>= 0)
    mae: float | None = None  # most the trade was down while open, money (<= 0)
    mfe_points: float | None = None
    mae_points: float | None = None

    @property
    def is_long(self) -> bool:
        return self.side is Side.BUY

    @property
    def won(self) -> bool:
        return self.profit > 0

    @property
    def lost(self) -> bool:
        return self.profit < 0

    @property
    def holding_ms(self) -> int | None:
        if self.entry_time_msc is None:
            return None
        return self.exit_time_msc - self.entry_time_msc

    def with_excursions(
        self, mfe: float, mae: float, mfe_points: float, mae_points: float
    ) -> Trade:
        return replace(self, mfe=mfe, mae=mae, mfe_points=mfe_points, mae_points=mae_points)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, with the names the result file uses."""
        return {
            "position": self.position,
            "symbol": self.symbol,
            "side": "long" if self.is_long else "short",
            "volume": self.volume,
            "entry_time_msc": self.entry_time_msc,
            "entry_price": self.entry_price,
            "exit_time_msc": self.exit_time_msc,
            "exit_price": self.exit_price,
            "profit": self.profit,
            "commission": self.commission,
            "points": self.points,
            "reason": self.reason,
            "mfe": self.mfe,
            "mae": self.mae,
            "mfe_points": self.mfe_points,
            "mae_points": self.mae_points,
        }


@dataclass(slots=True)
class _Entry:
    time_msc: int
    side: Side
    volume: float = 0.0  # lots still open from the entry deals
    price: float = math.nan  # their volume-weighted average price
    commission: float = 0.0  # entry commission not yet given to a trade

    def add(self, volume: float, price: float) -> None:
        total = self.volume + volume
        self.price = (
            price if self.volume <= 0 else (self.price * self.volume + price * volume) / total
        )
        self.volume = total


def trades_from_deals(
    deals: Iterable[Fill],
    points: Mapping[str, float],
    *,
    reason: Callable[[Fill], str] = lambda deal: deal.reason or "order",
) -> list[Trade]:
    """Every closing deal as a trade, oldest first.

    ``points``: each symbol's point size (points of a move); ``reason`` names why
    a closing deal happened (the tester's says "strategy" or "end of test").
    A closing deal whose position opened before the deals given gets no entry.
    """
    entries: dict[int, _Entry] = {}
    trades: list[Trade] = []
    for deal in sorted(deals, key=lambda d: (d.time_msc, d.deal_ticket)):
        if not deal.closes_position:
            entry = entries.get(deal.position_ticket)
            if entry is None:
                entry = entries[deal.position_ticket] = _Entry(deal.time_msc, deal.side)
            entry.add(deal.volume, deal.price)
            entry.commission += deal.commission
            continue
        entry = entries.get(deal.position_ticket)
        side = deal.side.opposite  # a sell deal closes a long position
        entry_time = entry_price = None
        commission = deal.commission
        if entry is not None and entry.volume > 0:
            share = min(1.0, deal.volume / entry.volume)
            entry_share = entry.commission * share
            entry.commission -= entry_share
            commission += entry_share
            entry_time, entry_price = entry.time_msc, entry.price
            entry.volume = max(0.0, round(entry.volume - deal.volume, 10))
            if entry.volume <= 1e-12:
                del entries[deal.position_ticket]
        point = points.get(deal.symbol, 0.0)
        moved = (
            side.sign * (deal.price - entry_price) / point
            if entry_price is not None and point > 0
            else None
        )
        profit = deal.realized_pnl + (commission - deal.commission)
        trades.append(
            Trade(
                position=deal.position_ticket,
                symbol=deal.symbol,
                side=side,
                volume=deal.volume,
                entry_time_msc=entry_time,
                entry_price=entry_price,
                exit_time_msc=deal.time_msc,
                exit_price=deal.price,
                profit=round(profit, 2),
                commission=round(commission, 2),
                points=round(moved, 1) if moved is not None else None,
                reason=reason(deal),
            )
        )
    return trades
