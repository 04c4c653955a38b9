"""A restart must not wipe the day's losses: the daily loss limit survives it.

Without the journal's equity marks, the risk gate would count today's loss from
the equity at start-up, and a trader halted by the daily loss limit could trade
on simply by restarting the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.brokers.sim.broker import SimBroker
from app.domain.commands import SubmitOrder
from app.domain.enums import OrderStatus, TradingState
from app.domain.risk_limits import RiskLimits
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.storage.journal import Journal
from tests.integration.conftest import start_recorded
from tests.integration.test_risk_engine import RiskRecorder, _buy, _final, lose_round_trips

LIMITS = RiskLimits(max_daily_loss=12.0, warning_fraction=0.5)


def _start(qtbot: QtBot, tmp_path: Path) -> tuple[EventBus, EngineHost, RiskRecorder]:
    bus = EventBus()
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    broker: Callable[[], SimBroker] = lambda: SimBroker(  # noqa: E731
        seed=3, ticks_per_second=40, history_bars=200, state_path=tmp_path / "paper.json"
    )
    engine = Engine(bus, broker, risk_limits=LIMITS, journal_factory=lambda: Journal.open(url))
    seen = RiskRecorder()
    host = start_recorded(qtbot, bus, engine, seen, connect_timeout_ms=15_000).host
    qtbot.waitUntil(lambda: seen.state() is not None, timeout=5000)
    return bus, host, seen


def test_daily_loss_limit_still_holds_after_a_restart(qtbot: QtBot, tmp_path: Path) -> None:
    bus, host, seen = _start(qtbot, tmp_path)
    try:  # a failure must still stop the engine thread, or the run aborts later
        lose_round_trips(qtbot, bus, seen, 25, pause_ms=60)  # the spread, trip after trip
        qtbot.waitUntil(lambda: seen.state() is TradingState.HALTED, timeout=5000)
    finally:
        assert host.stop()

    bus, host, seen = _start(qtbot, tmp_path)  # the trader restarts the terminal
    try:
        assert any(
            "Daily loss counted from today's starting equity 10,000.00" in e.message
            for e in seen.logs
        )
        qtbot.waitUntil(lambda: seen.state() is TradingState.HALTED, timeout=5000)
        again = _buy(0.01)
        bus.command.emit(SubmitOrder(again))
        qtbot.waitUntil(lambda: _final(seen, again.client_id) is not None, timeout=5000)
        refusal = next(
            u for u in seen.orders if u.client_id == again.client_id and u.status.is_final
        )
        assert refusal.status is OrderStatus.REJECTED
        assert "Max daily loss" in refusal.reason
    finally:
        assert host.stop()
