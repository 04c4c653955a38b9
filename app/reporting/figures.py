"""The report's figures, defined as MetaTrader 5's testing report defines them.

``docs/tester.md`` lists every definition; the short forms are beside each field.
Money is in the account currency. A ratio that has no value (a profit factor
without losing trades, a Sharpe ratio of one trade) is ``None``, never infinity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np

from app.reporting.curves import Curve
from app.reporting.trades import Trade

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Drawdown:
    """Drawdowns of one curve (balance or equity)."""

    absolute: float  # the deposit minus the lowest value below it (0 if never below)
    maximal: float  # the largest fall from a peak to a later low, money
    maximal_pct: float  # that fall as a percentage of its peak
    relative_pct: float  # the largest fall from a peak to a later low, as a percentage
    relative: float  # that fall in money


@dataclass(frozen=True, slots=True)
class Run:
    """A series of consecutive winning (or losing) trades."""

    count: int
    money: float


@dataclass(frozen=True, slots=True)
class Figures:
    initial_deposit: float
    final_balance: float
    net_profit: float  # gross profit + gross loss
    gross_profit: float  # Σ profit of winning trades
    gross_loss: float  # Σ profit of losing trades (<= 0)
    profit_factor: float | None  # gross profit / |gross loss|
    expected_payoff: float | None  # net profit / trades
    recovery_factor: float | None  # net profit / equity drawdown maximal
    sharpe_ratio: float | None  # mean / standard deviation of the trades' returns
    balance_drawdown: Drawdown
    equity_drawdown: Drawdown
    trades: int
    deals: int
    won: int  # trades with profit > 0
    lost: int  # trades with profit < 0
    long_trades: int
    long_won: int
    short_trades: int
    short_won: int
    largest_profit: float  # the best trade (0 without winners)
    largest_loss: float  # the worst trade (0 without losers)
    average_profit: float  # gross profit / won
    average_loss: float  # gross loss / lost
    max_consecutive_wins: Run  # the longest winning series, and its money
    max_consecutive_losses: Run  # the longest losing series, and its money
    max_consecutive_profit: Run  # the winning series with the most money, and its length
    max_consecutive_loss: Run  # the losing series with the most money lost, and its length
    average_consecutive_wins: float
    average_consecutive_losses: float
    average_holding_s: float | None  # mean time from entry to exit, seconds
    average_mfe: float | None  # mean maximum favourable excursion, money
    average_mae: float | None  # mean maximum adverse excursion, money

    def as_dict(self) -> dict[str, object]:
        """Every figure by name, nested for drawdowns and series (JSON-ready)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    profit: float  # net profit of the trades closed in the month
    return_pct: float | None  # profit as a percentage of the balance at the month's start
    trades: int


@dataclass(frozen=True, slots=True)
class Bucket:
    """Trades entered in one hour of the day or one weekday (data's clock)."""

    label: str
    trades: int
    won: int
    profit: float


def drawdown(values: np.ndarray, deposit: float) -> Drawdown:
    """MetaTrader 5's absolute, maximal and relative drawdown of a curve."""
    series = np.concatenate(([deposit], np.asarray(values, dtype=np.float64)))
    absolute = max(0.0, deposit - float(series.min()))
    peaks = np.maximum.accumulate(series)
    falls = peaks - series
    worst = int(np.argmax(falls))
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(peaks > 0, falls / peaks * 100.0, 0.0)
    deepest = int(np.argmax(shares))
    return Drawdown(
        absolute=round(absolute, 2),
        maximal=round(float(falls[worst]), 2),
        maximal_pct=round(float(shares[worst]), 2),
        relative_pct=round(float(shares[deepest]), 2),
        relative=round(float(falls[deepest]), 2),
    )


def _runs(trades: Sequence[Trade], winning: bool) -> list[Run]:
    runs: list[Run] = []
    count, money = 0, 0.0
    for trade in trades:
        if trade.won if winning else trade.lost:
            count, money = count + 1, money + trade.profit
            continue
        if count:
            runs.append(Run(count, round(money, 2)))
        count, money = 0, 0.0
    if count:
        runs.append(Run(count, round(money, 2)))
    return runs


def _longest(runs: list[Run], winning: bool) -> Run:
    if not runs:
        return Run(0, 0.0)
    return max(runs, key=lambda r: (r.count, r.money if winning else -r.money))


def _richest(runs: list[Run], winning: bool) -> Run:
    if not runs:
        return Run(0, 0.0)
    return max(runs, key=lambda r: (r.money if winning else -r.money, r.count))


def _sharpe(trades: Sequence[Trade], deposit: float) -> float | None:
    """Mean over standard deviation of each trade's profit as a share of the balance
    before it (not annualised, no risk-free rate)."""
    if len(trades) < 2:
        return None
    profits = np.array([t.profit for t in trades])
    before = deposit + np.concatenate(([0.0], np.cumsum(profits)[:-1]))
    if np.any(before <= 0):
        return None
    returns = profits / before
    spread = float(returns.std(ddof=1))
    if not spread > 0:
        return None
    return round(float(returns.mean()) / spread, 4)


