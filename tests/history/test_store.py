"""The history store on a real disk: round trips, appends, overlaps, gaps, delete, export."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from app.domain.market import RATES_DTYPE
from app.domain.timeframes import Timeframe
from app.history import BAR_DTYPE, TICK_DTYPE, TICKS, HistoryError, HistoryStore
from app.history.importer import read_export

M1, H1 = Timeframe.M1, Timeframe.H1


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def bars(start: str, count: int, step: int = 60, price: float = 1.1) -> np.ndarray:
    rows = np.zeros(count, dtype=BAR_DTYPE)
    rows["time"] = epoch(start) + np.arange(count) * step
    rows["open"] = price + np.arange(count) * 1e-5
    rows["high"] = rows["open"] + 2e-4
    rows["low"] = rows["open"] - 2e-4
    rows["close"] = rows["open"] + 1e-4
    rows["tick_volume"] = np.arange(count) + 2**40  # beyond 32 bits survives
    rows["spread"] = 12
    rows["real_volume"] = 7
    return rows


def ticks(start_msc: int, count: int, step_ms: int = 250, bid: float = 1.1) -> np.ndarray:
    rows = np.zeros(count, dtype=TICK_DTYPE)
    rows["time_msc"] = start_msc + np.arange(count) * step_ms
    rows["bid"] = bid + np.arange(count) * 1e-5
    rows["ask"] = rows["bid"] + 1e-4
    rows["volume"] = 0.5
    rows["flags"] = 6
    return rows


def test_bar_dtype_is_the_brokers_rates_dtype() -> None:
    assert BAR_DTYPE == RATES_DTYPE


def test_bars_round_trip_with_identical_values_and_dtype(store: HistoryStore) -> None:
    written = bars("2023-12-31T20:00", 600)  # across a new year: two files
    store.write_bars("EURUSD", M1, written)
    read = store.read_bars("EURUSD", M1)

    assert read.dtype == BAR_DTYPE
    np.testing.assert_array_equal(read, written)
    assert len(list((store.root / "bars" / "EURUSD" / "M1").glob("*.parquet"))) == 2


def test_mt5_rates_arrays_are_stored_as_they_come(store: HistoryStore) -> None:
    rates = bars("2024-01-02T00:00", 5).astype(RATES_DTYPE)
    store.write_bars("EURUSD", M1, rates)
    np.testing.assert_array_equal(store.read_bars("EURUSD", M1), rates)


def test_mt5_ticks_arrays_are_stored_with_their_real_volume(store: HistoryStore) -> None:
    mt5_ticks = np.dtype(
        [
            ("time", "<i8"),
            ("bid", "<f8"),
            ("ask", "<f8"),
            ("last", "<f8"),
            ("volume", "<u8"),
            ("time_msc", "<i8"),
            ("flags", "<u4"),
            ("volume_real", "<f8"),
        ]
    )  # what copy_ticks_range returns
    rows = np.zeros(2, dtype=mt5_ticks)
    rows["time_msc"] = [1_704_189_600_123, 1_704_189_600_456]
    rows["time"] = rows["time_msc"] // 1000
    rows["bid"], rows["ask"], rows["last"] = 1.1, 1.2, 1.15
    rows["volume"], rows["volume_real"], rows["flags"] = 1, 1.5, 24
    store.write_ticks("XAUUSD", rows)
    read = store.read_ticks("XAUUSD")
    assert read.tolist() == [
        (1_704_189_600_123, 1.1, 1.2, 1.15, 1.5, 24),
        (1_704_189_600_456, 1.1, 1.2, 1.15, 1.5, 24),
    ]


def test_ticks_round_trip(store: HistoryStore) -> None:
    written = ticks(epoch("2024-01-01T23:59:00") * 1000, 500)  # across midnight
    store.write_ticks("EURUSD", written)
    read = store.read_ticks("EURUSD")
    assert read.dtype == TICK_DTYPE
    np.testing.assert_array_equal(read, written)


def test_an_append_adds_after_the_end(store: HistoryStore) -> None:
    first = bars("2024-01-02T00:00", 100)
    later = bars("2024-01-02T01:40", 50)
    store.write_bars("EURUSD", M1, first)
    store.write_bars("EURUSD", M1, later)
    np.testing.assert_array_equal(store.read_bars("EURUSD", M1), np.concatenate([first, later]))


def test_an_overlapping_import_replaces_bars_and_never_doubles_them(store: HistoryStore) -> None:
    store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", 100, price=1.1))
    store.write_bars("EURUSD", M1, bars("2024-01-02T01:00", 100, price=1.2))  # 40 overlap
    read = store.read_bars("EURUSD", M1)

    assert len(read) == 160
    assert np.all(np.diff(read["time"]) == 60)
    assert read["open"][59] == pytest.approx(1.1 + 59e-5)
    assert read["open"][60] == pytest.approx(1.2)  # the newer import wins where both have bars


def test_bars_inside_an_older_range_are_merged_in_order(store: HistoryStore) -> None:
    everything = bars("2024-01-02T00:00", 10)
    store.write_bars("EURUSD", M1, everything[::2])
    store.write_bars("EURUSD", M1, everything[1::2])
    np.testing.assert_array_equal(store.read_bars("EURUSD", M1), everything)


def test_ticks_written_again_replace_their_span_only(store: HistoryStore) -> None:
    start = epoch("2024-01-02T10:00") * 1000
    store.write_ticks("EURUSD", ticks(start, 100))  # 10:00:00 to 10:00:24.75
    again = ticks(start + 5_000, 10, step_ms=100, bid=1.3)  # 10:00:05 to 10:00:05.9
    store.write_ticks("EURUSD", again)
    read = store.read_ticks("EURUSD")

    inside = (read["time_msc"] >= start + 5_000) & (read["time_msc"] <= start + 5_900)
    np.testing.assert_array_equal(read[inside], again)
    assert len(read) == 100 - 4 + 10  # 10:00:05, .25, .5, .75 were replaced
    assert np.all(np.diff(read["time_msc"]) >= 0)


def test_live_ticks_append_and_keep_ticks_of_the_same_millisecond(store: HistoryStore) -> None:
    start = epoch("2024-01-02T10:00") * 1000
    first = ticks(start, 3, step_ms=0)  # three ticks in one millisecond
    second = ticks(start, 2, step_ms=0, bid=1.2)  # two more in the same millisecond
    store.append_ticks("EURUSD", first)
    store.append_ticks("EURUSD", second)
    np.testing.assert_array_equal(store.read_ticks("EURUSD"), np.concatenate([first, second]))


def test_an_append_older_than_the_stored_end_is_refused_untouched(store: HistoryStore) -> None:
    start = epoch("2024-01-02T10:00") * 1000
    store.append_ticks("EURUSD", ticks(start, 10))
    with pytest.raises(HistoryError, match="before the stored end"):
        store.append_ticks("EURUSD", ticks(start, 3))
    assert len(store.read_ticks("EURUSD")) == 10


def test_ranges_are_inclusive_and_cross_files(store: HistoryStore) -> None:
    store.write_bars("EURUSD", H1, bars("2022-12-30T00:00", 24 * 5, step=3600))
    read = store.read_bars("EURUSD", H1, epoch("2022-12-31T22:00"), epoch("2023-01-01T02:00"))
    assert read["time"].tolist() == [epoch("2022-12-31T22:00") + h * 3600 for h in range(5)]
    assert len(store.read_bars("EURUSD", H1, start=epoch("2023-01-03T00:00"))) == 24
    assert len(store.read_bars("EURUSD", H1, end=epoch("2022-12-30T05:00"))) == 6
    assert len(store.read_bars("EURUSD", H1, epoch("2030-01-01T00:00"))) == 0
    assert store.read_bars("GBPUSD", H1).dtype == BAR_DTYPE  # nothing stored: empty, typed

    start = epoch("2024-01-02T10:00") * 1000
    store.write_ticks("EURUSD", ticks(start, 10))
    assert len(store.read_ticks("EURUSD", start + 250, start + 750)) == 3


def test_the_listing_says_what_is_stored(store: HistoryStore) -> None:
    store.write_bars("EURUSD", H1, bars("2024-01-02T00:00", 10, step=3600))
    store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", 5))
    store.write_ticks("GBPUSD", ticks(epoch("2024-01-02T10:00") * 1000, 4))
    listing = [(s.symbol, s.series, s.first, s.last, s.count) for s in store.listing()]

    assert listing == [
        ("EURUSD", "M1", epoch("2024-01-02T00:00"), epoch("2024-01-02T00:04"), 5),
        ("EURUSD", "H1", epoch("2024-01-02T00:00"), epoch("2024-01-02T09:00"), 10),
        ("GBPUSD", TICKS, epoch("2024-01-02T10:00"), epoch("2024-01-02T10:00"), 4),
    ]
    assert store.info("EURUSD", "H1") is not None
    assert store.info("EURUSD", TICKS) is None


def test_gaps_are_listed_and_weekends_are_not_gaps(store: HistoryStore) -> None:
    # M1 bars on the usual GMT+2 server clock: Friday 2024-05-03 to Monday 2024-05-06,
    # with two hours missing on Monday and a missing day (Wednesday) across the week.
    friday = bars("2024-05-03T22:00", 120)  # up to Friday 23:59
    monday = bars("2024-05-06T00:00", 600)
    monday = monday[
        (monday["time"] < epoch("2024-05-06T05:00")) | (monday["time"] >= epoch("2024-05-06T07:00"))
    ]
    thursday = bars("2024-05-09T00:00", 60)
    store.write_bars("EURUSD", M1, np.concatenate([friday, monday, thursday]))
    [info] = store.listing()

    assert [(g.start, g.end) for g in info.gaps] == [
        (epoch("2024-05-06T05:00"), epoch("2024-05-06T07:00")),
        (epoch("2024-05-06T10:00"), epoch("2024-05-09T00:00")),
    ]


def test_a_weekend_on_the_utc_clock_is_not_a_gap_either(store: HistoryStore) -> None:
    before = bars("2024-05-03T20:00", 60)  # up to Friday 20:59 UTC
    after = bars("2024-05-05T21:00", 60)  # from Sunday 21:00 UTC
    store.write_bars("EURUSD", M1, np.concatenate([before, after]))
    assert store.listing()[0].gaps == ()


def test_short_breaks_are_not_gaps_and_a_gap_between_files_is(store: HistoryStore) -> None:
    rows = bars("2023-12-28T10:00", 30)
    rows = rows[rows["time"] != epoch("2023-12-28T10:10")]  # one minute missing: normal
    store.write_bars("EURUSD", M1, rows)
    store.write_bars("EURUSD", M1, bars("2024-01-03T10:00", 10))  # next year's file
    gaps = store.listing()[0].gaps
    assert [(g.start, g.end) for g in gaps] == [
        (epoch("2023-12-28T10:30"), epoch("2024-01-03T10:00"))
    ]


def test_delete_one_series_or_a_whole_symbol(store: HistoryStore) -> None:
    store.write_bars("EURUSD", H1, bars("2024-01-02T00:00", 10, step=3600))
    store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", 5))
    store.write_ticks("EURUSD", ticks(epoch("2024-01-02T10:00") * 1000, 4))
    store.write_bars("GBPUSD", M1, bars("2024-01-02T00:00", 5))

    assert store.delete("EURUSD", H1) == ["EURUSD H1"]
    assert [s.series for s in store.listing() if s.symbol == "EURUSD"] == ["M1", TICKS]
    assert sorted(store.delete("EURUSD")) == ["EURUSD M1", "EURUSD ticks"]
    assert [s.symbol for s in store.listing()] == ["GBPUSD"]
    assert store.delete("EURUSD", H1) == []


def test_export_writes_a_csv_that_imports_back_the_same(
    store: HistoryStore, tmp_path: Path
) -> None:
    written = bars("2024-01-02T00:00", 300)
    written["open"] = np.round(written["open"], 5)
    store.write_bars("EURUSD", M1, written)
    path = tmp_path / "EURUSD_M1.csv"

    assert store.export_csv("EURUSD", M1, path) == 300
    assert path.read_text().splitlines()[:2] == [
        "time,open,high,low,close,tick_volume,spread,real_volume",
        f"2024-01-02 00:00:00,1.1,{float(written['high'][0])!r},{float(written['low'][0])!r},"
        f"{float(written['close'][0])!r},{2**40},12,7",
    ]
    np.testing.assert_array_equal(read_export(path).rows, written)


def test_tick_export_imports_back_the_same(store: HistoryStore, tmp_path: Path) -> None:
    written = ticks(epoch("2024-01-02T10:00") * 1000 + 7, 50)
    store.write_ticks("EURUSD", written)
    path = tmp_path / "ticks.csv"
    store.export_csv("EURUSD", TICKS, path)
    np.testing.assert_array_equal(read_export(path).rows, written)


def test_export_of_an_empty_range_writes_nothing(store: HistoryStore, tmp_path: Path) -> None:
    store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", 5))
    path = tmp_path / "none.csv"
    assert store.export_csv("EURUSD", M1, path, start=epoch("2025-01-01T00:00")) == 0
    assert not path.exists()


def test_a_failed_write_leaves_the_old_file_whole(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = bars("2024-01-02T00:00", 100)
    store.write_bars("EURUSD", M1, original)

    def crash(*_: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", 200, price=1.3))
    monkeypatch.undo()

    np.testing.assert_array_equal(store.read_bars("EURUSD", M1), original)
    folder = store.root / "bars" / "EURUSD" / "M1"
    assert [p.name for p in folder.iterdir()] == ["2024.parquet"]  # no temporary left


def test_a_temporary_file_left_by_a_crash_is_ignored_and_cleaned(store: HistoryStore) -> None:
    store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", 10))
    folder = store.root / "bars" / "EURUSD" / "M1"
    (folder / "2024.parquet.1234abcd.tmp").write_bytes(b"PAR1 half a file")

    assert store.listing()[0].count == 10
    assert len(store.read_bars("EURUSD", M1)) == 10
    store.write_bars("EURUSD", M1, bars("2024-01-02T00:10", 10))
    assert [p.name for p in folder.iterdir()] == ["2024.parquet"]


def test_a_damaged_file_is_reported_in_one_sentence(store: HistoryStore) -> None:
    store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", 10))
    (store.root / "bars" / "EURUSD" / "M1" / "2024.parquet").write_bytes(b"not parquet")
    with pytest.raises(HistoryError, match=r"EURUSD M1: the file 2024\.parquet is damaged"):
        store.read_bars("EURUSD", M1)


def test_a_reader_during_writes_sees_whole_states_only(store: HistoryStore) -> None:
    batch = 500
    store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", batch))
    seen: list[int] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def read_all_the_time() -> None:
        reader = HistoryStore(store.root)  # a second store object, as a second window would be
        try:
            while not done.is_set():
                rows = reader.read_bars("EURUSD", M1)
                assert len(rows) % batch == 0 and np.all(np.diff(rows["time"]) == 60)
                seen.append(len(rows))
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=read_all_the_time)
    thread.start()
    for n in range(1, 20):
        store.write_bars("EURUSD", M1, bars("2024-01-02T00:00", batch)[:0])  # nothing
        start = epoch("2024-01-02T00:00") + n * batch * 60
        more = bars("2024-01-02T00:00", batch)
        more["time"] = start + np.arange(batch) * 60
        store.write_bars("EURUSD", M1, more)
    done.set()
    thread.join()

    assert failures == []
    assert seen and seen == sorted(seen)
    assert len(store.read_bars("EURUSD", M1)) == 20 * batch


def test_symbols_with_characters_a_folder_cannot_hold(store: HistoryStore) -> None:
    for symbol in ("BTC/USD", "CON", ".DE40", "US30#"):
        store.write_bars(symbol, M1, bars("2024-01-02T00:00", 3))
    assert sorted(s.symbol for s in store.listing()) == sorted(["BTC/USD", "CON", ".DE40", "US30#"])
    assert len(store.read_bars("BTC/USD", M1)) == 3


@pytest.mark.parametrize("symbol", ["", "EUR USD", "a" * 65, "..", "EUR\\USD"])
def test_a_name_that_is_no_symbol_is_refused(store: HistoryStore, symbol: str) -> None:
    with pytest.raises(HistoryError, match="is not a symbol name"):
        store.write_bars(symbol, M1, bars("2024-01-02T00:00", 3))


def test_a_writers_temporary_file_is_not_read_as_a_day_of_ticks(store: HistoryStore) -> None:
    """A reader listing the folder while a write is under way must not take its file."""
    import numpy as np

    from app.history import TICK_DTYPE

    rows = np.zeros(2, dtype=TICK_DTYPE)
    rows["time_msc"] = [1_704_067_200_000, 1_704_067_201_000]
    rows["bid"], rows["ask"] = 1.1, 1.1001
    store.write_ticks("EURUSD", rows)
    folder = next((store.root / "ticks").iterdir())
    (folder / "2024-01-01.parquet.1234abcd.tmp").write_bytes(b"half a file")
    assert store.read_ticks("EURUSD")["time_msc"].tolist() == rows["time_msc"].tolist()
