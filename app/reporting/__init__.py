"""Trading reports: MetaTrader 5's figures for a backtest or the live account's history.

Plain Python over domain deals (no Qt, no engine): the tester builds one after
every pass, the History window will build one from the journal's deals. The
figures and their definitions are in ``figures.py`` and ``docs/tester.md``;
``export.py`` writes the self-contained HTML file and the CSV files.
"""

from app.reporting.curves import Curve, PricePath
from app.reporting.export import write_csv, write_html
from app.reporting.figures import Drawdown, Figures, Run
from app.reporting.report import Report, build_report
from app.reporting.trades import Trade, trades_from_deals

__all__ = [
    "Curve",
    "Drawdown",
    "Figures",
    "PricePath",
    "Report",
    "Run",
    "Trade",
    "build_report",
    "trades_from_deals",
    "write_csv",
    "write_html",
]
