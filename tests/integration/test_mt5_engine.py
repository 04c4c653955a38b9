"""The engine thread with Mt5Broker over the fake terminal: what the trader sees in the log."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.brokers.mt5.broker import Mt5Broker
from app.domain.commands import SubmitOrder, new_client_id
from app.domain.enums import ConnectionStatus, LogLevel, OrderStatus, Side
from app.domain.trading import OrderRequest
from app.engine.bus import EventBus
from app.engine.reconnect import ReconnectPolicy, ReconnectSchedule
from app.engine.thread import Engine, EngineHost
from app.settings import Mt5Settings
from tests.fakes import metatrader5 as mt5
from tests.integration.conftest import RunningEngine, start_recorded

Start = Callable[..., RunningEngine]


@pytest.fixture
def start_mt5(qtbot: QtBot) -> Iterator[Start]:
    hosts: list[EngineHost] = []

    def start(symbols: list[str] | None = None, **reset: object) -> RunningEngine:
        mt5.control.reset(ticks_per_second=reset.pop("ticks_per_second", 40), history_bars=300)  # type: ignore[arg-type]
        for name, value in reset.items():
            getattr(mt5.control, name)(**value)  # type: ignore[operator]
        bus = EventBus()
        names = symbols or ["EURUSD", "XAUUSD"]
        engine = Engine(bus, lambda: Mt5Broker(mt5, Mt5Settings(), names))
        engine.core.reconnect = ReconnectSchedule(ReconnectPolicy(0.05, 0.2))
        running = start_recorded(qtbot, bus, engine)
        hosts.append(running.host)
        return running

    yield start
    for host in hosts:
        assert host.stop()
    mt5.control.reset()


def _messages(run: RunningEngine, level: LogLevel | None = None) -> list[str]:
    return [e.message for e in run.seen.logs if level is None or e.level is level]


def _buy(run: RunningEngine, symbol: str = "EURUSD", **kw: object) -> OrderRequest:
    volume = float(kw.pop("volume", 0.1))  # type: ignore[arg-type]
    request = OrderRequest(new_client_id(), symbol, Side.BUY, volume, **kw)  # type: ignore[arg-type]
    run.bus.command.emit(SubmitOrder(request))
    return request


def _statuses(run: RunningEngine, client_id: str) -> list[OrderStatus]:
    return [u.status for u in run.seen.orders if u.client_id == client_id]


def test_connecting_logs_the_terminal_and_warns_about_algo_trading(start_mt5: Start) -> None:
    run = start_mt5(set_algo_trading={"allowed": False})
    info = _messages(run, LogLevel.INFO)
    assert any("build 5120" in m for m in info) and any("Hedging account" in m for m in info)
    assert any("'Algo Trading' button" in m for m in _messages(run, LogLevel.WARNING))


def test_a_refusal_reaches_the_log_in_words_with_its_retcode(start_mt5: Start, qtbot: QtBot) -> None:  # fmt: skip
    run = start_mt5(["EURUSD", "US500"])
    request = _buy(run, "US500", volume=1.0)
    qtbot.waitUntil(lambda: OrderStatus.REJECTED in _statuses(run, request.client_id), timeout=5000)  # fmt: skip
    assert any(m.startswith("Rejected: The market is closed (MT5 10018") for m in _messages(run))


def test_a_requote_is_retried_and_said(start_mt5: Start, qtbot: QtBot) -> None:
    run = start_mt5()
    qtbot.waitUntil(lambda: any(f.tick_count for f in run.seen.frames), timeout=5000)
    mt5.control.requote_next(1)
    request = _buy(run)
    qtbot.waitUntil(lambda: OrderStatus.FILLED in _statuses(run, request.client_id), timeout=5000)
    qtbot.waitUntil(lambda: any("sending again" in m for m in _messages(run)), timeout=5000)


def test_a_stop_loss_hit_in_the_terminal_is_logged_as_such(start_mt5: Start, qtbot: QtBot) -> None:
    run = start_mt5(ticks_per_second=0)
    bid = mt5.control.quote("EURUSD")[0]
    request = _buy(run, sl=round(bid - 0.0005, 5))
    qtbot.waitUntil(lambda: OrderStatus.FILLED in _statuses(run, request.client_id), timeout=5000)
    mt5.control.push_tick("EURUSD", bid - 0.0010)
    qtbot.waitUntil(lambda: any(m.startswith("Closed by stop loss") for m in _messages(run)), timeout=5000)  # fmt: skip
    qtbot.waitUntil(lambda: run.seen.latest_positions() == (), timeout=5000)


def test_an_order_whose_answer_was_lost_is_checked_after_reconnecting(
    start_mt5: Start, qtbot: QtBot
) -> None:
    run = start_mt5()
    qtbot.waitUntil(lambda: any(f.tick_count for f in run.seen.frames), timeout=5000)
    mt5.control.lose_next_reply(then_disconnect=True)
    request = _buy(run)
    qtbot.waitUntil(lambda: any("Outcome unknown" in m for m in _messages(run)), timeout=5000)
    qtbot.waitUntil(lambda: run.seen.connection[-1].status is ConnectionStatus.DISCONNECTED, timeout=5000)  # fmt: skip
    # UNKNOWN everywhere until the broker is asked, and not final yet
    assert _statuses(run, request.client_id) == [OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN]
    mt5.control.reconnect()
    qtbot.waitUntil(lambda: OrderStatus.FILLED in _statuses(run, request.client_id), timeout=5000)
    assert any("Checked with the broker: the order was filled" in m for m in _messages(run))
    sends = [c for c in mt5.control.calls if c[0] == "order_send"]
    assert len(sends) == 1  # never sent twice
    qtbot.waitUntil(lambda: len(run.seen.latest_positions()) == 1, timeout=5000)
