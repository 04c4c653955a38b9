"""The service against a fake Bot API over real HTTP (PTB's own request path)."""

from __future__ import annotations

import itertools
import logging
import re
import time
from typing import Any

import pytest

from app.domain.commands import CloseAll, Halt, Resume
from app.domain.enums import (
    ConnectionStatus,
    LogLevel,
    OrderSource,
    OrderStatus,
    OrderType,
    Side,
    TradingState,
)
from app.domain.frame import MarketFrame
from app.domain.notices import ConnectionState, LogEvent
from app.domain.risk_facts import RiskBreach, TradingStateChanged
from app.domain.risk_limits import RiskRule
from app.domain.trading import AccountState, Fill, OrderUpdate, Position
from app.notify.service import OFFLINE, ONLINE
from tests.notify.conftest import OTHER_TRADER, TRADER, Telegram, until
from tests.notify.fake_bot_api import TOKEN


def fill(n: int, *, closes: bool = False, reason: str = "", pnl: float = 0.0) -> Fill:
    return Fill(
        client_id=f"tt-{n}",
        deal_ticket=9000 + n,
        position_ticket=500 + n,
        symbol="EURUSD",
        side=Side.BUY,
        volume=0.1,
        price=1.08345,
        time_msc=1_700_000_000_000 + n,
        closes_position=closes,
        realized_pnl=pnl,
        reason=reason,
    )


ACCOUNT = AccountState("USD", 10_000, 10_050, 100, 9_950, 50, 75.5, 100)
POSITION = Position(77, "EURUSD", Side.BUY, 0.5, 1.08, 1.081, 50.0, 0)


def frame(positions: tuple[Position, ...] = (POSITION,)) -> MarketFrame:
    return MarketFrame(
        seq=1, quotes={}, bars={}, tick_count=0, positions=positions, account=ACCOUNT
    )


