"""Profit and margin in the account currency, checked against hand arithmetic."""

from __future__ import annotations

import pytest

from app.domain.enums import Side
from app.domain.market import Tick
from app.domain.pnl import CurrencyConverter, close_price, position_profit, required_margin
from tests.specs import fx_spec

SPECS = {
    "EURUSD": fx_spec("EURUSD", 5),
    "USDJPY": fx_spec("USDJPY", 3),
    "GBPUSD": fx_spec("GBPUSD", 5),
    "XAUUSD": fx_spec("XAUUSD", 2, contract_size=100),
}


def tick(symbol: str, bid: float, ask: float) -> Tick:
    return Tick(symbol, 1_700_000_000_000, bid, ask)


@pytest.fixture
def quotes() -> dict[str, Tick]:
    return {
        "EURUSD": tick("EURUSD", 1.08600, 1.08610),
        "USDJPY": tick("USDJPY", 150.100, 150.110),
        "XAUUSD": tick("XAUUSD", 2352.50, 2352.80),
        # GBPUSD deliberately has no quote yet
    }


@pytest.fixture
def converter(quotes: dict[str, Tick]) -> CurrencyConverter:
    return CurrencyConverter(SPECS, quotes)


# -- CurrencyConverter -----------------------------------------------------------


def test_same_currency_converts_one_to_one(converter: CurrencyConverter) -> None:
    assert converter.rate("USD", "USD") == 1.0
    assert converter.convert(123.45, "JPY", "JPY") == 123.45


def test_direct_pair_uses_the_mid_price(converter: CurrencyConverter) -> None:
    mid = (1.08600 + 1.08610) / 2
    assert converter.rate("EUR", "USD") == pytest.approx(mid)
    assert converter.convert(1000.0, "EUR", "USD") == pytest.approx(1000.0 * mid)


def test_inverse_pair_divides_by_the_mid_price(converter: CurrencyConverter) -> None:
    mid = (150.100 + 150.110) / 2
    assert converter.rate("JPY", "USD") == pytest.approx(1 / mid)
    # 15,010.50 yen is exactly 100 dollars at a mid of 150.105
    assert converter.convert(15_010.5, "JPY", "USD") == pytest.approx(100.0)


def test_missing_quote_gives_no_rate_and_conversion_says_why(converter: CurrencyConverter) -> None:
    assert converter.rate("GBP", "USD") is None  # spec known, not quoted yet
    assert converter.rate("CHF", "USD") is None  # no pair at all
    with pytest.raises(ValueError, match=r"GBP.*USD"):
        converter.convert(10.0, "GBP", "USD")


def test_converter_follows_the_live_quote_mapping(
    quotes: dict[str, Tick], converter: CurrencyConverter
) -> None:
    quotes["GBPUSD"] = tick("GBPUSD", 1.27000, 1.27020)
    assert converter.rate("GBP", "USD") == pytest.approx(1.27010)


# -- position_profit -------------------------------------------------------------


def test_eurusd_half_lot_buy_up_ten_pips_makes_fifty_dollars(converter: CurrencyConverter) -> None:
    # 0.5 lot = 50,000 EUR; +0.00100 per EUR = +50.00 USD
    profit = position_profit(Side.BUY, 0.5, 1.08500, 1.08600, SPECS["EURUSD"], converter, "USD")
    assert profit == pytest.approx(50.00, abs=1e-6)


def test_eurusd_sell_loses_when_price_rises(converter: CurrencyConverter) -> None:
    profit = position_profit(Side.SELL, 0.5, 1.08500, 1.08600, SPECS["EURUSD"], converter, "USD")
    assert profit == pytest.approx(-50.00, abs=1e-6)


def test_usdjpy_profit_is_earned_in_yen_and_converted_to_dollars(
    converter: CurrencyConverter,
) -> None:
    # 1 lot = 100,000 USD; +0.100 JPY per USD = 10,000 JPY; at a mid of 150.105 that is
    # 10,000 / 150.105 USD.
    profit = position_profit(Side.BUY, 1.0, 150.000, 150.100, SPECS["USDJPY"], converter, "USD")
    assert profit == pytest.approx(10_000 / 150.105, abs=1e-6)
    assert 66.0 < profit < 67.0


