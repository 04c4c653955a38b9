"""The report's figures on deals whose figures are worked out by hand."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from app.domain.enums import Side
from app.domain.trading import Fill
from app.reporting import PricePath, build_report, write_csv, write_html
from app.reporting.figures import drawdown
from tests.tester.conftest import DAY0

HOUR_MS = 3_600_000


def _trade(ticket: int, side: Side, entry: float, exit_: float, at_h: float, held_h: float,
           profit: float, *, volume: float = 0.1, commission: float = 0.0) -> list[Fill]:  # fmt: skip
    """An entry and an exit deal of one position; ``profit`` is the exit's P&L before commission."""
    start = int(DAY0 * 1000 + at_h * HOUR_MS)
    return [
        Fill(f"c{ticket}", ticket * 10, ticket, "EURUSD", side, volume, entry, start,
             realized_pnl=commission, commission=commission),
        Fill(f"c{ticket}", ticket * 10 + 1, ticket, "EURUSD", side.opposite, volume, exit_,
             start + int(held_h * HOUR_MS), closes_position=True,
             realized_pnl=round(profit + commission, 2), reason="client", commission=commission),
    ]  # fmt: skip


# Six trades of 100, 50, -30, -20, -10 and 40 on a 1,000 deposit.
PROFITS = [100.0, 50.0, -30.0, -20.0, -10.0, 40.0]
DEALS = [
    d
    for i, p in enumerate(PROFITS)
    for d in _trade(i + 1, Side.BUY if i % 2 == 0 else Side.SELL, 1.1, 1.1, at_h=10 * i, held_h=2, profit=p)
]  # fmt: skip


def _report(deals: list[Fill] = DEALS, **kw: object):  # type: ignore[no-untyped-def]
    return build_report(
        deals,
        deposit=1000.0,
        currency="USD",
        points={"EURUSD": 1e-5},
        **kw,  # type: ignore[arg-type]
    )


def test_the_money_figures() -> None:
    f = _report().figures
    assert (f.trades, f.deals, f.won, f.lost) == (6, 12, 3, 3)
    assert (f.gross_profit, f.gross_loss, f.net_profit) == (190.0, -60.0, 130.0)
    assert f.profit_factor == pytest.approx(190 / 60, abs=1e-4)
    assert f.expected_payoff == pytest.approx(130 / 6, abs=0.01)
    assert (f.largest_profit, f.largest_loss) == (100.0, -30.0)
    assert f.average_profit == pytest.approx(190 / 3, abs=0.01)
    assert f.average_loss == pytest.approx(-20.0)
    assert (f.long_trades, f.long_won, f.short_trades, f.short_won) == (3, 1, 3, 2)
    assert f.final_balance == 1130.0
    assert f.average_holding_s == 7200.0


def test_the_series_of_wins_and_losses() -> None:
    f = _report().figures
    assert (f.max_consecutive_wins.count, f.max_consecutive_wins.money) == (2, 150.0)
    assert (f.max_consecutive_losses.count, f.max_consecutive_losses.money) == (3, -60.0)
    assert (f.max_consecutive_profit.money, f.max_consecutive_profit.count) == (150.0, 2)
    assert (f.max_consecutive_loss.money, f.max_consecutive_loss.count) == (-60.0, 3)
    assert f.average_consecutive_wins == 1.5  # runs of 2 and 1
    assert f.average_consecutive_losses == 3.0


def test_the_balance_drawdowns() -> None:
    # Balance: 1000, 1100, 1150, 1120, 1100, 1090, 1130: from the 1,150 peak down to 1,090.
    dd = _report().figures.balance_drawdown
    assert dd.absolute == 0.0  # never below the deposit
    assert dd.maximal == 60.0
    assert dd.maximal_pct == pytest.approx(60 / 1150 * 100, abs=0.01)
    assert dd.relative_pct == pytest.approx(60 / 1150 * 100, abs=0.01)


