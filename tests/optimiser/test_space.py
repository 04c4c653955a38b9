"""The parameter space from the strategy's declaration and the --param words."""

from __future__ import annotations

import pytest

from app.optimiser import OptimiserError, build_space
from app.strategies.builtin.ma_cross import MaCrossParams
from app.strategies.params import specs

MA = specs(MaCrossParams)


def test_ranges_lists_fixed_values_and_the_declared_range() -> None:
    space = build_space(
        ["fast=5:50:5", "slow=20:40", "atr_multiple=0.1:0.5:0.1", "atr_stop", "volume=0.2"], MA
    )
    axes = {axis.name: axis.values for axis in space.axes}
    assert axes["fast"] == (5, 10, 15, 20, 25, 30, 35, 40, 45, 50)
    assert axes["slow"] == tuple(range(20, 41))  # the declared step, 1
    assert axes["atr_multiple"] == (0.1, 0.2, 0.3, 0.4, 0.5)  # ends where typed, no 0.30000000004
    assert axes["atr_stop"] == (False, True)
    assert space.fixed == {"volume": 0.2}
    assert space.size == 10 * 21 * 5 * 2
    declared = build_space(["fast"], MA)
    assert declared.axes[0].values == tuple(range(2, 501))


def test_a_pass_number_names_the_same_point_both_ways() -> None:
    space = build_space(["fast=5:50:5", "slow=20:40:10", "atr_stop"], MA)
    seen = set()
    for index in range(space.size):
        point = space.point(index)
        assert space.index(point) == index
        params = space.params(index)
        seen.add((params["fast"], params["slow"], params["atr_stop"]))
    assert len(seen) == space.size == 60
    assert space.params(0) == {"fast": 5, "slow": 20, "atr_stop": False}
    assert space.params(1) == {"fast": 5, "slow": 20, "atr_stop": True}  # last axis fastest


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["speed=1:5"], "speed is not a parameter of this strategy (it has: fast, slow"),
        (["fast=50:5:5"], "fast: the range 50:5 is empty (TO is below FROM)"),
        (["fast=5:50:0"], "fast: the step must be more than 0"),
        (["fast=1:50:5"], "fast: 1 is below its minimum 2"),
        (["fast=5:50:2.5"], "fast takes whole numbers (got 7.5)"),
        (["fast=5:x"], "fast: 'x' is not a number"),
        (["fast=5:50", "fast=6"], "--param fast is given twice"),
        (["volume=0.2"], "nothing to optimise: give at least one range"),
        ([], "nothing to optimise"),
        (["fast="], "has no value after '='"),
        (["atr_stop=maybe"], "atr_stop must be true or false (got 'maybe')"),
    ],
)
def test_bad_words_are_one_line(words: list[str], message: str) -> None:
    with pytest.raises(OptimiserError) as caught:
        build_space(words, MA)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
