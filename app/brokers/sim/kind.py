"""The paper broker's entry in the broker registry: ``[broker] kind = "sim"``.

Its symbols and volume steps are known before it starts, so what it cannot trade
(an unknown symbol, a default volume off the default symbol's step) is said at
start and in the settings dialog, not at the first order. Its account file is
checked before the window opens: a damaged one stops the start with one line
naming the file and the way out (``--fresh-paper-account``), because found later,
in the engine thread, it would leave the terminal running with no broker.
"""

from __future__ import annotations

from pathlib import Path

from app import paths
from app.brokers.base import Broker, BrokerFactory, BrokerKind
from app.brokers.sim.broker import DEFAULT_MARKETS, SimBroker
from app.brokers.sim.state import load_state, set_aside
from app.settings import Settings

#: The paper account's file in the user data folder (it outlives the process, so
#: crash recovery can ask it what became of an order).
PAPER_ACCOUNT_FILE = "paper-account.json"
FRESH_PAPER_FLAG = "--fresh-paper-account"


def paper_account_path() -> Path:
    return paths.user_data_dir() / PAPER_ACCOUNT_FILE


def problem(settings: Settings) -> str | None:
    """What the paper broker cannot do with these settings, as ``key: problem``; or None."""
    unknown = [s for s in settings.symbols if s not in DEFAULT_MARKETS]
    if unknown:
        return (
            f"symbols: the paper broker has no symbol {', '.join(unknown)}; "
            f"it knows {', '.join(DEFAULT_MARKETS)}"
        )
    spec = DEFAULT_MARKETS[settings.ui.default_symbol].spec
    volume = spec.volume_problem(settings.ui.default_volume)
    return f"ui.default_volume: {volume}" if volume is not None else None


def prepare(settings: Settings, fresh: bool) -> tuple[str | None, str | None]:
    """``(notice, problem)`` for the paper account file; ``fresh`` first sets it aside."""
    path = paper_account_path()
    notice = None
    if fresh:
        try:
            moved = set_aside(path)
        except OSError as exc:
            return None, f"paper account error: Cannot move {path} aside: {exc.strerror or exc}"
        if moved is not None:
            notice = f"Started a fresh paper account {path}; the old one is kept as {moved}"
    try:
        load_state(path)
    except ValueError as exc:
        return notice, (
            f"paper account error: {exc}; to start a fresh paper account run: tradeterm "
            f"{FRESH_PAPER_FLAG} (the old file is kept as {path.name}.<time>.bak, never deleted)"
        )
    return notice, None


def build(settings: Settings) -> BrokerFactory:
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
            state_path=paper_account_path(),
        )

    return make_sim


SIM = BrokerKind(
    "sim", "the built-in paper broker, with simulated prices", "sim", build, problem, prepare
)
