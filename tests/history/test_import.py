"""Import of MetaTrader 5 exports and CSV files, as a trader exports them."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from app.domain.timeframes import Timeframe
from app.history import BAR_DTYPE, TICK_DTYPE, HistoryStore
from app.history.importer import ImportProblem, import_file, read_export

from .conftest import MT5_BAR_HEADER, MT5_DAILY_HEADER, MT5_TICK_HEADER, write_lines


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def h1_lines(count: int = 4) -> list[str]:
    lines = [MT5_BAR_HEADER]
    for hour in range(count):
        o = 1.07150 + hour * 0.0001
        lines.append(
            f"2017.04.19\t{9 + hour:02d}:00:00\t{o:.5f}\t{o + 0.0005:.5f}\t{o - 0.0003:.5f}\t"
            f"{o + 0.0002:.5f}\t{1000 + hour}\t{hour * 10}\t{3 + hour}"
        )
    return lines


def with_field(line: str, index: int, value: str) -> str:
    fields = line.split("\t")
    fields[index] = value
    return "\t".join(fields)


def test_mt5_hourly_bars_are_read_with_every_field(tmp_path: Path) -> None:
    parsed = read_export(write_lines(tmp_path / "EURUSD_H1.csv", h1_lines()))

    rows = parsed.rows
    assert rows.dtype == BAR_DTYPE
    assert parsed.layout.description == "MetaTrader 5 bar export"
    assert parsed.timeframe is Timeframe.H1 and parsed.timeframe_detected
    assert rows["time"].tolist() == [epoch(f"2017-04-19T{h:02d}:00") for h in (9, 10, 11, 12)]
    assert rows[0].tolist() == (
        epoch("2017-04-19T09:00"),
        1.0715,
        1.072,
        1.0712,
        1.0717,
        1000,
        3,
        0,
    )
    assert rows["real_volume"].tolist() == [0, 10, 20, 30]
    assert rows["spread"].tolist() == [3, 4, 5, 6]
    assert parsed.bad_count == 0


def test_mt5_daily_bars_without_a_time_column(tmp_path: Path) -> None:
    lines = [
        MT5_DAILY_HEADER,
        "2017.04.18\t1.06500\t1.07300\t1.06400\t1.07200\t98000\t0\t5",
        "2017.04.19\t1.07200\t1.07400\t1.06900\t1.07100\t91000\t0\t6",
        "2017.04.20\t1.07100\t1.07800\t1.07000\t1.07700\t99000\t0\t5",
        "2017.04.21\t1.07700\t1.07900\t1.07100\t1.07250\t97000\t0\t5",
        "2017.04.24\t1.08600\t1.09400\t1.08400\t1.08700\t130000\t0\t6",  # after a weekend
    ]
    parsed = read_export(write_lines(tmp_path / "EURUSD_D1.csv", lines))

    assert parsed.timeframe is Timeframe.D1
    assert parsed.rows["time"][0] == epoch("2017-04-18T00:00")
    assert parsed.rows["time"][-1] == epoch("2017-04-24T00:00")
    assert parsed.rows["tick_volume"][-1] == 130000


def test_mt5_ticks_carry_unchanged_prices_forward(tmp_path: Path) -> None:
    lines = [
        MT5_TICK_HEADER,
        "2017.04.19\t09:00:00.123\t1.07150\t1.07160\t\t\t6",
        "2017.04.19\t09:00:00.500\t\t1.07170\t\t\t4",  # only the ask changed
        "2017.04.19\t09:00:01.007\t1.07140\t\t\t\t2",  # only the bid changed
        "2017.04.19\t09:00:01.007\t1.07145\t1.07155\t1.07150\t2.5\t30",  # same millisecond
    ]
    parsed = read_export(write_lines(tmp_path / "EURUSD_ticks.csv", lines))

    rows = parsed.rows
    assert rows.dtype == TICK_DTYPE
    assert parsed.layout.description == "MetaTrader 5 tick export"
    assert parsed.timeframe is None
    base = epoch("2017-04-19T09:00") * 1000
    assert rows["time_msc"].tolist() == [base + 123, base + 500, base + 1007, base + 1007]
    assert rows["bid"].tolist() == [1.0715, 1.0715, 1.0714, 1.07145]
    assert rows["ask"].tolist() == [1.0716, 1.0717, 1.0717, 1.07155]
    assert rows["last"].tolist() == [0.0, 0.0, 0.0, 1.0715]  # nothing before the first trade
    assert rows["volume"].tolist() == [0.0, 0.0, 0.0, 2.5]
    assert rows["flags"].tolist() == [6, 4, 2, 30]


@pytest.mark.parametrize(
    ("header", "line", "description"),
    [
        (
            "time,open,high,low,close,tick_volume,spread,real_volume",
            "{epoch},1.1,1.2,1.0,1.15,7,2,0",
            "epoch",
        ),
        (
            "Date,Time,Open,High,Low,Close,Volume",
            "2024-05-06,{clock},1.1,1.2,1.0,1.15,7",
            "date and time",
        ),
        (
            "datetime;open;high;low;close;volume",
            "2024-05-06 {clock};1.1;1.2;1.0;1.15;7",
            "semicolons",
        ),
        (
            '"timestamp","open","high","low","close"',
            '"2024-05-06T{clock}Z",1.1,1.2,1.0,1.15',
            "quoted ISO",
        ),
    ],
)
def test_plain_csv_bars(tmp_path: Path, header: str, line: str, description: str) -> None:
    start = epoch("2024-05-06T10:00")
    lines = [header]
    for minute in range(0, 15, 5):
        clock = f"10:{minute:02d}:00"
        lines.append(line.format(epoch=start + minute * 60, clock=clock))
    parsed = read_export(write_lines(tmp_path / "bars.csv", lines, newline="\n"))

    assert parsed.layout.description == "CSV bar file", description
    assert parsed.timeframe is Timeframe.M5
    assert parsed.rows["time"].tolist() == [start, start + 300, start + 600]
    assert parsed.rows["close"].tolist() == [1.15] * 3
    if "volume" in header.lower():
        assert parsed.rows["tick_volume"].tolist() == [7] * 3


def test_plain_csv_ticks_with_epoch_milliseconds(tmp_path: Path) -> None:
    lines = ["time_msc,bid,ask", "1714989600123,1.1,1.2", "1714989600456,,1.3"]
    parsed = read_export(write_lines(tmp_path / "ticks.csv", lines))

    assert parsed.layout.description == "CSV tick file"
    assert parsed.rows["time_msc"].tolist() == [1714989600123, 1714989600456]
    assert parsed.rows["bid"].tolist() == [1.1, 1.1]


def test_bad_lines_are_skipped_counted_and_named_by_line(tmp_path: Path) -> None:
    lines = h1_lines(9)
    lines[2] = with_field(lines[2], 3, "abc")  # line 3: not a number
    lines[4] = "2017.04.19\t12:00:00"  # line 5: too few fields
    lines[5] = lines[5].replace("2017.04.19", "2017.02.30")  # line 6: no such date
    parsed = read_export(write_lines(tmp_path / "bad.csv", lines))

    assert parsed.bad_count == 3
    assert [b.number for b in parsed.bad_lines] == [3, 5, 6]
    assert "abc" in parsed.bad_lines[0].reason and "<HIGH>" in parsed.bad_lines[0].reason
    assert "fields" in parsed.bad_lines[1].reason
    assert "date" in parsed.bad_lines[2].reason
    hours = [9, 11, 14, 15, 16, 17]
    assert parsed.rows["time"].tolist() == [epoch(f"2017-04-19T{h:02d}:00") for h in hours]


def test_blank_lines_are_neither_data_nor_errors_and_keep_line_numbers_true(tmp_path: Path) -> None:
    lines = h1_lines(4)
    lines.insert(2, "")  # line 3 is blank
    lines.insert(3, "   ")  # and line 4 holds spaces only
    lines.append("2017.04.19\t13:00:00\t1\t2")  # line 8 is bad
    parsed = read_export(write_lines(tmp_path / "gappy.csv", lines))

    assert len(parsed.rows) == 4
    assert parsed.bad_count == 1
    assert parsed.bad_lines[0].number == 8


def test_a_bad_line_stops_the_import_when_asked_and_nothing_is_stored(
    tmp_path: Path, store: HistoryStore
) -> None:
    lines = h1_lines(4)
    lines[3] = with_field(lines[3], 2, "1,0717")
    path = write_lines(tmp_path / "bad.csv", lines)

    with pytest.raises(ImportProblem, match=r"bad.csv line 4: .*nothing was stored"):
        import_file(store, path, "EURUSD", on_error="stop")
    assert store.listing() == []


def test_inconsistent_prices_and_negative_volumes_are_bad_lines(tmp_path: Path) -> None:
    lines = h1_lines(4)
    lines[1] = "2017.04.19\t09:00:00\t1.07150\t1.07000\t1.07100\t1.07170\t1000\t0\t3"  # high < open
    lines[2] = with_field(lines[2], 6, "-5")
    parsed = read_export(write_lines(tmp_path / "bad.csv", lines))

    assert [b.number for b in parsed.bad_lines] == [2, 3]
    assert "high and low" in parsed.bad_lines[0].reason
    assert "<TICKVOL>" in parsed.bad_lines[1].reason


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportProblem, match=r"empty\.csv is empty"):
        read_export(path)


def test_a_header_without_rows(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "header.csv", [MT5_BAR_HEADER, ""])
    with pytest.raises(ImportProblem, match="header but no data rows"):
        read_export(path)


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00binary zip",
        b"name,address,phone\nAda,London,123\n",
        b"just some words in a text file\n",
    ],
)
def test_a_foreign_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "foreign.xlsx"
    path.write_bytes(content)
    with pytest.raises(
        ImportProblem, match=r"foreign\.xlsx is not a MetaTrader 5 export or a CSV file"
    ):
        read_export(path)


def test_a_file_of_only_bad_rows_says_why(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "bad.csv", [MT5_BAR_HEADER, "x\ty\tz\ta\tb\tc\td\te\tf"])
    with pytest.raises(ImportProblem, match=r"no valid data rows \(line 2: bad date"):
        read_export(path)


def test_utf16_export_with_a_byte_order_mark(tmp_path: Path) -> None:
    text = "\r\n".join(h1_lines(3)) + "\r\n"
    path = tmp_path / "utf16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    parsed = read_export(path)
    assert len(parsed.rows) == 3 and parsed.timeframe is Timeframe.H1


def test_a_given_timeframe_the_data_contradicts_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "h1.csv", h1_lines())
    with pytest.raises(ImportProblem, match="bars H1 apart, not M15"):
        read_export(path, timeframe=Timeframe.M15)
    assert read_export(path, timeframe=Timeframe.H1).timeframe_detected is False


def test_the_most_common_spacing_wins_over_missing_bars(tmp_path: Path) -> None:
    lines = h1_lines(8)
    del lines[3:5]  # two hours missing
    assert read_export(write_lines(tmp_path / "h1.csv", lines)).timeframe is Timeframe.H1


def test_spacing_that_is_no_timeframe(tmp_path: Path) -> None:
    lines = ["time,open,high,low,close"] + [f"{1_700_000_000 + i * 120},1,1,1,1" for i in range(5)]
    with pytest.raises(ImportProblem, match="2 minutes apart, which is not a timeframe"):
        read_export(write_lines(tmp_path / "m2.csv", lines))


def test_one_bar_needs_a_timeframe(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "one.csv", h1_lines(1))
    with pytest.raises(ImportProblem, match="one bar only"):
        read_export(path)
    assert read_export(path, timeframe=Timeframe.H1).timeframe is Timeframe.H1


def test_import_stores_what_it_read(tmp_path: Path, store: HistoryStore) -> None:
    path = write_lines(tmp_path / "h1.csv", h1_lines(5))
    summary = import_file(store, path, "EURUSD")

    assert summary.stored == 5
    stored = store.read_bars("EURUSD", Timeframe.H1)
    np.testing.assert_array_equal(stored, read_export(path).rows)


def test_importing_the_same_file_twice_keeps_one_copy(tmp_path: Path, store: HistoryStore) -> None:
    path = write_lines(
        tmp_path / "ticks.csv", [MT5_TICK_HEADER, "2017.04.19\t09:00:00.123\t1.1\t1.2\t\t\t6"] * 1
    )
    import_file(store, path, "EURUSD")
    import_file(store, path, "EURUSD")
    assert len(store.read_ticks("EURUSD")) == 1


def test_unsorted_rows_and_duplicate_times_in_one_file(tmp_path: Path) -> None:
    lines = h1_lines(4)
    lines[1], lines[3] = lines[3], lines[1]
    parsed = read_export(write_lines(tmp_path / "shuffled.csv", lines))
    assert np.all(np.diff(parsed.rows["time"]) > 0)
