"""Command logic without Telegram: the flatten confirmation and its 30 s window."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from app.domain.commands import CloseAll, Command, Halt
from app.domain.enums import OrderSource, Side
from app.domain.frame import MarketFrame
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
