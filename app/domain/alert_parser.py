"""The command line's alert words: ``alert …`` and ``alerts``, turned into alert commands.

Part of the order command line (``command_parser.parse`` hands ``alert`` and
``alerts`` here), with its rules: case-insensitive words, numbers typed with
the digits 0-9 exactly as typed, and every refusal naming the word at fault.

Grammar (``docs/alerts.md`` has it with examples)::

    alerts                                 list them (in the event log)
    alert del|on|off N                     delete, switch on, switch off alert N
    alert ack [N]                          acknowledge alert N (all without N)
    alert edit N DEFINITION                replace alert N's definition
    alert DEFINITION                       a new alert

    DEFINITION = WHAT CONDITION [TRIGGER] [OPTION…] [then buy|sell [VOLUME] [sl P] [tp P]]
    WHAT       = [SYMBOL] [bid|ask|last]
               | [SYMBOL] [TIMEFRAME] INDICATOR       e.g. m15 rsi(14), h1 macd(12,26,9).signal
               | #TICKET pnl                          a position's floating P&L
               | margin                               the margin level, in percent
    CONDITION  = cross [up|down] LEVEL | > LEVEL | < LEVEL | above LEVEL | below LEVEL
               | enter LOW HIGH | exit LOW HIGH
               | rise|fall AMOUNT[%|p|pt] in DURATION
               | at HH:MM | at YYYY-MM-DD HH:MM      (a time: WHAT is then just [SYMBOL])
    LEVEL      = a number, or (for an indicator) another INDICATOR
    TRIGGER    = once | every [DURATION] | bar TIMEFRAME | close TIMEFRAME
    OPTION     = max N | exp HH:MM|YYYY-MM-DD HH:MM|DURATION | sound | notify | telegram
               | log | webhook URL | ack [DURATION] | note TEXT…

``DURATION`` is a number and ``s``, ``m``, ``h`` or ``d`` (``5m``, ``1h``). Without a
symbol the current one is used. Without any of ``sound notify telegram log
webhook`` an alert does all but the webhook; naming some does exactly those
(the event log always). ``then buy …`` is the opt-in to trade: a market order
on the alert's symbol each time it fires, through the risk gate; such a
command is always confirmed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from app.domain.alert_facts import (
    AcknowledgeAlert,
    CreateAlert,
    DeleteAlert,
    EditAlert,
    EnableAlert,
    RequestAlerts,
)
from app.domain.alerts import (
    AlertActions,
    AlertSpec,
    Condition,
    IndicatorRef,
    Trigger,
    Watch,
    alert_problems,
    describe,
)
from app.domain.command_parser import (
    _DATE,
    _TIME,
    ParseContext,
    ParsedCommand,
    _number,
    _Refused,
    _symbol,
)
from app.domain.enums import OrderSource, Side
from app.domain.normalize import pip_size
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderRequest

EXAMPLES = "alert eurusd bid > 1.1000, alert gbpusd cross 1.2700 every 5m, alert eurusd at 14:30"
FIELDS = {"bid": Watch.BID, "ask": Watch.ASK, "last": Watch.LAST}
CROSS_WORDS = frozenset({"cross", "crosses", "x"})
CROSS_SIDES = {
    "up": Condition.CROSSES_UP,
    "down": Condition.CROSSES_DOWN,
    "above": Condition.CROSSES_UP,
    "below": Condition.CROSSES_DOWN,
}
CONDITION_WORDS = {
    ">": Condition.ABOVE,
    "above": Condition.ABOVE,
    "<": Condition.BELOW,
    "below": Condition.BELOW,
    "crossup": Condition.CROSSES_UP,
    "cross-up": Condition.CROSSES_UP,
    "crossdown": Condition.CROSSES_DOWN,
    "cross-down": Condition.CROSSES_DOWN,
    "enter": Condition.ENTERS_CHANNEL,
    "enters": Condition.ENTERS_CHANNEL,
    "exit": Condition.EXITS_CHANNEL,
    "exits": Condition.EXITS_CHANNEL,
    "rise": Condition.MOVES_UP,
    "rises": Condition.MOVES_UP,
    "up": Condition.MOVES_UP,
    "fall": Condition.MOVES_DOWN,
    "falls": Condition.MOVES_DOWN,
    "down": Condition.MOVES_DOWN,
}
CHANNELS = frozenset({"sound", "notify", "popup", "telegram", "tg", "log", "webhook"})
KEYWORDS = frozenset(
    {
        *FIELDS,
        *CROSS_WORDS,
        *CONDITION_WORDS,
        *CHANNELS,
        "at",
        "once",
        "every",
        "bar",
        "close",
        "max",
        "exp",
        "until",
        "ack",
        "note",
        "then",
        "in",
        "margin",
        "pnl",
    }
)
VERBS = {"del": "delete", "delete": "delete", "rm": "delete", "remove": "delete"}
VERBS |= {"on": "on", "enable": "on", "off": "off", "disable": "off", "ack": "ack"}
VERBS |= {"edit": "edit"}
_DURATION = re.compile(r"^(\d{1,6})(s|sec|m|min|h|d)$", re.ASCII)
_DURATION_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86_400}
_AMOUNT = re.compile(r"^(\d+(?:[.,]\d*)?|[.,]\d+)(%|p|pip|pips|pt|pts|points)?$", re.ASCII)
_INDICATOR = re.compile(r"^([a-z][a-z0-9_]*)\(([^()]*)\)(?:\.([a-z_]+))?$", re.ASCII)
_NUMBER_WORD = re.compile(r"^#?\d+$", re.ASCII)
_OPERATOR = re.compile(r"^(>=?|<=?)(.+)$")


def parse_alert(verb: str, words: Sequence[str], ctx: ParseContext) -> ParsedCommand:
    """``alerts`` or ``alert …`` (``words`` after the verb), or a ``_Refused`` saying why not."""
    request_id = ctx.new_id()
    if verb == "alerts":
        _nothing_after(words, 0)
        return ParsedCommand((RequestAlerts(say=True, request_id=request_id),), "List the alerts")
    words = _split_operators(words)
    if not words:
        raise _Refused(f"Alert on what? e.g. {EXAMPLES}")
    first = words[0].lower()
    action = VERBS.get(first)
    if action is not None:
        return _manage(action, words, ctx, request_id)
    spec, trades = _definition(words, ctx)
    return _created(CreateAlert(spec, request_id, ctx.source), spec, trades, ctx)


def _manage(action: str, words: Sequence[str], ctx: ParseContext, request_id: str) -> ParsedCommand:
    verb = words[0]
    source = ctx.source
    if action == "ack" and len(words) == 1:
        command = AcknowledgeAlert(None, request_id, source)
        return ParsedCommand((command,), "Acknowledge every alert")
    if len(words) < 2:
        raise _Refused(f"After '{verb}' give the alert's number, e.g. alert {verb} 3", verb)
    number = _alert_number(words[1])
    if action == "edit":
        if len(words) < 3:
            raise _Refused(
                f"After 'edit {words[1]}' give the new definition, e.g. alert edit "
                f"{number} eurusd > 1.1000",
                words[1],
            )
        spec, trades = _definition(words[2:], ctx)
        return _created(EditAlert(number, spec, request_id, source), spec, trades, ctx)
    _nothing_after(words, 2)
    if action == "delete":
        return ParsedCommand((DeleteAlert(number, request_id, source),), f"Delete alert {number}")
    if action == "ack":
        command = AcknowledgeAlert(number, request_id, source)
        return ParsedCommand((command,), f"Acknowledge alert {number}")
    on = action == "on"
    text = f"Switch alert {number} {'on' if on else 'off'}"
    return ParsedCommand((EnableAlert(number, on, request_id, source),), text)


def _created(
    command: CreateAlert | EditAlert, spec: AlertSpec, trades: bool, ctx: ParseContext
) -> ParsedCommand:
    """The command and its preview, once the definition has no problem the engine would see."""
    now = _local_now(ctx)
    problems = alert_problems(spec, ctx.specs, int(now.timestamp() * 1000))
    if problems:
        raise _Refused("; ".join(problems))
    symbol = ctx.specs.get(spec.symbol)
    head = "Create alert" if isinstance(command, CreateAlert) else f"Change alert {command.number}"
    actions = ", ".join(spec.actions.names())
    text = f"{head}: {describe(spec, symbol, now.tzinfo)}; {actions}"
    return ParsedCommand((command,), text, bulk=trades)


# ----------------------------------------------------------------- the definition


class _Draft:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.symbol: str | None = None
        self.watch: Watch | None = None
        self.watch_word = ""
        self.timeframe: Timeframe | None = None
        self.condition: Condition | None = None
        self.channels: set[str] = set()
        self.webhook = ""
        self.ack: int | None = None
        self.order: OrderRequest | None = None
        self.seen: set[str] = set()

    def once(self, key: str, token: str) -> None:
        if key in self.seen:
            raise _Refused(f"The word '{token}' is given twice", token)
        self.seen.add(key)


def _definition(words: Sequence[str], ctx: ParseContext) -> tuple[AlertSpec, bool]:
    d = _Draft()
    i = 0
    n = len(words)
    while i < n:
        token = words[i]
        low = token.lower()
        if d.condition is None:
            i = _subject_or_condition(words, i, d, ctx)
            continue
        if low == "once":
            d.once("trigger", token)
            d.values["trigger"] = Trigger.ONCE
            i += 1
        elif low == "every":
            d.once("trigger", token)
            d.values["trigger"] = Trigger.EVERY
            if i + 1 < n and _DURATION.match(words[i + 1].lower()):
                d.values["interval_s"] = _duration(words[i + 1])
                i += 2
            elif i + 1 < n and words[i + 1].lower() in ("time", "tick"):
                i += 2
            else:
                i += 1
        elif low in ("bar", "close"):
            d.once("trigger", token)
            d.values["trigger"] = (
                Trigger.ONCE_PER_BAR if low == "bar" else Trigger.ONCE_PER_BAR_CLOSE
            )
            d.values["timeframe"] = _timeframe_after(words, i)
            i += 2
        elif low == "max":
            d.once("max", token)
            d.values["max_count"] = _count_after(words, i)
            i += 2
        elif low in ("exp", "until"):
            d.once("exp", token)
            i = _expiry(words, i + 1, d, ctx)
        elif low in CHANNELS:
            if low == "webhook":
                if i + 1 >= n:
                    raise _Refused(
                        "After 'webhook' give its address, e.g. webhook https://…", token
                    )
                d.once("webhook", token)
                d.webhook = words[i + 1]
                i += 2
            else:
                d.channels.add({"popup": "notify", "tg": "telegram"}.get(low, low))
                i += 1
        elif low == "ack":
            d.once("ack", token)
            d.ack = 60
            if i + 1 < n and _DURATION.match(words[i + 1].lower()):
                d.ack = _duration(words[i + 1])
                i += 1
            i += 1
        elif low in ("note", "msg"):
            d.values["note"] = " ".join(words[i + 1 :])
            if not d.values["note"]:
                raise _Refused(f"After '{token}' give some text", token)
            break
        elif low == "then":
            d.order = _order_action(words, i + 1, d, ctx)
            break
        else:
            raise _unknown(token, ctx)
    if (
        d.values.get("trigger") is Trigger.EVERY
        and not d.values.get("interval_s")
        and d.condition is not None
        and d.condition.is_state
    ):
        word = next(w for w in words if w.lower() == "every")
        raise _Refused(
            f"The word '{word}' without an interval would fire on every tick while the price is "
            f"{d.condition}: give one, e.g. every 5m",
            word,
        )
    if d.condition is None:
        last = words[-1]
        raise _Refused(
            f"The alert has no condition after '{last}': add cross, >, <, enter, exit, rise, "
            "fall or at, e.g. alert eurusd > 1.1000",
            last,
        )
    return _spec(d, ctx), d.order is not None


def _subject_or_condition(words: Sequence[str], i: int, d: _Draft, ctx: ParseContext) -> int:
    """Read the words before the condition (symbol, price, indicator, #ticket pnl, margin)."""
    token = words[i]
    low = token.lower()
    if low in FIELDS:
        _subject_once(d, "price", token)
        d.watch, d.watch_word = FIELDS[low], token
        return i + 1
    if low == "margin":
        _subject_once(d, "price", token)
        d.watch, d.watch_word = Watch.MARGIN_LEVEL, token
        return i + 1
    if token.startswith("#"):
        if i + 1 >= len(words) or words[i + 1].lower() != "pnl":
            raise _Refused(
                f"After '{token}' write pnl: a position's P&L, e.g. alert {token} pnl < -100",
                token,
            )
        _subject_once(d, "price", token)
        ticket = _ticket(token)
        if ctx.positions and not any(p.ticket == ticket for p in ctx.positions):
            raise _Refused(f"No open position {token}", token)
        d.values["ticket"] = ticket
        d.watch, d.watch_word = Watch.POSITION_PNL, token
        return i + 2
    if (indicator := _INDICATOR.match(low)) is not None:
        _subject_once(d, "price", token)
        d.watch, d.watch_word = Watch.INDICATOR, token
        d.values["indicator"] = _indicator(indicator, token, d)
        return i + 1
    if low in ("m1", "m5", "m15", "m30", "h1", "h4", "d1"):
        d.once("timeframe-of-indicator", token)
        d.timeframe = Timeframe[low.upper()]
        return i + 1
    if low == "at":
        return _at(words, i + 1, d, ctx)
    condition = CONDITION_WORDS.get(low)
    if low in CROSS_WORDS:
        condition = Condition.CROSSES
        if i + 1 < len(words) and words[i + 1].lower() in CROSS_SIDES:
            condition = CROSS_SIDES[words[i + 1].lower()]
            i += 1
    if condition is not None:
        d.condition = condition
        return _condition_values(words, i + 1, d, token, ctx)
    if (symbol := _symbol(token, ctx)) is not None:
        if d.symbol is not None:
            raise _Refused(f"Two symbols, {d.symbol} and {symbol}: name one", token)
        if d.watch is not None:
            raise _Refused(
                f"Name the symbol before '{d.watch_word}', e.g. alert {symbol} bid > 1.1", token
            )
        d.symbol = symbol
        return i + 1
    if i == 0 and token.isalnum() and not token.isdigit() and token.isascii():
        import difflib

        close = difflib.get_close_matches(token.upper(), [s.upper() for s in ctx.specs], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise _Refused(f"No symbol '{token.upper()}' at this broker{hint}", token)
    raise _unknown(token, ctx)


def _subject_once(d: _Draft, key: str, token: str) -> None:
    if key in d.seen:
        raise _Refused(
            f"An alert watches one thing (a price, an indicator, a position's P&L or the "
            f"margin level): '{token}' after '{d.watch_word}'",
            token,
        )
    d.seen.add(key)


def _condition_values(
    words: Sequence[str], i: int, d: _Draft, keyword: str, ctx: ParseContext
) -> int:
    condition = d.condition
    assert condition is not None
    if condition.is_channel:
        if i + 1 >= len(words):
            raise _Refused(
                f"After '{keyword}' give two levels, e.g. {keyword} 1.0900 1.1000", keyword
            )
        a, b = _level(words[i], d, "Level"), _level(words[i + 1], d, "Level")
        d.values["level"], d.values["upper"] = min(a, b), max(a, b)
        return i + 2
    if condition.is_move:
        if i >= len(words):
            raise _Refused(
                f"After '{keyword}' give how far and how fast, e.g. {keyword} 0.5% in 15m", keyword
            )
        _move_amount(words[i], d, ctx)
        if i + 1 >= len(words) or words[i + 1].lower() != "in":
            bad = words[i + 1] if i + 1 < len(words) else words[i]
            raise _Refused(
                f"After '{words[i]}' say within how long, e.g. {keyword} {words[i]} in 15m", bad
            )
        if i + 2 >= len(words):
            raise _Refused("After 'in' give a duration, e.g. in 15m", words[i + 1])
        d.values["window_s"] = _duration(words[i + 2])
        return i + 3
    if i >= len(words):
        raise _Refused(f"After '{keyword}' give a level, e.g. {keyword} 1.1000", keyword)
    token = words[i]
    other = _INDICATOR.match(token.lower())
    if other is not None:
        if d.watch is not Watch.INDICATOR:
            raise _Refused(
                f"Only an indicator alert compares with another indicator, not with '{token}'",
                token,
            )
        d.values["other"] = _indicator(other, token, d)
        return i + 1
    d.values["level"] = _level(token, d, "Level")
    return i + 1


def _level(token: str, d: _Draft, what: str) -> float:
    """A level as typed; negative only for a position's P&L."""
    if token.startswith("-") and d.watch is Watch.POSITION_PNL:
        return -_number(token[1:], what, word=token)
    if token.startswith("-"):
        raise _Refused(f"{what} '{token}' must be more than zero", token)
    return _number(token, what)


def _move_amount(token: str, d: _Draft, ctx: ParseContext) -> None:
    match = _AMOUNT.match(token.lower())
    if match is None:
        raise _Refused(
            f"The amount '{token}' is not a price difference (0.0050), pips (20p), points "
            "(50pt) or a percentage (0.5%)",
            token,
        )
    value = _number(match.group(1), "Amount", word=token)
    unit = match.group(2) or ""
    if unit == "%":
        d.values["percent"] = True
    elif unit:
        symbol = d.symbol or ctx.current_symbol
        spec = ctx.specs.get(symbol or "")
        if spec is None:
            raise _Refused(
                f"The amount '{token}' needs a symbol to measure pips or points in", token
            )
        value *= pip_size(spec) if unit.startswith("p") and "t" not in unit else spec.point
        value = round(value, spec.digits + 2)
    d.values["amount"] = value


def _at(words: Sequence[str], i: int, d: _Draft, ctx: ParseContext) -> int:
    if d.watch is not None:
        raise _Refused(
            f"A time alert watches the clock, not '{d.watch_word}': alert SYMBOL at 14:30",
            d.watch_word,
        )
    d.watch, d.condition = Watch.TIME, Condition.AT
    if i >= len(words):
        raise _Refused("After 'at' give a time, e.g. at 14:30 or at 2025-01-02 14:30", "at")
    when, used = _moment(words, i, ctx, "The time")
    d.values["at_msc"] = when
    return i + used


def _moment(words: Sequence[str], i: int, ctx: ParseContext, what: str) -> tuple[int, int]:
    """HH:MM (today) or YYYY-MM-DD HH:MM, local time; (epoch ms, words used). Past is refused."""
    token = words[i]
    now = _local_now(ctx)
    if (tm := _TIME.match(token)) is not None:
        when = now.replace(hour=int(tm.group(1)), minute=int(tm.group(2)), second=0, microsecond=0)
        if when <= now:
            raise _Refused(
                f"{what} {token} today is already past; give a date, e.g. "
                f"{(now + timedelta(days=1)):%Y-%m-%d} {token}",
                token,
            )
        return int(when.timestamp() * 1000), 1
    if (dm := _DATE.match(token)) is not None:
        if i + 1 >= len(words) or (tm := _TIME.match(words[i + 1])) is None:
            raise _Refused(f"After the date '{token}' give a time, e.g. {token} 14:30", token)
        try:
            when = now.replace(
                year=int(dm.group(1)),
                month=int(dm.group(2)),
                day=int(dm.group(3)),
                hour=int(tm.group(1)),
                minute=int(tm.group(2)),
                second=0,
                microsecond=0,
            )
        except ValueError:
            raise _Refused(f"The date '{token}' does not exist", token) from None
        if when <= now:
            raise _Refused(f"{what} {token} {words[i + 1]} is already past", token)
        return int(when.timestamp() * 1000), 2
    raise _Refused(f"{what} '{token}' is not HH:MM or YYYY-MM-DD HH:MM", token)


def _expiry(words: Sequence[str], i: int, d: _Draft, ctx: ParseContext) -> int:
    if i >= len(words):
        raise _Refused(
            "After 'exp' give a time (HH:MM), a date and time, or a duration (2h)", "exp"
        )
    token = words[i]
    if _DURATION.match(token.lower()):
        now = _local_now(ctx)
        d.values["expires_msc"] = int((now.timestamp() + _duration(token)) * 1000)
        return i + 1
    when, used = _moment(words, i, ctx, "The expiry")
    d.values["expires_msc"] = when
    return i + used


def _order_action(words: Sequence[str], i: int, d: _Draft, ctx: ParseContext) -> OrderRequest:
    if i >= len(words) or words[i].lower() not in ("buy", "b", "sell", "s"):
        bad = words[i] if i < len(words) else "then"
        raise _Refused("After 'then' give buy or sell, e.g. then buy 0.1 sl 1.0950", bad)
    side = Side.BUY if words[i].lower() in ("buy", "b") else Side.SELL
    symbol = d.symbol or ctx.current_symbol or ""
    volume = ctx.default_volume
    sl = tp = None
    seen: set[str] = set()
    j = i + 1
    while j < len(words):
        token, low = words[j], words[j].lower()
        if low in ("sl", "tp"):
            if low in seen:
                raise _Refused(f"The word '{token}' is given twice", token)
            seen.add(low)
            if j + 1 >= len(words):
                raise _Refused(f"After '{token}' give a price, e.g. {low} 1.0850", token)
            value = words[j + 1]
            if not re.match(r"^[\d.,]+$", value):
                raise _Refused(
                    f"{low.upper()} '{value}' must be a price: when the alert fires the entry is "
                    "not known, so pips and R cannot be measured",
                    value,
                )
            price = _number(value, low.upper())
            if low == "sl":
                sl = price
            else:
                tp = price
            j += 2
        elif re.match(r"^[\d.,]+$", token) and "volume" not in seen:
            seen.add("volume")
            volume = _number(token, "Volume")
            j += 1
        elif _symbol(token, ctx) is not None:
            raise _Refused(
                f"An alert's order is on the alert's own symbol ({symbol or '?'}), not '{token}'",
                token,
            )
        else:
            raise _unknown(token, ctx)
    return OrderRequest("", symbol, side, volume, sl=sl, tp=tp, source=OrderSource.ALERT)


def _spec(d: _Draft, ctx: ParseContext) -> AlertSpec:
    values = dict(d.values)
    watch = d.watch or Watch.BID
    symbol = d.symbol
    if symbol is None and watch not in (Watch.MARGIN_LEVEL, Watch.POSITION_PNL, Watch.TIME):
        symbol = ctx.current_symbol
        if symbol is None or symbol not in ctx.specs:
            raise _Refused(f"No symbol: name one, e.g. {EXAMPLES.split(',')[0]}")
    if d.timeframe is not None and watch is not Watch.INDICATOR:
        raise _Refused(
            f"The timeframe '{d.timeframe.name.lower()}' names an indicator's bars: for a price alert use "
            f"bar {d.timeframe.name.lower()} or close {d.timeframe.name.lower()}",
            d.timeframe.name.lower(),
        )
    defaults = not (d.channels or d.webhook)
    actions = AlertActions(
        sound=defaults or "sound" in d.channels,
        notify=defaults or "notify" in d.channels,
        telegram=defaults or "telegram" in d.channels,
        webhook=d.webhook,
        order=d.order,
        trade=d.order is not None,
        repeat_until_ack=d.ack is not None,
        repeat_every_s=d.ack if d.ack is not None else 60,
    )
    return AlertSpec(
        symbol=symbol or "",
        watch=watch,
        condition=d.condition or Condition.CROSSES,
        actions=actions,
        **values,
    )


def _indicator(match: re.Match[str], token: str, d: _Draft) -> IndicatorRef:
    if d.timeframe is None:
        raise _Refused(f"Give the indicator's timeframe before it, e.g. m15 {token}", token)
    name, inside, output = match.group(1), match.group(2).strip(), match.group(3) or ""
    params: dict[str, float] = {}
    if inside:
        for position, part in enumerate(inside.split(","), start=1):
            key, eq, value = part.partition("=")
            raw = value if eq else key
            number = _number(raw.strip(), f"{name.upper()} parameter", word=token)
            params[key.strip() if eq else str(position)] = number
    return IndicatorRef(name, d.timeframe, params, output)


def _alert_number(token: str) -> int:
    if not _NUMBER_WORD.match(token) or token.strip("#") == "" or int(token.strip("#")) <= 0:
        raise _Refused(
            f"The alert number '{token}' is not a number: give it as the list shows, e.g. 3", token
        )
    return int(token.strip("#"))


def _ticket(token: str) -> int:
    if not _NUMBER_WORD.match(token) or len(token) < 2:
        raise _Refused(f"The ticket '{token}' is not # and the digits 0-9, e.g. #1234", token)
    return int(token[1:])


def _duration(token: str) -> int:
    match = _DURATION.match(token.lower())
    if match is None:
        raise _Refused(f"The duration '{token}' is not a number and s, m, h or d, e.g. 5m", token)
    seconds = int(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds <= 0:
        raise _Refused(f"The duration '{token}' must be more than zero", token)
    return seconds


def _timeframe_after(words: Sequence[str], i: int) -> Timeframe:
    keyword = words[i]
    if i + 1 >= len(words):
        raise _Refused(f"After '{keyword}' give a timeframe, e.g. {keyword} m15", keyword)
    token = words[i + 1]
    try:
        return Timeframe.parse(token)
    except ValueError:
        raise _Refused(
            f"The timeframe '{token}' is not M1, M5, M15, M30, H1, H4 or D1", token
        ) from None


def _count_after(words: Sequence[str], i: int) -> int:
    if i + 1 >= len(words) or not re.match(r"^\d{1,6}$", words[i + 1], re.ASCII):
        bad = words[i + 1] if i + 1 < len(words) else words[i]
        raise _Refused("After 'max' give how many times, e.g. max 3", bad)
    count = int(words[i + 1])
    if count <= 0:
        raise _Refused("The count after 'max' must be at least 1", words[i + 1])
    return count


def _nothing_after(words: Sequence[str], used: int) -> None:
    if len(words) > used:
        extra = words[used]
        raise _Refused(f"Unexpected '{extra}' at the end of the command", extra)


def _split_operators(words: Sequence[str]) -> list[str]:
    """``>1.1`` is ``> 1.1``; ``>=`` and ``<=`` are refused, naming the word."""
    out: list[str] = []
    for word in words:
        if word in (">=", "<=", "=>", "=<", "=="):
            raise _Refused(
                f"The word '{word}' is not a condition: use > (above) or < (below), or cross", word
            )
        match = _OPERATOR.match(word)
        if match is not None and not match.group(1).endswith("="):
            out += [match.group(1), match.group(2)]
        elif match is not None:
            raise _Refused(
                f"The word '{word}' is not a condition: use > (above) or < (below), or cross", word
            )
        else:
            out.append(word)
    return out


def _unknown(token: str, ctx: ParseContext) -> _Refused:
    import difflib

    vocabulary = [*ctx.specs, *KEYWORDS]
    close = difflib.get_close_matches(token.upper(), [v.upper() for v in vocabulary], n=1)
    hint = f" (did you mean {close[0].lower()}?)" if close else ""
    return _Refused(f"Unknown word '{token}' in the alert{hint}", token)


def _local_now(ctx: ParseContext) -> datetime:
    if ctx.now is not None and ctx.now.tzinfo is not None:
        return ctx.now
    return (ctx.now or datetime.now()).astimezone()
