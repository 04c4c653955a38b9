"""History: bars and ticks stored on disk, and the import of MetaTrader 5 exports.

Plain Python (no Qt), beside the brokers and the journal: the chart, the
tester and the engine's downloader and tick recorder all read and write
through :class:`HistoryStore`. Importing this package loads pyarrow, so the
command line imports it only inside the history subcommands.
"""

from app.history.errors import HistoryError
from app.history.gaps import Gap
from app.history.layout import TICKS
from app.history.schema import BAR_DTYPE, TICK_DTYPE
from app.history.store import HistoryStore, SeriesInfo

__all__ = ["BAR_DTYPE", "TICKS", "TICK_DTYPE", "Gap", "HistoryError", "HistoryStore", "SeriesInfo"]