def test_usdjpy_profit_in_an_account_held_in_yen_is_not_converted(
    converter: CurrencyConverter,
) -> None:
    profit = position_profit(Side.SELL, 0.2, 150.000, 149.500, SPECS["USDJPY"], converter, "JPY")
    assert profit == pytest.approx(0.5 * 20_000, abs=1e-6)


def test_gold_contract_is_one_hundred_ounces(converter: CurrencyConverter) -> None:
    # 0.1 lot = 10 oz; +2.50 USD per oz = +25.00 USD
    profit = position_profit(Side.BUY, 0.1, 2350.00, 2352.50, SPECS["XAUUSD"], converter, "USD")
    assert profit == pytest.approx(25.00, abs=1e-6)


def test_profit_converts_through_an_inverse_pair_or_raises_without_one(
    converter: CurrencyConverter,
) -> None:
    # 1,000 USD of profit in a EUR account: divided by the EURUSD mid of 1.08605
    profit = position_profit(Side.BUY, 1.0, 1.27, 1.28, SPECS["GBPUSD"], converter, "EUR")
    assert profit == pytest.approx(1000.0 / 1.08605, abs=1e-6)
    with pytest.raises(ValueError, match="CHF"):
        position_profit(Side.BUY, 1.0, 1.27, 1.28, SPECS["GBPUSD"], converter, "CHF")


# -- required_margin -------------------------------------------------------------


def test_eurusd_margin_is_notional_over_leverage(converter: CurrencyConverter) -> None:
    # 1 lot at 1.08500 is 108,500 USD of EUR
    assert required_margin(1.0, 1.08500, SPECS["EURUSD"], converter, "USD", 100) == pytest.approx(
        1085.00
    )
    assert required_margin(1.0, 1.08500, SPECS["EURUSD"], converter, "USD", 30) == pytest.approx(
        108_500 / 30
    )


def test_usd_based_pair_margin_is_lots_times_100k_dollars_over_leverage(
    converter: CurrencyConverter,
) -> None:
    # Buying 1 lot of USDJPY is buying 100,000 USD, whatever the yen price.
    margin = required_margin(1.0, 150.105, SPECS["USDJPY"], converter, "USD", 100)
    assert margin == pytest.approx(1000.0)


def test_gold_margin(converter: CurrencyConverter) -> None:
    # 0.5 lot = 50 oz at 2350 = 117,500 USD; at 1:100 that is 1,175 USD
    assert required_margin(0.5, 2350.00, SPECS["XAUUSD"], converter, "USD", 100) == pytest.approx(
        1175.0
    )


def test_margin_halves_when_leverage_doubles(converter: CurrencyConverter) -> None:
    low = required_margin(2.0, 1.08500, SPECS["EURUSD"], converter, "USD", 50)
    high = required_margin(2.0, 1.08500, SPECS["EURUSD"], converter, "USD", 100)
    assert low == pytest.approx(2 * high)


# -- close_price -----------------------------------------------------------------


def test_buy_closes_at_the_bid_and_sell_at_the_ask() -> None:
    quote = tick("EURUSD", 1.08600, 1.08610)
    assert close_price(Side.BUY, quote) == 1.08600
    assert close_price(Side.SELL, quote) == 1.08610


def test_round_trip_at_an_unchanged_quote_costs_the_spread(converter: CurrencyConverter) -> None:
    quote = tick("EURUSD", 1.08600, 1.08610)
    spec = SPECS["EURUSD"]
    buy = position_profit(
        Side.BUY, 1.0, quote.ask, close_price(Side.BUY, quote), spec, converter, "USD"
    )
    sell = position_profit(
        Side.SELL, 1.0, quote.bid, close_price(Side.SELL, quote), spec, converter, "USD"
    )
    # one pip of spread on 100,000 EUR is 10 USD, paid by either side
    assert buy == pytest.approx(-10.0, abs=1e-6)
    assert sell == pytest.approx(-10.0, abs=1e-6)