def test_alerts_arrive_with_the_right_text_in_every_authorised_chat(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start(chat_ids=[TRADER, -100777])
        h.bus.frame.emit(frame())
        h.bus.fill.emit(fill(1))
        h.bus.fill.emit(fill(2, closes=True, reason="stop loss", pnl=-12.5))
        h.bus.order.emit(
            OrderUpdate(
                "tt-3",
                OrderStatus.REJECTED,
                "GBPUSD",
                Side.SELL,
                2.0,
                OrderType.LIMIT,
                reason="Not enough money <margin> & more",
            )
        )
        h.bus.connection.emit(
            ConnectionState(ConnectionStatus.DISCONNECTED, "Sim", "socket closed")
        )
        h.bus.connection.emit(ConnectionState(ConnectionStatus.CONNECTED, "Sim", "paper"))
        h.bus.log.emit(LogEvent(LogLevel.ERROR, "engine", "Internal error: boom"))
        h.bus.log.emit(LogEvent(LogLevel.INFO, "engine", "just chatter"))
        await until(lambda: "Internal error" in h.texts(-100777) and "Internal error" in h.texts())
        for chat in (TRADER, -100777):
            text = h.texts(chat)
            assert "<b>Filled</b> BUY 0.1 EURUSD @ 1.08345 · position #501" in text
            assert "<b>STOP LOSS hit</b> EURUSD 0.1 @ 1.08345" in text
            assert "P&amp;L <b>-12.50 USD</b>" in text
            assert "<b>Rejected</b> SELL 2 GBPUSD (limit, from ticket): " in text
            assert "Not enough money &lt;margin&gt; &amp; more" in text
            assert "<b>Connection lost</b>: socket closed" in text
            assert "<b>Connection restored</b>: Sim (paper)" in text
            assert "just chatter" not in text
        assert all(m.parse_mode == "HTML" for m in h.api.sent)

    telegram.run(scenario)


def test_risk_facts_and_switched_off_categories(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start(alerts={"fills": False})
        h.service.on_risk(RiskBreach(RiskRule.DAILY_LOSS, "Day loss 510 USD over 500", halted=True))
        h.service.on_risk(
            TradingStateChanged(
                TradingState.ACTIVE, TradingState.HALTED, "daily loss", OrderSource.SYSTEM
            )
        )
        h.bus.fill.emit(fill(1))
        h.bus.fill.emit(fill(2, closes=True, pnl=5))
        await until(lambda: "Closed" in h.texts())
        text = h.texts()
        assert "Risk Max daily loss</b>: Day loss 510 USD over 500 — trading HALTED" in text
        assert "Trading HALTED</b>: daily loss (by system)" in text
        assert "Filled" not in text

    telegram.run(scenario)


def test_halt_from_an_authorised_chat_reaches_the_engine(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.api.push_command(TRADER, "/halt going for lunch")
        await until(lambda: h.commands and "Halt sent" in h.texts())
        assert h.commands == [
            Halt(f"Telegram /halt from chat {TRADER}: going for lunch", source=OrderSource.TELEGRAM)
        ]
        h.api.push_command(TRADER, "/resume")
        await until(lambda: len(h.commands) == 2)
        assert h.commands[1] == Resume(source=OrderSource.TELEGRAM)

    telegram.run(scenario)


def test_read_only_commands_answer_from_the_latest_frame(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.bus.connection.emit(ConnectionState(ConnectionStatus.CONNECTED, "Paper", "sim"))
        h.bus.frame.emit(frame())
        for command in ("/status", "/positions", "/orders", "/pnl", "/help"):
            h.api.push_command(TRADER, command)
        await until(lambda: "Tradeterm commands" in h.texts())
        text = h.texts()
        assert "Connection: connected to Paper" in text
        assert "Equity: 10,050.00 USD" in text and "Day P&amp;L: +75.50 USD" in text
        assert "#77 BUY 0.5 EURUSD @ 1.08 → 1.081 · +50.00 USD" in text
        assert "No working orders." in text
        assert h.commands == []

    telegram.run(scenario)


def test_a_stranger_gets_nothing_and_is_logged(
    telegram: Telegram, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        logs: list[LogEvent] = []
        h.bus.log.connect(logs.append)
        h.api.push_command(OTHER_TRADER, "/halt")
        h.api.push_command(OTHER_TRADER, "/flatten")
        h.api.push_button(OTHER_TRADER, "flatten:confirm")
        h.api.push_command(TRADER, "/help")  # proves the stranger's updates were processed first
        await until(lambda: "Tradeterm commands" in h.texts())
        assert h.commands == []
        assert h.api.texts_to(OTHER_TRADER) == []
        assert h.api.callback_answers == []
        told = [e.message for e in logs if "unauthorised" in e.message]
        assert told == [
            f"Ignored a message from unauthorised Telegram chat {OTHER_TRADER}; further ones "
            f"are counted and reported at most every 60 s"
        ]

    with caplog.at_level(logging.WARNING, logger="app.notify"):
        telegram.run(scenario)
    assert f"unauthorised Telegram chat {OTHER_TRADER}" in caplog.text


def test_a_stranger_flooding_the_bot_costs_the_log_two_rows(
    telegram: Telegram, caplog: pytest.LogCaptureFixture
) -> None:
    logs: list[LogEvent] = []

    async def scenario() -> None:
        h = await telegram.start()
        h.bus.log.connect(logs.append)
        for n in range(40):
            h.api.push_command(OTHER_TRADER + n % 3, "/flatten")
        h.api.push_command(TRADER, "/help")  # the strangers' updates came first
        await until(lambda: "Tradeterm commands" in h.texts())
        assert h.commands == [] and h.api.texts_to(OTHER_TRADER) == []

    with caplog.at_level(logging.WARNING, logger="app.notify"):
        telegram.run(scenario)
    told = [e.message for e in logs if "unauthorised" in e.message]
    assert len(told) == 2  # the first at once; the other 39, counted, when the bot stopped
    assert told[1] == (
        f"Ignored 39 more messages from unauthorised Telegram chats: {OTHER_TRADER + 1} (13), "
        f"{OTHER_TRADER + 2} (13), {OTHER_TRADER} (13)"
    )
    assert caplog.text.count("unauthorised") == 2


def test_flatten_needs_a_confirmation_which_expires(telegram: Telegram) -> None:
    now = [1000.0]

    async def scenario() -> None:
        h = await telegram.start(clock=lambda: now[0])
        h.bus.frame.emit(frame())
        h.api.push_command(TRADER, "/flatten")
        await until(lambda: "Close all 1 open position(s) at market?" in h.texts())
        ask = h.api.messages_to(TRADER)[-1]
        assert ask.reply_markup is not None
        buttons = [b["callback_data"] for b in ask.reply_markup["inline_keyboard"][0]]
        assert buttons == ["flatten:confirm", "flatten:cancel"]
        assert h.commands == []

        h.api.push_button(TRADER, "flatten:confirm")  # pressed in time
        await until(lambda: h.commands)
        assert h.commands == [CloseAll(source=OrderSource.TELEGRAM)]
        await until(lambda: h.api.callback_answers)  # the button stops spinning

        h.api.push_command(TRADER, "/flatten")  # ask again...
        await until(lambda: h.texts().count("at market?") == 2)
        now[0] += 31  # ...and wait too long
        h.api.push_button(TRADER, "flatten:confirm")
        await until(lambda: "expired" in h.texts())
        assert len(h.commands) == 1

        h.api.push_command(TRADER, "/flatten")  # the repeated command also confirms
        await until(lambda: h.texts().count("at market?") == 3)
        now[0] += 10
        h.api.push_command(TRADER, "/flatten")
        await until(lambda: len(h.commands) == 2)
        assert h.commands[1] == CloseAll(source=OrderSource.TELEGRAM)

    telegram.run(scenario)


def test_network_failure_then_recovery_delivers_queued_alerts_in_order(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.api.down = True
        for n in range(1, 6):
            h.bus.fill.emit(fill(n))
            await until(lambda: True)
        await until(lambda: h.service.state == OFFLINE)
        assert h.api.texts_to(TRADER) == []
        h.api.down = False
        await until(lambda: "#505" in h.texts(), timeout=15)
        positions = [int(p) for p in re.findall(r"position #(\d+)", h.texts())]
        assert positions == [501, 502, 503, 504, 505]
        await until(lambda: h.service.state == ONLINE)
        assert (OFFLINE in [s[0] for s in h.statuses]) and h.service.outbox.dropped == 0

    telegram.run(scenario, timeout=40)


def test_retry_after_is_honoured(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.api.retry_after = 1
        started = time.monotonic()
        h.bus.fill.emit(fill(1))
        await until(lambda: "#501" in h.texts())
        first = h.api.messages_to(TRADER)[0]
        assert first.at - started >= 0.95  # Telegram said "retry after 1 s"

    telegram.run(scenario)


def test_a_burst_of_200_fills_keeps_the_rate_limit_and_loses_nothing(telegram: Telegram) -> None:
    interval = 0.25

    async def scenario() -> None:
        h = await telegram.start(per_chat_interval_s=interval)
        # The pace is read where the outbox sends, on the clock it paces by: arrival
        # times at the fake server add each request's latency, which on a loaded
        # machine (or under Wine) varies by tens of milliseconds.
        sent_at: list[float] = []
        send = h.service.outbox._send

        async def timed_send(message: Any) -> None:
            sent_at.append(time.monotonic())
            await send(message)

        h.service.outbox._send = timed_send
        for n in range(200):
            h.bus.fill.emit(fill(n))
        await until(lambda: "position #699" in h.texts(), timeout=20)
        messages = h.api.messages_to(TRADER)
        assert len(sent_at) == len(messages)
        gaps = [b - a for a, b in itertools.pairwise(sent_at)]
        assert min(gaps) >= interval * 0.9
        assert len(messages) < 20  # merged, not 200 messages
        positions = [int(p) for p in re.findall(r"position #(\d+)", h.texts())]
        assert positions == list(range(500, 700))  # every fill, in order
        assert all(len(m.text) <= 4096 for m in messages)
        assert h.service.outbox.merged >= 200 - len(messages)
        assert h.service.outbox.dropped == 0
        assert h.statuses[-1][2] == h.service.outbox.merged  # the counter reaches the UI

    telegram.run(scenario)


def test_the_token_never_appears_in_logs_stderr_or_engine_facts(
    telegram: Telegram, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        facts: list[object] = []
        h.bus.log.connect(facts.append)
        h.api.push_command(TRADER, "/halt")
        h.api.push_command(OTHER_TRADER, "/status")
        await until(lambda: h.commands)
        h.api.down = True
        h.bus.fill.emit(fill(1))
        await until(lambda: h.service.state == OFFLINE)
        h.api.down = False
        await until(lambda: "#501" in h.texts(), timeout=15)
        journaled = repr(h.commands) + repr(facts) + repr(h.statuses)
        assert TOKEN not in journaled

    with caplog.at_level(logging.DEBUG):
        telegram.run(scenario, timeout=40)
    out, err = capfd.readouterr()
    assert "HTTP Request" in caplog.text  # httpx did log the URLs...
    assert "[telegram token]" in caplog.text  # ...with the token masked
    assert TOKEN not in caplog.text
    assert TOKEN not in out + err
    secret_part = TOKEN.split(":", 1)[1]
    assert secret_part not in caplog.text + out + err


def test_daily_summary_reports_balance_equity_pnl_and_trades(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start(time_zone="Europe/London")
        h.bus.frame.emit(frame())
        h.bus.fill.emit(fill(1))
        h.bus.fill.emit(fill(2, closes=True, pnl=3))
        h.service.send_daily_summary()
        await until(lambda: "Daily summary" in h.texts())
        text = h.texts()
        assert "Balance: 10,000.00 USD" in text and "Equity: 10,050.00 USD" in text
        assert "Day P&amp;L: +75.50 USD" in text and "Trades today: 2" in text

    telegram.run(scenario)


def test_starting_while_telegram_is_unreachable_comes_online_later(telegram: Telegram) -> None:
    async def scenario() -> None:
        telegram.api.down = True
        h = await telegram.start(online=False)
        h.bus.fill.emit(fill(1))  # queued while offline
        await until(lambda: h.service.state == OFFLINE)
        telegram.api.down = False
        await until(lambda: h.service.state == ONLINE, timeout=10)
        await until(lambda: "#501" in h.texts())

    telegram.run(scenario)


def test_strategy_starts_failures_and_budget_halts_reach_the_phone(telegram: Telegram) -> None:
    from app.domain.strategies import StrategyConfig, StrategyState, StrategyStatus
    from app.domain.timeframes import Timeframe

    config = StrategyConfig(3, "ma_cross", "EURUSD", Timeframe.M1)

    def status(state: StrategyState, reason: str = "") -> StrategyStatus:
        return StrategyStatus(config, state, reason)

    async def scenario() -> None:
        h = await telegram.start()
        h.bus.strategy.emit(status(StrategyState.STOPPED))  # first sight: no news
        h.bus.strategy.emit(status(StrategyState.RUNNING))
        h.bus.strategy.emit(status(StrategyState.HALTED, "its loss today 60.00 reached 50.00"))
        h.bus.strategy.emit(status(StrategyState.FAILED, "failed in on_bar: KeyError: 'x'"))
        await until(lambda: "KeyError" in h.texts())
        text = h.texts()
        assert "Strategy <b>ma_cross#3</b> running" in text
        assert "Strategy <b>ma_cross#3</b> halted: its loss today 60.00 reached 50.00" in text
        assert "Strategy <b>ma_cross#3</b> failed: failed in on_bar: KeyError: 'x'" in text
        assert text.count("ma_cross#3") == 3

    telegram.run(scenario)


def test_counted_strangers_are_told_when_the_interval_ends_without_more_updates(
    telegram: Telegram,
) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.service.strangers.interval_s = 1.0  # the three updates surely land within it
        logs: list[LogEvent] = []
        h.bus.log.connect(logs.append)
        for _ in range(3):
            h.api.push_command(OTHER_TRADER, "/status")
        await until(lambda: len([e for e in logs if "unauthorised" in e.message]) == 2)
        assert logs[-1].message == (
            f"Ignored 2 more messages from unauthorised Telegram chats: {OTHER_TRADER} (2)"
        )

    telegram.run(scenario)
