"""Batch (TA-Lib) and incremental (push) agree on every indicator and every output.

Agreement means: the same NaN on the same warm-up bars, and every value within
1e-9, over thousands of bars of several kinds of data (smooth walks, prices on
a tick grid with ties and flat bars, forex-sized and index-sized prices).
"""

from __future__ import annotations

import numpy as np
import pytest
import talib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.indicators import INDICATORS, Indicator, create
from tests.indicators.conftest import (
    Bars,
    assert_same_series,
    push_all,
    random_walk,
    with_flat_stretch,
)

# Non-default parameters per indicator, to exercise more than TA-Lib's defaults.
OTHER_PARAMS: dict[str, dict[str, float]] = {
    "sma": {"period": 7},
    "ema": {"period": 50},
    "wma": {"period": 9},
    "bollinger": {"period": 10, "dev_up": 1.0, "dev_down": 2.5},
    "sar": {"acceleration": 0.05, "maximum": 0.3},
    "donchian": {"period": 55},
    "rsi": {"period": 6},
    "macd": {"fast": 5, "slow": 35, "signal": 5},
    "stochastic": {"k_period": 14, "slowing": 1, "d_period": 5},
    "atr": {"period": 1},
    "adx": {"period": 7},
    "cci": {"period": 40},
}

DATA = {
    "walk": random_walk(4000, seed=1),
    "ticks": with_flat_stretch(random_walk(4000, seed=2, step=0.02, tick=0.01), 2000, 80),
    "forex": random_walk(4000, seed=3, level=1.1, step=2e-4, tick=1e-5),
    "index": random_walk(4000, seed=4, level=40_000.0, step=8.0, tick=0.5),
}

CASES = [
    pytest.param(name, params, data, id=f"{name}-{label}-{data}")
    for name in INDICATORS
    for label, params in (("default", {}), ("other", OTHER_PARAMS[name]))
    for data in DATA
]


def _check_agreement(indicator: Indicator, bars: Bars) -> None:
    columns = bars.columns(indicator)
    batch = indicator.batch(*columns)
    assert len(batch) == len(indicator.outputs)
    rows = push_all(indicator, columns)
    for k in range(len(indicator.outputs)):
        assert_same_series(batch[k], [row[k] for row in rows])


@pytest.mark.parametrize(("name", "params", "data"), CASES)
def test_push_agrees_with_batch(name: str, params: dict[str, float], data: str) -> None:
    _check_agreement(create(name, params), DATA[data])


@pytest.mark.parametrize(("name", "params", "data"), CASES)
def test_peek_equals_push_on_every_bar(name: str, params: dict[str, float], data: str) -> None:
    """What the chart shows for a forming bar is what the bar gives once it closes."""
    indicator = create(name, params)
    columns = DATA[data].columns(indicator)
    for values in zip(*(c[:1500].tolist() for c in columns), strict=True):
        peeked = indicator.peek(*values)
        assert indicator.peek(*values) == peeked or np.isnan(peeked).all()  # peek commits nothing
        pushed = indicator.push(*values)
        np.testing.assert_array_equal(np.asarray(peeked), np.asarray(pushed))


@pytest.mark.parametrize("name", list(INDICATORS))
def test_lookbacks_are_batch_nan_placement(name: str) -> None:
    for params in ({}, OTHER_PARAMS[name]):
        indicator = create(name, params)
        batch = indicator.batch(*DATA["walk"].columns(indicator))
        firsts = tuple(int(np.argmax(~np.isnan(series))) for series in batch)
        assert indicator.lookbacks == firsts
        assert indicator.lookback == max(firsts)


@pytest.mark.parametrize("name", list(INDICATORS))
def test_history_shorter_than_warm_up_is_all_nan_both_ways(name: str) -> None:
    indicator = create(name)
    walk = DATA["walk"]
    first = min(indicator.lookbacks)  # bars before any output has a value
    short = Bars(walk.high[:first], walk.low[:first], walk.close[:first])
    columns = short.columns(indicator)
    assert all(np.isnan(series).all() for series in indicator.batch(*columns))
    assert all(np.isnan(row).all() for row in push_all(indicator, columns))


@pytest.mark.parametrize("name", list(INDICATORS))
def test_empty_history(name: str) -> None:
    indicator = create(name)
    empty = [np.array([], dtype=np.float64) for _ in indicator.inputs]
    assert all(series.shape == (0,) for series in indicator.batch(*empty))
    indicator.warm(*empty)
    assert np.isnan(np.asarray(indicator.peek(*[100.0] * len(indicator.inputs)))).all()


@pytest.mark.parametrize("name", list(INDICATORS))
def test_warm_then_push_continues_the_full_run(name: str) -> None:
    """A chart warms on a long history, then pushes live bars: same values as pushing all."""
    # Longer than every tail a warm replays (SAR's is 4,096 bars), so the tails are tested.
    bars = random_walk(12_000, seed=11, step=0.05, tick=0.01)
    cut = 10_000
    for params in ({}, OTHER_PARAMS[name]):
        full = create(name, params)
        columns = bars.columns(full)
        expected = push_all(full, columns)
        warmed = create(name, params)
        warmed.warm(*(c[:cut] for c in columns))
        tail = push_all(warmed, [c[cut:] for c in columns])
        for k in range(len(full.outputs)):
            assert_same_series([row[k] for row in expected[cut:]], [row[k] for row in tail])


