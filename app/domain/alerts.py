"""Price alerts: what an alert watches, when it fires, how often, and what it does.

Plain values, shared by the engine's alert host (which evaluates them on every
tick), the journal (which keeps them across restarts), the command line,
Telegram and the Alerts tab. An alert is an :class:`AlertSpec`:

* **what it watches** (:class:`Watch`): the bid, the ask or the last price of a
  symbol; an indicator's value on closed bars; a position's floating P&L; the
  account's margin level; or the clock;
* **the condition** (:class:`Condition`): crossing a level (up, down or either
  way), being above or below it, entering or leaving a channel of two levels,
  moving up or down by an amount or a percentage within a time window, or a
  moment in time. The level may be a number, a drawn trend line (two
  ``(time, price)`` points) or another indicator;
* **the trigger** (:class:`Trigger`): once, once per bar of a timeframe, once per
  bar close, or every time with a minimum interval; a maximum count and an
  expiry on top;
* **the actions** (:class:`AlertActions`): the event log, a sound, a desktop
  notification, Telegram, a webhook, and optionally an order, sent only with
  the trader's explicit opt-in (``trade``). Repeat until acknowledged, if asked.

:func:`alert_problems` says, in words, everything wrong with a definition; the
engine stores nothing that has a problem. ``docs/alerts.md`` is the user's
description of all of it.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any
from urllib.parse import SplitResult, urlsplit

import idna

from app.domain.enums import OrderSource, OrderType, Side, TimeInForce
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderRequest


class Watch(StrEnum):
    """The value an alert watches."""

    BID = "bid"
    ASK = "ask"
    LAST = "last"  # the last trade price (exchange symbols); FX quotes carry none
    INDICATOR = "indicator"  # an indicator's value, on the closed bars of its timeframe
    POSITION_PNL = "position_pnl"  # one position's floating P&L, account currency
    MARGIN_LEVEL = "margin_level"  # the account's equity / margin, in percent
    TIME = "time"  # the clock

    @property
    def is_price(self) -> bool:
        return self in _PRICES

    @property
    def is_account(self) -> bool:
        return self in (Watch.POSITION_PNL, Watch.MARGIN_LEVEL)


_PRICES = frozenset({Watch.BID, Watch.ASK, Watch.LAST})


class Condition(StrEnum):
    CROSSES = "crosses"  # either way
    CROSSES_UP = "crosses_up"
    CROSSES_DOWN = "crosses_down"
    ABOVE = "above"  # greater than
    BELOW = "below"  # less than
    ENTERS_CHANNEL = "enters_channel"
    EXITS_CHANNEL = "exits_channel"
    MOVES_UP = "moves_up"  # by ``amount`` (or percent) within ``window_s``
    MOVES_DOWN = "moves_down"
    AT = "at"  # the clock reaches ``at_msc``

    @property
    def is_cross(self) -> bool:
        return self in (Condition.CROSSES, Condition.CROSSES_UP, Condition.CROSSES_DOWN)

    @property
    def is_state(self) -> bool:
        """True while it holds (above, below), rather than an event at one tick."""
        return self in (Condition.ABOVE, Condition.BELOW)

    @property
    def is_channel(self) -> bool:
        return self in (Condition.ENTERS_CHANNEL, Condition.EXITS_CHANNEL)

    @property
    def is_move(self) -> bool:
        return self in (Condition.MOVES_UP, Condition.MOVES_DOWN)


class Trigger(StrEnum):
    ONCE = "once"  # fires one time, then is done
    ONCE_PER_BAR = "once_per_bar"  # at most once in each bar of ``timeframe``
    ONCE_PER_BAR_CLOSE = "once_per_bar_close"  # checked on the closes of ``timeframe``'s bars
    EVERY = "every"  # every time, at least ``interval_s`` apart


class AlertState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # switched off by the trader
    DONE = "done"  # fired its maximum count (``once``: one time)
    EXPIRED = "expired"  # its expiry passed


@dataclass(frozen=True, slots=True)
class TrendLine:
    """A line drawn through two points, extended both ways; its level moves with time."""

    time1_msc: int
    price1: float
    time2_msc: int
    price2: float

    def at(self, time_msc: int) -> float:
        """The line's price at ``time_msc`` (epoch ms)."""
        slope = (self.price2 - self.price1) / (self.time2_msc - self.time1_msc)
        return self.price1 + slope * (time_msc - self.time1_msc)


