"""``tradeterm test`` as a trader runs it: outputs, bad input, cancel."""

from __future__ import annotations

import json
import signal
import threading
from io import StringIO
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.domain.timeframes import Timeframe
from app.history import HistoryStore
from app.tester.command import (
    EXIT_CANCELLED,
    ProgressBar,
    TestRequest,
    _on_interrupt,
    run_test_command,
)
from tests.tester.conftest import DAY0, bars


def _store(home: Path, n: int = 3000) -> None:
    rng = np.random.default_rng(11)
    opens = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.002, n))), 5)
    HistoryStore().write_bars("EURUSD", Timeframe.H1, bars(opens.tolist(), spread=5))


def _run(*words: str) -> int:
    return main(["test", *words])


def test_a_run_writes_the_result_and_the_report_and_prints_a_summary(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(home)
    result, report, trades = home / "r.json", home / "r.html", home / "r.csv"
    code = _run(
        "ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--from", "2024-01-05",
        "--to", "2024-03-31", "--commission", "7", "--deposit", "5000", "--param", "fast=8",
        "--json", str(result), "--report", str(report), "--csv", str(trades),
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.err == ""  # not a terminal: no progress bar
    assert "Tested ma_cross (fast=8, slow=30" in out.out
    assert "2024-01-05 00:00 to 2024-03-31 23:00" in out.out
    data = json.loads(result.read_text(encoding="utf-8"))
    settings = data["settings"]
    assert (settings["symbol"], settings["timeframe"], settings["model"]) == (
        "EURUSD",
        "H1",
        "open",
    )
    assert settings["params"]["fast"] == 8 and settings["params"]["slow"] == 30
    assert (settings["commission_per_lot"], settings["deposit"]) == (7.0, 5000.0)
    assert settings["start"] == DAY0 + 4 * 86_400
    figures = data["report"]["figures"]
    for name in (
        "net_profit", "gross_profit", "gross_loss", "profit_factor", "expected_payoff",
        "recovery_factor", "sharpe_ratio", "balance_drawdown", "equity_drawdown", "trades",
        "won", "lost", "long_trades", "long_won", "short_trades", "short_won", "largest_profit",
        "largest_loss", "average_profit", "average_loss", "max_consecutive_wins",
        "max_consecutive_losses", "max_consecutive_profit", "max_consecutive_loss",
        "average_holding_s", "average_mfe", "average_mae",
    ):  # fmt: skip
        assert name in figures, name
    assert set(figures["equity_drawdown"]) == {
        "absolute", "maximal", "maximal_pct", "relative_pct", "relative",
    }  # fmt: skip
    trades_out = data["trades"]
    assert len(trades_out) == figures["trades"] > 10
    for trade in trades_out:
        assert trade["symbol"] == "EURUSD" and trade["side"] in ("long", "short")
        assert trade["volume"] == 0.1
        assert trade["entry_time_msc"] < trade["exit_time_msc"]
        assert trade["entry_price"] > 0 and trade["exit_price"] > 0
        assert trade["commission"] == pytest.approx(-1.40)
        assert trade["reason"] in ("strategy", "end of test")
        assert isinstance(trade["points"], float) and isinstance(trade["profit"], float)
    assert sum(t["profit"] for t in trades_out) == pytest.approx(figures["net_profit"], abs=0.02)
    assert len(data["report"]["months"]) == 3
    assert len(data["report"]["hours"]) == 24 and len(data["report"]["weekdays"]) == 7
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Total net profit" in page and "Equity drawdown maximal" in page
    assert page.count('src="data:image/svg+xml;base64,') == 4
    assert "http" not in page and "<script" not in page and "<link" not in page
    lines = trades.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("position,symbol,side,volume,entry_time")
    assert len(lines) == 1 + figures["trades"]
    figures_csv = (home / "r.figures.csv").read_text(encoding="utf-8")
    assert f"net_profit,{figures['net_profit']}" in figures_csv
    assert "equity_drawdown.maximal," in figures_csv


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["nothing", "--symbol", "EURUSD", "--timeframe", "H1"], "no strategy 'nothing' (available:"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--from", "2030-01-01"],
         "no EURUSD bars from 2030-01-01 to the end (stored from 2024-01-01 to 2024-05-04)"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--param", "fast=1"],
         "MA cross fast: must be at least 2 (got 1)"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--param", "fast=40"],
         "MA cross fast: must be below slow (30) (got 40)"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--param", "speed=3"],
         "speed is not a parameter of this strategy (it has: fast, slow"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--param", "fast=ten"],
         "fast must be a whole number (got 'ten')"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--param", "fast"],
         "--param 'fast' must be NAME=VALUE"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H7"], "unknown timeframe 'H7'"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--model", "tick"], "unknown model 'tick'"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--to", "31/12/2024"],
         "--to '31/12/2024' is not a date like 2024-05-31"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--from", "2024-03-01", "--to", "2024-02-01"],
         "the test must end after it starts"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--spread", "-1"],
         "the spread must be 0 points or more"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--deposit", "lots"],
         "--deposit must be a number (got 'lots')"),
        (["ma_cross", "--symbol", "USDCHF", "--timeframe", "H1"], "no history of USDCHF is stored"),
        (["ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--model", "ticks"],
         "the real-ticks model needs ticks of EURUSD; stored: H1"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    home: Path, capsys: pytest.CaptureFixture[str], words: list[str], message: str
) -> None:
    _store(home)
    result = home / "r.json"
    code = _run(*words, "--json", str(result))
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not result.exists()


def test_an_output_folder_that_does_not_exist_is_refused_before_the_run(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store(home)
    code = _run(
        "ma_cross",
        "--symbol",
        "EURUSD",
        "--timeframe",
        "H1",
        "--report",
        str(home / "no" / "r.html"),
    )
    assert code == 2
    assert "--report: the folder" in capsys.readouterr().err


class _CancelAfter(threading.Event):
    """Set once the replay has looked at it ``checks`` times (a Ctrl+C mid-run)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks
        self.looked = 0

    def is_set(self) -> bool:
        self.looked += 1
        return self.looked > self.checks


def test_cancel_mid_run_stops_writes_nothing_and_says_so(home: Path) -> None:
    _store(home, n=60_000)
    result = home / "r.json"
    err = StringIO()
    cancel = _CancelAfter(1)
    code = run_test_command(
        TestRequest("ma_cross", "EURUSD", "H1", json_path=result), err=err, cancel=cancel
    )
    assert code == EXIT_CANCELLED
    assert err.getvalue() == "Test cancelled; nothing was written\n"
    assert cancel.looked == 2  # it stopped at the second chunk, not at the end
    assert not result.exists()


def test_ctrl_c_sets_the_cancel_flag_instead_of_raising() -> None:
    cancel = threading.Event()
    previous = _on_interrupt(cancel)
    try:
        signal.raise_signal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]
    assert cancel.is_set()


def test_the_progress_bar_shows_the_share_done_and_the_time_left() -> None:
    now = [100.0]
    out = StringIO()
    bar = ProgressBar(out, clock=lambda: now[0])
    now[0] = 110.0
    bar.update(25, 100)  # a quarter in 10 s: 30 s to go
    assert out.getvalue() == "\r 25.0% [#######.......................] 0:30 left"
    bar.update(26, 100)  # within a tenth of a second: not redrawn
    assert out.getvalue().count("\r") == 1
