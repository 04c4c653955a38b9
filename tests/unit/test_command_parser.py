"""The order command line: every example of the issue, the errors, and properties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.brokers.sim.broker import DEFAULT_MARKETS
from app.domain.command_parser import ParseContext, ParsedCommand, ParseError, parse
from app.domain.commands import (
    CancelAll,
    CancelOrder,
    CloseAll,
    CloseBy,
    ClosePosition,
    ModifyOrder,
    ModifyPosition,
    ReversePosition,
    SubmitOrder,
)
from app.domain.enums import OrderSource, OrderType, Side, TimeInForce
from app.domain.market import Tick
from app.domain.trading import OrderRequest, Position, WorkingOrder

SPECS = {name: market.spec for name, market in DEFAULT_MARKETS.items()}
QUOTES = {
    "EURUSD": Tick("EURUSD", 1_735_725_600_000, 1.08500, 1.08510),
    "GBPUSD": Tick("GBPUSD", 1_735_725_600_000, 1.27000, 1.27012),
    "XAUUSD": Tick("XAUUSD", 1_735_725_600_000, 2340.00, 2340.25),
    "USDJPY": Tick("USDJPY", 1_735_725_600_000, 150.000, 150.011),
}
NOW = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
LONG = Position(1234, "EURUSD", Side.BUY, 0.5, 1.08000, 1.08500, 250.0, 1, sl=1.07500)
SHORT = Position(1240, "EURUSD", Side.SELL, 0.2, 1.09000, 1.08510, 98.0, 2)
GOLD = Position(1300, "XAUUSD", Side.BUY, 0.1, 2300.00, 2340.00, 400.0, 3)
LIMIT = WorkingOrder(1235, "tt-1", "EURUSD", Side.BUY, OrderType.LIMIT, 0.3, 1.08000, 1)


def ctx(**changes: object) -> ParseContext:
    base: dict[str, object] = {
        "specs": SPECS,
        "quotes": QUOTES,
        "current_symbol": "EURUSD",
        "default_volume": 0.1,
        "positions": (LONG, GOLD),
        "orders": (LIMIT,),
        "now": NOW,
        "new_id": lambda: "cid-1",
    }
    base.update(changes)
    return ParseContext(**base)  # type: ignore[arg-type]


def ok(text: str, context: ParseContext | None = None) -> ParsedCommand:
    result = parse(text, context or ctx())
    assert isinstance(result, ParsedCommand), result
    return result


def order(text: str, context: ParseContext | None = None) -> OrderRequest:
    parsed = ok(text, context)
    (command,) = parsed.commands
    assert isinstance(command, SubmitOrder)
    assert parsed.request == command.request
    return command.request


def error(text: str, context: ParseContext | None = None) -> str:
    result = parse(text, context or ctx())
    assert isinstance(result, ParseError), result
    assert result.message and result.message[0].isupper()
    return result.message


# -- the examples -----------------------------------------------------------


def test_buy_with_volume_symbol_and_both_stops() -> None:
    r = order("buy 0.5 eurusd sl 1.0840 tp 1.0950")
    assert (r.side, r.volume, r.symbol, r.order_type) == (Side.BUY, 0.5, "EURUSD", OrderType.MARKET)
    assert (r.sl, r.tp, r.client_id, r.source) == (1.0840, 1.0950, "cid-1", OrderSource.TICKET)


def test_short_forms_use_the_current_symbol_and_the_default_volume() -> None:
    r = order("s 1")
    assert (r.side, r.volume, r.symbol) == (Side.SELL, 1.0, "EURUSD")
    r = order("b", ctx(current_symbol="GBPUSD", default_volume=0.25))
    assert (r.side, r.volume, r.symbol) == (Side.BUY, 0.25, "GBPUSD")


def test_limit_stop_and_stop_limit_orders() -> None:
    r = order("buy 0.2 xauusd limit 2330 tp 2380")
    assert (r.order_type, r.price, r.tp, r.symbol) == (OrderType.LIMIT, 2330.0, 2380.0, "XAUUSD")
    r = order("sell 1 gbpusd stop 1.2600 exp today")
    assert (r.order_type, r.price, r.time_in_force) == (OrderType.STOP, 1.26, TimeInForce.DAY)
    r = order("buy 0.1 eurusd stoplimit 1.0900 1.0895")
    assert (r.order_type, r.price, r.stop_limit) == (OrderType.STOP_LIMIT, 1.09, 1.0895)


def test_words_are_case_insensitive_and_may_come_in_any_order() -> None:
    a = order("BUY 0.5 EurUsd SL 1.0840 TP 1.0950")
    b = order("buy eurusd tp 1.0950 0.5 sl 1.0840")
    assert a == b


def test_pips_points_and_r_multiples_are_measured_from_the_entry() -> None:
    # Market buy: entry is the ask 1.08510; a pip on a 5-digit symbol is 10 points.
    r = order("b sl 20p tp 2r")
    assert r.sl == pytest.approx(1.08310) and r.tp == pytest.approx(1.08910)
    r = order("sell 0.1 eurusd limit 1.0900 sl 150pt tp 30pips")
    assert r.sl == pytest.approx(1.09150) and r.tp == pytest.approx(1.08700)
    r = order("buy 0.1 xauusd limit 2330 sl 500pt tp 1.5r")  # gold: a pip is a point
    assert r.sl == pytest.approx(2325.00) and r.tp == pytest.approx(2337.50)


def test_the_preview_shows_side_volume_type_price_stops_margin_and_risk() -> None:
    text = ok("buy 0.5 eurusd sl 1.0840 tp 1.0950").preview
    assert text.startswith("BUY 0.50 EURUSD market ≈1.08510")
    assert "SL 1.08400 (-55.00 USD)" in text and "TP 1.09500 (+495.00 USD)" in text
    assert "margin 542.55 USD" in text


def test_closing_positions() -> None:
    (command,) = ok("close #1234 0.3").commands
    assert command == ClosePosition(1234, 0.3, client_id="cid-1", source=OrderSource.TICKET)
    (command,) = ok("close #1234").commands
    assert isinstance(command, ClosePosition) and command.volume is None
    assert ok("close eurusd").commands == (CloseAll(symbol="EURUSD"),)
    parsed = ok("close all")
    assert parsed.commands == (CloseAll(),) and parsed.bulk
    parsed = ok("flat")
    assert parsed.commands == (CancelAll(), CloseAll()) and parsed.bulk


def test_cancel_modify_reverse_and_close_by() -> None:
    assert ok("cancel #1235").commands == (CancelOrder(1235, client_id="cid-1"),)
    assert ok("cancel all").commands == (CancelAll(),) and ok("cancel all").bulk
    # Modify keeps the level it is not given.
    (command,) = ok("modify #1234 tp 1.0950").commands
    assert command == ModifyPosition(1234, 1.075, 1.095, client_id="cid-1")
    (command,) = ok("modify #1234 sl none").commands
    assert command == ModifyPosition(1234, None, None, client_id="cid-1")
    (command,) = ok("modify #1235 price 1.0790 sl 1.0780").commands
    assert command == ModifyOrder(1235, 1.079, 1.078, None, client_id="cid-1")
    assert ok("reverse eurusd").commands == (ReversePosition(1234, client_id="cid-1"),)
    context = ctx(positions=(LONG, SHORT))
    assert ok("close #1234 by #1240", context).commands == (CloseBy(1234, 1240, client_id="cid-1"),)


def test_modify_sl_above_the_market_for_a_buy_is_refused_in_words() -> None:
    assert "must be below the bid 1.08500" in error("modify #1234 sl 1.0870")


def test_expiration_at_a_time_today_and_on_a_date() -> None:
    r = order("sell 1 gbpusd stop 1.2600 exp 11:30")
    assert r.time_in_force is TimeInForce.SPECIFIED
    assert r.expiration_msc == int(datetime(2025, 1, 1, 11, 30, tzinfo=UTC).timestamp() * 1000)
    r = order("sell 1 gbpusd stop 1.2600 exp 2025-01-03 17:00")
    assert r.expiration_msc == int(datetime(2025, 1, 3, 17, 0, tzinfo=UTC).timestamp() * 1000)
    assert "already past" in error("sell 1 gbpusd stop 1.2600 exp 09:00")


def test_comment_keeps_its_case_and_the_brokers_limit() -> None:
    assert order("b comment Breakout A").comment == "Breakout A"
    assert "at most 31" in error("b comment " + "x" * 32)


# -- errors name the offending word -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("buy 0.5 eurusx", ["'eurusx'", "EURUSD"]),
        ("buy 0.1 0.2", ["'0.1'", "'0.2'"]),
        ("buy 0.015", ["0.015", "step 0.01"]),
        ("buy 0.1 sl", ["'sl'"]),
        ("buy 0.1 sl abc", ["'abc'"]),
        ("buy 0.1 limit", ["'limit'"]),
        ("buy 0.1 limit 1.0900", ["buy limit must be below"]),
        ("buy 0.1 tp 2r", ["stop loss to measure R"]),
        ("buy 0.1 sl 2r", ["'2r'"]),
        ("buy 0.1 eurusd gbpusd", ["EURUSD", "GBPUSD"]),
        ("buy 0.1 sl 1.08 sl 1.07", ["'sl' is given twice"]),
        ("b exp today", ["Only pending orders expire"]),
        ("sell 0.1 eurusd stoplimit 1.0800 1.0790", ["must not be below its stop price"]),
        ("close #999", ["#999"]),
        ("close #1234 0.6", ["0.6 lots", "holds 0.50"]),
        ("cancel #1234", ["No working order #1234"]),
        ("reverse gbpusd", ["No open position in GBPUSD"]),
        ("purchase 1", ["'purchase'"]),
        ("flat now", ["'now'"]),
        ("modify 1234 sl 1.07", ["#ticket"]),
    ],
)
def test_errors_say_what_is_wrong_and_name_the_word(text: str, words: list[str]) -> None:
    message = error(text)
    for word in words:
        assert word in message, (word, message)


def test_reverse_with_two_positions_asks_for_a_ticket() -> None:
    message = error("reverse eurusd", ctx(positions=(LONG, SHORT)))
    assert "#1234" in message and "#1240" in message


def test_relative_stops_need_a_quote() -> None:
    message = error("b sl 20p", ctx(quotes={}))
    assert "No price yet for EURUSD" in message


# -- properties ---------------------------------------------------------------------

_words = st.sampled_from(
    [
        "buy", "b", "sell", "s", "close", "cancel", "modify", "reverse", "flat", "all",
        "eurusd", "XAUUSD", "gbpusd", "limit", "stop", "stoplimit", "sl", "tp", "exp",
        "today", "gtc", "comment", "#1234", "#1235", "#1240", "by", "none", "price",
        "0.1", "1", "0.5", "1.0850", "1.0800", "2350", "20p", "150pt", "2r", "12:00",
        "-1", "nan", "1e5", "0", "0,3", "", "#", "##1", "é", "\x00", "1_000",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_any_text_gives_a_command_or_a_sentence_never_an_exception(text: str) -> None:
    result = parse(text, ctx())
    assert isinstance(result, ParsedCommand | ParseError)
    if isinstance(result, ParseError):
        assert result.message.strip()
    else:
        assert result.commands and result.preview


@settings(max_examples=200, deadline=None)
@given(words=st.lists(_words, min_size=1, max_size=9), upper=st.booleans())
@example(words=["buy", "comment", "limit"], upper=False)  # found on Windows CI
def test_word_salad_never_sends_an_order_that_was_not_typed(words: list[str], upper: bool) -> None:
    text = " ".join(w.upper() if upper else w for w in words)
    result = parse(text, ctx(positions=(LONG, SHORT, GOLD)))
    if isinstance(result, ParseError):
        assert result.message.strip()
        return
    tokens = text.split()  # what the parser reads: empty words are no words
    lowered = [w.lower() for w in tokens]
    first = lowered[0]
    for command in result.commands:
        if isinstance(command, SubmitOrder):
            r = command.request
            assert first in ("buy", "b", "sell", "s")
            assert r.side is (Side.BUY if first in ("buy", "b") else Side.SELL)
            assert r.symbol.lower() in lowered or r.symbol == "EURUSD"
            typed_numbers = {float(w.replace(",", ".")) for w in lowered if _is_number(w)}
            assert r.volume in typed_numbers or r.volume == 0.1
            for price in (r.price, r.stop_limit):
                assert price is None or price in typed_numbers
            # ``comment`` takes every word after it as text ("buy comment limit" is a
            # market order with the comment "limit"): only the words before it trade.
            cut = lowered.index("comment") if "comment" in lowered else len(lowered)
            if cut < len(lowered):
                assert r.comment == " ".join(tokens[cut + 1 :])
            assert (r.order_type is OrderType.MARKET) == (
                not {"limit", "stop", "stoplimit"} & set(lowered[:cut])
            )


def _is_number(word: str) -> bool:
    try:
        float(word.replace(",", "."))
    except ValueError:
        return False
    return word[:1].isdigit()


_prices = st.integers(min_value=1, max_value=400).map(lambda n: n / 10_000)


@settings(max_examples=200, deadline=None)
@given(
    side=st.sampled_from([Side.BUY, Side.SELL]),
    volume=st.integers(min_value=1, max_value=500).map(lambda n: n / 100),
    kind=st.sampled_from([OrderType.MARKET, OrderType.LIMIT, OrderType.STOP]),
    offset=_prices,
    sl_distance=st.one_of(st.none(), _prices),
    tp_distance=st.one_of(st.none(), _prices),
    shuffle=st.randoms(use_true_random=False),
    upper=st.booleans(),
)
def test_a_typed_order_is_sent_exactly_as_typed_in_any_order_and_case(
    side: Side,
    volume: float,
    kind: OrderType,
    offset: float,
    sl_distance: float | None,
    tp_distance: float | None,
    shuffle: object,
    upper: bool,
) -> None:
    quote = QUOTES["EURUSD"]
    market = quote.ask if side is Side.BUY else quote.bid
    below = (kind is OrderType.LIMIT) == (side is Side.BUY)
    price = None
    if kind is not OrderType.MARKET:
        price = round(market - offset if below else market + offset, 5)
    entry = price if price is not None else market
    sl = None if sl_distance is None else round(entry - side.sign * sl_distance, 5)
    tp = None if tp_distance is None else round(entry + side.sign * tp_distance, 5)
    groups = [[f"{volume:g}"], ["eurusd"]]
    if price is not None:
        groups.append([str(kind), f"{price:.5f}"])
    if sl is not None:
        groups.append(["sl", f"{sl:.5f}"])
    if tp is not None:
        groups.append(["tp", f"{tp:.5f}"])
    shuffle.shuffle(groups)  # type: ignore[attr-defined]
    words = [str(side)] + [w for g in groups for w in g]
    text = " ".join(w.upper() if upper else w for w in words)
    result = parse(text, ctx())
    if isinstance(result, ParseError):  # e.g. a stop inside the stops level: said in words
        assert result.message.strip()
        return
    (command,) = result.commands
    assert isinstance(command, SubmitOrder)
    r = command.request
    assert (r.side, r.volume, r.symbol, r.order_type) == (side, volume, "EURUSD", kind)
    assert (r.price, r.sl, r.tp) == (price, sl, tp)