@dataclass(frozen=True, slots=True)
class IndicatorRef:
    """An indicator of ``app.indicators`` by registry name, on one timeframe's closed bars.

    ``params`` are its parameters by name (missing ones take their defaults);
    ``output`` names one of its outputs ("" for the first: ``rsi``, MACD's ``macd``).
    """

    name: str
    timeframe: Timeframe
    params: Mapping[str, float] = field(default_factory=dict)
    output: str = ""

    def label(self) -> str:
        values = ",".join(f"{v:g}" for v in self.params.values())
        out = f".{self.output}" if self.output else ""
        return f"{self.name.upper()}({values}){out} {self.timeframe.name}"


@dataclass(frozen=True, slots=True)
class AlertActions:
    """What a firing does besides being recorded.

    The event log line is always written (the record); the others are chosen.
    ``order`` is a template (its ``client_id`` is filled in at each firing); it
    is sent, through the risk gate like any order, only if ``trade`` is set —
    the trader's explicit opt-in for this alert.
    """

    sound: bool = True
    notify: bool = True  # a desktop notification
    telegram: bool = True
    webhook: str = ""  # an http(s) URL that gets a JSON POST (docs/alerts.md)
    order: OrderRequest | None = None
    trade: bool = False
    repeat_until_ack: bool = False  # sound, notification, Telegram again until acknowledged
    repeat_every_s: int = 60

    @property
    def trades(self) -> bool:
        return self.order is not None and self.trade

    def names(self) -> list[str]:
        """The chosen actions, in words: "log, sound, Telegram"."""
        chosen = ["log"]
        chosen += [n for n, on in (("sound", self.sound), ("notification", self.notify)) if on]
        if self.telegram:
            chosen.append("Telegram")
        if self.webhook:
            chosen.append(f"webhook {webhook_display(self.webhook)}")
        if self.order is not None:
            order = self.order
            what = f"{order.side.upper()} {order.volume:g} {order.symbol}"
            chosen.append(f"order {what}" if self.trade else f"order {what} (off: not opted in)")
        if self.repeat_until_ack:
            chosen.append(f"repeat every {format_duration(self.repeat_every_s)} until acknowledged")
        return chosen


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """One alert's definition, as the trader gave it (validated by :func:`alert_problems`).

    Which fields matter depends on ``watch`` and ``condition``: a level or
    crossing needs ``level`` (or ``line`` for a trend line, or ``other`` for
    another indicator); a channel ``level`` (lower edge) and ``upper``; a move
    ``amount`` (``percent`` for a percentage) and ``window_s``; a time ``at_msc``;
    a position's P&L its ``ticket``. Times are epoch milliseconds, UTC.
    """

    symbol: str
    watch: Watch = Watch.BID
    condition: Condition = Condition.CROSSES
    level: float | None = None
    upper: float | None = None
    line: TrendLine | None = None
    indicator: IndicatorRef | None = None
    other: IndicatorRef | None = None
    ticket: int | None = None
    amount: float | None = None
    percent: bool = False
    window_s: int = 0
    at_msc: int | None = None
    trigger: Trigger = Trigger.ONCE
    timeframe: Timeframe | None = None  # of ONCE_PER_BAR and ONCE_PER_BAR_CLOSE
    interval_s: int = 0  # of EVERY: the minimum time between two firings
    max_count: int = 0  # 0: no limit (ONCE: one)
    expires_msc: int | None = None
    actions: AlertActions = field(default_factory=AlertActions)
    note: str = ""

    @property
    def limit(self) -> int:
        """How many times it may fire in all (0: no limit)."""
        return 1 if self.trigger is Trigger.ONCE else self.max_count

    @property
    def on_bar_close(self) -> bool:
        """Checked on closed bars only (an indicator, or the once-per-bar-close trigger)."""
        return self.watch is Watch.INDICATOR or self.trigger is Trigger.ONCE_PER_BAR_CLOSE

    @property
    def bar_timeframe(self) -> Timeframe | None:
        """The timeframe whose closed bars it is checked on, if it is checked on bars."""
        if self.watch is Watch.INDICATOR and self.indicator is not None:
            return self.indicator.timeframe
        return self.timeframe if self.trigger is Trigger.ONCE_PER_BAR_CLOSE else None


