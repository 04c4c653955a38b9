"""What a package above the engine may use of it: the engine's services, never the broker.

The strategy host (and, in the same way, any engine extension) is handed the
engine through this protocol only. It attaches clients, registers the
commands it owns, keeps budgets, reads the book and the journal, and publishes
facts — all on the engine thread. The broker itself is not part of it: every
order an extension's clients send goes down the order road like the ticket's. The one window on the broker is
``history_source``: its bar and tick history, read-only, for downloads.
``TradingCore`` provides it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from app.domain.enums import LogLevel, TradingState
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import Position, WorkingOrder
from app.engine.budgets import Budgets
from app.engine.clients import ClientHost

if TYPE_CHECKING:
    from app.storage.journal import Journal


@dataclass(frozen=True, slots=True)
class HistorySource:
    """The broker's history, read-only, for downloads into the store (engine thread only).

    Each returns ``None`` when the broker keeps no such history; a failure raises
    ``BrokerError`` in words. Bars: ``(symbol, timeframe, start, end)`` in epoch
    seconds; ticks: ``(symbol, start_msc, end_msc)``.
    """

    rates_range: Callable[[str, Timeframe, int, int], np.ndarray | None]
    ticks_range: Callable[[str, int, int], np.ndarray | None]


class EngineServices(Protocol):
    clients: ClientHost
    command_handlers: dict[type, Callable[[Any], None]]
    journal: Journal | None
    specs: dict[str, SymbolSpec]

    @property
    def budgets(self) -> Budgets: ...

    def trading_day_start(self) -> datetime: ...
    def positions(self) -> Sequence[Position]: ...
    def working_orders(self) -> Sequence[WorkingOrder]: ...
    def trading_state(self) -> TradingState: ...
    def publish(self, fact: object) -> None: ...
    def queue(self, command: Any) -> None:
        """Run ``command`` after the current step, through the order road and the gate."""

    def now_msc(self) -> int: ...
    def history_source(self) -> HistorySource | None: ...
    def journal_write(self, action: Callable[[Journal], object]) -> None: ...
    def say(
        self,
        level: LogLevel,
        message: str,
        client_id: str | None = None,
        *,
        source: str = ...,
    ) -> None: ...
