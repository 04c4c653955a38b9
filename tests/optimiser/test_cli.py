"""``tradeterm optimise`` as a trader runs it: a strategy file of their own, the summary,
the JSON of every pass, and one line for every kind of bad input."""

from __future__ import annotations

import json
import re
import socket
import textwrap
from pathlib import Path

import pytest

from app.cli import main
from app.domain.timeframes import Timeframe
from app.history import HistoryStore
from tests.optimiser.strategies import hill_opens
from tests.tester.conftest import bars

HILL_FILE = textwrap.dedent(
    '''
    """The trader's own strategy file: buy on bar ENTRY, sell HOLD bars later."""

    from app.strategies.base import Strategy
    from app.strategies.params import StrategyParams, param


    class HillParams(StrategyParams):
        indicator = "Hill"
        entry: int = param(10, ge=0, le=200, step=5, title="Bar to buy on")
        hold: int = param(20, ge=1, le=200, step=10, title="Bars to hold")


    class Hill(Strategy):
        key = "hill"
        title = "Hill"
        Params = HillParams

        def on_start(self):
            self.count = -1

        def on_bar(self, bar):
            self.count += 1
            if self.count == self.params.entry:
                self.buy(0.1)
            elif self.count == self.params.entry + self.params.hold:
                self.close()
    '''
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRADETERM_HOME", str(tmp_path))
    HistoryStore().write_bars("EURUSD", Timeframe.H1, bars(hill_opens()))
    from app.paths import user_data_dir

    folder = user_data_dir() / "strategies"
    folder.mkdir(parents=True)
    (folder / "hill.py").write_text(HILL_FILE, encoding="utf-8")
    return tmp_path


BASE = ["optimise", "hill", "--symbol", "EURUSD", "--timeframe", "H1"]


def test_an_optimisation_prints_the_best_passes_and_writes_every_pass(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "passes.json"
    code = main(
        [*BASE, "--param", "entry=0:60:10", "--param", "hold=10:80:10", "--forward", "0.3",
         "--constraint", "trades>=1", "--workers", "1", "--json", str(path)]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    lines = out.out.splitlines()
    assert lines[0].startswith(
        "Optimised hill on EURUSD H1, open prices only: grid search, 56 passes"
    )
    assert "on 1 local worker process" in lines[0]
    # the split said to the minute (it falls inside a day), money always with cents
    split = re.search(
        r"^Objective: maximise net_profit with trades>=1; in sample from 2024-01-01 00:00 "
        r"until the split at (\d{4}-\d\d-\d\d \d\d:\d\d) UTC, out of sample from the "
        r"split to \d{4}-\d\d-\d\d \d\d:\d\d",
        lines[1],
    )
    assert split, lines[1]
    header = next(
        i for i, line in enumerate(lines) if line.split()[:3] == ["pass", "entry", "hold"]
    )
    best = lines[header + 1].split()
    assert best[1:3] == ["30", "50"] and best[3] == "2,000.00"
    assert all(re.fullmatch(r"-?[\d,]+\.\d\d", cell) for cell in (best[5], best[-1])), best
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["optimisation"]["space"] == {
        "entry": [0, 10, 20, 30, 40, 50, 60],
        "hold": [10, 20, 30, 40, 50, 60, 70, 80],
    }
    assert len(data["passes"]) == data["run"]["passes"] == 56
    first = next(p for p in data["passes"] if p["pass"] == data["best"][0])
    assert first["params"] == {"entry": 30, "hold": 50}
    assert first["in_sample"]["net_profit"] == 2000.0
    # out of sample the prices only fall: its one trade (closed at the end) loses
    assert first["out_of_sample"]["trades"] == 1
    assert first["out_of_sample"]["net_profit"] < 0
    assert str(data["best"][0]) in data["curves"]
    assert len(data["curves"]) == 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (
            ["--param", "speed=1:5"],
            "speed is not a parameter of this strategy (it has: entry, hold)",
        ),
        (["--param", "entry=50:10:5"], "entry: the range 50:10 is empty (TO is below FROM)"),
        (
            ["--param", "entry=0:200:1", "--param", "hold=1:200:1", "--param", "entry=1"],
            "--param entry is given twice",
        ),
        (["--param", "entry", "--search", "genetic", "--population", "2"], "--population must be"),
        (["--param", "entry", "--objective", "profit_facter"], "which is not a figure"),
        (["--param", "entry", "--forward", "2031-01-01"], "leaves no in-sample"),
        (["--param", "entry", "--from", "2031-01-01"], "no H1 history of EURUSD"),
        (
            ["--param", "entry", "--search", "random", "--passes", "0"],
            "--passes must be at least 1",
        ),
        (["--param", "entry", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_runs(
    home: Path, capsys: pytest.CaptureFixture[str], words: list[str], message: str | None
) -> None:
    path = home / "out.json"
    code = main([*BASE, *words, "--json", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    if message is not None:
        assert message in err
    assert not path.exists()


def test_a_grid_too_large_says_to_use_the_genetic_search(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*BASE, "--param", "entry=0:200:0.01", "--param", "hold=1:200:0.01"])
    assert code == 2
    # hold is an int: the step is refused first; with whole steps the grid is the problem
    capsys.readouterr()
    code = main(["optimise", "ma_cross", "--symbol", "EURUSD", "--timeframe", "H1",
                 "--param", "fast", "--param", "slow", "--param", "atr_period"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"the grid has {499 * 1998 * 499:,} passes, more than 1,000,000; use --search genetic"
        in err
    )


def test_an_unreachable_cluster_is_one_line_from_the_option_or_the_settings(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    code = main([*BASE, "--param", "entry", "--cluster", address])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"cannot reach the Dask scheduler at {address}")
    assert len(err.strip().splitlines()) == 1
    config = home / "cluster.toml"
    config.write_text(f'[optimiser]\ncluster = "{address}"\n', encoding="utf-8")
    code = main(["--config", str(config), *BASE, "--param", "entry"])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"cannot reach the Dask scheduler at {address}")
