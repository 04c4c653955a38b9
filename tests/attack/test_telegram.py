"""Telegram's /strategies, /stop and /alert against a bot started the way the app starts it."""

from __future__ import annotations

import asyncio
from typing import Any

from app.domain.strategies import (
    RequestStrategies,
    StopStrategy,
    StrategyConfig,
    StrategyState,
    StrategyStatus,
)
from app.domain.timeframes import Timeframe
from app.engine.bus import EventBus
from tests.notify.conftest import TRADER, Telegram, api, loop, telegram, until

__all__ = ["api", "loop", "telegram"]  # the fake Bot API and its loop

RUNNING = StrategyStatus(
    StrategyConfig(1, "ma_cross", "EURUSD", Timeframe.H1), StrategyState.RUNNING, "", 12.5, 1, 3
)


def _engine_answers_strategy_requests(bus: EventBus) -> None:
    """What the strategy host does on RequestStrategies: every instance's status again."""

    def answer(command: Any) -> None:
        if isinstance(command, RequestStrategies):
            bus.strategy.emit(RUNNING)

    bus.command.connect(answer)


def test_a_bot_switched_on_while_a_strategy_runs_lists_it(telegram: Telegram) -> None:
    async def scenario() -> None:
        bus = EventBus()
        _engine_answers_strategy_requests(bus)
        bus.strategy.emit(RUNNING)  # the engine said it at its start, before the bot was on
        h = await telegram.start(bus=bus)
        h.api.push_command(TRADER, "/strategies")
        await until(lambda: h.texts())
        assert "ma_cross#1" in h.texts(), f"the phone is told: {h.texts()!r}"

    telegram.run(scenario)


def test_stop_with_the_name_on_the_next_line_is_read_as_stop(telegram: Telegram) -> None:
    async def scenario() -> None:
        h = await telegram.start()
        h.bus.strategy.emit(RUNNING)
        for _ in range(2):  # asked, then confirmed
            h.api._push(
                {
                    "message": {
                        **h.api._message(TRADER, "/stop\nma_cross#1"),
                        "from": {"id": TRADER, "is_bot": False, "first_name": "Trader"},
                        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                    }
                }
            )
            await until(lambda: h.texts())
            await asyncio.sleep(0.2)
        assert "Unknown command" not in h.texts(), h.texts()
        assert StopStrategy("ma_cross#1", source=h.commands[-1].source) in h.commands

    telegram.run(scenario)
