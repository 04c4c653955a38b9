"""Risk limits: the rules a trader sets, as plain values.

Plain values only (no Qt, no settings machinery): the settings file is turned into
a ``RiskLimits`` once, the engine's gate reads it, the limits dialog edits a copy,
and the panel draws ``RiskSnapshot``s. A limit of ``0`` turns its rule off, so
every rule can be disabled from the TOML file without a separate switch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60
_WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class RiskRule(StrEnum):
    """Every rule the gate applies; ``label`` is the name a trader reads."""

    ORDER_VOLUME = "max_order_volume"
    ORDER_NOTIONAL = "max_order_notional"
    NET_POSITION = "max_net_volume"
    TOTAL_EXPOSURE = "max_total_exposure"
    OPEN_POSITIONS = "max_open_positions"
    WORKING_ORDERS = "max_working_orders"
    RATE_SECOND = "max_orders_per_second"
    RATE_MINUTE = "max_orders_per_minute"
    PRICE_COLLAR = "max_price_distance_pct"
    SPREAD_COLLAR = "max_spread_multiple"
    STALE_QUOTE = "stale_quote_seconds"
    DAILY_LOSS = "max_daily_loss"
    DRAWDOWN = "max_drawdown_pct"
    MARGIN_LEVEL = "min_margin_level_pct"
    SYMBOLS = "allowed_symbols"
    TRADING_HOURS = "trading_hours"
    TRADING_STATE = "trading_state"
    STRATEGY_BUDGET = "strategy_budget"  # a strategy instance's own limits
    QUOTE_CHECK = "quote_check"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS: dict[RiskRule, str] = {
    RiskRule.ORDER_VOLUME: "Max volume per order",
    RiskRule.ORDER_NOTIONAL: "Max notional per order",
    RiskRule.NET_POSITION: "Max net position",
    RiskRule.TOTAL_EXPOSURE: "Max total exposure",
    RiskRule.OPEN_POSITIONS: "Max open positions",
    RiskRule.WORKING_ORDERS: "Max working orders",
    RiskRule.RATE_SECOND: "Max orders per second",
    RiskRule.RATE_MINUTE: "Max orders per minute",
    RiskRule.PRICE_COLLAR: "Price collar",
    RiskRule.SPREAD_COLLAR: "Spread collar",
    RiskRule.STALE_QUOTE: "Stale quote guard",
    RiskRule.DAILY_LOSS: "Max daily loss",
    RiskRule.DRAWDOWN: "Max drawdown",
    RiskRule.MARGIN_LEVEL: "Min margin level",
    RiskRule.SYMBOLS: "Allowed symbols",
    RiskRule.TRADING_HOURS: "Trading hours",
    RiskRule.TRADING_STATE: "Trading state",
    RiskRule.STRATEGY_BUDGET: "Strategy budget",
    RiskRule.QUOTE_CHECK: "Quote check",
}


# --------------------------------------------------------------------------- limits


@dataclass(frozen=True, slots=True)
class SymbolLimits:
    """Per-symbol overrides; ``None`` keeps the account-wide value (0 turns it off)."""

    max_order_volume: float | None = None
    max_order_notional: float | None = None
    max_net_volume: float | None = None
    max_spread_points: float | None = None


@dataclass(frozen=True, slots=True)
class TradingHours:
    """Allowed opening times per weekday, as UTC minute windows ``[start, end)``.

    ``windows[0]`` is Monday. An empty day means no new exposure that day.
    """

    windows: tuple[tuple[tuple[int, int], ...], ...] = (((0, MINUTES_PER_DAY),),) * 7

    @classmethod
    def parse(cls, days: Mapping[str, list[str] | tuple[str, ...]]) -> TradingHours:
        """Build from ``{"monday": ["00:00-24:00"], ...}``; raises ``ValueError`` in words."""
        out: list[tuple[tuple[int, int], ...]] = []
        for day in WEEKDAYS:
            out.append(tuple(parse_window(text) for text in days.get(day, ())))
        return cls(tuple(out))

    def is_open(self, when: datetime) -> bool:
        utc = when.astimezone(UTC)
        minute = utc.hour * 60 + utc.minute
        return any(start <= minute < end for start, end in self.windows[utc.weekday()])

    def describe(self, weekday: int) -> str:
        spans = self.windows[weekday]
        if not spans:
            return "closed"
        return ", ".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in spans)

    @property
    def always_open(self) -> bool:
        return all(day == ((0, MINUTES_PER_DAY),) for day in self.windows)


def parse_window(text: str) -> tuple[int, int]:
    """``"08:00-16:30"`` → ``(480, 990)``; ``24:00`` is allowed as an end."""
    match = _WINDOW_RE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time window like '08:00-17:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or start > MINUTES_PER_DAY or end > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} has an invalid time (00:00 to 24:00)")
    if start >= end:
        raise ValueError(f"{text!r} must end after it starts (windows are UTC, within one day)")
    return start, end


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Every limit of the risk gate. A number of ``0`` switches its rule off.

    Amounts are in the account currency; volumes in lots; percentages as 5.0 for 5 %.
    """

    max_order_volume: float = 5.0
    max_order_notional: float = 500_000.0
    max_net_volume: float = 10.0
    max_total_exposure: float = 1_000_000.0
    max_open_positions: int = 20
    max_working_orders: int = 20
    max_orders_per_second: int = 5
    max_orders_per_minute: int = 60
    max_price_distance_pct: float = 5.0
    max_spread_multiple: float = 5.0
    spread_window: int = 100
    stale_quote_seconds: float = 15.0
    max_daily_loss: float = 500.0
    max_drawdown_pct: float = 10.0
    min_margin_level_pct: float = 200.0
    allowed_symbols: tuple[str, ...] = ()
    trading_hours: TradingHours = field(default_factory=TradingHours)
    daily_reset_time: str = "00:00"
    daily_reset_timezone: str = "UTC"
    warning_fraction: float = 0.8
    reduce_on_warning: bool = False
    symbols: Mapping[str, SymbolLimits] = field(default_factory=dict)

    # -- per-symbol view ------------------------------------------------------------
    def for_symbol(self, symbol: str, name: str) -> float:
        """The limit ``name`` for ``symbol``: its override if set, else the account-wide one."""
        override = self.symbols.get(symbol)
        value = getattr(override, name, None) if override is not None else None
        if value is not None:
            return float(value)
        return float(getattr(self, name, 0.0) or 0.0)

    # -- validation -----------------------------------------------------------------
    def unknown_symbols(self, known: Iterable[str]) -> list[str]:
        """Sentences for allowed symbols and overrides naming a symbol not in ``known``.

        Such a limit would silently never apply (a typo like EURUSDD), while the
        trader believes it is in force.
        """
        names = set(known)
        out = [
            f"allowed symbols: {s} is not one of the configured symbols"
            for s in self.allowed_symbols
            if s not in names
        ]
        out += [
            f"symbol limits: {s} is not one of the configured symbols"
            for s in sorted(self.symbols)
            if s not in names
        ]
        return out

    def problems(self) -> list[str]:
        """Everything wrong with these limits, as sentences; empty when usable."""
        out: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value) or value < 0:
                out.append(f"{f.name} must be a number of 0 or more (0 turns the rule off)")
        if not 0 < self.warning_fraction <= 1:
            out.append("warning_fraction must be above 0 and at most 1 (e.g. 0.8)")
        if self.max_drawdown_pct > 100:
            out.append("max_drawdown_pct must be at most 100")
        if self.spread_window < 5:
            out.append("spread_window must be at least 5 ticks")
        try:
            parse_window(f"{self.daily_reset_time}-24:00")
        except ValueError:
            if self.daily_reset_time != "24:00":
                out.append(f"daily_reset_time {self.daily_reset_time!r} must be HH:MM")
        if self.daily_reset_timezone.upper() != "UTC":
            try:
                ZoneInfo(self.daily_reset_timezone)
            except (ZoneInfoNotFoundError, ValueError):
                out.append(
                    f"daily_reset_timezone {self.daily_reset_timezone!r} is not a known "
                    "IANA time zone"
                )
        for symbol, override in self.symbols.items():
            for f in fields(override):
                value = getattr(override, f.name)
                if value is not None and (not math.isfinite(value) or value < 0):
                    out.append(f"symbols.{symbol}.{f.name} must be 0 or more")
        return out

    def loosened(self, new: RiskLimits) -> list[str]:
        """The limits ``new`` makes less strict than these (for the HALTED guard)."""
        out: list[str] = []
        for name in _NUMERIC_LIMITS:
            if _looser(getattr(self, name), getattr(new, name), name in _MINIMUMS):
                out.append(name)
        for symbol in set(self.symbols) | set(new.symbols):
            for f in fields(SymbolLimits):
                if _looser(self.for_symbol(symbol, f.name), new.for_symbol(symbol, f.name), False):
                    out.append(f"symbols.{symbol}.{f.name}")
        if self.allowed_symbols and (
            not new.allowed_symbols or set(new.allowed_symbols) - set(self.allowed_symbols)
        ):
            out.append("allowed_symbols")
        if any(
            not set(_minutes(n)).issubset(_minutes(o))
            for o, n in zip(self.trading_hours.windows, new.trading_hours.windows, strict=True)
        ):
            out.append("trading_hours")
        if self.warning_fraction < new.warning_fraction:
            out.append("warning_fraction")
        if self.reduce_on_warning and not new.reduce_on_warning:
            out.append("reduce_on_warning")
        return out

    def changes(self, new: RiskLimits) -> list[str]:
        """``"name: old → new"`` for every setting that differs (the audit trail)."""
        out = []
        for f in fields(self):
            old_v, new_v = getattr(self, f.name), getattr(new, f.name)
            if old_v != new_v:
                out.append(f"{f.name}: {_show(old_v)} → {_show(new_v)}")
        return out

    def with_values(self, **values: object) -> RiskLimits:
        return replace(self, **values)  # type: ignore[arg-type]


