"""Parity: a live paper session, recorded, replays to the same orders and fills.

The live side is the engine's core on the paper broker's random-walk market,
polled every 20 ms of its clock as the engine thread polls, with the tick
recorder on and ``ma_cross`` trading on M1. The replay is ``run_test`` with
the real-ticks model on what the recorder stored (and the paper market's bars
before the session, for the warm-up): it must send the same orders and get the
same fills, at the same times and prices.
"""

from __future__ import annotations

from pathlib import Path

from app.brokers.sim.broker import SimBroker
from app.domain.market import POLL_END
from app.domain.risk_limits import RiskLimits
from app.domain.strategies import AttachStrategy
from app.domain.timeframes import Timeframe
from app.domain.trading import Fill
from app.engine.core import TradingCore
from app.engine.history_jobs import HistoryJobs
from app.history import HistoryStore
from app.strategies.catalog import load_catalog
from app.strategies.host import StrategyHost
from app.tester import Model, TesterSettings, load_history, run_test
from tests.published import Published

CONNECT = 1_704_103_230.0  # 2024-01-01 10:00:30 UTC
POLL_S = 0.02
MINUTES = 40
PARAMS = {"fast": 3, "slow": 7}


class Clock:
    def __init__(self) -> None:
        self.now = CONNECT

    def __call__(self) -> float:
        return self.now


def _key(fill: Fill) -> tuple[object, ...]:
    return (fill.side, fill.volume, fill.price, fill.time_msc, fill.closes_position, fill.reason)


def _live_session(root: Path) -> tuple[list[Fill], SimBroker]:
    clock = Clock()
    broker = SimBroker(
        symbols=["EURUSD"], clock=clock, seed=21, ticks_per_second=12, history_bars=600
    )
    out = Published()
    core = TradingCore(lambda: broker, out, risk_limits=RiskLimits(), clock=clock)
    StrategyHost(core, lambda: load_catalog(None, entry_points=False))
    HistoryJobs(core, root=root, record=True)
    assert core.connect()
    core.handle(AttachStrategy("ma_cross", "EURUSD", Timeframe.M1, PARAMS, start=True))
    for _ in range(int(MINUTES * 60 / POLL_S)):
        clock.now += POLL_S
        core.poll()
    core.disconnect()  # the recorder writes what it holds before the engine stops
    return list(out.fills), broker


def test_a_recorded_paper_session_replays_to_the_same_orders_and_fills(tmp_path: Path) -> None:
    live, broker = _live_session(tmp_path)
    assert len([f for f in live if f.closes_position]) >= 5  # it traded
    store = HistoryStore(tmp_path)
    # The paper market's bars before the session: what the strategy warmed up on.
    store.write_bars("EURUSD", Timeframe.M1, broker.history("EURUSD", Timeframe.M1, 600))
    stored = store.read_ticks("EURUSD")
    polls_with_ticks = int(((stored["flags"] & POLL_END) != 0).sum())
    assert 1000 < polls_with_ticks < len(stored)  # the live polls are on record, some of 2+ ticks

    market = load_history(store, "EURUSD", ticks=True)
    settings = TesterSettings(
        "ma_cross", "EURUSD", Timeframe.M1, Model.TICKS, params=PARAMS, risk_limits=RiskLimits()
    )
    replay = run_test(settings, market, load_catalog(None, entry_points=False))
    assert replay.settings.model is Model.TICKS and replay.ticks == len(stored)
    replayed = [d for d in replay.deals if not d.client_id.startswith("end-of-test")]
    assert [_key(f) for f in replayed] == [_key(f) for f in live]
