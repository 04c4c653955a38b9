"""Alerts on the real engine thread: commands in over the bus, firings out to the GUI thread."""

from __future__ import annotations

import threading
import time

from pytestqt.qtbot import QtBot

from app.alerts.setup import install_alerts
from app.brokers.sim.broker import SimBroker
from app.domain.alert_facts import AlertFired, AlertReply, CreateAlert
from app.domain.alerts import AlertSpec, Condition, Watch
from app.engine.bus import EventBus
from app.engine.thread import Engine
from tests.integration.conftest import start_recorded


def test_an_alert_created_from_the_gui_thread_fires_in_the_engine_and_is_told_back(
    qtbot: QtBot,
) -> None:
    bus = EventBus()
    engine = Engine(bus, lambda: SimBroker(seed=5, ticks_per_second=40, history_bars=200))
    install_alerts(engine.core)  # as the composition root does, before the thread starts
    fired: list[tuple[AlertFired, str]] = []
    replies: list[AlertReply] = []
    bus.alert_fired.connect(lambda f: fired.append((f, threading.current_thread().name)))
    bus.alerts.connect(lambda f: replies.append(f) if isinstance(f, AlertReply) else None)
    running = start_recorded(qtbot, bus, engine)
    try:
        at = int((time.time() + 0.5) * 1000)
        bus.command.emit(CreateAlert(AlertSpec("EURUSD", Watch.TIME, Condition.AT, at_msc=at), "r"))
        # A price alert that already holds: it fires at the next EURUSD tick.
        bus.command.emit(
            CreateAlert(AlertSpec("EURUSD", Watch.BID, Condition.ABOVE, level=0.5), "p")
        )
        qtbot.waitUntil(lambda: len(fired) == 2, timeout=10_000)
        assert {r.request_id for r in replies} == {"r", "p"} and all(r.ok for r in replies)
        by_number = {f.number: (f, thread) for f, thread in fired}
        time_alert, thread = by_number[1]
        assert time_alert.time_msc >= at and thread == threading.main_thread().name
        price_alert, _thread = by_number[2]
        assert price_alert.value is not None and price_alert.value > 0.5
        assert any(
            "Alert 2 fired: EURUSD bid is above 0.50000" in e.message for e in running.seen.logs
        )
    finally:
        assert running.host.stop(), "engine thread did not stop"
    assert engine.core.clients.state("alerts") is not None
