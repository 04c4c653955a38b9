"""The report as one self-contained HTML file, and as CSV.

The HTML file needs nothing beside it: the styles are inline and the curves
are SVG images embedded in the page (see ``svg.py`` for why SVG). Files are
written beside their target and moved into place, so a reader never sees half
of one.
"""

from __future__ import annotations

import csv
import html
import io
import os
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.reporting import svg
from app.reporting.figures import Drawdown, Figures, Run
from app.reporting.report import Report
from app.reporting.trades import Trade

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def share(part: int, whole: int) -> str:
    return f"{part:,} ({part / whole * 100:.2f} %)" if whole else f"{part:,}"


def _won(trades: int, won: int) -> str:
    return f"{trades:,} ({won / trades * 100:.2f} %)" if trades else "0"


def _dd(value: Drawdown, relative: bool) -> str:
    if relative:
        return f"{value.relative_pct:.2f} % ({value.relative:,.2f})"
    return f"{value.maximal:,.2f} ({value.maximal_pct:.2f} %)"


def _run(run: Run, money_first: bool) -> str:
    return f"{run.money:,.2f} ({run.count})" if money_first else f"{run.count} ({run.money:,.2f})"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    total = round(seconds)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def figure_rows(f: Figures) -> list[tuple[str, str]]:
    """The figures as label and text, in the order of MetaTrader 5's report."""
    return [
        ("Initial deposit", money(f.initial_deposit)),
        ("Final balance", money(f.final_balance)),
        ("Total net profit", money(f.net_profit)),
        ("Gross profit", money(f.gross_profit)),
        ("Gross loss", money(f.gross_loss)),
        ("Profit factor", ratio(f.profit_factor)),
        ("Expected payoff", money(f.expected_payoff)),
        ("Recovery factor", ratio(f.recovery_factor)),
        ("Sharpe ratio", ratio(f.sharpe_ratio)),
        ("Balance drawdown absolute", money(f.balance_drawdown.absolute)),
        ("Balance drawdown maximal", _dd(f.balance_drawdown, False)),
        ("Balance drawdown relative", _dd(f.balance_drawdown, True)),
        ("Equity drawdown absolute", money(f.equity_drawdown.absolute)),
        ("Equity drawdown maximal", _dd(f.equity_drawdown, False)),
        ("Equity drawdown relative", _dd(f.equity_drawdown, True)),
        ("Total trades", f"{f.trades:,}"),
        ("Total deals", f"{f.deals:,}"),
        ("Short trades (won %)", _won(f.short_trades, f.short_won)),
        ("Long trades (won %)", _won(f.long_trades, f.long_won)),
        ("Profit trades (% of total)", share(f.won, f.trades)),
        ("Loss trades (% of total)", share(f.lost, f.trades)),
        ("Largest profit trade", money(f.largest_profit)),
        ("Largest loss trade", money(f.largest_loss)),
        ("Average profit trade", money(f.average_profit)),
        ("Average loss trade", money(f.average_loss)),
        ("Maximum consecutive wins ($)", _run(f.max_consecutive_wins, False)),
        ("Maximum consecutive losses ($)", _run(f.max_consecutive_losses, False)),
        ("Maximal consecutive profit (count)", _run(f.max_consecutive_profit, True)),
        ("Maximal consecutive loss (count)", _run(f.max_consecutive_loss, True)),
        ("Average consecutive wins", f"{f.average_consecutive_wins:g}"),
        ("Average consecutive losses", f"{f.average_consecutive_losses:g}"),
        ("Average holding time", duration(f.average_holding_s)),
        ("Average MFE", money(f.average_mfe)),
        ("Average MAE", money(f.average_mae)),
    ]


