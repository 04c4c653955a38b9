"""Symbol rounding and the volume/price checks a trader meets in the order ticket."""

from __future__ import annotations

import math

import pytest

from app.domain.symbols import SymbolSpec
from tests.specs import fx_spec

EURUSD = fx_spec()
USDJPY = fx_spec("USDJPY", digits=3)
# An index CFD quoted to 2 decimals that only trades in quarter-point ticks.
US500 = fx_spec("US500USD", digits=2, tick_size=0.25, volume_step=0.1, volume_min=0.1)


# -- round_price -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (EURUSD, 1.085004, 1.08500),
        (EURUSD, 1.085006, 1.08501),
        (EURUSD, 1.08501, 1.08501),
        (USDJPY, 150.1234, 150.123),
        (USDJPY, 150.1236, 150.124),
        (US500, 4500.12, 4500.00),  # nearer 4500.00 than 4500.25
        (US500, 4500.13, 4500.25),
        (US500, 4500.40, 4500.50),
    ],
)
def test_round_price_snaps_to_nearest_tick(spec: SymbolSpec, raw: float, expected: float) -> None:
    assert spec.round_price(raw) == pytest.approx(expected, abs=spec.price_increment * 1e-6)


def test_rounded_prices_print_exactly_on_the_symbols_digits() -> None:
    for raw in (1.0, 1.23456789, 0.99999, 1.085049999):
        rounded = EURUSD.round_price(raw)
        text = EURUSD.format_price(rounded)
        assert len(text.split(".")[1]) == 5
        assert float(text) == rounded


def test_round_price_result_is_a_whole_number_of_ticks() -> None:
    for raw in (4499.99, 4500.01, 4500.37, 4500.62, 4500.88):
        steps = US500.round_price(raw) / 0.25
        assert steps == pytest.approx(round(steps), abs=1e-9)


# -- volume_problem --------------------------------------------------------------


def test_volume_at_the_minimum_and_maximum_is_accepted() -> None:
    assert EURUSD.volume_problem(0.01) is None
    assert EURUSD.volume_problem(100.0) is None


def test_every_multiple_of_the_step_is_accepted_despite_float_error() -> None:
    # 0.07 / 0.01 and 0.29 / 0.01 are not whole numbers in binary floating point.
    bad = [v for k in range(1, 1001) if EURUSD.volume_problem(v := k / 100) is not None]
    assert bad == []


def test_volume_below_the_minimum_names_volume_minimum_and_symbol() -> None:
    problem = EURUSD.volume_problem(0.009)
    assert problem is not None
    assert "0.009" in problem
    assert "minimum" in problem
    assert "0.01" in problem
    assert "EURUSD" in problem


def test_volume_above_the_maximum_names_volume_and_maximum() -> None:
    problem = EURUSD.volume_problem(100.5)
    assert problem is not None
    assert "100.5" in problem
    assert "maximum" in problem
    assert "100.00" in problem


def test_volume_off_the_step_is_rejected() -> None:
    problem = EURUSD.volume_problem(0.015)
    assert problem is not None
    assert "0.015" in problem
    assert "step" in problem
    assert "0.01" in problem


def test_volume_off_a_coarse_step_is_rejected() -> None:
    assert US500.volume_problem(0.3) is None
    problem = US500.volume_problem(0.35)
    assert problem is not None
    assert "0.35" in problem


@pytest.mark.parametrize("volume", [0.0, -0.01, -5.0, math.nan, math.inf, -math.inf])
def test_non_positive_or_non_finite_volume_is_rejected(volume: float) -> None:
    problem = EURUSD.volume_problem(volume)
    assert problem is not None
    assert "positive" in problem
    assert f"{volume:g}" in problem


# -- format_volume ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "volume", "text"),
    [
        (0.01, 0.5, "0.50"),
        (0.01, 1.0, "1.00"),
        (0.1, 0.5, "0.5"),
        (1.0, 3.0, "3"),
        (0.001, 0.125, "0.125"),
        (0.5, 1.5, "1.5"),
        (0.25, 0.75, "0.75"),  # a step that is not a power of ten still needs its 2 decimals
    ],
)
def test_format_volume_prints_the_steps_decimals(step: float, volume: float, text: str) -> None:
    spec = fx_spec(volume_step=step, volume_min=step)
    assert spec.format_volume(volume) == text


def test_off_step_message_prints_a_quarter_lot_step_faithfully() -> None:
    spec = fx_spec(volume_step=0.25, volume_min=0.25)
    problem = spec.volume_problem(0.3)
    assert problem is not None
    assert "0.25" in problem


# -- price_problem ---------------------------------------------------------------


def test_price_on_the_tick_is_accepted() -> None:
    assert EURUSD.price_problem(1.08501, "Order price") is None
    assert USDJPY.price_problem(150.123, "Order price") is None
    assert US500.price_problem(4500.75, "Order price") is None


@pytest.mark.parametrize(
    ("spec", "price", "shown"),
    [
        (EURUSD, 1.085005, "1.085005"),
        (USDJPY, 150.1234, "150.1234"),
        (US500, 4500.10, "4500.1"),
        (fx_spec("XAUUSD", digits=2), 2350.005, "2350.005"),
    ],
)
def test_too_precise_price_is_rejected_and_named_exactly(
    spec: SymbolSpec, price: float, shown: str
) -> None:
    problem = spec.price_problem(price, "Stop loss")
    assert problem is not None
    assert problem.startswith("Stop loss")
    # The trader must see the price they typed, not a rounded one that looks valid.
    assert shown in problem
    assert spec.name in problem
    assert spec.format_price(spec.price_increment) in problem


@pytest.mark.parametrize("price", [0.0, -1.085, math.nan, math.inf])
def test_non_positive_or_non_finite_price_is_rejected(price: float) -> None:
    problem = EURUSD.price_problem(price, "Take profit")
    assert problem is not None
    assert problem.startswith("Take profit")
    assert "positive" in problem


def test_absurdly_large_price_does_not_crash_the_check() -> None:
    # Finite, positive and far beyond anything quotable: must answer, not raise.
    result = EURUSD.price_problem(1e308, "Order price")
    assert result is None or isinstance(result, str)
