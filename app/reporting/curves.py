"""Balance and equity over time, from the deals (and, in the tester, every price).

The balance moves only at deals: each deal's ``realized_pnl`` (its commission
included). The equity is the balance plus what the open positions float. With
the replayed prices (:class:`PricePath`) it is computed at every tick, as
MetaTrader 5's tester measures its equity drawdown; from the journal alone
(the live account's history) only the balance is known between deals, and the
equity curve is the balance curve.

Everything here is vectorised: the open volume and the cost of the open
volume per side are step functions changed at each deal's tick, so the
floating P&L at every tick is two multiplications, whatever the number of
trades.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.domain.enums import Side
from app.domain.trading import Fill
from app.reporting.trades import Trade


@dataclass(frozen=True)
class PricePath:
    """One symbol's prices as replayed: the quotes every equity figure is marked at.

    ``to_account`` turns a profit in the symbol's profit currency into the account
    currency: ``"same"`` (EURUSD in a USD account) or ``"divide"`` by the mid price
    (USDJPY's yen in a USD account, EURUSD's dollars in a EUR account).
    """

    time_msc: np.ndarray  # int64, oldest first
    bid: np.ndarray
    ask: np.ndarray
    contract_size: float
    point: float
    to_account: str = "same"

    def rate(self) -> np.ndarray | float:
        """Account currency per unit of profit currency, per tick."""
        if self.to_account == "same":
            return 1.0
        return 2.0 / (self.bid + self.ask)

    def index_of(self, time_msc: int) -> int:
        """The tick a deal at ``time_msc`` happened on (the newest at or before it)."""
        return max(0, int(np.searchsorted(self.time_msc, time_msc, side="right")) - 1)


@dataclass(frozen=True)
class Curve:
    """Balance and equity at the same moments (epoch ms), oldest first."""

    time_msc: np.ndarray
    balance: np.ndarray
    equity: np.ndarray

    def __len__(self) -> int:
        return len(self.time_msc)

    def thinned(self, points: int = 2000) -> Curve:
        """At most about ``points`` points for a chart, keeping each stretch's lowest and
        highest equity (a drawdown never disappears from the picture)."""
        n = len(self.time_msc)
        if n <= points:
            return self
        buckets = max(1, points // 2)
        edges = np.linspace(0, n, buckets + 1).astype(np.int64)
        keep: list[int] = [0]
        for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
            if hi > lo:
                part = self.equity[lo:hi]
                keep += (lo + int(np.argmin(part)), lo + int(np.argmax(part)))
        keep.append(n - 1)
        index = np.unique(np.asarray(keep, dtype=np.int64))
        return Curve(self.time_msc[index], self.balance[index], self.equity[index])

    def as_dict(self) -> dict[str, list[float] | list[int]]:
        return {
            "time_msc": self.time_msc.tolist(),
            "balance": np.round(self.balance, 2).tolist(),
            "equity": np.round(self.equity, 2).tolist(),
        }


def balance_curve(deals: Sequence[Fill], deposit: float, start_msc: int | None = None) -> Curve:
    """The balance after each deal (the deposit first); equity is not known between deals."""
    ordered = sorted(deals, key=lambda d: (d.time_msc, d.deal_ticket))
    first = start_msc if start_msc is not None else (ordered[0].time_msc if ordered else 0)
    times = np.array([first] + [d.time_msc for d in ordered], dtype=np.int64)
    balance = deposit + np.concatenate(([0.0], np.cumsum([d.realized_pnl for d in ordered])))
    return Curve(times, balance, balance.copy())


def tick_curve(
    deals: Sequence[Fill], trades: Sequence[Trade], deposit: float, path: PricePath
) -> Curve:
    """Balance and equity at every tick of ``path`` (one symbol)."""
    n = len(path.time_msc)
    balance_step = np.zeros(n)
    long_volume = np.zeros(n)
    long_cost = np.zeros(n)
    short_volume = np.zeros(n)
    short_cost = np.zeros(n)
    for deal in deals:
        at = path.index_of(deal.time_msc)
        balance_step[at] += deal.realized_pnl
        if not deal.closes_position:
            if deal.side is Side.BUY:
                long_volume[at] += deal.volume
                long_cost[at] += deal.volume * deal.price
            else:
                short_volume[at] += deal.volume
                short_cost[at] += deal.volume * deal.price
    for trade in trades:  # a close takes away the volume at the position's entry price
        if trade.entry_price is None:
            continue
        at = path.index_of(trade.exit_time_msc)
        if trade.side is Side.BUY:
            long_volume[at] -= trade.volume
            long_cost[at] -= trade.volume * trade.entry_price
        else:
            short_volume[at] -= trade.volume
            short_cost[at] -= trade.volume * trade.entry_price
    balance = deposit + np.cumsum(balance_step)
    longs, long_paid = np.cumsum(long_volume), np.cumsum(long_cost)
    shorts, short_got = np.cumsum(short_volume), np.cumsum(short_cost)
    floating = (longs * path.bid - long_paid) + (short_got - shorts * path.ask)
    floating = floating * path.contract_size * path.rate()
    # Sums of cancelling steps leave dust (1e-12 lots) once everything is closed.
    floating = np.where((np.abs(longs) < 1e-9) & (np.abs(shorts) < 1e-9), 0.0, floating)
    return Curve(path.time_msc.astype(np.int64), balance, balance + floating)


def excursions(trades: Sequence[Trade], path: PricePath) -> list[Trade]:
    """Each trade with its maximum favourable and adverse excursion while it was open.

    A long trade is marked at the bid, a short at the ask (what closing would get),
    from its entry tick to its exit tick; money at the conversion of each tick.
    """
    out: list[Trade] = []
    rate = path.rate()
    for trade in trades:
        if trade.entry_price is None or trade.entry_time_msc is None:
            out.append(trade)
            continue
        lo = path.index_of(trade.entry_time_msc)
        hi = path.index_of(trade.exit_time_msc) + 1
        prices = path.bid[lo:hi] if trade.is_long else path.ask[lo:hi]
        moves = trade.side.sign * (prices - trade.entry_price)
        money = moves * trade.volume * path.contract_size
        money = money * (rate[lo:hi] if isinstance(rate, np.ndarray) else rate)
        best, worst = float(money.max()), float(money.min())
        out.append(
            trade.with_excursions(
                round(max(0.0, best), 2),
                round(min(0.0, worst), 2),
                round(max(0.0, float(moves.max())) / path.point, 1),
                round(min(0.0, float(moves.min())) / path.point, 1),
            )
        )
    return out