MAX_NOTE = 200
MAX_URL = 2000
MIN_REPEAT_S = 10
MAX_WINDOW_S = 7 * 86_400
TEN_YEARS_MS = 3660 * 86_400_000
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
MAX_HOST = 253

#: Which conditions each watch allows.
ALLOWED: dict[Watch, frozenset[Condition]] = {
    **{w: frozenset(set(Condition) - {Condition.AT}) for w in _PRICES},
    Watch.INDICATOR: frozenset(
        {
            Condition.CROSSES,
            Condition.CROSSES_UP,
            Condition.CROSSES_DOWN,
            Condition.ABOVE,
            Condition.BELOW,
            Condition.ENTERS_CHANNEL,
            Condition.EXITS_CHANNEL,
        }
    ),
    Watch.POSITION_PNL: frozenset(
        {
            Condition.CROSSES,
            Condition.CROSSES_UP,
            Condition.CROSSES_DOWN,
            Condition.ABOVE,
            Condition.BELOW,
        }
    ),
    Watch.TIME: frozenset({Condition.AT}),
}
ALLOWED[Watch.MARGIN_LEVEL] = ALLOWED[Watch.POSITION_PNL]


def alert_problems(spec: AlertSpec, specs: Mapping[str, SymbolSpec], now_msc: int) -> list[str]:
    """Everything wrong with ``spec``, one sentence each; empty when it may be stored.

    ``specs`` are the broker's symbols; ``now_msc`` the engine's time (a moment in
    the past is refused). Indicator names and parameters are checked by the alert
    host, which knows the indicator library.
    """
    problems: list[str] = []
    add = problems.append
    watch, condition = spec.watch, spec.condition
    needs_symbol = watch.is_price or watch is Watch.INDICATOR
    if needs_symbol and not spec.symbol:
        add("Name a symbol")
    elif spec.symbol and spec.symbol not in specs:
        add(f"No symbol '{spec.symbol}' at this broker")
    if condition not in ALLOWED[watch]:
        add(f"An alert on {_watch_words(watch)} cannot use '{_condition_words(condition)}'")
        return problems
    if condition.is_cross or condition.is_state:
        _level_problems(spec, add)
    elif condition.is_channel:
        _channel_problems(spec, add)
    elif condition.is_move:
        _move_problems(spec, add)
    elif condition is Condition.AT:
        if spec.at_msc is None:
            add("Give the time of the alert")
        elif spec.at_msc <= now_msc:
            add(f"The time {_when(spec.at_msc)} is already past")
        elif spec.at_msc - now_msc > TEN_YEARS_MS:
            add("The time is more than ten years away")
    if watch is Watch.INDICATOR:
        if spec.indicator is None:
            add("Name the indicator to watch")
    elif spec.indicator is not None or spec.other is not None:
        add("Only an indicator alert compares indicators")
    if watch is Watch.POSITION_PNL and (spec.ticket is None or spec.ticket <= 0):
        add("Give the position's #ticket")
    _trigger_problems(spec, now_msc, add)
    _action_problems(spec, specs, add)
    if len(spec.note) > MAX_NOTE:
        add(f"The note is {len(spec.note)} characters; at most {MAX_NOTE}")
    return problems


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _level_problems(spec: AlertSpec, add: Callable[[str], None]) -> None:
    given = [x is not None for x in (spec.level, spec.line, spec.other)]
    if sum(given) != 1:
        add("Give one level: a number, a trend line or another indicator")
        return
    if spec.level is not None:
        if not _finite(spec.level):
            add(f"The level {spec.level} is not a number")
        elif spec.level <= 0 and (spec.watch.is_price or spec.watch is Watch.MARGIN_LEVEL):
            add(f"The level {spec.level:g} must be more than zero")
    if spec.line is not None:
        line = spec.line
        if not spec.watch.is_price:
            add("A trend line is drawn on prices: watch the bid, the ask or the last price")
        if line.time1_msc == line.time2_msc:
            add("The trend line's two points must be at different times")
        if (
            not (_finite(line.price1) and _finite(line.price2))
            or min(line.price1, line.price2) <= 0
        ):
            add("The trend line's prices must be numbers above zero")
    other, indicator = spec.other, spec.indicator
    if other is not None and indicator is not None and other.timeframe is not indicator.timeframe:
        add("Both indicators must be on the same timeframe")


