"""Hostile and ambiguous input on the order command line: refused in words, never guessed.

A comma is a decimal mark only where it cannot be a thousands separator: ``0,5``
and ``1,0850`` are read as 0.5 and 1.0850, while ``1,000`` (one thousand, or
1.000?) is refused with the reason. Numbers are typed with the digits 0-9.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.command_parser import UNREADABLE, ParsedCommand, ParseError, parse, typed_number
from app.domain.commands import ClosePosition
from tests.unit.test_command_parser import LONG, ctx, error, ok, order

CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Warning)\b|\(\w+Error\)")


# -- commas ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word", "readings"),
    [
        ("buy 1,000 eurusd", "1,000", ("1000", "1.000")),
        ("buy 0.1 xauusd limit 2,300", "2,300", ("2300", "2.300")),
        ("sell 0.1 eurusd sl 1,085", "1,085", ("1085", "1.085")),
        ("buy 0.1 eurusd tp 1,500p", "1,500p", ("1500", "1.500")),
    ],
)
def test_a_comma_that_may_separate_thousands_is_refused_with_the_reason(
    text: str, word: str, readings: tuple[str, str]
) -> None:
    result = parse(text, ctx())
    assert isinstance(result, ParseError)
    assert result.token == word
    assert f"'{word}' is ambiguous" in result.message
    for reading in readings:
        assert reading in result.message
    assert "thousands" in result.message


@pytest.mark.parametrize(
    ("text", "volume"),
    [("buy 0,5 eurusd", 0.5), ("buy 1,5 eurusd", 1.5), ("buy 0,250 eurusd", 0.25)],
)
def test_a_comma_that_cannot_separate_thousands_is_a_decimal_mark(text: str, volume: float) -> None:
    assert order(text).volume == volume


def test_a_comma_price_with_four_decimals_is_read_as_typed() -> None:
    request = order("buy 0.1 eurusd limit 1,0800 sl 1,0750")
    assert request.price == 1.08 and request.sl == 1.075


def test_a_comma_in_a_partial_close_follows_the_same_rule() -> None:
    (command,) = ok("close #1234 0,3", ctx(positions=(LONG,))).commands
    assert isinstance(command, ClosePosition) and command.volume == 0.3
    assert "ambiguous" in error("close #1234 1,000", ctx(positions=(LONG,)))


@pytest.mark.parametrize("word", ["1,000,000", "1,000.5", "1.000,5"])
def test_grouped_thousands_are_refused_naming_the_word(word: str) -> None:
    result = parse(f"buy {word} eurusd", ctx())
    assert isinstance(result, ParseError) and result.token == word
    assert f"'{word}'" in result.message and "thousands" in result.message


def test_the_ticket_form_reads_numbers_by_the_same_rule() -> None:
    assert typed_number("0,5", "Volume") == (0.5, None)
    value, problem = typed_number("1,000", "Volume")
    assert value is None and problem is not None and "'1,000' is ambiguous" in problem
    assert typed_number(" 1.0850 ", "Price") == (1.085, None)
    assert typed_number("  ", "Price") == (None, None)  # nothing typed: the caller decides
    for bad in ("1e5", "nan", "inf", "-1", "١"):
        value, problem = typed_number(bad, "Price")
        assert value is None and problem is not None and f"'{bad}'" in problem


# -- digits that are not 0-9 ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "close #²",
        "close #١٢٣٤",
        "cancel #²",
        "modify #³ sl 1.08",
        "reverse #²",
        "close #1234 by #²",
    ],
)
def test_a_ticket_with_other_digits_names_the_word(text: str) -> None:
    word = next(w for w in reversed(text.split()) if w.startswith("#"))
    result = parse(text, ctx(positions=(LONG,)))
    assert isinstance(result, ParseError)
    assert result.token == word
    assert f"'{word}' is not a ticket number" in result.message
    assert "0-9" in result.message
    assert not CLASS_NAME.search(result.message)


@pytest.mark.parametrize("word", ["١", "٠٫٥", "１", "²"])
def test_a_volume_in_other_digits_is_refused_not_converted(word: str) -> None:
    result = parse(f"buy {word} eurusd", ctx())
    assert isinstance(result, ParseError) and result.token == word
    assert "0-9" in result.message


def test_other_digits_in_a_price_or_a_time_are_refused() -> None:
    assert "0-9" in error("buy 0.1 eurusd limit ١.٠٨")
    assert "'١٢:٠٠'" in error("buy 0.1 eurusd limit 1.08 exp ١٢:٠٠")


def test_a_comment_may_hold_any_characters() -> None:
    assert order("buy 0.1 eurusd comment №² ١ 😀").comment == "№² ١ 😀"


# -- fuzz ---------------------------------------------------------------------------------

_KEYWORDS = st.sampled_from(
    ["buy", "sell", "b", "close", "cancel", "modify", "reverse", "flat", "all", "by",
     "eurusd", "xauusd", "limit", "stop", "stoplimit", "sl", "tp", "exp", "price", "none",
     "comment", "today", "gtc", "#1234", "#1235", "0.1", "1", "20p", "2r", "12:00"]
)  # fmt: skip
_VERBS = st.sampled_from(["buy", "sell", "close", "cancel", "modify", "reverse", "flat"])
_NUMERALS = st.characters(categories=["Nd", "No", "Nl"])
# ² and ① are digits to str.isdigit() but not to int(); ١ and １ are digits to both.
_DIGIT_LIKE = st.one_of(st.sampled_from("¹²³⁰₁₂①⑴"), _NUMERALS.filter(str.isdigit))
_SEPARATORS = st.sampled_from([".", ",", "_", "'", "٫", "٬", ":", "-", "e", "p", "pt", "r"])
_NUMBERISH = st.lists(st.one_of(_NUMERALS, _SEPARATORS), min_size=1, max_size=8).map("".join)
_WORDS = st.one_of(
    _KEYWORDS,
    _NUMBERISH,
    _NUMBERISH.map(lambda w: "#" + w),
    st.lists(_DIGIT_LIKE, min_size=1, max_size=4).map(lambda d: "#" + "".join(d)),
    st.text(max_size=8),  # any unicode at all
)


def _assert_a_command_or_words(result: ParsedCommand | ParseError) -> None:
    assert isinstance(result, ParsedCommand | ParseError)
    if isinstance(result, ParseError):
        assert result.message.strip()
        assert result.message != UNREADABLE  # the parser's own bug net never catches
        # The message may quote what was typed ('AError'); its own words must not
        # name an exception class.
        own_words = result.message.replace(result.token, "") if result.token else result.message
        assert not CLASS_NAME.search(own_words), result.message
    else:
        assert result.commands and result.preview


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(_WORDS, min_size=1, max_size=8),
    separator=st.sampled_from([" ", "\t", "\u3000", "\u00a0"]),
)
def test_unicode_words_never_raise_nor_show_an_exception(words: list[str], separator: str) -> None:
    _assert_a_command_or_words(parse(separator.join(words), ctx(positions=(LONG,))))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80))
def test_any_unicode_text_never_raises_nor_shows_an_exception(text: str) -> None:
    _assert_a_command_or_words(parse(text, ctx(positions=(LONG,))))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=20))
def test_the_form_reader_never_raises(text: str) -> None:
    value, problem = typed_number(text, "Volume")
    assert value is None or problem is None  # a number, or why not, or nothing typed
    if problem is not None:
        # The message quotes what was typed; only its own words must not name a class.
        assert not CLASS_NAME.search(problem.replace(text.strip(), ""))
