"""Chooses and builds the broker named in the settings.

Returns a factory rather than a broker: the engine calls it inside its own
thread, because a MetaTrader 5 connection belongs to the thread that opened it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from app.brokers.base import Broker
from app.brokers.sim import DEFAULT_MARKETS, SimBroker
from app.settings import Settings


class BrokerUnavailable(Exception):
    """The configured broker cannot run here; ``str()`` is one line for the user."""


def broker_factory(settings: Settings) -> Callable[[], Broker]:
    kind = settings.broker.kind
    if kind == "sim":
        unknown = [s for s in settings.symbols if s not in DEFAULT_MARKETS]
        if unknown:
            raise BrokerUnavailable(
                f"symbols: the paper broker has no symbol {', '.join(unknown)}; "
                f"it knows {', '.join(DEFAULT_MARKETS)}"
            )
        sim = settings.sim

        def make_sim() -> Broker:
            return SimBroker(
                symbols=settings.symbols,
                balance=sim.balance,
                currency=sim.currency,
                leverage=sim.leverage,
                seed=sim.seed,
                ticks_per_second=sim.ticks_per_second,
                history_bars=sim.history_bars,
            )

        return make_sim
    if importlib.util.find_spec("MetaTrader5") is None:
        raise BrokerUnavailable(
            'broker.kind = "mt5": MetaTrader 5 runs on Windows only and its Python package is '
            'not installed here; use broker.kind = "sim" for paper trading'
        )
    raise BrokerUnavailable(
        'broker.kind = "mt5": the MetaTrader 5 adapter is not available yet; use "sim"'
    )