_MINIMUMS = frozenset({"min_margin_level_pct"})
_NUMERIC_LIMITS = (
    "max_order_volume",
    "max_order_notional",
    "max_net_volume",
    "max_total_exposure",
    "max_open_positions",
    "max_working_orders",
    "max_orders_per_second",
    "max_orders_per_minute",
    "max_price_distance_pct",
    "max_spread_multiple",
    "stale_quote_seconds",
    "max_daily_loss",
    "max_drawdown_pct",
    "min_margin_level_pct",
)


def _looser(old: float, new: float, is_minimum: bool) -> bool:
    """Whether ``new`` lets more through than ``old`` (0 = rule off = loosest)."""
    if old == new:
        return False
    if new == 0:
        return True
    if old == 0:
        return False
    return new < old if is_minimum else new > old


def _minutes(day: tuple[tuple[int, int], ...]) -> set[int]:
    return {m for start, end in day for m in range(start, end)}


def _show(value: object) -> str:
    if isinstance(value, TradingHours):
        return "; ".join(f"{d[:3]} {value.describe(i)}" for i, d in enumerate(WEEKDAYS))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, SymbolLimits):
        set_ = [(f.name, getattr(value, f.name)) for f in fields(value)]
        return " ".join(f"{name}={v:g}" for name, v in set_ if v is not None) or "none"
    if isinstance(value, tuple):
        return ", ".join(map(str, value)) or "all"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
