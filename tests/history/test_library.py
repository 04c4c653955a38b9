"""The GUI's way to the store: the newest bars for a chart, whatever the gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.domain.timeframes import Timeframe
from app.engine.history_library import HistoryLibrary, LibraryError
from app.history import BAR_DTYPE, HistoryStore

MONDAY = 1_709_510_400  # 2024-03-04 00:00 UTC


def _session_m1(weeks: int) -> np.ndarray:
    """An exchange's M1 bars: 08:00 to 16:00 on weekdays, a quarter of the minutes."""
    days = [MONDAY + week * 7 * 86_400 + day * 86_400 for week in range(weeks) for day in range(5)]
    times = np.concatenate([d + 8 * 3600 + 60 * np.arange(480) for d in days])
    rows = np.zeros(len(times), dtype=BAR_DTYPE)
    rows["time"] = times
    rows["open"] = rows["high"] = rows["low"] = rows["close"] = 1.2345 + 1e-5 * (times % 97)
    return rows


def test_the_chart_gets_the_newest_bars_across_nights_and_weekends(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path)
    rows = _session_m1(weeks=10)  # 24,000 bars over 10 weeks
    store.write_bars("EURUSD", Timeframe.M1, rows)
    chart = HistoryLibrary(tmp_path).chart_bars("EURUSD", Timeframe.M1, count=20_000)
    times = np.asarray(chart.history.time)
    assert len(times) == 20_000
    assert times.tolist() == rows["time"][-20_000:].tolist()
    assert chart.digits == 5


def test_a_series_that_is_not_stored_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no EURUSD H1 bars are stored"):
        HistoryLibrary(tmp_path).chart_bars("EURUSD", Timeframe.H1)
