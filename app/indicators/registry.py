"""Indicators by name, for the chart's menus and dialogs and for strategies.

The registry is a plain mapping from a lower-case name to the indicator class;
the class itself carries everything a caller needs to know before building
one: ``title``, ``outputs``, ``placement`` (price overlay or own pane),
``levels``, ``value_range`` and the parameter model ``Params``. A name that is
not here is refused with one line listing the names that are.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from app.indicators.base import Indicator, Placement
from app.indicators.moving_averages import EMA, SMA, WMA
from app.indicators.oscillators import CCI, MACD, RSI, Stochastic
from app.indicators.params import IndicatorParams
from app.indicators.trend import ADX, ParabolicSAR
from app.indicators.volatility import ATR, BollingerBands, DonchianChannel

__all__ = ["INDICATORS", "UnknownIndicatorError", "create", "indicator_class", "names"]

_CLASSES: tuple[type[Indicator], ...] = (
    SMA,
    EMA,
    WMA,
    BollingerBands,
    ParabolicSAR,
    DonchianChannel,
    RSI,
    MACD,
    Stochastic,
    ATR,
    ADX,
    CCI,
)

INDICATORS: Mapping[str, type[Indicator]] = MappingProxyType({cls.name: cls for cls in _CLASSES})
"""Every shipped indicator by name, overlays first, in menu order."""


class UnknownIndicatorError(KeyError):
    """A name that is not in the registry. ``str()`` is one readable line."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown indicator {self.name!r}; known: {', '.join(INDICATORS)}"


def indicator_class(name: str) -> type[Indicator]:
    """The class registered as ``name`` (case-insensitive)."""
    try:
        return INDICATORS[name.strip().lower()]
    except KeyError:
        raise UnknownIndicatorError(name) from None


def create(
    name: str, params: IndicatorParams | Mapping[str, Any] | None = None, /, **values: Any
) -> Indicator:
    """Build the indicator ``name`` from validated parameters."""
    return indicator_class(name)(params, **values)


def names(placement: Placement | None = None) -> tuple[str, ...]:
    """Registered names, all or those drawn at ``placement``."""
    return tuple(n for n, cls in INDICATORS.items() if placement in (None, cls.placement))