def _time(msc: int | None) -> str:
    if msc is None:
        return ""
    return datetime.fromtimestamp(msc / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _price(value: float | None) -> str:
    return "" if value is None else f"{value:.10g}"


_STYLE = """
body { font-family: sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin-bottom: 4px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
.grid { display: flex; flex-wrap: wrap; gap: 24px; }
.pos { color: #2d7a3e; } .neg { color: #b03a2e; } .note { color: #666; font-size: 12px; }
"""


def _sign(value: float) -> str:
    return "pos" if value > 0 else "neg" if value < 0 else ""


def to_html(report: Report) -> str:
    """The whole report as one HTML page."""
    f = report.figures
    out = io.StringIO()
    w = out.write
    w(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>"
    )
    w(f"<h1>{html.escape(report.title)}</h1>")
    if report.settings:
        w("<p class='note'>")
        w(
            " · ".join(
                f"{html.escape(str(k))}: {html.escape(str(v))}" for k, v in report.settings.items()
            )
        )
        w("</p>")
    for note in report.notes:
        w(f"<p class='note'>{html.escape(note)}</p>")
    w(f"<h2>Results ({html.escape(report.currency)})</h2><table>")
    rows = figure_rows(f)
    half = (len(rows) + 1) // 2
    right = [*rows[half:], ("", "")][:half]
    for (a, av), (b, bv) in zip(rows[:half], right, strict=True):
        w(f"<tr><td class='l'>{a}</td><td>{av}</td><td class='l'>{b}</td><td>{bv}</td></tr>")
    w("</table>")
    curve = report.curve
    w("<h2>Balance and equity</h2>")
    w(
        svg.as_image(
            svg.lines(
                curve.time_msc,
                [("Equity", curve.equity, "#2e6fbd"), ("Balance", curve.balance, "#333333")],
            ),
            "Balance and equity",
        )
    )
    if not report.equity_marked:
        w("<p class='note'>Equity is known only at deals here (no prices were given).</p>")
    if len(curve):
        peaks = np.maximum.accumulate(np.concatenate(([f.initial_deposit], curve.equity)))[1:]
        down = curve.equity - peaks
        w("<h2>Equity drawdown</h2>")
        w(
            svg.as_image(
                svg.lines(
                    curve.time_msc, [("Drawdown", down, "#c0392b")], fill_below=True, height=200
                ),
                "Equity drawdown",
            )
        )
    _months(w, report)
    w("<h2>By hour and weekday of entry</h2><div class='grid'>")
    w(
        svg.as_image(
            svg.bars([b.label for b in report.hours], [b.profit for b in report.hours]),
            "Profit by hour",
        )
    )
    w(
        svg.as_image(
            svg.bars([b.label[:3] for b in report.weekdays], [b.profit for b in report.weekdays]),
            "Profit by weekday",
        )
    )
    w("</div><table><tr><th class='l'>Weekday</th><th>Trades</th><th>Won</th><th>Profit</th></tr>")
    for day in report.weekdays:
        w(
            f"<tr><td class='l'>{day.label}</td><td>{day.trades}</td><td>{day.won}</td>"
            f"<td class='{_sign(day.profit)}'>{money(day.profit)}</td></tr>"
        )
    w("</table>")
    _trades(w, report.trades)
    w("</body></html>")
    return out.getvalue()


Write = Callable[[str], object]


def _months(write: Write, report: Report) -> None:
    if not report.months:
        return
    # Every cell in percent, the year's too (of the balance at its start, as each month's
    # is of the balance at the month's start); the money is each cell's tooltip.
    write(
        "<h2>Monthly returns, %</h2><p class='note'>Each month's net profit as a percentage "
        "of the balance at the month's start; the year's, of the balance at the year's "
        "start. Point at a cell for the money.</p>"
    )
    write("<table><tr><th class='l'>Year</th>")
    write("".join(f"<th>{m}</th>" for m in MONTHS) + "<th>Year, %</th></tr>")
    years: dict[int, dict[int, tuple[float, float | None]]] = {}
    for month in report.months:
        years.setdefault(month.year, {})[month.month] = (month.profit, month.return_pct)
    balance = report.figures.initial_deposit  # at the start of each year in turn
    for year, months in years.items():
        cells = []
        for m in range(1, 13):
            if m not in months:
                cells.append("<td></td>")
                continue
            profit, pct = months[m]
            text = f"{pct:+.2f} %" if pct is not None else money(profit)
            cells.append(f"<td class='{_sign(profit)}' title='{money(profit)}'>{text}</td>")
        total = round(sum(p for p, _ in months.values()), 2)
        year_text = f"{total / balance * 100:+.2f} %" if balance > 0 else money(total)
        balance += total
        write(
            f"<tr><td class='l'>{year}</td>{''.join(cells)}"
            f"<td class='{_sign(total)}' title='{money(total)}'>{year_text}</td></tr>"
        )
    write("</table>")


TRADE_COLUMNS = (
    "position",
    "symbol",
    "side",
    "volume",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "profit",
    "commission",
    "points",
    "mfe",
    "mae",
    "reason",
)


def _trade_cells(t: Trade) -> list[str]:
    return [
        str(t.position),
        t.symbol,
        "long" if t.is_long else "short",
        f"{t.volume:g}",
        _time(t.entry_time_msc),
        _price(t.entry_price),
        _time(t.exit_time_msc),
        _price(t.exit_price),
        f"{t.profit:.2f}",
        f"{t.commission:.2f}",
        "" if t.points is None else f"{t.points:g}",
        "" if t.mfe is None else f"{t.mfe:.2f}",
        "" if t.mae is None else f"{t.mae:.2f}",
        t.reason,
    ]


def _trades(write: Write, trades: Iterable[Trade]) -> None:
    write("<h2>Trades</h2><table><tr>")
    write("".join(f"<th>{c.replace('_', ' ')}</th>" for c in TRADE_COLUMNS) + "</tr>")
    for trade in trades:
        cells = _trade_cells(trade)
        profit_class = _sign(trade.profit)
        row = "".join(
            f"<td class='{profit_class}'>{html.escape(c)}</td>"
            if i == 8
            else f"<td>{html.escape(c)}</td>"
            for i, c in enumerate(cells)
        )
        write(f"<tr>{row}</tr>")
    write("</table>")


def write_html(report: Report, path: Path) -> None:
    _write_text(Path(path), to_html(report))


def trades_csv(trades: Iterable[Trade]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRADE_COLUMNS)
    for trade in trades:
        writer.writerow(_trade_cells(trade))
    return out.getvalue()


def figures_csv(report: Report) -> str:
    """Every figure as ``name,value`` with plain numbers (``equity_drawdown.maximal``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("figure", "value"))
    for name, value in _flat(report.figures.as_dict()):
        writer.writerow((name, "" if value is None else value))
    return out.getvalue()


def _flat(data: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for name, value in data.items():
        if isinstance(value, dict):
            rows.extend(_flat(value, f"{prefix}{name}."))
        else:
            rows.append((f"{prefix}{name}", value))
    return rows


def write_csv(report: Report, path: Path) -> Path:
    """The trades to ``path`` and the figures beside it (``<name>.figures.csv``)."""
    path = Path(path)
    _write_text(path, trades_csv(report.trades))
    figures = path.with_name(f"{path.stem}.figures.csv")
    _write_text(figures, figures_csv(report))
    return figures


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
