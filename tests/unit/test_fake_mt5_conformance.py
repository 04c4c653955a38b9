"""The fake MetaTrader5 module against the reference extracted from the official wheel.

``tests/fakes/mt5_api_reference.json`` holds the real package's constants, result
types, dtypes and calling conventions; the fake writes its own copy out literally,
so neither can drift from the other without a test failing here.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.fakes import metatrader5 as mt5
from tests.fakes import mt5_surface

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "fakes" / "mt5_api_reference.json").read_text(encoding="utf-8")
)
REAL_FUNCTIONS = REFERENCE["functions"]


def test_reference_is_the_complete_one() -> None:
    assert REFERENCE["version"] == "5.0.6231"
    assert len(REFERENCE["constants"]) == 223
    assert len(REAL_FUNCTIONS) == 35  # 32 in _core + Buy/Sell/Close


def test_every_real_constant_has_the_real_value() -> None:
    for name, value in REFERENCE["constants"].items():
        assert getattr(mt5, name) == value, name


def test_the_fake_exports_no_constant_the_real_package_lacks() -> None:
    """Pitfall 15: code that works only against a mock must not be possible."""
    ours = {n for n in vars(mt5) if n.isupper() and not n.startswith("_")}
    assert ours == set(REFERENCE["constants"])


def test_well_known_values_that_public_mocks_get_wrong() -> None:
    assert (mt5.TIMEFRAME_H1, mt5.TIMEFRAME_D1, mt5.TIMEFRAME_W1) == (16385, 16408, 32769)
    assert mt5.TRADE_ACTION_SLTP == 6 and mt5.ORDER_FILLING_FOK == 0
    assert mt5.ORDER_FILLING_RETURN == 2 and mt5.RES_E_INTERNAL_FAIL_CONNECT == -10004


@pytest.mark.parametrize("type_name", sorted(REFERENCE["namedtuples"]))
def test_result_types_have_the_real_fields_in_the_real_order(type_name: str) -> None:
    fake_type = getattr(mt5_surface, type_name)
    assert fake_type._fields == tuple(REFERENCE["namedtuples"][type_name]["fields"])
    assert issubclass(fake_type, tuple) and hasattr(fake_type, "_asdict")


def test_numpy_dtypes_are_the_packed_real_ones() -> None:
    dtypes = REFERENCE["numpy_dtypes"]
    for fake, real in ((mt5_surface.RATES_DTYPE, dtypes["rates"]),
                       (mt5_surface.TICKS_DTYPE, dtypes["ticks"])):  # fmt: skip
        assert fake == np.dtype([tuple(f) for f in real])
        assert fake.itemsize == dtypes["itemsize"] == 60


def _parameters(signature: str) -> str:
    return signature[signature.index("(") + 1 : signature.index(")")]


@pytest.mark.parametrize("name", sorted(REAL_FUNCTIONS))
def test_every_real_function_exists_with_its_calling_convention(name: str) -> None:
    fn = getattr(mt5, name)
    real = REAL_FUNCTIONS[name]["signature"]
    params = list(inspect.signature(fn).parameters.values())
    if "|" in real:  # history_*_get: three call forms, parsed by hand in the binary
        kinds = [p.kind for p in params]
        assert kinds == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]
        return
    text = _parameters(real)
    if text.endswith("/"):  # PyArg_ParseTuple: positional-only, names irrelevant
        count = len([p for p in text.split(",") if p.strip() not in ("", "/")])
        assert len(params) == count
        assert all(p.kind is p.POSITIONAL_ONLY for p in params)
        return
    real_names = [p.split(":")[0].split("=")[0].strip() for p in text.split(",")]
    real_names = [n for n in real_names if n]
    assert [p.name for p in params] == [n for n in real_names if n != "*"]
    if text.startswith("*"):  # orders_get / positions_get: 'Unnamed arguments not allowed'
        assert all(p.kind is p.KEYWORD_ONLY for p in params)
    elif "*" in real_names:
        star = real_names.index("*")
        assert all(p.kind is p.KEYWORD_ONLY for p in params[star:])


@pytest.fixture
def fresh() -> Any:
    mt5.control.reset(ticks_per_second=0)
    assert mt5.initialize()
    yield mt5
    mt5.control.reset()


def test_keyword_only_and_positional_only_are_enforced(fresh: Any) -> None:
    with pytest.raises(TypeError):
        fresh.positions_get("EURUSD")
    with pytest.raises(TypeError):
        fresh.copy_rates_from_pos(symbol="EURUSD", timeframe=1, start_pos=0, count=10)


def test_calls_before_initialize_give_none_and_no_ipc_connection() -> None:
    mt5.control.reset()
    assert mt5.account_info() is None
    assert mt5.last_error() == (-10004, "No IPC connection")


def test_empty_is_an_empty_tuple_and_errors_are_none(fresh: Any) -> None:
    """Pitfall 14: () and None mean different things."""
    assert fresh.positions_get() == () and fresh.orders_get(symbol="EURUSD") == ()
    fresh.control.fail_next("positions_get", -10002)
    assert fresh.positions_get() is None
    assert fresh.last_error() == (-10002, "Terminal: Call failed")


def test_bad_request_dict_is_none_with_invalid_params(fresh: Any) -> None:
    assert fresh.order_send({"action": 1, "volume": "0.1"}) is None
    assert fresh.last_error() == (-2, 'Invalid "volume" argument')
    assert fresh.order_send({"action": 1, "colour": 3}) is None


def test_the_helpers_send_without_a_filling_mode_as_the_real_ones_do(fresh: Any) -> None:
    fresh.symbol_select("GBPUSD", True)  # GBPUSD allows IOC only
    result = fresh.Buy("GBPUSD", 0.1)
    assert result.retcode == fresh.TRADE_RETCODE_INVALID_FILL
