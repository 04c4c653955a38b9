"""Strategies: the signal stage, running on the engine's seam with their own budgets.

A strategy is a class (``Strategy``) with typed parameters; attached to a symbol
and timeframe it becomes an instance, run by a ``StrategyRunner`` (an engine
client) under a ``StrategyHost`` that keeps the instances, their budgets in the
risk gate, their ownership at the broker and their saved state. See
``docs/strategies.md``.
"""
