"""The history a pass replays, loaded once and shared by every pass on it.

Loading is the slow part of a short test (reading Parquet, aggregating bars), so
it is separate from the pass: the optimiser loads a :class:`MarketHistory` once
per worker process and runs every pass on it. It is plain numpy arrays and a
symbol spec: cheap to pickle for a worker on another machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from app.domain.bars import aggregate_rates
from app.domain.market import RATES_DTYPE
from app.domain.symbols import SymbolSpec, fx_pair
from app.domain.timeframes import Timeframe
from app.tester.errors import TesterError

if TYPE_CHECKING:  # the store loads pyarrow: only when a test reads it
    from app.history.store import HistoryStore

#: Most decimals a price of a stored series is looked at for (to find its digits).
MAX_DIGITS = 8
_SAMPLE = 5000


@dataclass
class MarketHistory:
    """One symbol's stored bars (per timeframe) and, if loaded, its ticks."""

    symbol: str
    spec: SymbolSpec
    bars: Mapping[Timeframe, np.ndarray] = field(default_factory=dict)  # as stored
    ticks: np.ndarray | None = None  # TICK_DTYPE, the range that was loaded
    _from_m1: dict[Timeframe, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def m1(self) -> np.ndarray:
        return self.bars.get(Timeframe.M1, np.zeros(0, dtype=RATES_DTYPE))

    def stored(self, timeframe: Timeframe) -> np.ndarray | None:
        return self.bars.get(timeframe)

    def from_m1(self, timeframe: Timeframe) -> np.ndarray:
        """Bars of ``timeframe`` made from the M1 bars (kept once made)."""
        if timeframe is Timeframe.M1:
            return self.m1
        made = self._from_m1.get(timeframe)
        if made is None:
            made = self._from_m1[timeframe] = aggregate_rates(self.m1, timeframe)
        return made

    def series(self, timeframe: Timeframe) -> np.ndarray:
        """``timeframe``'s bars: as stored, else made from M1 (empty if neither)."""
        stored = self.bars.get(timeframe)
        return stored if stored is not None else self.from_m1(timeframe)

    def describe(self) -> str:
        """What is loaded, for an error message: ``M1, H1 and ticks``."""
        names = [tf.name for tf in sorted(self.bars, key=lambda t: t.seconds)]
        if self.ticks is not None and len(self.ticks):
            names.append("ticks")
        return ", ".join(names) if names else "nothing"


def load_history(
    store: HistoryStore,
    symbol: str,
    *,
    ticks: bool = False,
    start_msc: int | None = None,
    end_msc: int | None = None,
    spec: SymbolSpec | None = None,
) -> MarketHistory:
    """Every stored bar series of ``symbol``, and its ticks in the range if asked.

    Bars are loaded whole (warm-up needs what lies before the test; a million
    bars read in tens of milliseconds); ticks only in ``[start_msc, end_msc]``,
    since years of them do not fit in memory.
    """
    bars: dict[Timeframe, np.ndarray] = {}
    for info in store.listing():
        if info.symbol != symbol or info.timeframe is None:
            continue
        bars[info.timeframe] = store.read_bars(symbol, info.timeframe)
    tick_rows = store.read_ticks(symbol, start_msc, end_msc) if ticks else None
    if not bars and (tick_rows is None or not len(tick_rows)):
        raise TesterError(f"no history of {symbol} is stored; import or download it first")
    return MarketHistory(
        symbol, spec or spec_for(symbol, bars, tick_rows), bars=bars, ticks=tick_rows
    )


def spec_for(
    symbol: str, bars: Mapping[Timeframe, np.ndarray], ticks: np.ndarray | None = None
) -> SymbolSpec:
    """The symbol's spec: the paper broker's for the symbols it knows, or an FX pair for
    a six-letter name; its digits are at least as many as the stored prices have."""
    from app.brokers.sim.replay import paper_spec, paper_symbols

    digits = price_digits(bars, ticks)
    spec = paper_spec(symbol)
    if spec is not None:
        if digits > spec.digits:
            spec = replace(spec, digits=digits, point=10.0**-digits)
        return spec
    if len(symbol) == 6 and symbol.isalpha() and symbol.isupper():
        return fx_pair(symbol, digits)
    raise TesterError(
        f"{symbol} is not a symbol the tester knows (an FX pair like EURUSD, or one of "
        f"{', '.join(paper_symbols())}); pass its spec to test it"
    )


def price_digits(bars: Mapping[Timeframe, np.ndarray], ticks: np.ndarray | None) -> int:
    """How many decimals the stored prices use (5 for 1.08765, 3 for 151.234)."""
    samples = [rates[name][:_SAMPLE] for rates in bars.values() for name in ("open", "close")]
    if ticks is not None and len(ticks):
        samples += [ticks["bid"][:_SAMPLE], ticks["ask"][:_SAMPLE]]
    prices = np.concatenate(samples) if samples else np.zeros(0)
    prices = prices[np.isfinite(prices) & (prices > 0)]
    if not len(prices):
        return 5
    for digits in range(MAX_DIGITS + 1):
        scaled = prices * 10.0**digits
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return digits
    return MAX_DIGITS
