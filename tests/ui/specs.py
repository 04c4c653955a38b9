"""Symbol specs for the GUI tests: a made-up FX pair with the digits a test needs."""

from __future__ import annotations

from app.domain.symbols import SymbolSpec


def fx_spec(name: str = "EURUSD", digits: int = 5) -> SymbolSpec:
    """An FX pair quoted to ``digits`` decimals, currencies taken from its name."""
    return SymbolSpec(
        name=name,
        description=name,
        digits=digits,
        point=10.0**-digits,
        contract_size=100_000,
        volume_min=0.01,
        volume_max=100,
        volume_step=0.01,
        base_currency=name[:3],
        profit_currency=name[3:],
    )
