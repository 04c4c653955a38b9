"""``tradeterm import`` and ``tradeterm history`` as a trader runs them: exit codes and lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import MT5_BAR_HEADER, MT5_TICK_HEADER, write_lines

ROOT = Path(__file__).resolve().parents[2]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRADETERM_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def h4_export(path: Path, count: int = 12, *, bad_line: int | None = None) -> Path:
    lines = [MT5_BAR_HEADER]
    for n in range(count):
        day, hour = 17 + n // 6, n % 6 * 4
        lines.append(
            f"2017.04.{day:02d}\t{hour:02d}:00:00\t1.07\t1.08\t1.06\t1.075\t{100 + n}\t0\t5"
        )
    if bad_line is not None:
        lines[bad_line - 1] = "2017.04.30\tnot a time\t1\t1\t1\t1\t1\t0\t5"
    return write_lines(path, lines)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_import_prints_one_summary_line_and_the_listing_shows_it(
    tmp_path: Path, home: Path
) -> None:
    result = run(home, "import", str(h4_export(tmp_path / "EURUSD_H4.csv")), "--symbol", "EURUSD")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Imported EURUSD H4 (detected) from a MetaTrader 5 bar export: 12 bars, "
        "2017-04-17 00:00 to 2017-04-18 20:00; no bad lines"
    ]
    listing = run(home, "history")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[1].split() == ["Symbol", "Series", "From", "To", "Count", "Gaps"]
    assert lines[2].split() == [
        "EURUSD",
        "H4",
        "2017-04-17",
        "00:00",
        "2017-04-18",
        "20:00",
        "12",
        "0",
    ]


def test_bad_lines_are_skipped_and_named(tmp_path: Path, home: Path) -> None:
    path = h4_export(tmp_path / "bad.csv", bad_line=5)
    result = run(home, "import", str(path), "--symbol", "EURUSD", "--timeframe", "H4")

    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("Imported EURUSD H4 from a MetaTrader 5 bar export: 11 bars")
    assert "1 bad line skipped (line 5; line 5: bad date or time" in line


def test_stop_on_a_bad_line_stores_nothing(tmp_path: Path, home: Path) -> None:
    path = h4_export(tmp_path / "bad.csv", bad_line=5)
    result = run(home, "import", str(path), "--symbol", "EURUSD", "--on-error", "stop")
    one_line_error(result, "bad.csv line 5", "nothing was stored")
    assert "No history stored" in run(home, "history").stdout


def test_ticks_import(tmp_path: Path, home: Path) -> None:
    path = write_lines(
        tmp_path / "ticks.csv",
        [
            MT5_TICK_HEADER,
            "2017.04.19\t09:00:00.123\t1.1\t1.2\t\t\t6",
            "2017.04.19\t09:00:01.5\t\t1.3\t\t\t4",
        ],
    )
    result = run(home, "import", str(path), "--symbol", "EURUSD")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "Imported EURUSD ticks from a MetaTrader 5 tick export: 2 ticks, "
        "2017-04-19 09:00:00.123 to 2017-04-19 09:00:01.500; no bad lines"
    )


@pytest.mark.parametrize(
    ("make", "args", "needles"),
    [
        (lambda d: d / "missing.csv", (), ("missing.csv does not exist",)),
        (lambda d: h4_export(d / "ok.csv"), ("--symbol", "EUR USD"), ("is not a symbol name",)),
        (lambda d: write_lines(d / "header.csv", [MT5_BAR_HEADER]), (), ("no data rows",)),
        (
            lambda d: write_lines(d / "people.csv", ["name,age", "Ada,36"]),
            (),
            ("not a MetaTrader 5 export",),
        ),
        (lambda d: d / "empty.csv", (), ("empty.csv is empty",)),
        (lambda d: h4_export(d / "ok.csv"), ("--timeframe", "H2"), ("unknown timeframe",)),
        (lambda d: h4_export(d / "ok.csv"), ("--timeframe", "M1"), ("H4 apart, not M1",)),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_stored(
    tmp_path: Path, home: Path, make: object, args: tuple[str, ...], needles: tuple[str, ...]
) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    path = make(tmp_path)  # type: ignore[operator]
    symbol = () if "--symbol" in args else ("--symbol", "EURUSD")
    one_line_error(run(home, "import", str(path), *symbol, *args), *needles)
    assert not list((home / "data" / "history").glob("*/*/*/*.parquet"))


def test_a_missing_symbol_option_is_one_line_too(tmp_path: Path, home: Path) -> None:
    one_line_error(run(home, "import", str(tmp_path / "x.csv")), "--symbol")


def test_history_export_and_delete(tmp_path: Path, home: Path) -> None:
    run(home, "import", str(h4_export(tmp_path / "EURUSD_H4.csv")), "--symbol", "EURUSD")
    out = tmp_path / "out.csv"

    exported = run(home, "history", "--export", "EURUSD", str(out), "--from", "2017-04-18")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"Exported 6 EURUSD H4 bars to {out}"
    assert (
        out.read_text()
        .splitlines()[1]
        .startswith("2017-04-18 00:00:00,1.07,1.08,1.06,1.075,106,5,0")
    )

    one_line_error(
        run(home, "history", "--export", "EURUSD", str(tmp_path / "n.csv"), "--from", "2020-01-01"),
        "no EURUSD H4 bars between 2020-01-01 and the end",
    )
    one_line_error(
        run(home, "history", "--delete", "EURUSD", "--timeframe", "M1"),
        "nothing is stored for EURUSD M1",
    )
    deleted = run(home, "history", "--delete", "EURUSD")
    assert deleted.returncode == 0 and deleted.stdout.strip() == "Deleted EURUSD H4"
    assert "No history stored" in run(home, "history").stdout


def test_the_plain_start_does_not_load_pyarrow() -> None:
    code = "import sys, app.cli; app.cli.parse_args(['--debug']); print('pyarrow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
