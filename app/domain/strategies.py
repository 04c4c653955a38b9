"""The vocabulary of strategies: their settings, their budgets, what the engine says of them.

Plain values, shared by the engine's strategy host, the journal that keeps the
instances across restarts, the Strategies panel and Telegram. A *strategy* is a
class (``ma_cross``); an *instance* is one attached to a symbol and timeframe
with its parameters and budget, under a number that is its owner tag at the
broker (MT5: the magic number plus that number) and is never reused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from app.domain.enums import OrderSource
from app.domain.timeframes import Timeframe


@dataclass(frozen=True, slots=True)
class StrategyBudget:
    """Limits of one instance, on top of the account-wide risk rules; 0 turns one off.

    Losses are of the instance's own P&L: what its closed trades made today plus
    what its open positions float.
    """

    max_order_volume: float = 1.0  # lots per order
    max_open_positions: int = 5
    max_net_position: float = 2.0  # |net lots| per symbol, working orders counted as filled
    max_orders_per_minute: int = 10  # more than this halts the instance: it is flooding
    max_daily_loss: float = 0.0  # account currency
    max_drawdown: float = 0.0  # account currency, from the instance's own P&L peak

    def problems(self) -> list[str]:
        """Why a limit cannot be kept, one phrase each.

        Every comparison with NaN is false, so a NaN limit would pass a plain
        ``< 0`` check and then never stop anything: limits must be finite numbers,
        and counts whole numbers.
        """
        bad: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                bad.append(f"{f.name} must be a number (got {value!r})")
            elif not math.isfinite(value):
                bad.append(f"{f.name} must be a finite number (got {value!r})")
            elif value < 0:
                bad.append(f"{f.name} must not be negative")
            elif f.type == "int" and value != int(value):
                bad.append(f"{f.name} must be a whole number (got {value!r})")
        return bad

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StrategyBudget:
        known = {f.name: f.type for f in fields(cls)}
        unknown = next((name for name in data if name not in known), None)
        if unknown is not None:
            raise ValueError(f"budget: unknown limit {unknown!r}")
        budget = cls(**data)
        if budget.problems():
            raise ValueError("budget: " + "; ".join(budget.problems()))
        # 3.0 from JSON is the count 3; 2 the volume 2.0 (the checks above passed).
        kinds = {n: int if known[n] == "int" else float for n in known}
        values: dict[str, Any] = {n: kinds[n](v) for n, v in budget.as_dict().items()}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class StrategyConfig:
    """One attached instance, as the journal keeps it."""

    number: int  # its owner number at the broker, >= 1, never reused
    strategy: str  # the registered strategy's key, e.g. "ma_cross"
    symbol: str
    timeframe: Timeframe
    params: Mapping[str, Any] = field(default_factory=dict)
    budget: StrategyBudget = field(default_factory=StrategyBudget)
    autostart: bool = False  # starts by itself at the next start (the trader asked for it)

    @property
    def name(self) -> str:
        """``ma_cross#3``: how the event log, the panel and Telegram call it."""
        return f"{self.strategy}#{self.number}"


class StrategyState(StrEnum):
    STOPPED = "stopped"
    WARMING_UP = "warming up"
    RUNNING = "running"
    # Running, near a loss limit of its budget: only market orders that reduce its own
    # net position pass (and its closes, modifications and cancels).
    REDUCING = "reducing"
    HALTED = "halted"  # by its budget: only closes and cancels pass until it is started again
    FAILED = "failed"  # it raised, or could not be loaded: see ``reason``

    @property
    def runs(self) -> bool:
        """Started and not stopped: warming up, running or reducing."""
        return self in (StrategyState.WARMING_UP, StrategyState.RUNNING, StrategyState.REDUCING)


@dataclass(frozen=True, slots=True)
class ChartIndicator:
    """An indicator an instance computes, for a chart to draw: the library's name and
    its parameters. It is computed on the instance's own bars (its symbol and
    timeframe), so a chart of those draws the numbers the instance decides on."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """``sma(period=10)``: for a message, when the library's own label is not at hand."""
        values = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}({values})"


@dataclass(frozen=True, slots=True)
class StrategyStatus:
    """What the engine says of one instance whenever it changes (a fact)."""

    config: StrategyConfig
    state: StrategyState
    reason: str = ""
    day_pnl: float = 0.0  # its realised P&L today plus its open positions' floating P&L
    open_positions: int = 0
    trades: int = 0  # deals that closed a position of its own, all time
    last_log: tuple[str, ...] = ()  # its newest event-log lines, oldest first
    detached: bool = False  # gone: the panel drops it
    indicators: tuple[ChartIndicator, ...] = ()  # what it computes (once it has started)

    @property
    def name(self) -> str:
        return self.config.name


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One declared parameter, for forms and the optimiser."""

    name: str
    kind: str  # "int", "float", "bool" or "str"
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class StrategyDescriptor:
    """An available strategy: what the Strategies panel offers to attach."""

    key: str
    title: str
    description: str
    params: tuple[ParamSpec, ...]
    origin: str  # "built-in", a file in the user's strategies folder, or a package


@dataclass(frozen=True, slots=True)
class StrategyCatalog:
    """Every strategy that loaded, and one line per file or class that did not (a fact)."""

    available: tuple[StrategyDescriptor, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StrategyReply:
    """The engine's answer to an attach or edit that carried a ``request_id`` (a fact).

    The Strategies panel's form waits for it: a refusal is shown in the form, in
    the same words as the event log's line, and the trader corrects it there.
    """

    request_id: str
    ok: bool
    text: str
    name: str = ""  # the instance attached or changed


@dataclass(frozen=True, slots=True)
class BudgetHalt:
    """A strategy instance's budget halted it: only its closes and cancels pass (a fact)."""

    owner: int  # the instance's number
    reason: str


@dataclass(frozen=True, slots=True)
class BudgetReducing:
    """A strategy instance's loss reached the warning share of its limit: it may only
    reduce what it holds until a new trading day or until it is started again (a fact)."""

    owner: int  # the instance's number
    reason: str


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class AttachStrategy:
    """Attach ``strategy`` to a symbol and timeframe; parameters are validated first."""

    strategy: str
    symbol: str
    timeframe: Timeframe
    params: Mapping[str, Any] = field(default_factory=dict)
    budget: StrategyBudget = field(default_factory=StrategyBudget)
    autostart: bool = False
    start: bool = False
    source: OrderSource = OrderSource.TICKET
    request_id: str = ""  # answered with a ``StrategyReply`` of the same id


@dataclass(frozen=True, slots=True)
class EditStrategy:
    """New parameters, budget or autostart for a stopped instance."""

    name: str
    params: Mapping[str, Any]
    budget: StrategyBudget
    autostart: bool
    source: OrderSource = OrderSource.TICKET
    request_id: str = ""  # answered with a ``StrategyReply`` of the same id


@dataclass(frozen=True, slots=True)
class StartStrategy:
    name: str
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class StopStrategy:
    """Stop an instance: its working orders are cancelled, its positions stay (unless
    ``then_close``: the trader's closes of its positions follow this stop, and its log
    line says so rather than that they stay)."""

    name: str
    source: OrderSource = OrderSource.TICKET
    then_close: bool = False


@dataclass(frozen=True, slots=True)
class DetachStrategy:
    name: str
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class RequestStrategies:
    """Ask for the catalogue and every instance's status (a panel that just opened)."""
