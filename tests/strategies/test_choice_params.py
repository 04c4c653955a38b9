"""Choice parameters (Enum, StrEnum, Literal) through the whole road: attach, journal,
restart, the panel's status, the tester's command line and its JSON report."""

from __future__ import annotations

from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Literal

import pytest

from app.domain.strategies import AttachStrategy, StartStrategy, StrategyBudget, StrategyState
from app.domain.timeframes import Timeframe
from app.storage.journal import Journal
from app.strategies.base import Strategy
from app.strategies.params import StrategyParams, option, specs
from tests.strategies.test_strategies import (
    Desk,
    Probe,
    _no_actions,
    catalog_with,
    lines,
    state,
    statuses,
)

__all__ = ["_no_actions"]


class Mode(Enum):
    FAST = "fast"
    SLOW = "slow"


class SMode(StrEnum):
    FAST = "fast"
    SLOW = "slow"


class WithEnum(Strategy):
    key = "with_enum"
    title = "With enum"

    class Params(StrategyParams):
        indicator = "with_enum"
        mode: Mode = option(Mode.FAST, title="Mode")

    def on_start(self) -> None:
        self.state["mode_type"] = type(self.params.mode).__name__


class WithStrEnum(Strategy):
    key = "with_strenum"
    title = "With StrEnum"

    class Params(StrategyParams):
        indicator = "with_strenum"
        mode: SMode = option(SMode.FAST, title="Mode")


class WithLiteral(Strategy):
    key = "with_literal"
    title = "With literal"

    class Params(StrategyParams):
        indicator = "with_literal"
        size: Literal[1, 2, 3] = option(1, title="Size")
        side: Literal["buy", "sell"] = option("buy", title="Side")


def _desk(journal: Journal | None = None, paper: Path | None = None) -> Desk:
    desk = Desk(journal, paper)
    desk.host._load_catalog = lambda: catalog_with(Probe, WithEnum, WithStrEnum, WithLiteral)
    return desk


@pytest.mark.parametrize(
    "key,params",
    [
        ("with_enum", {"mode": "slow"}),
        ("with_strenum", {"mode": "slow"}),
        ("with_literal", {"size": 2, "side": "sell"}),
    ],
)
def test_a_choice_survives_the_journal_and_a_restart(
    tmp_path: Path, key: str, params: dict[str, Any]
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    journal = Journal.open(url)
    desk = _desk(journal, tmp_path / "paper.json")
    desk.connect()
    desk.core.handle(
        AttachStrategy(key, "EURUSD", Timeframe.M1, params, StrategyBudget(), start=True)
    )
    assert list(desk.host.configs), lines(desk.market)[-3:]
    [name] = desk.host.configs
    assert state(desk.market, name) is StrategyState.RUNNING
    desk.core.disconnect()
    journal.close()

    journal = Journal.open(url)
    again = _desk(journal, tmp_path / "paper.json")
    again.connect()
    assert list(again.host.configs) == [name], lines(again.market)[-3:]
    again.core.handle(StartStrategy(name))
    assert state(again.market, name) is StrategyState.RUNNING, statuses(again.market, name)[-1]
    journal.close()


def test_the_log_names_an_enums_value_not_its_member() -> None:
    desk = _desk()
    desk.connect()
    desk.core.handle(
        AttachStrategy("with_enum", "EURUSD", Timeframe.M1, {"mode": "slow"}, StrategyBudget())
    )
    [attached] = [m for m in lines(desk.market) if "attached to" in m]
    assert "Mode.SLOW" not in attached, attached


def test_an_enums_choices_and_default_are_its_values() -> None:
    [spec] = specs(WithEnum.Params)
    assert spec.choices == ("fast", "slow") and spec.default == "fast"
    assert WithEnum.Params.parse({"mode": "slow"}).mode is Mode.SLOW
    # the member itself, as a script would send it
    assert WithEnum.Params.parse({"mode": Mode.SLOW}).mode is Mode.SLOW


def test_the_panel_gets_plain_values() -> None:
    """What the GUI gets (StrategyStatus.config.params) is what the form is filled from."""
    desk = _desk()
    desk.connect()
    desk.core.handle(
        AttachStrategy("with_enum", "EURUSD", Timeframe.M1, {"mode": "slow"}, StrategyBudget())
    )
    [name] = desk.host.configs
    params = statuses(desk.market, name)[-1].config.params
    assert params == {"mode": "slow"}, params


def test_the_tester_reads_a_number_choice_from_its_text() -> None:
    """`tradeterm test --param size=2` for `size: Literal[1, 2, 3]` is the 2, not the text."""
    from app.tester.command import parse_params

    params = parse_params(["size=2"], specs(WithLiteral.Params))
    assert WithLiteral.Params.parse(params).size == 2


def test_the_tester_reads_an_enum_choice_from_its_value() -> None:
    from app.tester.command import parse_params

    params = parse_params(["mode=slow"], specs(WithEnum.Params))
    assert WithEnum.Params.parse(params).mode is Mode.SLOW


ENUM_FILE = """
from enum import Enum
from app.strategies.builtin.ma_cross import MaCross
from app.strategies.params import option


class Mode(Enum):
    FAST = "fast"
    SLOW = "slow"


class MaMode(MaCross):
    key = "ma_mode"
    title = "MA mode"

    class Params(MaCross.Params):
        mode: Mode = option(Mode.FAST, title="Mode")
"""


def test_tradeterm_test_with_an_enum_parameter_writes_its_json_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from app.paths import user_data_dir

    monkeypatch.setenv("TRADETERM_HOME", str(tmp_path))
    folder = user_data_dir() / "strategies"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ma_mode.py").write_text(ENUM_FILE, encoding="utf-8")
    _store_bars()
    result = tmp_path / "r.json"
    code = main([
        "test", "ma_mode", "--symbol", "EURUSD", "--timeframe", "H1", "--from", "2024-01-05",
        "--to", "2024-02-28", "--param", "mode=slow", "--json", str(result),
    ])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err[-800:]
    assert result.exists()


def test_a_choice_that_is_not_one_is_refused_in_words() -> None:
    from app.tester.command import TesterError, parse_params

    with pytest.raises(TesterError, match=r"size must be one of 1, 2, 3 \(got '4'\)"):
        parse_params(["size=4"], specs(WithLiteral.Params))


def _store_bars(n: int = 3000) -> None:
    import numpy as np

    from app.history import HistoryStore
    from tests.tester.conftest import bars

    rng = np.random.default_rng(11)
    opens = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.002, n))), 5)
    HistoryStore().write_bars("EURUSD", Timeframe.H1, bars(opens.tolist(), spread=5))
