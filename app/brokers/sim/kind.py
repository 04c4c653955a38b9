"""The paper broker's entry in the broker registry: ``[broker] kind = "sim"``."""

from __future__ import annotations

from app import paths
from app.brokers.base import Broker, BrokerFactory, BrokerKind, BrokerUnavailable
from app.brokers.sim.broker import DEFAULT_MARKETS, SimBroker
from app.settings import Settings

#: The paper account's file in the user data folder (it outlives the process, so
#: crash recovery can ask it what became of an order).
PAPER_ACCOUNT_FILE = "paper-account.json"


def build(settings: Settings) -> BrokerFactory:
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
            state_path=paths.user_data_dir() / PAPER_ACCOUNT_FILE,
        )

    return make_sim


SIM = BrokerKind("sim", "the built-in paper broker, with simulated prices", "sim", build)
