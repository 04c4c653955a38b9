"""Snapping what a person or a mouse produced onto what the symbol can trade.

Typed numbers are never silently changed (validation refuses them instead, so an
order is always what was typed). These helpers serve the places where the terminal
itself computes a value: a volume stepped with Alt+Up/Down, a price under the
mouse on the chart, a stop loss written in pips, a take profit in R-multiples.
"""

from __future__ import annotations

import math

from app.domain.enums import Side
from app.domain.symbols import SymbolSpec

_EPS = 1e-9


def pip_size(spec: SymbolSpec) -> float:
    """One pip: 10 points on symbols quoted with 3 or 5 decimals (FX), else one point.

    Brokers quote FX with a fractional pip (EURUSD 1.08512): the pip traders
    speak of is the fourth decimal (the second for JPY pairs), i.e. 10 points.
    Other symbols (gold, indices) have no fractional pip, so a pip is a point.
    """
    return spec.point * 10 if spec.digits in (3, 5) else spec.point


def clamp_volume(spec: SymbolSpec, volume: float) -> float:
    """The nearest tradable volume: on the step and within min/max."""
    if not math.isfinite(volume):
        return spec.volume_min
    stepped = spec.round_volume(min(max(volume, spec.volume_min), spec.volume_max))
    if stepped < spec.volume_min - _EPS:
        stepped = spec.round_volume(stepped + spec.volume_step)
    if stepped > spec.volume_max + _EPS:
        stepped = spec.round_volume(stepped - spec.volume_step)
    return stepped


def step_volume(spec: SymbolSpec, volume: float, steps: int) -> float:
    """``volume`` moved by ``steps`` volume steps (negative goes down), kept tradable."""
    base = clamp_volume(spec, volume)
    return clamp_volume(spec, base + steps * spec.volume_step)


def snap_price(spec: SymbolSpec, price: float) -> float:
    """The nearest valid price (a multiple of the tick size, on the symbol's digits)."""
    return spec.round_price(price)


def offset_price(
    spec: SymbolSpec, price: float, distance: float, side: Side, *, loss: bool
) -> float:
    """A price ``distance`` away from ``price`` on the losing or winning side of ``side``.

    For a buy the loss side is below; for a sell it is above. The result is snapped
    to the tick size.
    """
    direction = -1 if loss else 1
    return snap_price(spec, price + direction * side.sign * distance)
