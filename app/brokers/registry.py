"""Chooses and builds the broker named in the settings, from a registry of broker kinds.

Each broker package declares one ``BrokerKind`` (its name in ``[broker] kind``,
a line a trader reads about it, the settings section it reads, how to build it,
and what it can check before the window opens); ``KINDS`` below lists them, and
nothing else in the app names a broker. Adding a broker is its package plus
one entry here (see docs/brokers.md).

It returns a factory rather than a broker: the engine calls it inside its own
thread, because a MetaTrader 5 connection belongs to the thread that opened it.
"""

from __future__ import annotations

from app.brokers.base import BrokerFactory, BrokerKind, BrokerUnavailable
from app.brokers.mt5.kind import MT5
from app.brokers.sim.kind import SIM
from app.settings import BrokerSettings, Settings

__all__ = ["KINDS", "BrokerUnavailable", "broker_factory", "prepare_broker", "settings_problem"]

#: Every broker the terminal can trade with, by the name ``[broker] kind`` uses.
KINDS: dict[str, BrokerKind] = {kind.name: kind for kind in (SIM, MT5)}

BrokerSettings.KINDS.update({name: kind.title for name, kind in KINDS.items()})


def _kind(settings: Settings) -> BrokerKind:
    kind = KINDS.get(settings.broker.kind)
    if kind is None:
        known = ", ".join(f'"{name}"' for name in KINDS)
        raise BrokerUnavailable(
            f"broker.kind = {settings.broker.kind!r}: no such broker; use {known}"
        )
    return kind


def broker_factory(settings: Settings) -> BrokerFactory:
    """The factory of the configured broker; ``BrokerUnavailable`` (one line) if it cannot run."""
    kind = _kind(settings)
    problem = kind.problem(settings)
    if problem is not None:
        raise BrokerUnavailable(problem)
    return kind.build(settings)


def settings_problem(settings: Settings) -> str | None:
    """What the configured broker cannot do with these settings, as ``key: problem``.

    The settings dialog asks it before saving, as the start does.
    """
    kind = KINDS.get(settings.broker.kind)
    return kind.problem(settings) if kind is not None else None


def prepare_broker(settings: Settings, *, fresh: bool) -> tuple[str | None, str | None]:
    """``(notice, problem)`` from the broker's own files, checked before any window opens.

    ``fresh`` (``--fresh-paper-account``) asks a broker that keeps a local account
    to set it aside and start a new one.
    """
    kind = KINDS.get(settings.broker.kind)
    return kind.prepare(settings, fresh) if kind is not None else (None, None)
