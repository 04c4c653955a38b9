"""Symbol specs for tests: a made-up FX pair, with whatever a test needs changed."""

from __future__ import annotations

from typing import Any

from app.domain.symbols import SymbolSpec, fx_pair


def fx_spec(name: str = "EURUSD", digits: int = 5, **changes: Any) -> SymbolSpec:
    """EURUSD to five decimals unless told otherwise; any other field by keyword."""
    return fx_pair(name, digits, **changes)