def _channel_problems(spec: AlertSpec, add: Callable[[str], None]) -> None:
    low, high = spec.level, spec.upper
    if not (_finite(low) and _finite(high)):
        add("A channel needs two levels, e.g. enter 1.0900 1.1000")
        return
    assert low is not None and high is not None
    if high <= low:
        add(f"The channel's upper level {high:g} must be above its lower level {low:g}")
    if low <= 0 and spec.watch.is_price:
        add(f"The level {low:g} must be more than zero")


def _move_problems(spec: AlertSpec, add: Callable[[str], None]) -> None:
    amount = spec.amount
    if not _finite(amount) or amount is None or amount <= 0:
        add("A move needs an amount above zero, e.g. up 0.5% in 15m")
    elif spec.percent and amount >= 100 and spec.condition is Condition.MOVES_DOWN:
        add(f"A price cannot fall by {amount:g}%")
    if not 1 <= spec.window_s <= MAX_WINDOW_S:
        add("A move needs a time window from 1s to 7d, e.g. in 15m")


def _trigger_problems(spec: AlertSpec, now_msc: int, add: Callable[[str], None]) -> None:
    trigger, watch, condition = spec.trigger, spec.watch, spec.condition
    if trigger in (Trigger.ONCE_PER_BAR, Trigger.ONCE_PER_BAR_CLOSE) and spec.timeframe is None:
        add("Say which bars: once per bar of M1, M5, M15, M30, H1, H4 or D1")
    if trigger is Trigger.EVERY:
        if spec.interval_s < 0:
            add("The interval must not be negative")
        elif spec.interval_s == 0 and spec.actions.trades:
            add(
                "An alert that places orders needs a minimum interval between its firings, "
                "e.g. every 5m: every time could send an order at each cross"
            )
        elif spec.interval_s == 0 and condition.is_state:
            add(
                f"The condition '{_condition_words(condition)}' holds on every tick: give a minimum interval, "
                "e.g. every 5m"
            )
    if watch is Watch.TIME and trigger not in (Trigger.ONCE, Trigger.EVERY):
        add("A time alert fires once, or every INTERVAL from that time")
    if watch is Watch.TIME and trigger is Trigger.EVERY and spec.interval_s < 60:
        add("A repeating time alert needs an interval of at least 1m")
    if trigger is Trigger.ONCE_PER_BAR_CLOSE and (watch.is_account or condition.is_move):
        add("Only prices and indicators have bar closes; use once, every or once per bar")
    if trigger is Trigger.ONCE and spec.max_count > 1:
        add(f"Once fires one time, not {spec.max_count}: use every or once per bar with max")
    if spec.max_count < 0:
        add("The maximum count must not be negative")
    if spec.expires_msc is not None:
        if spec.expires_msc <= now_msc:
            add(f"The expiry {_when(spec.expires_msc)} is already past")
        elif spec.at_msc is not None and spec.expires_msc <= spec.at_msc:
            add("The expiry comes before the alert's time")


def _action_problems(
    spec: AlertSpec, specs: Mapping[str, SymbolSpec], add: Callable[[str], None]
) -> None:
    actions = spec.actions
    if actions.webhook:
        problem = webhook_problem(actions.webhook)
        if problem:
            add(problem)
    if actions.repeat_until_ack and actions.repeat_every_s < MIN_REPEAT_S:
        add(f"Repeat at most every {MIN_REPEAT_S}s")
    order = actions.order
    if order is None:
        return
    symbol = specs.get(order.symbol)
    if symbol is None:
        add(f"The order's symbol '{order.symbol}' is not at this broker")
    elif (volume := symbol.volume_problem(order.volume)) is not None:
        add(f"The order: {volume}")
    if order.order_type is not OrderType.MARKET:
        add("An alert's order is a market order")
    for name, price in (("stop loss", order.sl), ("take profit", order.tp)):
        if price is not None and (not _finite(price) or price <= 0):
            add(f"The order's {name} must be a price above zero")


