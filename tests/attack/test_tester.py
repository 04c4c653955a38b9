"""``tradeterm test`` with strategies that misbehave inside the run."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import numpy as np

from app.domain.market import Bar
from app.domain.timeframes import Timeframe
from app.history import HistoryStore
from app.strategies.base import Strategy
from app.tester.command import TestRequest, run_test_command
from tests.tester.conftest import _fresh_scripts, bars, catalog, home

__all__ = ["_fresh_scripts", "home"]


def _store(n: int = 300) -> None:
    rng = np.random.default_rng(11)
    opens = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.002, n))), 5)
    HistoryStore().write_bars("EURUSD", Timeframe.H1, bars(opens.tolist(), spread=5))


class Exits(Strategy):
    """Calls sys.exit on its first live bar (a script habit)."""

    key = "exits"

    def on_bar(self, bar: Bar) -> None:
        if not self.warming_up:
            raise SystemExit(3)


def test_a_strategy_calling_sys_exit_is_reported_as_stopped_not_the_end_of_the_program(
    home: Path,
) -> None:
    _store()
    out, err = StringIO(), StringIO()
    result = home / "r.json"
    code = run_test_command(
        TestRequest("exits", "EURUSD", "H1", json_path=result),
        catalog=catalog(Exits),
        out=out,
        err=err,
    )
    assert code == 0
    assert "The strategy stopped before the end" in out.getvalue()


def test_a_user_strategy_whose_params_check_raises_a_type_error_is_one_line_not_a_traceback(
    home: Path,
) -> None:
    _store()
    folder = home / "data" / "strategies"
    folder.mkdir(parents=True)
    (folder / "odd.py").write_text(
        "from pydantic import model_validator\n"
        "from app.strategies.base import Strategy\n"
        "from app.strategies.params import StrategyParams, param\n\n"
        "class Odd(Strategy):\n"
        "    key = 'odd'\n"
        "    class Params(StrategyParams):\n"
        "        level: float = param(1.0, ge=0, le=2, step=0.1, title='Level')\n"
        "        @model_validator(mode='after')\n"
        "        def _check(self):\n"
        "            raise TypeError('broken validator')\n"
    )
    out, err = StringIO(), StringIO()
    code = run_test_command(TestRequest("odd", "EURUSD", "H1"), out=out, err=err)
    assert code != 0
    [line] = err.getvalue().splitlines()
    assert "no strategy 'odd'" in line and "strategies/odd.py" in line, line
    assert "broken validator" in line, line
    assert out.getvalue() == ""


def _one_line(code: int, err: StringIO) -> str:
    assert code == 2
    [line] = err.getvalue().splitlines()
    assert "Traceback" not in line
    return line


def test_a_param_given_twice_is_refused_in_one_line_not_silently_the_last(home: Path) -> None:
    _store()
    err = StringIO()
    code = run_test_command(
        TestRequest("ma_cross", "EURUSD", "H1", params=("fast=5", "fast=8")),
        out=StringIO(),
        err=err,
    )
    assert "--param fast is given twice" in _one_line(code, err)


def test_json_pointing_at_a_folder_names_the_folder_not_an_internal_file(home: Path) -> None:
    _store()
    folder = home / "results"
    folder.mkdir()
    err = StringIO()
    code = run_test_command(
        TestRequest("ma_cross", "EURUSD", "H1", json_path=folder), out=StringIO(), err=err
    )
    line = _one_line(code, err)
    assert f"--json: {folder} is a folder" in line and ".tmp" not in line
    assert list(folder.iterdir()) == []


def test_missing_m1_bars_are_asked_for_once(home: Path) -> None:
    _store()  # H1 only
    err = StringIO()
    code = run_test_command(TestRequest("ma_cross", "EURUSD", "M1"), out=StringIO(), err=err)
    line = _one_line(code, err)
    assert "needs M1 bars of EURUSD" in line and "M1 or M1" not in line, line
