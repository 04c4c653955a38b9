"""Profit, notional and margin in the account currency.

A position's profit is earned in the symbol's profit currency (JPY for USDJPY);
``CurrencyConverter`` turns it into the account currency with the latest quotes.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.domain.enums import Side
from app.domain.market import Tick
from app.domain.symbols import SymbolSpec


class CurrencyConverter:
    """Converts amounts between currencies using the mid price of quoted pairs."""

    def __init__(self, specs: Mapping[str, SymbolSpec], quotes: Mapping[str, Tick]) -> None:
        self._specs = specs
        self._quotes = quotes  # a live mapping: the caller keeps it up to date

    def rate(self, from_ccy: str, to_ccy: str) -> float | None:
        """Units of ``to_ccy`` per one ``from_ccy``, or ``None`` if no pair is quoted."""
        if from_ccy == to_ccy:
            return 1.0
        for name, spec in self._specs.items():
            quote = self._quotes.get(name)
            if quote is None or quote.mid <= 0:
                continue
            if spec.base_currency == from_ccy and spec.profit_currency == to_ccy:
                return quote.mid
            if spec.base_currency == to_ccy and spec.profit_currency == from_ccy:
                return 1.0 / quote.mid
        return None

    def convert(self, amount: float, from_ccy: str, to_ccy: str) -> float:
        rate = self.rate(from_ccy, to_ccy)
        if rate is None:
            raise ValueError(f"no quote to convert {from_ccy} to {to_ccy}")
        return amount * rate


def profit_in_profit_ccy(
    side: Side, volume: float, price_open: float, price_close: float, spec: SymbolSpec
) -> float:
    return side.sign * (price_close - price_open) * volume * spec.contract_size


def position_profit(
    side: Side,
    volume: float,
    price_open: float,
    price_close: float,
    spec: SymbolSpec,
    converter: CurrencyConverter,
    account_ccy: str,
) -> float:
    """Profit of closing ``volume`` at ``price_close``, in the account currency."""
    raw = profit_in_profit_ccy(side, volume, price_open, price_close, spec)
    return converter.convert(raw, spec.profit_currency, account_ccy)


def close_price(side: Side, quote: Tick) -> float:
    """A buy position closes at the bid, a sell at the ask."""
    return quote.bid if side is Side.BUY else quote.ask


def notional(
    volume: float, price: float, spec: SymbolSpec, converter: CurrencyConverter, account_ccy: str
) -> float:
    """Face value of ``volume`` lots at ``price``, in the account currency."""
    return converter.convert(volume * spec.contract_size * price, spec.profit_currency, account_ccy)


def required_margin(
    volume: float,
    price: float,
    spec: SymbolSpec,
    converter: CurrencyConverter,
    account_ccy: str,
    leverage: int,
) -> float:
    """Margin for ``volume`` lots with simple leverage (MT5's Forex/CFD-leverage modes)."""
    return notional(volume, price, spec, converter, account_ccy) / max(1, leverage)
