"""Stored bars on the chart: the History window's Open chart, and timeframe switches after it.

The chart takes stored bars exactly as it takes a broker's history. A symbol
the broker does not list has no specification, so the chart gets one made from
the data (its digits); trading it stays impossible, because the order desk only
trades the broker's symbols and refuses the rest in words.
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
    """Remembers which symbol the chart shows from the store, so that a timeframe
    switch reads that timeframe from the store too (the broker has none of it)."""

    def __init__(
        self,
        library: HistoryLibrary,
        worker: Worker,
        show: Callable[[StoredChart], None],
        say: Callable[[str], None],
        at_broker: Callable[[str], bool],
    ) -> None:
        self._library = library
        self._at_broker = at_broker
        self._worker = worker
        self._show = show
        self._say = say
        self.symbol: str | None = None

    def shown(self, chart: StoredChart) -> None:
        self.symbol = chart.history.symbol
        self._show(chart)

    def follow(self, symbol: str | None, timeframe: Timeframe) -> bool:
        """The chart switched to ``timeframe``: load it from the store if this chart is one
        opened from the store of a symbol the broker does not list; ``False`` otherwise
        (the broker answers instead, and the chart is live again)."""
        if symbol is None or symbol != self.symbol or self._at_broker(symbol):
            self.symbol = None
            return False
        self._worker.run(
            "chart",
            lambda: self._library.chart_bars(symbol, timeframe),
            self._show,
            lambda message: self._say(f"{message}; choose a stored timeframe"),
        )
        return True
