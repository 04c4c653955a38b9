"""The MetaTrader 5 adapter's entry in the broker registry: ``[broker] kind = "mt5"``.

``MetaTrader5``, or the module named by ``TRADETERM_MT5_MODULE`` (a developer
switch: ``tests.fakes.metatrader5`` runs the terminal against the fake on Linux),
is imported in the engine thread, and only when MT5 is the broker.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

from app.brokers.base import Broker, BrokerFactory, BrokerKind, BrokerUnavailable
from app.settings import Settings

MT5_MODULE_ENV = "TRADETERM_MT5_MODULE"


def build(settings: Settings) -> BrokerFactory:
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
        from app.brokers.mt5.broker import Mt5Broker
        from app.brokers.mt5.password import mt5_password

        module = importlib.import_module(module_name)  # imported in the engine thread
        return Mt5Broker(
            module, settings.mt5, settings.symbols, password=mt5_password(settings.mt5.login)
        )

    return make_mt5


MT5 = BrokerKind("mt5", "a MetaTrader 5 terminal on this computer (Windows)", "mt5", build)