def webhook_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook, or None: what an HTTP client would refuse to send to.

    Reachability is checked by sending; this refuses what no client can even try
    (a port above 65535, a control character, a malformed international name),
    so such an address is never stored to fail at every firing.
    """
    if len(url) > MAX_URL:
        return f"The webhook address is {len(url)} characters; at most {MAX_URL}"
    shown = webhook_display(url)
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        return f"The webhook address '{shown}' holds a space or a control character"
    parts = _split_url(url)
    if parts is None or not parts.hostname:
        return f"The webhook address '{shown}' is not http:// or https:// and a host"
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        return f"The webhook address '{shown}' has a port that is not a number from 1 to 65535"
    if "\\" in parts.netloc or (parts.path and not parts.path.startswith("/")):
        return f"The webhook address '{shown}' is not http:// or https:// and a host"
    if not _host_ok(parts.hostname, ipv6="[" in parts.netloc):
        return f"The webhook address '{shown}' has no valid host name"
    return None


def _split_url(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" of an IPv6 address
        return None
    return parts if parts.scheme.lower() in ("http", "https") else None


def _host_ok(host: str, *, ipv6: bool) -> bool:
    """A host an HTTP client can resolve: an IP address, or a DNS name (IDNA-encodable)."""
    if ipv6:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    try:
        ascii_host = idna.encode(host, uts46=True).decode() if not host.isascii() else host
    except UnicodeError:  # idna.IDNAError is one
        return False
    name = ascii_host.lower().removesuffix(".")
    if not name or len(name) > MAX_HOST:
        return False
    for label in name.split("."):
        if not _HOST_LABEL.match(label):
            return False
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except UnicodeError:
                return False
    return True


def webhook_display(url: str) -> str:
    """A webhook URL as it may be shown: scheme and host only.

    Webhook addresses often carry their secret in the path or the query (Slack,
    Discord, IFTTT), so neither is ever written to the event log or a message.
    Control characters are left out, so the address cannot break a log line.
    """
    printable = "".join(ch if ch.isprintable() and not ch.isspace() else "\ufffd" for ch in url)
    parts = _split_url(printable)
    if parts is None or not parts.netloc:
        return printable[:24] + ("…" if len(printable) > 24 else "")
    host = parts.netloc.rpartition("@")[2]
    rest = printable[len(parts.scheme) + 3 + len(parts.netloc) :]
    return f"{parts.scheme.lower()}://{host}" + ("/…" if rest and rest != "/" else "")


# --------------------------------------------------------------------------- words


_CONDITION_WORDS = {
    Condition.CROSSES: "crosses",
    Condition.CROSSES_UP: "crosses up",
    Condition.CROSSES_DOWN: "crosses down",
    Condition.ABOVE: "above",
    Condition.BELOW: "below",
    Condition.ENTERS_CHANNEL: "enters",
    Condition.EXITS_CHANNEL: "exits",
    Condition.MOVES_UP: "rises",
    Condition.MOVES_DOWN: "falls",
    Condition.AT: "at",
}
_FIRED_WORDS = {
    Condition.CROSSES: "crossed",
    Condition.CROSSES_UP: "crossed up",
    Condition.CROSSES_DOWN: "crossed down",
    Condition.ABOVE: "is above",
    Condition.BELOW: "is below",
    Condition.ENTERS_CHANNEL: "entered",
    Condition.EXITS_CHANNEL: "left",
    Condition.MOVES_UP: "rose",
    Condition.MOVES_DOWN: "fell",
    Condition.AT: "time",
}


def _condition_words(condition: Condition) -> str:
    return _CONDITION_WORDS[condition]


def _watch_words(watch: Watch) -> str:
    return {
        Watch.POSITION_PNL: "a position's P&L",
        Watch.MARGIN_LEVEL: "the margin level",
        Watch.INDICATOR: "an indicator",
        Watch.TIME: "the time",
    }.get(watch, f"the {watch}")


def local_moment(time_msc: int, zone: tzinfo | None = None) -> datetime:
    """The moment in ``zone`` (local time unless given). Read as UTC first: on Windows
    a naive ``fromtimestamp`` fails (OSError) in the first day of 1970, which a trader
    can type."""
    return datetime.fromtimestamp(time_msc / 1000, UTC).astimezone(zone)


def _when(time_msc: int, zone: tzinfo | None = None) -> str:
    return f"{local_moment(time_msc, zone):%Y-%m-%d %H:%M}"


def format_moment(time_msc: int, zone: tzinfo | None = None) -> str:
    """``2025-01-02 09:00``: a moment as alerts show it (local time unless ``zone``)."""
    return _when(time_msc, zone)


def format_duration(seconds: int) -> str:
    """``300`` → ``5m``; the largest unit that divides it (``90`` → ``90s``)."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


