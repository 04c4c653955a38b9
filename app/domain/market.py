"""Market data: quotes, candles and bar history, as immutable values.

Times are UTC: a tick in epoch milliseconds, a bar by its open time in epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from app.domain.timeframes import Timeframe

#: Bars as numpy rows, field for field MetaTrader 5's rates arrays (``copy_rates_*``):
#: what brokers answer, the history store keeps and the chart and tester read.
RATES_DTYPE = np.dtype(
    [
        ("time", "<i8"),  # bar open time, epoch seconds
        ("open", "<f8"),
        ("high", "<f8"),
        ("low", "<f8"),
        ("close", "<f8"),
        ("tick_volume", "<u8"),
        ("spread", "<i4"),  # points
        ("real_volume", "<u8"),
    ]
)


#: Ticks as numpy rows, as the history store keeps them and a broker's tick download
#: answers (MetaTrader 5's ``copy_ticks_*`` with ``volume_real`` as the volume).
TICKS_DTYPE = np.dtype(
    [
        ("time_msc", "<i8"),  # epoch milliseconds
        ("bid", "<f8"),
        ("ask", "<f8"),
        ("last", "<f8"),
        ("volume", "<f8"),  # MetaTrader 5's volume_real: fractional on exchanges
        ("flags", "<u4"),  # TICK_FLAG_* bits, as MetaTrader 5 sets them, and POLL_END
    ]
)

POLL_END = 1 << 30
"""A tick flag of recorded sessions: the last tick of the symbol in one engine poll.

MetaTrader 5's ``TICK_FLAG_*`` bits are the low seven; the tick recorder sets
this one so that the tester, replaying a recorded session with the real-ticks
model, polls exactly where the live engine polled."""

TICK_FLAG_BID_ASK = 2 | 4
"""MetaTrader 5's TICK_FLAG_BID | TICK_FLAG_ASK: the bid and the ask changed."""


def utc_from_msc(time_msc: int) -> datetime:
    return datetime.fromtimestamp(time_msc / 1000, tz=UTC)


@dataclass(frozen=True, slots=True)
class Tick:
    """One quote change. ``time_msc`` is milliseconds since the epoch, UTC."""

    symbol: str
    time_msc: int
    bid: float
    ask: float
    last: float = 0.0
    volume: float = 0.0

    @property
    def time(self) -> datetime:
        return utc_from_msc(self.time_msc)

    @property
    def spread(self) -> float:
        return self.ask - self.bid

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


@dataclass(frozen=True, slots=True)
class Bar:
    """One candle. ``time`` is the bar's open time in epoch seconds, UTC."""

    symbol: str
    timeframe: Timeframe
    time: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class BarHistory:
    """Closed and forming bars of one symbol, oldest first, as parallel columns.

    Columns are numpy arrays (time int64, open/high/low/close/volume float64);
    typed loosely here so the domain does not depend on numpy's typing.
    """

    symbol: str
    timeframe: Timeframe
    time: object
    open: object
    high: object
    low: object
    close: object
    volume: object
