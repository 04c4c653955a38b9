"""The seam's shape check: a field holds its declared type, or the command is refused in words."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.domain.command_shape import shape_problem
from app.domain.commands import (
    CancelOrder,
    ClosePosition,
    Halt,
    ModifyOrder,
    ModifyPosition,
    SubmitOrder,
    WatchBars,
)
from app.domain.enums import OrderSource, OrderType, Side
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderRequest


def _order(**kw: object) -> SubmitOrder:
    values: dict[str, object] = {
        "client_id": "c1",
        "symbol": "EURUSD",
        "side": Side.BUY,
        "volume": 0.1,
    }
    values.update(kw)
    return SubmitOrder(OrderRequest(**values))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "command",
    [
        _order(),
        _order(volume=1),  # a whole number of lots is a number
        _order(order_type=OrderType.LIMIT, price=1.08, sl=1.07, tp=None),
        ClosePosition(7),
        ClosePosition(7, 0.05, "c2", OrderSource.STRATEGY),
        CancelOrder(7),
        ModifyPosition(7, sl=None, tp=1.2),
        ModifyOrder(7, price=1.1, sl=1.0, tp=None),
        Halt("mine", flatten=False),
        WatchBars("chart", (("EURUSD", Timeframe.M1),)),
    ],
)
def test_well_formed_commands_pass(command: object) -> None:
    assert shape_problem(command) is None


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (_order(volume="0.1"), "volume must be a number, not '0.1'"),
        (_order(volume=True), "volume must be a number, not True"),
        (_order(sl="1.0"), "sl must be a number or None, not '1.0'"),
        (_order(symbol=None), "symbol must be text, not None"),
        (_order(side="buy"), "side must be Side, not 'buy'"),
        (ClosePosition(7.0), "ticket must be a whole number, not 7.0"),  # type: ignore[arg-type]
        (ClosePosition(True), "ticket must be a whole number, not True"),
        (ModifyPosition(7, sl=False, tp=None), "sl must be a number or None, not False"),
        (Halt("x", flatten=1), "flatten must be bool, not 1"),  # type: ignore[arg-type]
        (WatchBars("chart", [("EURUSD", Timeframe.M1)]), "pairs must be tuple, not"),  # type: ignore[arg-type]
    ],
)
def test_a_wrong_field_is_named_with_what_it_must_be(command: object, problem: str) -> None:
    found = shape_problem(command)
    assert found is not None and found.startswith(problem)


def test_a_bool_is_taken_where_the_type_says_bool_even_beside_an_int() -> None:
    @dataclass
    class Either:
        flag: int | bool
        count: int | None = None

    assert shape_problem(Either(True)) is None
    assert shape_problem(Either(3, None)) is None
    assert shape_problem(Either(3, True)) == "count must be a whole number or None, not True"


def test_what_is_not_a_dataclass_has_no_shape_to_check() -> None:
    assert shape_problem("buy 0.1") is None
