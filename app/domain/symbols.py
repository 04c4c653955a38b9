"""Symbol specifications and the rounding rules that come with them."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """What the broker says about a tradable symbol.

    Mirrors the parts of MetaTrader 5's ``SymbolInfo`` a terminal needs, so the
    paper broker and the MT5 adapter describe symbols the same way.
    """

    name: str
    description: str
    digits: int
    point: float
    contract_size: float
    volume_min: float
    volume_max: float
    volume_step: float
    base_currency: str
    profit_currency: str
    tick_size: float = 0.0  # 0 means "same as point"
    stops_level: int = 0  # minimum distance of SL/TP/pending prices from market, in points
    freeze_level: int = 0
    # What MetaTrader 5 says about trading the symbol; the defaults describe a plain
    # fully tradable symbol, which is what the paper broker offers.
    tick_value: float = 0.0  # account-currency value of one tick per lot; 0 = unknown
    trade_mode: str = "full"  # "full", "long only", "short only", "close only", "disabled"
    filling_modes: tuple[str, ...] = ()  # "fok", "ioc", "boc" the symbol accepts
    order_modes: tuple[str, ...] = ()  # "market", "limit", "stop", "sl", "close by", ...

    @property
    def price_increment(self) -> float:
        return self.tick_size if self.tick_size > 0 else self.point

    def round_price(self, price: float) -> float:
        """The nearest valid price: a multiple of the tick size, to ``digits`` decimals."""
        inc = self.price_increment
        steps = price / inc
        if not math.isfinite(steps):  # nan/inf, or a price so large it overflows
            return price
        return round(round(steps) * inc, self.digits)

    def format_price(self, price: float) -> str:
        return f"{price:.{self.digits}f}"

    @property
    def volume_digits(self) -> int:
        """Decimals needed to print a volume on this symbol's step (0.01 → 2)."""
        digits = max(0, -math.floor(math.log10(self.volume_step) + _EPS))
        while digits < 8 and abs(round(self.volume_step, digits) - self.volume_step) > _EPS:
            digits += 1  # a step like 0.25 needs more decimals than its magnitude
        return digits

    def format_volume(self, volume: float) -> str:
        return f"{volume:.{self.volume_digits}f}"

    def round_volume(self, volume: float) -> float:
        """The nearest multiple of the volume step (not clamped to min/max)."""
        steps = round(volume / self.volume_step)
        return round(steps * self.volume_step, self.volume_digits + 2)

    def volume_problem(self, volume: float) -> str | None:
        """Why ``volume`` cannot be traded on this symbol, or ``None`` if it can."""
        if not math.isfinite(volume) or volume <= 0:
            return f"Volume must be a positive number of lots, not {volume:g}"
        fmt = self.format_volume
        if volume < self.volume_min - _EPS:
            return f"Volume {volume:g} is below the minimum {fmt(self.volume_min)} for {self.name}"
        if volume > self.volume_max + _EPS:
            return f"Volume {volume:g} is above the maximum {fmt(self.volume_max)} for {self.name}"
        if abs(self.round_volume(volume) - volume) > _EPS * max(1.0, volume):
            return (
                f"Volume {volume:g} is not a multiple of the step {fmt(self.volume_step)} "
                f"for {self.name}"
            )
        return None

    def price_problem(self, price: float, what: str) -> str | None:
        """Why ``price`` is not a valid price on this symbol, or ``None``."""
        if not math.isfinite(price) or price <= 0:
            return f"{what} must be a positive price, not {price:g}"
        if abs(self.round_price(price) - price) > self.price_increment * 1e-6:
            return (
                f"{what} {price:.12g} has more precision than {self.name} allows "
                f"(tick size {self.format_price(self.price_increment)})"
            )
        return None


def fx_pair(name: str, digits: int, *, description: str = "", **fields: Any) -> SymbolSpec:
    """A standard FX pair quoted to ``digits`` decimals, currencies taken from its name.

    A 100,000 contract traded in lots of 0.01 up to 100; any other field
    (``stops_level``, ``tick_size``…) is set by keyword. The paper broker's
    pairs and the tests' are built here, so they describe a pair alike.
    """
    spec = SymbolSpec(
        name=name,
        description=description or name,
        digits=digits,
        point=10.0**-digits,
        contract_size=100_000,
        volume_min=0.01,
        volume_max=100.0,
        volume_step=0.01,
        base_currency=name[:3],
        profit_currency=name[3:],
    )
    return replace(spec, **fields) if fields else spec
