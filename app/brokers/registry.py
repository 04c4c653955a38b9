"""Chooses and builds the broker named in the settings, from a registry of broker kinds.

Each broker package declares one ``BrokerKind`` (its name in ``[broker] kind``,
a line a trader reads about it, the settings section it reads, and how to build
it); ``KINDS`` below lists them, and nothing else in the app names a broker.
Adding a broker is its package plus one entry here (see docs/brokers.md).

It returns a factory rather than a broker: the engine calls it inside its own
thread, because a MetaTrader 5 connection belongs to the thread that opened it.
"""

from __future__ import annotations

from app.brokers.base import BrokerFactory, BrokerKind, BrokerUnavailable
from app.brokers.mt5.kind import MT5
from app.brokers.sim.kind import SIM
from app.settings import BrokerSettings, Settings

__all__ = ["KINDS", "BrokerUnavailable", "broker_factory"]

#: Every broker the terminal can trade with, by the name ``[broker] kind`` uses.
KINDS: dict[str, BrokerKind] = {kind.name: kind for kind in (SIM, MT5)}

BrokerSettings.KINDS.update({name: kind.title for name, kind in KINDS.items()})


def broker_factory(settings: Settings) -> BrokerFactory:
    """The factory of the configured broker; ``BrokerUnavailable`` (one line) if it cannot run."""
    kind = KINDS.get(settings.broker.kind)
    if kind is None:
        known = ", ".join(f'"{name}"' for name in KINDS)
        raise BrokerUnavailable(
            f"broker.kind = {settings.broker.kind!r}: no such broker; use {known}"
        )
    return kind.build(settings)
