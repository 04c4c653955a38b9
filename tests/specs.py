"""Symbol specs for tests: a made-up FX pair, with whatever a test needs changed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.domain.symbols import SymbolSpec


def fx_spec(name: str = "EURUSD", digits: int = 5, **changes: Any) -> SymbolSpec:
    """An FX pair quoted to ``digits`` decimals, currencies taken from its name.

    Any other field (``contract_size``, ``stops_level``, ``tick_size``…) can be set by keyword.
    """
    spec = SymbolSpec(
        name=name,
        description=name,
        digits=digits,
        point=10.0**-digits,
        contract_size=100_000,
        volume_min=0.01,
        volume_max=100.0,
        volume_step=0.01,
        base_currency=name[:3],
        profit_currency=name[3:],
    )
    return replace(spec, **changes) if changes else spec
