"""A strategy's declared parameters: what the catalogue refuses and how each is described."""

from __future__ import annotations

import textwrap
from enum import Enum
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from app.strategies.catalog import load_catalog
from app.strategies.params import ChoiceSpec, ParamError, StrategyParams, option, param, specs

OUT_OF_BOUNDS = '''
from app.strategies.base import Strategy
from app.strategies.params import StrategyParams, param


class Sloppy(Strategy):
    """Its default period is below its own minimum."""

    key = "sloppy"
    title = "Sloppy"

    class Params(StrategyParams):
        indicator = "Sloppy"
        period: int = param(1, ge=2, le=50, step=1, title="Period")
'''


def test_a_default_outside_its_own_bounds_is_refused_in_one_line_naming_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "strategies"
    folder.mkdir()
    (folder / "sloppy.py").write_text(textwrap.dedent(OUT_OF_BOUNDS), encoding="utf-8")
    catalog = load_catalog(folder, entry_points=False)
    assert "sloppy" not in catalog.classes
    [problem] = [line for line in catalog.problems if "sloppy.py" in line]
    assert "\n" not in problem
    assert "period: must be at least 2 (got 1)" in problem and "not loaded" in problem
    assert "ma_cross" in catalog.classes  # the rest load


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Mixed(StrategyParams):
    period: int = param(3, ge=2, le=10**12, step=1, title="Period")
    mode: str = option("fast", title="Mode")
    plain: str = Field("x", title="Plain")
    side: Literal["long", "short"] = option("long", title="Side")
    colour: Colour = option(Colour.BLUE, title="Colour")


def test_text_literal_and_enum_parameters_are_described_as_such() -> None:
    described = {spec.name: spec for spec in specs(Mixed)}
    assert described["period"].kind == "int" and described["period"].maximum == 1e12
    assert (described["mode"].kind, described["mode"].default) == ("str", "fast")
    assert described["plain"].kind == "str"
    side, colour = described["side"], described["colour"]
    assert isinstance(side, ChoiceSpec) and side.kind == "choice"
    assert side.choices == ("long", "short")
    assert isinstance(colour, ChoiceSpec) and colour.choices == ("red", "blue")
    assert colour.default == "blue"  # the value a form shows and sends
    assert Mixed.parse({"colour": "red"}).colour is Colour.RED  # type: ignore[attr-defined]
    with pytest.raises(ParamError, match="side"):
        Mixed.parse({"side": "sideways"})
