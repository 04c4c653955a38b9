"""Command logic without Telegram: the flatten confirmation and its 30 s window."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from app.domain.commands import CloseAll, Command, Halt
from app.domain.enums import OrderSource, Side
from app.domain.frame import MarketFrame
from app.domain.strategies import StopStrategy, StrategyConfig, StrategyState, StrategyStatus
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Position
from app.notify.commands import RemoteCommands
from app.notify.desk import DeskState, next_summary_at
from app.notify.formatting import Formatter


def make(now: list[float]) -> tuple[RemoteCommands, list[Command], DeskState]:
    sent: list[Command] = []
    desk = DeskState(ZoneInfo("UTC"))
    return RemoteCommands(desk, Formatter(), sent.append, lambda: now[0]), sent, desk


def test_flatten_confirmed_in_time_and_expired() -> None:
    now = [0.0]
    commands, sent, _ = make(now)
    assert commands.handle("flatten", 1).ask_flatten
    assert commands.confirm_flatten(2).text.startswith("Nothing to confirm")  # other chat
    now[0] = 29.9
    assert "Flatten sent" in commands.handle("flatten", 1).text
    assert sent == [CloseAll(source=OrderSource.TELEGRAM)]
    commands.handle("flatten", 1)
    now[0] += 30.5
    assert "expired" in commands.confirm_flatten(1).text
    assert commands.handle("flatten", 1).ask_flatten  # a late repeat asks anew
    assert len(sent) == 1


def test_flatten_with_no_positions_asks_nothing() -> None:
    commands, sent, desk = make([0.0])
    account = AccountState("USD", 1, 1, 0, 1, 0, 0, 100)
    desk.on_frame(MarketFrame(1, {}, {}, 0, positions=(), account=account))
    assert commands.handle("flatten", 1).text.startswith("No open positions")
    desk.on_frame(
        MarketFrame(2, {}, {}, 0, positions=(Position(1, "EURUSD", Side.BUY, 1, 1, 1, 0, 0),))
    )
    assert commands.handle("flatten", 1).ask_flatten
    assert sent == []


def test_halt_carries_source_and_reason() -> None:
    commands, sent, _ = make([0.0])
    commands.handle("halt", 42, "news in 5 min")
    assert sent == [Halt("Telegram /halt from chat 42: news in 5 min", source=OrderSource.TELEGRAM)]


def test_daily_summary_time_in_the_configured_zone() -> None:
    from datetime import datetime

    zone = ZoneInfo("Europe/London")
    before = datetime(2026, 7, 1, 20, 0, tzinfo=UTC)  # 21:00 in London (BST)
    assert next_summary_at(before, "22:00", zone) == datetime(2026, 7, 1, 22, 0, tzinfo=zone)
    after = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 22:30 London: tomorrow
    assert next_summary_at(after, "22:00", zone) == datetime(2026, 7, 2, 22, 0, tzinfo=zone)


def _status(name: str, state: StrategyState, pnl: float = 0.0) -> StrategyStatus:
    number = int(name.split("#")[1])
    config = StrategyConfig(number, name.split("#")[0], "EURUSD", Timeframe.H1)
    return StrategyStatus(config, state, "", pnl, 1, 3)


def test_strategies_are_listed_and_stop_asks_before_it_is_sent() -> None:
    now = [0.0]
    commands, sent, desk = make(now)
    assert commands.handle("strategies", 1).text == "No strategy is attached."
    desk.on_strategy(_status("ma_cross#1", StrategyState.RUNNING, 12.5))
    desk.on_strategy(_status("rsi_reversion#2", StrategyState.STOPPED))
    listing = commands.handle("strategies", 1).text
    assert "ma_cross#1 EURUSD H1: <b>running</b>, today +12.50" in listing
    assert "rsi_reversion#2" in listing
    assert "No strategy nope#9" in commands.handle("stop", 1, "nope#9").text
    assert "again within 30 s" in commands.handle("stop", 1, "ma_cross#1").text
    assert sent == []  # nothing until it is confirmed
    now[0] = 10.0
    assert "Stop sent for ma_cross#1" in commands.handle("stop", 1, "ma_cross#1").text
    assert sent == [StopStrategy("ma_cross#1", source=OrderSource.TELEGRAM)]
    commands.handle("stop", 1, "ma_cross#1")
    now[0] = 45.0  # too late: asks again
    assert "again within 30 s" in commands.handle("stop", 1, "ma_cross#1").text
    assert len(sent) == 1
