"""Order validation: what the ticket refuses, and the sentences it shows."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.domain.enums import OrderType, Side
from app.domain.market import Tick
from app.domain.symbols import SymbolSpec
from app.domain.trading import OrderRequest
from app.domain.validation import order_problems
from tests.specs import fx_spec

POINT = 0.00001
BID = 1.08500
ASK = 1.08510  # a 10-point spread


SPEC = fx_spec()
SPEC_STOPS = fx_spec(stops_level=10)
QUOTE = Tick("EURUSD", 1_700_000_000_000, BID, ASK)


def pts(n: int) -> float:
    return n * POINT


def request(
    side: Side = Side.BUY,
    order_type: OrderType = OrderType.MARKET,
    *,
    volume: float = 0.10,
    price: float | None = None,
    stop_limit: float | None = None,
    sl: float | None = None,
    tp: float | None = None,
) -> OrderRequest:
    return OrderRequest(
        client_id="t-1",
        symbol="EURUSD",
        side=side,
        volume=volume,
        order_type=order_type,
        price=None if price is None else round(price, 5),
        stop_limit=None if stop_limit is None else round(stop_limit, 5),
        sl=None if sl is None else round(sl, 5),
        tp=None if tp is None else round(tp, 5),
    )


def problems(req: OrderRequest, spec: SymbolSpec = SPEC, quote: Tick | None = QUOTE) -> list[str]:
    return order_problems(req, spec, quote)


def assert_one_sentence_naming(result: list[str], *names: str) -> None:
    assert len(result) == 1, result
    message = result[0]
    assert message.strip() == message and message
    assert message[0].isupper(), message
    for name in names:
        assert name in message, (name, message)


def test_a_plain_market_order_is_accepted() -> None:
    assert problems(request(Side.BUY)) == []
    assert problems(request(Side.SELL)) == []


# -- SL/TP sides -----------------------------------------------------------------


def test_buy_stop_loss_below_the_bid_is_accepted_and_at_the_bid_is_refused() -> None:
    assert problems(request(Side.BUY, sl=BID - pts(1))) == []
    result = problems(request(Side.BUY, sl=BID))
    assert_one_sentence_naming(result, "Stop loss", "1.08500", "below")


def test_buy_stop_loss_inside_the_spread_is_refused() -> None:
    # Below the ask the position opens at, but above the bid it is marked and stopped
    # at: accepted, it would close at a loss on the very next tick.
    result = problems(request(Side.BUY, sl=BID + pts(5)))
    assert_one_sentence_naming(result, "Stop loss", "1.08505", "below")


def test_buy_take_profit_above_the_entry_is_accepted_and_at_it_is_refused() -> None:
    assert problems(request(Side.BUY, tp=ASK + pts(1))) == []
    result = problems(request(Side.BUY, tp=ASK))
    assert_one_sentence_naming(result, "Take profit", "1.08510", "above")


def test_sell_stop_loss_above_the_ask_is_accepted_and_at_the_ask_is_refused() -> None:
    assert problems(request(Side.SELL, sl=ASK + pts(1))) == []
    result = problems(request(Side.SELL, sl=ASK))
    assert_one_sentence_naming(result, "Stop loss", "1.08510", "above")
    result = problems(request(Side.SELL, sl=BID + pts(5)))  # inside the spread
    assert_one_sentence_naming(result, "Stop loss", "1.08505", "above")


def test_sell_take_profit_below_the_entry_is_accepted_and_at_it_is_refused() -> None:
    assert problems(request(Side.SELL, tp=BID - pts(1))) == []
    result = problems(request(Side.SELL, tp=BID))
    assert_one_sentence_naming(result, "Take profit", "1.08500", "below")


def test_stops_on_the_wrong_side_are_each_reported() -> None:
    result = problems(request(Side.BUY, sl=ASK + pts(50), tp=BID - pts(50)))
    assert len(result) == 2
    assert any(m.startswith("Stop loss") for m in result)
    assert any(m.startswith("Take profit") for m in result)


def test_pending_order_stops_are_measured_from_its_own_price() -> None:
    limit = BID - pts(100)
    ok = request(Side.BUY, OrderType.LIMIT, price=limit, sl=limit - pts(1), tp=limit + pts(1))
    assert problems(ok) == []
    # An SL between the limit price and the market is above the entry: refused.
    bad = request(Side.BUY, OrderType.LIMIT, price=limit, sl=limit + pts(20))
    assert_one_sentence_naming(problems(bad), "Stop loss", "1.08420", "1.08400")


# -- stops level -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("distance", "accepted"),
    [(9, False), (10, True), (11, True)],
)
def test_stops_level_boundary_for_a_buy(distance: int, accepted: bool) -> None:
    sl = request(Side.BUY, sl=BID - pts(distance))
    tp = request(Side.BUY, tp=ASK + pts(distance))
    for req, value in ((sl, BID - pts(distance)), (tp, ASK + pts(distance))):
        result = problems(req, SPEC_STOPS)
        if accepted:
            assert result == []
        else:
            assert_one_sentence_naming(result, f"{value:.5f}", "10 points", "minimum")


@pytest.mark.parametrize(
    ("distance", "accepted"),
    [(9, False), (10, True), (11, True)],
)
def test_stops_level_boundary_for_a_sell(distance: int, accepted: bool) -> None:
    for req, value in (
        (request(Side.SELL, sl=ASK + pts(distance)), ASK + pts(distance)),
        (request(Side.SELL, tp=BID - pts(distance)), BID - pts(distance)),
    ):
        result = problems(req, SPEC_STOPS)
        if accepted:
            assert result == []
        else:
            assert_one_sentence_naming(result, f"{value:.5f}", "10 points")


def test_stops_level_applies_to_pending_order_stops() -> None:
    price = BID - pts(100)
    near = request(Side.BUY, OrderType.LIMIT, price=price, sl=price - pts(5))
    far = request(Side.BUY, OrderType.LIMIT, price=price, sl=price - pts(10))
    assert_one_sentence_naming(problems(near, SPEC_STOPS), "1.08395", "10 points")
    assert problems(far, SPEC_STOPS) == []


# -- pending prices --------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "kind", "good", "bad", "where"),
    [
        # buys are compared with the ask, sells with the bid
        (Side.BUY, OrderType.LIMIT, ASK - pts(1), ASK, "below"),
        (Side.BUY, OrderType.STOP, ASK + pts(1), ASK, "above"),
        (Side.SELL, OrderType.LIMIT, BID + pts(1), BID, "above"),
        (Side.SELL, OrderType.STOP, BID - pts(1), BID, "below"),
    ],
)
def test_pending_price_must_be_on_the_right_side_of_the_market(
    side: Side, kind: OrderType, good: float, bad: float, where: str
) -> None:
    assert problems(request(side, kind, price=good)) == []
    result = problems(request(side, kind, price=bad))
    assert_one_sentence_naming(result, f"{bad:.5f}", where, str(side), str(kind))
    far_wrong = bad + pts(100) if where == "below" else bad - pts(100)
    result = problems(request(side, kind, price=far_wrong))
    assert_one_sentence_naming(result, f"{far_wrong:.5f}", where)


@pytest.mark.parametrize("kind", [OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT])
def test_pending_order_without_a_price_is_refused(kind: OrderType) -> None:
    result = problems(request(Side.BUY, kind, stop_limit=ASK + pts(5)))
    assert_one_sentence_naming(result, str(kind), "price")


def test_stop_limit_needs_a_limit_price() -> None:
    result = problems(request(Side.BUY, OrderType.STOP_LIMIT, price=ASK + pts(20)))
    assert_one_sentence_naming(result, "limit price")
    ok = request(Side.BUY, OrderType.STOP_LIMIT, price=ASK + pts(20), stop_limit=ASK + pts(15))
    assert problems(ok) == []


def test_pending_price_with_too_many_decimals_is_refused() -> None:
    req = OrderRequest("t-1", "EURUSD", Side.BUY, 0.1, OrderType.LIMIT, price=1.084005)
    assert_one_sentence_naming(problems(req), "Order price", "1.084005")


# -- the quote -------------------------------------------------------------------


def test_no_quote_yet_gives_a_clear_message() -> None:
    result = problems(request(Side.BUY, sl=BID - pts(50)), quote=None)
    assert_one_sentence_naming(result, "EURUSD", "quote")


def test_static_problems_are_reported_even_without_a_quote() -> None:
    result = problems(request(Side.BUY, volume=0.015), quote=None)
    assert_one_sentence_naming(result, "0.015", "step")


def test_volume_problem_is_reported_with_other_static_problems() -> None:
    req = OrderRequest("t-1", "EURUSD", Side.BUY, 0.0, OrderType.LIMIT, sl=-1.0)
    result = problems(req)
    assert len(result) == 3  # volume, missing price, negative stop loss
    assert all(m and m[0].isupper() for m in result)


# -- never raises ----------------------------------------------------------------

_any_float = st.floats(allow_nan=True, allow_infinity=True)
# Edge magnitudes plain floats() rarely reach: the largest finite float overflows price/tick.
_extreme = st.sampled_from([1e308, 1.7976931348623157e308, 5e-324, -0.0, 1e-300])
_maybe_price = (
    st.none()
    | _any_float
    | _extreme
    | st.floats(min_value=1.0, max_value=1.2).map(lambda p: round(p, 5))
)
_quotes = st.none() | st.builds(
    Tick,
    symbol=st.just("EURUSD"),
    time_msc=st.integers(min_value=0, max_value=2**62),
    bid=_any_float,
    ask=_any_float,
)
_requests = st.builds(
    OrderRequest,
    client_id=st.text(max_size=5),
    symbol=st.just("EURUSD"),
    side=st.sampled_from(Side),
    volume=_any_float | st.sampled_from([0.01, 0.1, 1.0, 100.0]),
    order_type=st.sampled_from(OrderType),
    price=_maybe_price,
    stop_limit=_maybe_price,
    sl=_maybe_price,
    tp=_maybe_price,
)


@settings(max_examples=200, deadline=None)
@example(
    req=OrderRequest("x", "EURUSD", Side.BUY, 0.1, OrderType.LIMIT, price=1e308, sl=1e308),
    quote=QUOTE,
    stops_level=10,
)
@given(req=_requests, quote=_quotes, stops_level=st.sampled_from([0, 10, 1_000_000]))
def test_order_problems_never_raises_and_returns_sentences(
    req: OrderRequest, quote: Tick | None, stops_level: int
) -> None:
    result = order_problems(req, fx_spec(stops_level=stops_level), quote)
    assert isinstance(result, list)
    assert all(isinstance(m, str) and m for m in result)


def test_every_side_and_type_combination_returns_a_list() -> None:
    for side, kind in itertools.product(Side, OrderType):
        result = problems(request(side, kind, price=BID))
        assert isinstance(result, list)
        assert all(isinstance(m, str) for m in result)
