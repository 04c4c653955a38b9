"""Test doubles. ``metatrader5`` is a fake of the MetaTrader5 package (see its docstring)."""
