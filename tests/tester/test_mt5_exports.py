"""MetaTrader 5's own exports, imported with ``tradeterm import``, replayed by ``tradeterm test``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.history.conftest import MT5_BAR_HEADER, MT5_DAILY_HEADER, MT5_TICK_HEADER, write_lines
from tests.tester.conftest import DAY0

# A strategy dropped in the user's strategies folder, as a trader would: it buys on
# the closed bar number ``bar`` (1 = the first) and holds to the end.
NTH_BAR = """
from app.strategies.base import Strategy
from app.strategies.params import StrategyParams, param


class NthBar(Strategy):
    key = "nth_bar"
    title = "Buys on one bar"

    class Params(StrategyParams):
        indicator = "Nth bar"
        bar: int = param(1, ge=1, le=1000, step=1, title="Bar")

    def on_start(self):
        self.count = 0

    def on_bar(self, bar):
        self.count += 1
        if self.count == self.params.bar:
            self.buy(0.1)
"""


def _test(home: Path, bar: int, *words: str) -> dict[str, object]:
    folder = home / "data" / "strategies"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nth_bar.py").write_text(NTH_BAR, encoding="utf-8")
    out = home / "result.json"
    code = main(
        [
            "test",
            "nth_bar",
            "--symbol",
            "EURUSD",
            "--param",
            f"bar={bar}",
            *words,
            "--json",
            str(out),
        ]
    )
    assert code == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_an_mt5_hourly_bar_export_replays_in_the_open_prices_model(home: Path) -> None:
    lines = [MT5_BAR_HEADER]
    for hour, price in enumerate(["1.10000", "1.10050", "1.10100", "1.10150", "1.10200"]):
        lines.append(f"2024.01.01\t{hour:02d}:00:00\t{price}\t1.10300\t1.09900\t{price}\t120\t0\t4")
    export = write_lines(home / "EURUSD_H1.csv", lines)
    assert main(["import", str(export), "--symbol", "EURUSD"]) == 0  # H1, detected
    data = _test(home, 2, "--timeframe", "H1", "--model", "open")
    (trade,) = data["trades"]  # type: ignore[misc]
    # Decided on bar 01:00, filled at 02:00's open plus the export's 4-point spread.
    assert (trade["entry_time_msc"], trade["entry_price"]) == ((DAY0 + 7200) * 1000, 1.10104)
    assert trade["reason"] == "end of test"


def test_an_mt5_daily_export_without_times_replays(home: Path) -> None:
    lines = [MT5_DAILY_HEADER] + [
        f"2024.01.{day:02d}\t1.1{day:02d}00\t1.12000\t1.09000\t1.1{day:02d}00\t5000\t0\t0"
        for day in range(1, 6)
    ]
    export = write_lines(home / "EURUSD_D1.csv", lines)
    assert main(["import", str(export), "--symbol", "EURUSD", "--timeframe", "D1"]) == 0
    data = _test(home, 1, "--timeframe", "D1", "--model", "open", "--spread", "0")
    (trade,) = data["trades"]  # type: ignore[misc]
    assert (trade["entry_time_msc"], trade["entry_price"]) == ((DAY0 + 86_400) * 1000, 1.102)


def test_an_mt5_tick_export_with_empty_fields_replays_in_the_real_ticks_model(home: Path) -> None:
    lines = [
        MT5_TICK_HEADER,
        "2024.01.01\t00:00:01.000\t1.10000\t1.10003\t\t\t6",
        "2024.01.01\t00:00:30.500\t1.10001\t\t\t\t2",  # the ask did not change
        "2024.01.01\t00:01:00.250\t\t1.10020\t\t\t4",  # opens minute 1: minute 0 closes here
        "2024.01.01\t00:01:10.000\t1.10030\t1.10035\t\t\t6",
        "2024.01.01\t00:02:00.000\t1.10040\t1.10044\t\t\t6",
    ]
    export = write_lines(home / "EURUSD_ticks.csv", lines)
    assert main(["import", str(export), "--symbol", "EURUSD"]) == 0
    data = _test(home, 1, "--timeframe", "M1", "--model", "ticks")
    (trade,) = data["trades"]  # type: ignore[misc]
    # At the tick that opened minute 1: its ask 1.10020 (its bid carried forward, 1.10001).
    assert (trade["entry_time_msc"], trade["entry_price"]) == (DAY0 * 1000 + 60_250, 1.1002)
    assert trade["exit_price"] == pytest.approx(1.1004)  # the last bid, at the end of the test
    assert data["run"]["ticks"] == 5  # type: ignore[index]
