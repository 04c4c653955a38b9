"""The MetaTrader 5 adapter, over an injected MetaTrader5-like module."""
