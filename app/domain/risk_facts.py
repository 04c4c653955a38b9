"""Risk facts: what the risk gate reports (refusals, usage, breaches, state changes).

Plain values: the gate builds them, the journal records them, the risk panel
and Telegram show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from app.domain.enums import OrderSource, TradingState
from app.domain.risk_limits import RiskLimits, RiskRule

# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why the gate refused an order: the rule and a sentence naming limit and value."""

    rule: RiskRule
    message: str
    symbol: str = ""


class UsageLevel(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACH = "breach"


@dataclass(frozen=True, slots=True)
class RuleUsage:
    """One row of the risk panel: a rule, its limit and how much of it is used.

    ``fraction`` is usage/limit (for a minimum such as the margin level, limit/usage),
    ``None`` for rules checked per order that have no standing usage.
    """

    rule: RiskRule
    limit_text: str
    usage_text: str = "—"
    fraction: float | None = None
    level: UsageLevel = UsageLevel.OK


@dataclass(frozen=True, slots=True)
class RiskSnapshot:
    """The gate's state for the panel: conflated into each ``MarketFrame``."""

    state: TradingState
    reason: str
    rules: tuple[RuleUsage, ...]
    limits: RiskLimits = field(default_factory=RiskLimits)  # what the dialog edits
    # Equity now minus equity when the trading day began (restored from the journal
    # at start): the one "today's P&L" the window shows and the daily-loss rule counts.
    day_pnl: float | None = None


# --------------------------------------------------------------------------- facts


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RiskBreach:
    """A limit was hit: an order refused by a rule, or a loss limit that halts trading."""

    rule: RiskRule
    message: str
    symbol: str = ""
    halted: bool = False
    client_id: str | None = None
    time: datetime = field(default_factory=_now)


@dataclass(frozen=True, slots=True)
class RiskWarning:
    """A loss limit is close (usage crossed the warning fraction)."""

    rule: RiskRule
    message: str
    time: datetime = field(default_factory=_now)


@dataclass(frozen=True, slots=True)
class TradingStateChanged:
    old: TradingState
    new: TradingState
    reason: str
    source: OrderSource
    time: datetime = field(default_factory=_now)

    @property
    def message(self) -> str:
        return f"Trading {self.new.upper()} (was {self.old}): {self.reason} [{self.source}]"


RiskFact = RiskBreach | RiskWarning | TradingStateChanged
