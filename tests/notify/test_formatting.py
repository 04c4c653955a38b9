"""Message texts: escaping for HTML parse mode and the 4096-character limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.enums import Side
from app.domain.symbols import SymbolSpec
from app.domain.trading import Fill
from app.notify.formatting import MAX_MESSAGE_CHARS, Formatter, esc, split_message

SPEC = SymbolSpec("XAUUSD", "Gold", 2, 0.01, 100, 0.01, 100, 0.01, "XAU", "USD")


def test_markup_characters_are_escaped() -> None:
    assert esc("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert esc("BTCUSD#_*[x]") == "BTCUSD#_*[x]"  # harmless in HTML mode


def test_fill_uses_the_symbol_digits_and_account_currency() -> None:
    fmt = Formatter({"XAUUSD": SPEC})
    fill = Fill("c", 1, 42, "XAUUSD", Side.SELL, 0.5, 2034.1, 0, True, 1234.5, "take profit")
    assert fmt.fill(fill, "EUR") == (
        "🛑 <b>TAKE PROFIT hit</b> XAUUSD 0.50 @ 2034.10 · position #42 · "
        "P&amp;L <b>+1,234.50 EUR</b>"
    )


@given(st.lists(st.text(alphabet="ab<&é\n", max_size=300), max_size=60))
def test_split_keeps_every_character_in_parts_within_the_limit(lines: list[str]) -> None:
    text = "\n".join(esc(line) for line in lines)
    parts = split_message(text, limit=500)
    assert all(len(p) <= 500 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_a_long_message_is_split_at_line_breaks() -> None:
    text = "\n".join(f"line {n} " + "x" * 100 for n in range(100))
    parts = split_message(text)
    assert len(parts) == 3 and all(len(p) <= MAX_MESSAGE_CHARS for p in parts)
    assert all(p.startswith("line ") for p in parts)