def compute_figures(
    trades: Sequence[Trade], deposit: float, curve: Curve, *, deals: int | None = None
) -> Figures:
    """The figures of ``trades`` (oldest first) on an account that started with ``deposit``."""
    profits = [t.profit for t in trades]
    won = [t for t in trades if t.won]
    lost = [t for t in trades if t.lost]
    gross_profit = round(sum(t.profit for t in won), 2)
    gross_loss = round(sum(t.profit for t in lost), 2)
    net = round(gross_profit + gross_loss, 2)
    equity_dd = drawdown(curve.equity, deposit)
    win_runs, loss_runs = _runs(trades, True), _runs(trades, False)
    holding = [t.holding_ms for t in trades if t.holding_ms is not None]
    mfe = [t.mfe for t in trades if t.mfe is not None]
    mae = [t.mae for t in trades if t.mae is not None]
    longs = [t for t in trades if t.is_long]
    shorts = [t for t in trades if not t.is_long]
    return Figures(
        initial_deposit=round(deposit, 2),
        final_balance=round(float(curve.balance[-1]) if len(curve) else deposit, 2),
        net_profit=net,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        profit_factor=round(gross_profit / -gross_loss, 4) if gross_loss < 0 else None,
        expected_payoff=round(net / len(trades), 2) if trades else None,
        recovery_factor=round(net / equity_dd.maximal, 4) if equity_dd.maximal > 0 else None,
        sharpe_ratio=_sharpe(trades, deposit),
        balance_drawdown=drawdown(curve.balance, deposit),
        equity_drawdown=equity_dd,
        trades=len(trades),
        deals=deals if deals is not None else len(trades),
        won=len(won),
        lost=len(lost),
        long_trades=len(longs),
        long_won=sum(1 for t in longs if t.won),
        short_trades=len(shorts),
        short_won=sum(1 for t in shorts if t.won),
        largest_profit=round(max((p for p in profits if p > 0), default=0.0), 2),
        largest_loss=round(min((p for p in profits if p < 0), default=0.0), 2),
        average_profit=round(gross_profit / len(won), 2) if won else 0.0,
        average_loss=round(gross_loss / len(lost), 2) if lost else 0.0,
        max_consecutive_wins=_longest(win_runs, True),
        max_consecutive_losses=_longest(loss_runs, False),
        max_consecutive_profit=_richest(win_runs, True),
        max_consecutive_loss=_richest(loss_runs, False),
        average_consecutive_wins=round(float(np.mean([r.count for r in win_runs])), 2)
        if win_runs
        else 0.0,
        average_consecutive_losses=round(float(np.mean([r.count for r in loss_runs])), 2)
        if loss_runs
        else 0.0,
        average_holding_s=round(sum(holding) / len(holding) / 1000, 1) if holding else None,
        average_mfe=round(sum(mfe) / len(mfe), 2) if mfe else None,
        average_mae=round(sum(mae) / len(mae), 2) if mae else None,
    )


def monthly_returns(trades: Sequence[Trade], deposit: float) -> list[Month]:
    """Every calendar month from the first trade's to the last's (UTC on the data's clock)."""
    if not trades:
        return []
    by_month: dict[tuple[int, int], list[Trade]] = {}
    for trade in trades:
        when = datetime.fromtimestamp(trade.exit_time_msc / 1000, UTC)
        by_month.setdefault((when.year, when.month), []).append(trade)
    first, last = min(by_month), max(by_month)
    out: list[Month] = []
    balance = deposit
    year, month = first
    while (year, month) <= last:
        group = by_month.get((year, month), [])
        profit = round(sum(t.profit for t in group), 2)
        share = round(profit / balance * 100, 2) if balance > 0 else None
        out.append(Month(year, month, profit, share, len(group)))
        balance += profit
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def by_hour(trades: Sequence[Trade]) -> list[Bucket]:
    """Trades by the hour of their entry (0-23)."""
    return _buckets(trades, [f"{h:02d}" for h in range(24)], lambda d: d.hour)


def by_weekday(trades: Sequence[Trade]) -> list[Bucket]:
    """Trades by the weekday of their entry."""
    return _buckets(trades, list(WEEKDAYS), lambda d: d.weekday())


def _buckets(trades: Sequence[Trade], labels: list[str], key: object) -> list[Bucket]:
    counts = [0] * len(labels)
    wins = [0] * len(labels)
    money = [0.0] * len(labels)
    for trade in trades:
        at = trade.entry_time_msc if trade.entry_time_msc is not None else trade.exit_time_msc
        i = key(datetime.fromtimestamp(at / 1000, UTC))  # type: ignore[operator]
        counts[i] += 1
        wins[i] += trade.won
        money[i] += trade.profit
    return [Bucket(label, counts[i], wins[i], round(money[i], 2)) for i, label in enumerate(labels)]


def finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
