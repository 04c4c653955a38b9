"""Who a position or an order belongs to, in the words the Positions and Orders panels use.

Every position, working order and deal carries an ``owner`` number (see
``app.domain.trading``): ``MANUAL`` for what the trader did by hand, ``EXTERNAL``
for what another program placed at the broker (an MT5 Expert Advisor), else
the number of the strategy instance that sent it. The instance's name
(``ma_cross#3``) is what the Strategies panel shows; a number whose instance is
not known (detached before this start, or its status has not arrived yet) is
shown as ``Strategy #3``.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.domain.trading import EXTERNAL, MANUAL


def owner_label(owner: int, names: Mapping[int, str]) -> str:
    """``Manual``, ``External``, the instance's name, or ``Strategy #N`` when unknown."""
    if owner == MANUAL:
        return "Manual"
    if owner == EXTERNAL or owner < 0:
        return "External"
    return names.get(owner) or f"Strategy #{owner}"


def owner_tooltip(owner: int, names: Mapping[int, str], *, attached: bool = True) -> str:
    """One sentence for a first-time trader: what the Owner cell means."""
    if owner == MANUAL:
        return "Yours: placed by hand (the ticket, a chart, Telegram or the MT5 terminal)"
    if owner == EXTERNAL or owner < 0:
        return "Placed at the broker by another program (an MT5 Expert Advisor)"
    name = names.get(owner)
    if name is None:
        return (
            f"Strategy instance number {owner}: not attached now "
            "(detached, or the engine has not reported it yet)"
        )
    if not attached:
        return f"Strategy instance {name}, detached: what it opened stays until closed"
    return f"Strategy instance {name}: see the Strategies panel"