def test_sar_warm_replays_only_a_tail_on_ordinary_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-history fallback is for odd data; a random walk joins within the tail."""
    bars = random_walk(20_000, seed=12, step=0.05, tick=0.01)
    sar = create("sar")

    def whole_history(self: Indicator, *arrays: np.ndarray) -> None:
        raise AssertionError("replayed the whole history")

    monkeypatch.setattr(Indicator, "warm", whole_history)
    sar.warm(bars.high, bars.low)
    monkeypatch.undo()
    full = create("sar")
    push_all(full, [bars.high, bars.low])
    assert sar.peek(100.0, 99.0) == full.peek(100.0, 99.0)


def test_sar_warm_falls_back_to_the_whole_history_when_the_tail_disagrees() -> None:
    """A tail that starts in the other direction and never reverses with the full run."""
    n = 6000
    # A steady rise: the full run is long from bar 1 and never reverses; a tail started
    # mid-way finds the same direction, but its first SAR differs, so it never joins.
    high = 100.0 + np.arange(n) * 0.01 + 0.5
    low = high - 1.0
    full = create("sar")
    expected = push_all(full, [high, low])
    warmed = create("sar")
    warmed.warm(high[:-10], low[:-10])
    tail = push_all(warmed, [high[-10:], low[-10:]])
    assert_same_series([row[0] for row in expected[-10:]], [row[0] for row in tail], atol=0.0)


@pytest.mark.parametrize("name", list(INDICATORS))
def test_a_copy_goes_its_own_way(name: str) -> None:
    """A what-if copy (e.g. a strategy trying a bar) leaves the original untouched."""
    bars = DATA["walk"]
    original = create(name)
    columns = bars.columns(original)
    original.warm(*(c[:500] for c in columns))
    copy = original.copy()
    first = [c[500] for c in columns]
    other = [c[900] * 1.01 for c in columns]
    expected = original.peek(*first)
    copy.push(*other)
    assert original.push(*first) == expected


def test_adx_outputs_are_talib_adx_plus_di_minus_di() -> None:
    bars = DATA["walk"]
    adx, plus_di, minus_di = create("adx", period=10).batch(bars.high, bars.low, bars.close)
    assert_same_series(talib.ADX(bars.high, bars.low, bars.close, 10), adx, atol=0.0)
    assert_same_series(talib.PLUS_DI(bars.high, bars.low, bars.close, 10), plus_di, atol=0.0)
    assert_same_series(talib.MINUS_DI(bars.high, bars.low, bars.close, 10), minus_di, atol=0.0)


# --------------------------------------------------------------------------- property-based

_PERIOD = st.integers(min_value=2, max_value=30)
PARAMS = {
    "sma": st.fixed_dictionaries({"period": _PERIOD}),
    "ema": st.fixed_dictionaries({"period": _PERIOD}),
    "wma": st.fixed_dictionaries({"period": _PERIOD}),
    "bollinger": st.fixed_dictionaries(
        {
            "period": _PERIOD,
            "dev_up": st.floats(0.0, 4.0),
            "dev_down": st.floats(0.0, 4.0),
        }
    ),
    "sar": st.tuples(st.floats(0.001, 0.1), st.floats(0.0, 0.5)).map(
        lambda pair: {"acceleration": pair[0], "maximum": pair[0] + pair[1]}
    ),
    "donchian": st.fixed_dictionaries({"period": _PERIOD}),
    "rsi": st.fixed_dictionaries({"period": _PERIOD}),
    "macd": st.tuples(_PERIOD, st.integers(1, 20), st.integers(1, 12)).map(
        lambda t: {"fast": t[0], "slow": t[0] + t[1], "signal": t[2]}
    ),
    "stochastic": st.fixed_dictionaries(
        {
            "k_period": st.integers(1, 20),
            "slowing": st.integers(1, 6),
            "d_period": st.integers(1, 6),
        }
    ),
    "atr": st.fixed_dictionaries({"period": st.integers(1, 30)}),
    "adx": st.fixed_dictionaries({"period": _PERIOD}),
    "cci": st.fixed_dictionaries({"period": _PERIOD}),
}

# Bars on a coarse tick grid: ties between highs, equal DMs, flat windows and
# repeated closes are common, which is where conventions differ.
_BAR = st.tuples(st.integers(-3, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 6))


@st.composite
def _bars(draw: st.DrawFn) -> Bars:
    steps = draw(st.lists(_BAR, min_size=0, max_size=160))
    price = 1000
    highs, lows, closes = [], [], []
    for move, up, down, where in steps:
        price += move
        high, low = price + up, price - down
        highs.append(high)
        lows.append(low)
        closes.append(low + min(where, high - low))
    tick = draw(st.sampled_from([0.25, 1e-5, 1.0]))
    return Bars(*(np.asarray(a, dtype=np.float64) * tick for a in (highs, lows, closes)))


@pytest.mark.parametrize("name", list(INDICATORS))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_push_agrees_with_batch(name: str, data: st.DataObject) -> None:
    params = data.draw(PARAMS[name], label="params")
    bars = data.draw(_bars(), label="bars")
    _check_agreement(create(name, params), bars)
