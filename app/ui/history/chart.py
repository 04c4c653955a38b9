"""Stored bars on the chart: the History window's Open chart, and timeframe switches after it.

Open chart opens a new chart of stored history (see ``ChartWorkspace.open_stored``):
it has no trading lines, quotes or live bars, so old bars never look like today's
market. A symbol the broker does not list has no specification, so the chart
gets one made from the data (its digits).
"""

from __future__ import annotations

from collections.abc import Callable

from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.engine.history_library import HistoryLibrary, StoredChart
from app.ui.history.worker import Worker


def stored_spec(symbol: str, digits: int) -> SymbolSpec:
    """A description of a symbol known only from stored bars: enough to draw it."""
    point = 10.0**-digits
    return SymbolSpec(
        name=symbol,
        description=f"{symbol} (stored history)",
        digits=digits,
        point=point,
        contract_size=1.0,
        volume_min=0.0,
        volume_max=0.0,
        volume_step=0.0,
        base_currency="",
        profit_currency="",
        trade_mode="disabled",
    )


class StoredChartFeed:
    """Reads stored bars on the worker thread: the History window's Open chart, and
    a stored chart's timeframe switches (the broker has none of its bars)."""

    def __init__(
        self,
        library: HistoryLibrary,
        worker: Worker,
        show: Callable[[StoredChart], None],
        say: Callable[[str], None],
    ) -> None:
        self._library = library
        self._worker = worker
        self._show = show
        self._say = say

    def shown(self, chart: StoredChart) -> None:
        self._show(chart)

    def follow(
        self, symbol: str, timeframe: Timeframe, deliver: Callable[[StoredChart], None]
    ) -> None:
        """A stored chart switched to ``timeframe``: read it from the store for ``deliver``."""
        self._worker.run(
            "chart",
            lambda: self._library.chart_bars(symbol, timeframe),
            deliver,
            lambda message: self._say(f"{message}; choose a stored timeframe"),
        )
