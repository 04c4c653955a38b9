"""Parameter models refuse bad values with one line naming the parameter; the
registry finds every indicator by name with its outputs and placement."""

from __future__ import annotations

import pytest

from app.indicators import (
    INDICATORS,
    IndicatorParamError,
    Placement,
    UnknownIndicatorError,
    create,
    describe,
    indicator_class,
    names,
)

OVERLAYS = {"sma", "ema", "wma", "bollinger", "sar", "donchian"}
PANES = {"rsi", "macd", "stochastic", "atr", "adx", "cci"}


def test_registry_has_every_indicator_in_its_place() -> None:
    assert set(names(Placement.OVERLAY)) == OVERLAYS
    assert set(names(Placement.PANE)) == PANES
    assert set(INDICATORS) == OVERLAYS | PANES


@pytest.mark.parametrize(
    ("name", "outputs"),
    [
        ("macd", ("macd", "signal", "histogram")),
        ("bollinger", ("upper", "middle", "lower")),
        ("stochastic", ("k", "d")),
        ("adx", ("adx", "plus_di", "minus_di")),
        ("donchian", ("upper", "middle", "lower")),
        ("rsi", ("rsi",)),
    ],
)
def test_multi_output_indicators_name_every_line(name: str, outputs: tuple[str, ...]) -> None:
    assert indicator_class(name).outputs == outputs
    indicator = create(name)
    assert len(indicator.lookbacks) == len(outputs)


def test_lookup_is_case_insensitive_and_unknown_names_are_refused() -> None:
    assert indicator_class(" RSI ") is INDICATORS["rsi"]
    with pytest.raises(UnknownIndicatorError) as error:
        indicator_class("ichimoku")
    assert str(error.value).startswith("unknown indicator 'ichimoku'; known: sma, ema")


@pytest.mark.parametrize("name", list(INDICATORS))
def test_defaults_build_and_every_parameter_is_described(name: str) -> None:
    cls = INDICATORS[name]
    infos = describe(cls.Params)
    assert infos, "a form needs at least one field"
    indicator = create(name)
    for info in infos:
        assert info.minimum <= info.default <= info.maximum
        assert info.step > 0
        assert getattr(indicator.params, info.name) == info.default
        assert info.title


def test_describe_gives_types_bounds_and_steps() -> None:
    (period,) = describe(INDICATORS["rsi"].Params)
    assert (
        period.name,
        period.kind,
        period.default,
        period.minimum,
        period.maximum,
        period.step,
    ) == (
        "period",
        int,
        14,
        2,
        100_000,
        1.0,
    )
    step, maximum = describe(INDICATORS["sar"].Params)
    assert step.kind is float and step.step == 0.01 and maximum.default == 0.2


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("rsi", {"period": 1}, "RSI period: must be at least 2 (got 1)"),
        ("sma", {"period": 200_000}, "SMA period: must be at most 100000 (got 200000)"),
        ("ema", {"period": 2.5}, "EMA period: must be a whole number (got 2.5)"),
        ("ema", {"period": "ten"}, "EMA period: must be a whole number (got 'ten')"),
        ("wma", {"period": True}, "WMA period: must be a number (got True)"),
        ("bollinger", {"dev_up": -1}, "Bollinger Bands dev_up: must be at least 0.0 (got -1)"),
        (
            "bollinger",
            {"dev_down": float("nan")},
            "Bollinger Bands dev_down: must be a finite number (got nan)",
        ),
        ("atr", {"lenght": 14}, "ATR lenght: is not one of its parameters"),
        ("macd", {"fast": 26, "slow": 12}, "MACD slow: must be greater than fast (26) (got 12)"),
        ("macd", {"fast": 12, "slow": 12}, "MACD slow: must be greater than fast (12) (got 12)"),
        (
            "sar",
            {"acceleration": 0.3, "maximum": 0.2},
            "Parabolic SAR maximum: must be at least the step (0.3) (got 0.2)",
        ),
        ("stochastic", {"k_period": 0}, "Stochastic k_period: must be at least 1 (got 0)"),
    ],
)
def test_bad_parameters_are_refused_with_one_line(
    name: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(IndicatorParamError) as error:
        create(name, params)
    assert str(error.value) == message
    assert "\n" not in str(error.value)


def test_a_validated_model_is_reused_and_values_are_frozen() -> None:
    params = INDICATORS["macd"].Params.build(fast=5, slow=13, signal=4)
    indicator = create("macd", params)
    assert indicator.params is params
    assert indicator.label() == "MACD(5, 13, 4)"
    with pytest.raises(ValueError, match="frozen"):
        params.fast = 6  # type: ignore[misc]
    # Keyword overrides on top of a model are validated again.
    with pytest.raises(IndicatorParamError, match="MACD slow"):
        create("macd", params, fast=20)


def test_generic_forms_take_domain_bars_and_histories() -> None:
    """The chart and strategies can drive any indicator by name from domain objects."""
    import numpy as np

    from app.domain.market import Bar, BarHistory
    from app.domain.timeframes import Timeframe

    closes = np.array([1.0, 1.1, 1.3, 1.2])
    history = BarHistory(
        "EURUSD",
        Timeframe.M1,
        np.arange(4) * 60,
        closes,
        closes + 0.1,
        closes - 0.1,
        closes,
        closes,
    )
    sma = create("sma", period=2)
    assert list(sma.compute(history)) == ["sma"]
    np.testing.assert_allclose(sma.compute(history)["sma"], [np.nan, 1.05, 1.2, 1.25])

    sma.warm_from(history)
    forming = Bar("EURUSD", Timeframe.M1, 240, 1.2, 1.5, 1.1, 1.4, 3.0)
    assert sma.preview(forming) == ((1.2 + 1.4) / 2,)
    assert sma.update(forming) == ((1.2 + 1.4) / 2,)

    adx = create("adx", period=2)
    adx.warm_from(history)
    assert adx.preview(forming) == adx.peek(1.5, 1.1, 1.4)
    assert len(adx.update(forming)) == 3