PriceFormat = Callable[[float], str]


def _price_format(symbol: SymbolSpec | None) -> PriceFormat:
    return symbol.format_price if symbol is not None else (lambda v: f"{v:g}")


def _subject(spec: AlertSpec) -> str:
    watch = spec.watch
    if watch.is_price:
        return f"{spec.symbol} {watch}"
    if watch is Watch.INDICATOR:
        label = spec.indicator.label() if spec.indicator else "indicator"
        return f"{spec.symbol} {label}"
    if watch is Watch.POSITION_PNL:
        return f"position #{spec.ticket} P&L"
    if watch is Watch.MARGIN_LEVEL:
        return "margin level"
    return spec.symbol or "time"


def _value(spec: AlertSpec, value: float, fmt: PriceFormat) -> str:
    if spec.watch is Watch.MARGIN_LEVEL:
        return f"{value:,.0f}%"
    if spec.watch is Watch.POSITION_PNL:
        return f"{value:+,.2f}"
    if spec.watch is Watch.INDICATOR:
        return f"{value:.6g}"
    return fmt(value)


def _target(spec: AlertSpec, fmt: PriceFormat) -> str:
    condition = spec.condition
    if condition.is_channel:
        low, high = spec.level or 0.0, spec.upper or 0.0
        return f"{_value(spec, low, fmt)}–{_value(spec, high, fmt)}"
    if condition.is_move:
        amount = spec.amount or 0.0
        by = f"{amount:g}%" if spec.percent else _value(spec, amount, fmt)
        return f"{by} within {format_duration(spec.window_s)}"
    if spec.line is not None:
        line = spec.line
        return (
            f"the trend line {fmt(line.price1)} ({_when(line.time1_msc)}) → "
            f"{fmt(line.price2)} ({_when(line.time2_msc)})"
        )
    if spec.other is not None:
        return spec.other.label()
    return _value(spec, spec.level or 0.0, fmt)


def trigger_words(spec: AlertSpec, zone: tzinfo | None = None) -> str:
    """``once``, ``every 5m``, ``once per M15 bar``, with the limit and expiry."""
    trigger = spec.trigger
    tf = spec.timeframe.name if spec.timeframe else "?"
    words = {
        Trigger.ONCE: "once",
        Trigger.ONCE_PER_BAR: f"once per {tf} bar",
        Trigger.ONCE_PER_BAR_CLOSE: f"on {tf} bar closes",
        Trigger.EVERY: (
            f"every {format_duration(spec.interval_s)}" if spec.interval_s else "every time"
        ),
    }[trigger]
    if spec.watch is Watch.INDICATOR and trigger is not Trigger.ONCE_PER_BAR_CLOSE:
        words += " (on bar closes)"
    if trigger is not Trigger.ONCE and spec.max_count:
        words += f", max {spec.max_count}"
    if spec.expires_msc is not None:
        words += f", until {_when(spec.expires_msc, zone)}"
    return words


def condition_words(
    spec: AlertSpec, symbol: SymbolSpec | None = None, zone: tzinfo | None = None
) -> str:
    """What it watches and when it fires, without the trigger: ``EURUSD bid crosses 1.10000``."""
    fmt = _price_format(symbol)
    if spec.condition is Condition.AT:
        when = _when(spec.at_msc or 0, zone)
        return f"{spec.symbol} at {when}" if spec.symbol else f"at {when}"
    return f"{_subject(spec)} {_condition_words(spec.condition)} {_target(spec, fmt)}"


def describe(spec: AlertSpec, symbol: SymbolSpec | None = None, zone: tzinfo | None = None) -> str:
    """One line for lists and previews: ``EURUSD bid crosses up 1.10000, once``."""
    head = condition_words(spec, symbol, zone)
    text = f"{head}, {trigger_words(spec, zone)}"
    return f"{text} — {spec.note}" if spec.note else text