def test_maximal_and_relative_drawdowns_can_be_different_falls() -> None:
    # 1000 -> 900 (10 %, 100) then 2000 -> 1700 (15 %, 300): maximal is 300 (15 %); relative 15 % too.
    dd = drawdown(np.array([900.0, 2000.0, 1700.0]), 1000.0)
    assert (dd.maximal, dd.relative_pct) == (300.0, 15.0)
    # 1000 -> 500 (50 %, 500) then 10000 -> 9000 (10 %, 1000): the largest money fall is not the deepest.
    dd = drawdown(np.array([500.0, 10_000.0, 9_000.0]), 1000.0)
    assert (dd.maximal, dd.maximal_pct) == (1000.0, 10.0)
    assert (dd.relative_pct, dd.relative) == (50.0, 500.0)
    assert dd.absolute == 500.0  # the deposit minus the lowest value


def test_recovery_factor_and_sharpe_ratio() -> None:
    f = _report().figures
    balance = 1000.0 + np.concatenate(([0.0], np.cumsum(PROFITS)[:-1]))
    returns = np.array(PROFITS) / balance
    assert f.sharpe_ratio == pytest.approx(returns.mean() / returns.std(ddof=1), abs=1e-4)
    # No prices: the equity is the balance, so the recovery factor is over the balance's 60.
    assert f.recovery_factor == pytest.approx(130 / 60, abs=1e-4)


def test_without_losses_the_profit_factor_has_no_value() -> None:
    f = _report(_trade(1, Side.BUY, 1.1, 1.2, 0, 1, 50.0)).figures
    assert f.profit_factor is None and f.sharpe_ratio is None and f.recovery_factor is None


def test_commissions_of_both_deals_count_in_each_trade_and_in_the_net_profit() -> None:
    deals = _trade(1, Side.BUY, 1.1, 1.1, 0, 1, 10.0, commission=-0.7)
    (trade,) = _report(deals).trades
    assert (trade.commission, trade.profit) == (-1.4, 8.6)
    assert _report(deals).figures.final_balance == 1008.6


def test_a_position_closed_in_two_parts_is_two_trades_with_its_entry() -> None:
    entry = Fill(
        "a", 1, 7, "EURUSD", Side.BUY, 0.3, 1.10000, DAY0 * 1000, commission=-3.0, realized_pnl=-3.0
    )
    first = Fill(
        "a",
        2,
        7,
        "EURUSD",
        Side.SELL,
        0.1,
        1.10100,
        DAY0 * 1000 + 1000,
        closes_position=True,
        realized_pnl=10.0,
    )
    rest = Fill("a", 3, 7, "EURUSD", Side.SELL, 0.2, 1.09900, DAY0 * 1000 + 2000,
                closes_position=True, realized_pnl=-20.0)  # fmt: skip
    trades = _report([entry, first, rest]).trades
    assert [(t.volume, t.entry_price, t.points, t.commission, t.profit) for t in trades] == [
        (0.1, 1.1, 100.0, -1.0, 9.0),
        (0.2, 1.1, -100.0, -2.0, -22.0),
    ]


def test_excursions_and_the_equity_drawdown_come_from_the_prices() -> None:
    # A long of 0.1 lot from 1.10000 to 1.10050; meanwhile the bid went to 1.10100, then 1.09900.
    start = DAY0 * 1000
    deals = [
        Fill("a", 1, 1, "EURUSD", Side.BUY, 0.1, 1.10000, start),
        Fill("a", 2, 1, "EURUSD", Side.SELL, 0.1, 1.10050, start + 3000, closes_position=True,
             realized_pnl=5.0),
    ]  # fmt: skip
    path = PricePath(
        np.array([start, start + 1000, start + 2000, start + 3000, start + 4000]),
        np.array([1.10000, 1.10100, 1.09900, 1.10050, 1.10050]),
        np.array([1.10002, 1.10102, 1.09902, 1.10052, 1.10052]),
        contract_size=100_000,
        point=1e-5,
    )
    report = _report(deals, path=path)
    (trade,) = report.trades
    assert (trade.mfe, trade.mae, trade.mfe_points, trade.mae_points) == (
        10.0,
        -10.0,
        100.0,
        -100.0,
    )
    equity = report.figures.equity_drawdown
    assert equity.maximal == pytest.approx(20.0)  # 1,010 at the high to 990 at the low
    assert equity.absolute == pytest.approx(10.0)
    assert report.figures.balance_drawdown.maximal == 0.0
    assert report.equity_marked


