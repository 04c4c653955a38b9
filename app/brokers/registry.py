"""Chooses and builds the broker named in the settings.

Returns a factory rather than a broker: the engine calls it inside its own
thread, because a MetaTrader 5 connection belongs to the thread that opened it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

from app import paths
from app.brokers.base import Broker
from app.brokers.sim.broker import DEFAULT_MARKETS, SimBroker
from app.brokers.sim.state import load_state, set_aside
from app.settings import Settings

PAPER_ACCOUNT_FILE = "paper-account.json"
FRESH_PAPER_FLAG = "--fresh-paper-account"
MT5_MODULE_ENV = "TRADETERM_MT5_MODULE"


class BrokerUnavailable(Exception):
    """The configured broker cannot run here; ``str()`` is one line for the user."""


def paper_account_path() -> Path:
    """Where the paper broker keeps its account between runs."""
    return paths.user_data_dir() / PAPER_ACCOUNT_FILE


def check_paper_account(settings: Settings, *, fresh: bool) -> tuple[str | None, str | None]:
    """``(notice, problem)`` for the paper account file, before any window opens.

    A damaged file stops the start with one line naming it and the way out;
    ``fresh`` (``--fresh-paper-account``) first sets the file aside, never deletes it.
    """
    if settings.broker.kind != "sim":
        return None, None
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


def paper_broker_problem(settings: Settings) -> str | None:
    """What the paper broker cannot do with these settings, as ``key: problem``; or None.

    The paper broker's symbols are known before it starts, so a symbol it lacks
    or a default volume its default symbol cannot trade (off the volume step, over
    the maximum) is said at start, and in the settings dialog, instead of at the
    first order. A MetaTrader 5 account's symbols are only known once connected.
    """
    if settings.broker.kind != "sim":
        return None
    unknown = [s for s in settings.symbols if s not in DEFAULT_MARKETS]
    if unknown:
        return (
            f"symbols: the paper broker has no symbol {', '.join(unknown)}; "
            f"it knows {', '.join(DEFAULT_MARKETS)}"
        )
    spec = DEFAULT_MARKETS[settings.ui.default_symbol].spec
    problem = spec.volume_problem(settings.ui.default_volume)
    if problem is not None:
        return f"ui.default_volume: {problem}"
    return None


def broker_factory(settings: Settings) -> Callable[[], Broker]:
    kind = settings.broker.kind
    if kind == "sim":
        problem = paper_broker_problem(settings)
        if problem is not None:
            raise BrokerUnavailable(problem)
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
                # The paper account outlives the process, so crash recovery can ask it.
                state_path=paper_account_path(),
            )

        return make_sim
    return _mt5_factory(settings)


def _mt5_factory(settings: Settings) -> Callable[[], Broker]:
    """``MetaTrader5``, or the module named by ``TRADETERM_MT5_MODULE`` (a developer
    switch: ``tests.fakes.metatrader5`` runs the terminal against the fake on Linux)."""
    module_name = os.environ.get(MT5_MODULE_ENV, "").strip() or "MetaTrader5"
    try:
        found = importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):  # a dotted name whose parent package is missing
        found = False
    if not found and module_name != "MetaTrader5":
        raise BrokerUnavailable(f"{MT5_MODULE_ENV}={module_name}: no such module")
    if not found:
        raise BrokerUnavailable(
            'broker.kind = "mt5": MetaTrader 5 runs on Windows only and its Python package is '
            'not installed here; use broker.kind = "sim" for paper trading'
        )

    def make_mt5() -> Broker:
        from app.brokers.mt5.broker import Mt5Broker  # loaded only when MT5 is the broker
        from app.brokers.mt5.password import mt5_password

        module = importlib.import_module(module_name)  # imported in the engine thread
        return Mt5Broker(
            module,
            settings.mt5,
            settings.symbols,
            password=mt5_password(settings.mt5.login),
        )

    return make_mt5