def fired_text(
    spec: AlertSpec,
    value: float | None,
    symbol: SymbolSpec | None = None,
    zone: tzinfo | None = None,
    time_msc: int | None = None,
) -> str:
    """What happened, for the event log and the phone: ``EURUSD bid crossed up 1.10000 (1.10004)``.

    ``time_msc`` is when it fired: a time alert says that moment ("it is 09:00"),
    not its first one (a repeating alert's ``at_msc`` is long past).
    """
    fmt = _price_format(symbol)
    if spec.condition is Condition.AT:
        when = time_msc if time_msc is not None else spec.at_msc or 0
        head = f"{spec.symbol + ' ' if spec.symbol else ''}it is {_when(when, zone)}"
        if value is not None and spec.symbol:
            head += f" (bid {fmt(value)})"
    else:
        head = f"{_subject(spec)} {_FIRED_WORDS[spec.condition]} {_target(spec, fmt)}"
        if value is not None:
            head += f" ({_value(spec, value, fmt)})"
    return f"{head} — {spec.note}" if spec.note else head


# --------------------------------------------------------------------------- storage


def spec_to_dict(spec: AlertSpec) -> dict[str, Any]:
    """``spec`` as plain JSON values (enums by value, nested records as objects)."""
    out: dict[str, Any] = {}
    for f in fields(spec):
        value = getattr(spec, f.name)
        if value is None or value == f.default:
            continue
        out[f.name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Timeframe):
        return value.name
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, TrendLine | IndicatorRef | AlertActions | OrderRequest):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


#: The plain field types a stored definition is checked against, by annotation.
_PLAIN_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "int | None": (int, type(None)),
    "float": (int, float),
    "float | None": (int, float, type(None)),
}


def _check_plain(kind: type, values: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` if a plain field of ``kind`` holds a value of another type.

    A definition that reads but holds, say, a text for a level would otherwise be
    armed and fail at the first tick, taking every other alert with it.
    """
    for f in fields(kind):
        accepted = _PLAIN_TYPES.get(str(f.type))
        if accepted is None or f.name not in values:
            continue
        value = values[f.name]
        if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
            raise ValueError(f"{kind.__name__}.{f.name} is {value!r}")


def spec_from_dict(data: Any) -> AlertSpec:
    """The inverse of :func:`spec_to_dict`; raises ``ValueError`` on anything it cannot read.

    ``data`` is whatever the stored JSON held (``null``, a number, a list...):
    anything but an object of known fields of the right types is a ``ValueError``,
    so one unreadable row costs only its own alert.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"alert: the definition is {type(data).__name__}, not an object")
    known = {f.name for f in fields(AlertSpec)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"alert: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    values: dict[str, Any] = dict(data)
    try:
        _check_plain(AlertSpec, values)
        for name, kind in (("watch", Watch), ("condition", Condition), ("trigger", Trigger)):
            if name in values:
                values[name] = kind(values[name])
        if "timeframe" in values:
            values["timeframe"] = Timeframe[values["timeframe"]]
        if "line" in values:
            _check_plain(TrendLine, values["line"])
            values["line"] = TrendLine(**values["line"])
        for name in ("indicator", "other"):
            if name in values:
                ref = dict(values[name])
                ref["timeframe"] = Timeframe[ref["timeframe"]]
                values[name] = IndicatorRef(**ref)
        if "actions" in values:
            actions = dict(values["actions"])
            _check_plain(AlertActions, actions)
            if "order" in actions:
                order = dict(actions["order"])
                order["side"] = Side(order["side"])
                order["order_type"] = OrderType(order.get("order_type", "market"))
                order["source"] = OrderSource(order.get("source", "alert"))
                if "time_in_force" in order:
                    order["time_in_force"] = TimeInForce(order["time_in_force"])
                actions["order"] = OrderRequest(**order)
            values["actions"] = AlertActions(**actions)
        return AlertSpec(**values)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"alert: {exc}") from None


def with_actions(spec: AlertSpec, **changes: Any) -> AlertSpec:
    """``spec`` with some of its actions changed."""
    return replace(spec, actions=replace(spec.actions, **changes))
