"""The Strategy Tester: the live engine replaying stored history, and its report.

A pass (``run_test``) drives the terminal's own ``TradingCore``, risk gate and
strategy code over the replay broker and a replayed clock, in one of four tick
models; ``docs/tester.md`` explains the models, the costs, how fills are timed
and why a strategy can never see the future. Plain Python, no Qt: it runs in a
terminal (``tradeterm test``), a worker process or on a cluster's worker.
"""

from app.tester.errors import TestCancelled, TesterError
from app.tester.market import MarketHistory, load_history
from app.tester.result import TesterResult
from app.tester.session import run_test
from app.tester.settings import Model, TesterSettings

__all__ = [
    "MarketHistory",
    "Model",
    "TestCancelled",
    "TesterError",
    "TesterResult",
    "TesterSettings",
    "load_history",
    "run_test",
]
