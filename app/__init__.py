"""Tradeterm: a desktop trading terminal for MetaTrader 5 with a built-in paper broker."""

__version__ = "0.1.0"