def test_months_hours_and_weekdays() -> None:
    deals = _trade(1, Side.BUY, 1.1, 1.1, 0, 1, 100.0) + _trade(
        2, Side.SELL, 1.1, 1.1, 24 * 40 + 14, 1, -55.0
    )  # 2024-01-01 00:00 (Monday) and 2024-02-10 14:00 (Saturday)
    report = _report(deals)
    months = [(m.year, m.month, m.profit, m.return_pct, m.trades) for m in report.months]
    assert months == [(2024, 1, 100.0, 10.0, 1), (2024, 2, -55.0, -5.0, 1)]
    assert report.hours[0].trades == 1 and report.hours[0].profit == 100.0
    assert report.hours[14].profit == -55.0
    assert report.weekdays[0].label == "Monday" and report.weekdays[0].won == 1
    assert report.weekdays[5].profit == -55.0


def test_the_html_report_is_one_file_and_the_csv_has_every_trade(tmp_path: Path) -> None:
    report = _report()
    page = tmp_path / "report.html"
    write_html(report, page)
    text = page.read_text(encoding="utf-8")
    assert "Profit factor" in text and "3.17" in text
    assert text.count("data:image/svg+xml;base64,") == 4
    assert "http" not in text
    trades = tmp_path / "trades.csv"
    figures = write_csv(report, trades)
    assert len(trades.read_text(encoding="utf-8").splitlines()) == 7
    assert "gross_loss,-60.0" in figures.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.tmp"))


def test_ten_thousand_trades_make_a_report() -> None:
    rng = np.random.default_rng(1)
    deals = [
        d
        for i in range(10_000)
        for d in _trade(i + 1, Side.BUY, 1.1, 1.1, i, 0.5, float(np.round(rng.normal(1, 10), 2)))
    ]
    report = _report(deals)
    assert report.figures.trades == 10_000
    assert len(report.curve) <= 2100


def test_the_html_monthly_table_gives_the_years_in_percent_too(tmp_path: Path) -> None:
    deals = (
        _trade(1, Side.BUY, 1.1, 1.1, 0, 1, 100.0)  # Jan 2024: +100 on 1,000 = +10 %
        + _trade(2, Side.SELL, 1.1, 1.1, 24 * 40 + 14, 1, -55.0)  # Feb 2024: -55 on 1,100 = -5 %
        + _trade(3, Side.BUY, 1.1, 1.1, 24 * 370, 1, 209.0)  # Jan 2025: +209 on 1,045 = +20 %
    )
    page = tmp_path / "report.html"
    write_html(_report(deals), page)
    text = page.read_text(encoding="utf-8")
    assert "<h2>Monthly returns, %</h2>" in text and "<th>Year, %</th>" in text
    rows = {
        year: re.findall(r"<td[^>]*>([^<]*)</td>", row)
        for year, row in re.findall(r"<tr><td class='l'>(\d{4})</td>(.*?)</tr>", text)
    }
    assert rows["2024"][:2] == ["+10.00 %", "-5.00 %"] and rows["2024"][-1] == "+4.50 %"
    assert rows["2025"][0] == "+20.00 %" and rows["2025"][-1] == "+20.00 %"
    assert "title='45.00'" in text  # the year's money is its cell's tooltip
