"""The order command line: what a trader types, turned into engine commands or a reason.

``parse(text, context)`` is a pure function. It never raises and never guesses: a
typed number is used exactly as typed or refused in words, so what is sent is what
was typed. Values the parser computes itself (a stop loss written in pips, a take
profit in R-multiples, the default volume) are shown in the preview before Enter.

Grammar (case-insensitive, words separated by spaces)::

    buy|b|sell|s [VOLUME] [SYMBOL] [market | limit P | stop P | stoplimit STOP LIMIT]
                 [sl X] [tp X] [exp gtc|today|HH:MM|YYYY-MM-DD HH:MM] [comment TEXT…]
    close SYMBOL | close #TICKET [VOLUME] | close #TICKET by #TICKET | close all
    flat                                  cancel #TICKET | cancel SYMBOL | cancel all
    modify #TICKET [price P] [sl X|none] [tp X|none]
    reverse [SYMBOL | #TICKET]
    alert … | alerts                      price alerts (``app.domain.alert_parser``)

``VOLUME`` defaults to the default volume, ``SYMBOL`` to the current symbol. A
stop loss or take profit ``X`` is a price (``1.0850``), a distance from the entry
in pips (``20p``; a pip is 10 points on 3- and 5-digit symbols, else one point) or
in points (``150pt``), or, for the take profit only, a multiple of the stop-loss
distance (``2r``: twice as far from the entry as the stop loss). ``modify`` keeps
the stops it is not given; ``sl none`` removes one. ``exp HH:MM`` is local time.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from app.domain.commands import (
    CancelAll,
    CancelOrder,
    CloseAll,
    CloseBy,
    ClosePosition,
    Command,
    ModifyOrder,
    ModifyPosition,
    ReversePosition,
    SubmitOrder,
    new_client_id,
)
from app.domain.enums import OrderSource, OrderType, Side, TimeInForce
from app.domain.market import Tick
from app.domain.normalize import offset_price, pip_size
from app.domain.order_preview import preview_order
from app.domain.symbols import SymbolSpec
from app.domain.trading import OrderRequest, Position, WorkingOrder
from app.domain.validation import (
    cancel_problems,
    modify_order_problems,
    modify_position_problems,
    order_problems,
)

MAX_COMMENT = 31  # MT5's limit for an order comment

SIDES = {"buy": Side.BUY, "b": Side.BUY, "long": Side.BUY, "sell": Side.SELL, "s": Side.SELL}
SIDES["short"] = Side.SELL
PENDING_TYPES = {
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stoplimit": OrderType.STOP_LIMIT,
    "stop-limit": OrderType.STOP_LIMIT,
}
KEYWORDS = frozenset(
    {"market", "mkt", "sl", "tp", "exp", "comment", "price", "by", "all", *PENDING_TYPES}
)
VERBS = frozenset(
    {*SIDES, "close", "flat", "flatten", "cancel", "modify", "reverse", "alert", "alerts"}
)
EXAMPLES = "buy 0.1 eurusd sl 1.0850, close #1234, cancel all"

# Digits are 0-9 only (re.ASCII): "²" or "١" are digits to Python's str, and float()
# even reads "١٢" as 12, but a trader's screen shows them otherwise.
_NUMBER = re.compile(r"^(\d+(?:[.,]\d*)?|[.,]\d+)$", re.ASCII)
_RELATIVE = re.compile(r"^(\d+(?:[.,]\d*)?|[.,]\d+)(p|pip|pips|pt|pts|point|points|r)$", re.ASCII)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$", re.ASCII)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_TICKET = re.compile(r"^#\d{1,18}$", re.ASCII)
_GROUPED = re.compile(r"^\d{1,3}([,.'_ ]\d{3})+([.,]\d+)?$", re.ASCII)
UNREADABLE = "Cannot read this command; nothing was sent"
"""What ``parse`` says if it ever fails on its own: a bug, logged, never the trader's fault."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What the parser needs to know besides the text; the ticket keeps it current."""

    specs: Mapping[str, SymbolSpec]
    quotes: Mapping[str, Tick] = field(default_factory=dict)
    current_symbol: str | None = None
    default_volume: float = 0.1
    positions: Sequence[Position] = ()
    orders: Sequence[WorkingOrder] = ()
    currency: str = "USD"
    leverage: int = 100
    now: datetime | None = None  # aware; the local zone of ``exp HH:MM``; None = now
    source: OrderSource = OrderSource.TICKET
    new_id: Callable[[], str] = new_client_id


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """Commands to send, in order, and the one line that says what they do.

    ``request`` is set for a new order (the ticket form shows it); ``bulk`` marks
    commands that touch everything (close all, flat, cancel all): always confirmed.
    """

    commands: tuple[Command, ...]
    preview: str
    request: OrderRequest | None = None
    bulk: bool = False


@dataclass(frozen=True, slots=True)
class ParseError:
    """Why the text cannot be sent, in words; ``token`` is the offending word."""

    message: str
    token: str | None = None


class _Refused(Exception):
    """Raised inside the parser only; ``parse`` turns it into a ``ParseError``."""

    def __init__(self, message: str, token: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


StopKind = Literal["price", "pips", "points", "r", "none"]


@dataclass(frozen=True, slots=True)
class StopValue:
    """An SL/TP as typed: a price, a distance (pips, points, R) or ``none``."""

    kind: StopKind
    value: float = 0.0
    token: str = ""


def parse(text: str, context: ParseContext) -> ParsedCommand | ParseError:
    """Turn one command line into commands, or say in words why not. Never raises."""
    try:
        return _parse(text, context)
    except _Refused as refused:
        return ParseError(refused.message, refused.token)
    except Exception:  # a bug must not cost the trader a traceback, nor a class name
        log.exception("the command line could not read %r", text)
        return ParseError(UNREADABLE)


def _parse(text: str, ctx: ParseContext) -> ParsedCommand:
    words = text.split()
    if not words:
        raise _Refused(f"Type a command, e.g. {EXAMPLES}")
    verb = words[0].lower()
    rest = words[1:]
    if verb in SIDES:
        return _order(SIDES[verb], rest, ctx)
    if verb == "close":
        return _close(rest, ctx)
    if verb in ("flat", "flatten"):
        _no_more(rest, 0)
        return ParsedCommand(
            (CancelAll(source=ctx.source), CloseAll(source=ctx.source)),
            "Flatten: cancel every working order and close every position at market",
            bulk=True,
        )
    if verb == "cancel":
        return _cancel(rest, ctx)
    if verb == "modify":
        return _modify(rest, ctx)
    if verb == "reverse":
        return _reverse(rest, ctx)
    if verb in ("alert", "alerts"):
        from app.domain.alert_parser import parse_alert  # it builds on this module's readers

        return parse_alert(verb, rest, ctx)
    raise _Refused(
        f"Unknown command '{words[0]}': start with buy, sell, close, flat, cancel, modify, "
        f"reverse or alert",
        words[0],
    )


# ----------------------------------------------------------------- small readers


def typed_number(text: str, what: str) -> tuple[float | None, str | None]:
    """Read a number a person typed in a form field, by the command line's rules.

    Returns ``(value, None)``, ``(None, why not)``, or ``(None, None)`` when nothing
    was typed (the caller decides whether that is allowed).
    """
    token = text.strip()
    if not token:
        return None, None
    try:
        return _number(token, what), None
    except _Refused as refused:
        return None, refused.message


def _number(token: str, what: str, *, word: str | None = None) -> float:
    """The number ``token`` exactly as typed, in the digits 0-9, or a refusal saying why.

    A comma is read as a decimal mark only where it cannot be a thousands
    separator: ``0,5`` and ``1,0850`` are 0.5 and 1.085, but ``1,000`` (one
    thousand, or 1.000?) and ``2,300`` are refused, as are grouped thousands.
    ``word`` is the whole word typed when ``token`` is part of it (``1,500`` of
    ``1,500p``): refusals name what the trader typed.
    """
    shown = word or token
    what = f"{what} " if what else ""
    if _has_other_digits(token):
        raise _Refused(f"{what}'{shown}' is not a number: type it with the digits 0-9", shown)
    if not _NUMBER.match(token):
        if _GROUPED.match(token):
            plain = re.sub(r"[,.'_ ](?=\d{3}(?:\D|$))", "", token).replace(",", ".")
            raise _Refused(
                f"{what}'{shown}' groups thousands: type numbers without thousands "
                f"separators, e.g. {plain}",
                shown,
            )
        raise _Refused(f"{what}'{shown}' is not a number", shown)
    whole, comma, fraction = token.partition(",")
    if comma and len(fraction) == 3 and whole.strip("0"):
        raise _Refused(
            f"{what}'{shown}' is ambiguous: it may mean {whole}{fraction} (a comma between "
            f"thousands) or {whole}.{fraction}; type {whole}{fraction} or {whole}.{fraction}",
            shown,
        )
    return float(token.replace(",", "."))


def _has_other_digits(token: str) -> bool:
    """Digits outside 0-9 (``²``, ``١``, ``１``): never read as numbers."""
    return any(c.isdigit() or c.isnumeric() for c in token if not c.isascii())


def _looks_like_a_number(token: str) -> bool:
    """Digits (of any script) and separators only: read as a number or refused as one."""
    return any(c.isdigit() for c in token) and all(c.isdigit() or c in ".,_'" for c in token)


def _ticket(token: str) -> int | None:
    """``#1234`` → 1234; a word not starting with ``#`` → None; a bad ``#…`` is refused."""
    if not token.startswith("#"):
        return None
    if _TICKET.match(token) is None:
        raise _Refused(
            f"'{token}' is not a ticket number: a ticket is # and the digits 0-9, e.g. #1234",
            token,
        )
    return int(token[1:])


def _symbol(token: str, ctx: ParseContext) -> str | None:
    upper = token.upper()
    for name in ctx.specs:
        if name.upper() == upper:
            return name
    return None


def _unknown(token: str, ctx: ParseContext) -> _Refused:
    if _has_other_digits(token):
        return _Refused(
            f"Unknown word '{token}': not a symbol, a keyword or a number "
            f"(numbers are typed with the digits 0-9)",
            token,
        )
    vocabulary = [*ctx.specs, *KEYWORDS]
    close = difflib.get_close_matches(token.upper(), [v.upper() for v in vocabulary], n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return _Refused(f"Unknown word '{token}': not a symbol or a keyword{hint}", token)


def _no_more(rest: Sequence[str], used: int) -> None:
    if len(rest) > used:
        extra = rest[used]
        raise _Refused(f"Unexpected '{extra}' at the end of the command", extra)


def _spec(symbol: str, ctx: ParseContext) -> SymbolSpec:
    return ctx.specs[symbol]


def _current_symbol(ctx: ParseContext) -> str:
    symbol = ctx.current_symbol
    if symbol is None or symbol not in ctx.specs:
        raise _Refused("No symbol: name one, e.g. buy 0.1 EURUSD")
    return symbol


def _stop_value(tokens: Sequence[str], i: int, keyword: str) -> StopValue:
    if i >= len(tokens):
        raise _Refused(
            f"After '{keyword}' give a price or a distance, e.g. {keyword} 1.0850 or {keyword} 20p",
            keyword,
        )
    token = tokens[i]
    low = token.lower()
    if low in ("none", "off", "0"):
        return StopValue("none", token=token)
    if _looks_like_a_number(token):
        return StopValue("price", _number(token, keyword.upper()), token)
    match = _RELATIVE.match(low)
    if match:
        value = _number(match.group(1), f"{keyword.upper()} distance", word=token)
        unit = match.group(2)
        kind: StopKind = "r" if unit == "r" else ("points" if "t" in unit else "pips")
        if value <= 0:
            raise _Refused(f"{keyword.upper()} distance '{token}' must be more than zero", token)
        return StopValue(kind, value, token)
    raise _Refused(
        f"{keyword.upper()} '{token}' is not a price, pips (20p), points (150pt) or R (2r)",
        token,
    )


# ----------------------------------------------------------------- new orders


@dataclass(slots=True)
class _OrderDraft:
    volume: float | None = None
    volume_token: str = ""
    symbol: str | None = None
    order_type: OrderType | None = None
    price: float | None = None
    stop_limit: float | None = None
    sl: StopValue | None = None
    tp: StopValue | None = None
    tif: TimeInForce = TimeInForce.GTC
    expiration_msc: int | None = None
    exp_given: bool = False
    comment: str = ""


def _order(side: Side, tokens: list[str], ctx: ParseContext) -> ParsedCommand:
    d = _OrderDraft()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        low = token.lower()
        if low in ("market", "mkt"):
            _once(d.order_type is None, token)
            d.order_type = OrderType.MARKET
            i += 1
        elif low in PENDING_TYPES:
            _once(d.order_type is None, token)
            d.order_type = PENDING_TYPES[low]
            if i + 1 >= len(tokens):
                raise _Refused(f"After '{token}' give a price, e.g. {low} 1.0850", token)
            d.price = _number(tokens[i + 1], f"{low.capitalize()} price")
            i += 2
            if d.order_type is OrderType.STOP_LIMIT:
                if i >= len(tokens):
                    raise _Refused(
                        f"After '{token}' give a stop price and a limit price, "
                        f"e.g. stoplimit 1.0900 1.0895",
                        token,
                    )
                d.stop_limit = _number(tokens[i], "Limit price")
                i += 1
        elif low in ("sl", "tp"):
            value = _stop_value(tokens, i + 1, low)
            if low == "sl":
                _once(d.sl is None, token)
                d.sl = value
            else:
                _once(d.tp is None, token)
                d.tp = value
            i += 2
        elif low in ("exp", "expires"):
            _once(not d.exp_given, token)
            d.exp_given = True
            i = _expiration(tokens, i + 1, d, ctx)
        elif low == "comment":
            d.comment = " ".join(tokens[i + 1 :])
            if not d.comment:
                raise _Refused("After 'comment' give some text", token)
            if len(d.comment) > MAX_COMMENT:
                raise _Refused(
                    f"The comment is {len(d.comment)} characters; a comment holds at most "
                    f"{MAX_COMMENT}",
                    token,
                )
            break
        elif _looks_like_a_number(token):
            if d.volume is not None:
                raise _Refused(
                    f"Two volumes, '{d.volume_token}' and '{token}': a price needs a word "
                    f"before it (limit, stop, sl, tp)",
                    token,
                )
            d.volume, d.volume_token = _number(token, "Volume"), token
            i += 1
        elif (symbol := _symbol(token, ctx)) is not None:
            if d.symbol is not None:
                raise _Refused(f"Two symbols, {d.symbol} and {symbol}: name one", token)
            d.symbol = symbol
            i += 1
        else:
            raise _unknown(token, ctx)
    return _finish_order(side, d, ctx)


def _once(first: bool, token: str) -> None:
    if not first:
        raise _Refused(f"The word '{token}' is given twice", token)


def _expiration(tokens: list[str], i: int, d: _OrderDraft, ctx: ParseContext) -> int:
    if i >= len(tokens):
        raise _Refused("After 'exp' give gtc, today or a time (HH:MM)", "exp")
    token = tokens[i]
    low = token.lower()
    now = _now(ctx)
    if low == "gtc":
        d.tif = TimeInForce.GTC
        return i + 1
    if low in ("today", "day"):
        d.tif = TimeInForce.DAY
        return i + 1
    if (tm := _TIME.match(low)) is not None:
        when = now.replace(hour=int(tm.group(1)), minute=int(tm.group(2)), second=0, microsecond=0)
        if when <= now:
            raise _Refused(f"Expiration {token} today is already past", token)
        d.tif, d.expiration_msc = TimeInForce.SPECIFIED, int(when.timestamp() * 1000)
        return i + 1
    if (dm := _DATE.match(low)) is not None:
        if i + 1 >= len(tokens) or (tm := _TIME.match(tokens[i + 1])) is None:
            raise _Refused(f"After the date '{token}' give a time, e.g. {token} 17:00", token)
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
            raise _Refused(f"Expiration {token} {tokens[i + 1]} is already past", token)
        if when - now > timedelta(days=3660):
            raise _Refused(f"Expiration {token} is more than ten years away", token)
        d.tif, d.expiration_msc = TimeInForce.SPECIFIED, int(when.timestamp() * 1000)
        return i + 2
    raise _Refused(f"Expiration '{token}' is not gtc, today, HH:MM or YYYY-MM-DD HH:MM", token)


def _now(ctx: ParseContext) -> datetime:
    """The context's time in its own zone; a naive or missing one is local time."""
    if ctx.now is not None and ctx.now.tzinfo is not None:
        return ctx.now
    return (ctx.now or datetime.now()).astimezone()


def _finish_order(side: Side, d: _OrderDraft, ctx: ParseContext) -> ParsedCommand:
    symbol = d.symbol or _current_symbol(ctx)
    spec = _spec(symbol, ctx)
    volume = d.volume if d.volume is not None else ctx.default_volume
    if (problem := spec.volume_problem(volume)) is not None:
        raise _Refused(problem, d.volume_token or None)
    order_type = d.order_type or OrderType.MARKET
    if d.exp_given and d.tif is not TimeInForce.GTC and not order_type.is_pending:
        raise _Refused(
            "Only pending orders expire: add limit, stop or stoplimit and a price", "exp"
        )
    quote = ctx.quotes.get(symbol)
    entry = _entry(side, order_type, d.price, d.stop_limit, quote)
    sl = _resolve_stop(d.sl, "sl", side, entry, None, spec, symbol)
    tp = _resolve_stop(d.tp, "tp", side, entry, sl, spec, symbol)
    request = OrderRequest(
        client_id=ctx.new_id(),
        symbol=symbol,
        side=side,
        volume=volume,
        order_type=order_type,
        price=d.price,
        stop_limit=d.stop_limit,
        sl=sl,
        tp=tp,
        comment=d.comment,
        source=ctx.source,
        time_in_force=d.tif if order_type.is_pending else TimeInForce.GTC,
        expiration_msc=d.expiration_msc,
    )
    now_msc = int(ctx.now.timestamp() * 1000) if ctx.now is not None else None
    problems = order_problems(request, spec, quote, now_msc=now_msc)
    if problems:
        raise _Refused("; ".join(problems))
    preview = preview_order(request, spec, ctx.specs, ctx.quotes, ctx.currency, ctx.leverage)
    return ParsedCommand((SubmitOrder(request),), preview.text(spec), request)


def _entry(
    side: Side,
    order_type: OrderType,
    price: float | None,
    stop_limit: float | None,
    quote: Tick | None,
) -> float | None:
    if order_type is OrderType.STOP_LIMIT:
        return stop_limit
    if order_type.is_pending:
        return price
    if quote is None:
        return None
    return quote.ask if side is Side.BUY else quote.bid


def _resolve_stop(
    value: StopValue | None,
    keyword: str,
    side: Side,
    entry: float | None,
    sl: float | None,
    spec: SymbolSpec,
    symbol: str,
) -> float | None:
    """An absolute SL/TP price from what was typed; distances are measured from ``entry``."""
    if value is None or value.kind == "none":
        return None
    if value.kind == "price":
        return value.value
    loss = keyword == "sl"
    if value.kind == "r":
        if loss:
            raise _Refused(
                f"Stop loss '{value.token}' cannot be in R: R-multiples measure from the stop "
                f"loss, so give it as a price or in pips",
                value.token,
            )
        if sl is None:
            raise _Refused(
                f"Take profit 'tp {value.token}' needs a stop loss to measure R from", value.token
            )
    if entry is None:
        raise _Refused(
            f"No price yet for {symbol}; '{keyword} {value.token}' needs one to measure from",
            value.token,
        )
    if value.kind == "r":
        assert sl is not None
        distance = abs(entry - sl) * value.value
    elif value.kind == "pips":
        distance = value.value * pip_size(spec)
    else:
        distance = value.value * spec.point
    return offset_price(spec, entry, distance, side, loss=loss)


# ----------------------------------------------------------------- closing, cancelling


def _position(ticket: int, token: str, ctx: ParseContext) -> Position:
    for p in ctx.positions:
        if p.ticket == ticket:
            return p
    raise _Refused(f"No open position #{ticket}", token)


def _working(ticket: int, token: str, ctx: ParseContext) -> WorkingOrder:
    for o in ctx.orders:
        if o.ticket == ticket:
            return o
    raise _Refused(f"No working order #{ticket}", token)


def _describe_position(p: Position, ctx: ParseContext) -> str:
    spec = ctx.specs.get(p.symbol)
    volume = spec.format_volume(p.volume) if spec else f"{p.volume:g}"
    return f"#{p.ticket} {p.side.upper()} {volume} {p.symbol} ({p.profit:+,.2f} {ctx.currency})"


def _close(tokens: list[str], ctx: ParseContext) -> ParsedCommand:
    if not tokens:
        raise _Refused("Close what? e.g. close eurusd, close #1234, close #1234 0.3, close all")
    first, low = tokens[0], tokens[0].lower()
    if low == "all":
        _no_more(tokens, 1)
        return ParsedCommand(
            (CloseAll(source=ctx.source),),
            f"Close ALL {len(ctx.positions)} open positions at market",
            bulk=True,
        )
    if (ticket := _ticket(first)) is not None:
        position = _position(ticket, first, ctx)
        if len(tokens) >= 2 and tokens[1].lower() == "by":
            return _close_by(position, tokens, ctx)
        volume: float | None = None
        if len(tokens) >= 2:
            volume = _number(tokens[1], "Volume to close")
            spec = _spec(position.symbol, ctx)
            if (problem := spec.volume_problem(volume)) is not None:
                raise _Refused(problem, tokens[1])
            if volume > position.volume + 1e-9:
                raise _Refused(
                    f"Cannot close {tokens[1]} lots of #{ticket}: it holds "
                    f"{spec.format_volume(position.volume)}",
                    tokens[1],
                )
            if abs(volume - position.volume) < 1e-9:
                volume = None  # all of it
        _no_more(tokens, 2)
        what = _describe_position(position, ctx)
        text = (
            f"Close {tokens[1]} lots of {what} at market"
            if volume is not None
            else f"Close {what} at market"
        )
        command = ClosePosition(ticket, volume, client_id=ctx.new_id(), source=ctx.source)
        return ParsedCommand((command,), text)
    if (symbol := _symbol(first, ctx)) is not None:
        _no_more(tokens, 1)
        mine = [p for p in ctx.positions if p.symbol == symbol]
        if not mine:
            raise _Refused(f"No open positions in {symbol}", first)
        listing = ", ".join(_describe_position(p, ctx) for p in mine)
        return ParsedCommand(
            (CloseAll(symbol=symbol, source=ctx.source),),
            f"Close {len(mine)} {symbol} position(s) at market: {listing}",
        )
    raise _Refused(f"Close what? '{first}' is not a symbol, #ticket or 'all'", first)


def _close_by(position: Position, tokens: list[str], ctx: ParseContext) -> ParsedCommand:
    if len(tokens) < 3 or (other_ticket := _ticket(tokens[2])) is None:
        raise _Refused("After 'by' give the opposite position's #ticket, e.g. close #1 by #2", "by")
    other = _position(other_ticket, tokens[2], ctx)
    _no_more(tokens, 3)
    if other.symbol != position.symbol or other.side is position.side:
        raise _Refused(
            f"Position #{other.ticket} is not an opposite {position.symbol} position of "
            f"#{position.ticket}",
            tokens[2],
        )
    text = f"Close {_describe_position(position, ctx)} by {_describe_position(other, ctx)}"
    command = CloseBy(position.ticket, other.ticket, client_id=ctx.new_id(), source=ctx.source)
    return ParsedCommand((command,), text)


def _cancel(tokens: list[str], ctx: ParseContext) -> ParsedCommand:
    if not tokens:
        raise _Refused("Cancel what? e.g. cancel #1235, cancel eurusd, cancel all")
    first, low = tokens[0], tokens[0].lower()
    _no_more(tokens, 1)
    if low == "all":
        return ParsedCommand(
            (CancelAll(source=ctx.source),),
            f"Cancel ALL {len(ctx.orders)} working orders",
            bulk=True,
        )
    if (ticket := _ticket(first)) is not None:
        order = _working(ticket, first, ctx)
        spec = _spec(order.symbol, ctx)
        problems = cancel_problems(order, spec, ctx.quotes.get(order.symbol))
        if problems:
            raise _Refused("; ".join(problems), first)
        command = CancelOrder(ticket, client_id=ctx.new_id(), source=ctx.source)
        return ParsedCommand((command,), f"Cancel {_describe_order(order, ctx)}")
    if (symbol := _symbol(first, ctx)) is not None:
        mine = [o for o in ctx.orders if o.symbol == symbol]
        if not mine:
            raise _Refused(f"No working orders in {symbol}", first)
        return ParsedCommand(
            (CancelAll(symbol=symbol, source=ctx.source),),
            f"Cancel {len(mine)} {symbol} working order(s)",
        )
    raise _Refused(f"Cancel what? '{first}' is not a #ticket, a symbol or 'all'", first)


def _describe_order(o: WorkingOrder, ctx: ParseContext) -> str:
    spec = ctx.specs.get(o.symbol)
    price = spec.format_price(o.price) if spec else f"{o.price:g}"
    volume = spec.format_volume(o.volume) if spec else f"{o.volume:g}"
    return f"#{o.ticket} {o.side.upper()} {o.order_type} {volume} {o.symbol} at {price}"


# ----------------------------------------------------------------- modify, reverse


def _modify(tokens: list[str], ctx: ParseContext) -> ParsedCommand:
    if not tokens or (ticket := _ticket(tokens[0])) is None:
        first = tokens[0] if tokens else None
        raise _Refused("Modify what? give a #ticket, e.g. modify #1234 sl 1.0870", first)
    position = next((p for p in ctx.positions if p.ticket == ticket), None)
    order = next((o for o in ctx.orders if o.ticket == ticket), None)
    if position is None and order is None:
        raise _Refused(f"No open position or working order #{ticket}", tokens[0])
    values: dict[str, StopValue] = {}
    price: float | None = None
    i = 1
    while i < len(tokens):
        token, low = tokens[i], tokens[i].lower()
        if low in ("sl", "tp"):
            _once(low not in values, token)
            values[low] = _stop_value(tokens, i + 1, low)
            i += 2
        elif low == "price":
            _once(price is None, token)
            if order is None:
                raise _Refused("A position's open price cannot be changed; modify sl or tp", token)
            if i + 1 >= len(tokens):
                raise _Refused("After 'price' give a price", token)
            price = _number(tokens[i + 1], "Price")
            i += 2
        else:
            raise _unknown(token, ctx)
    if not values and price is None:
        raise _Refused("Modify what? add sl, tp or price, e.g. modify #1234 sl 1.0870", tokens[0])
    if position is not None:
        return _modify_position(position, values, ctx)
    assert order is not None
    return _modify_order(order, price, values, ctx)


def _new_stop(
    values: dict[str, StopValue],
    key: str,
    old: float | None,
    side: Side,
    entry: float,
    sl: float | None,
    spec: SymbolSpec,
) -> float | None:
    if key not in values:
        return old
    return _resolve_stop(values[key], key, side, entry, sl, spec, spec.name)


def _modify_position(p: Position, values: dict[str, StopValue], ctx: ParseContext) -> ParsedCommand:
    spec = _spec(p.symbol, ctx)
    sl = _new_stop(values, "sl", p.sl, p.side, p.price_open, None, spec)
    tp = _new_stop(values, "tp", p.tp, p.side, p.price_open, sl, spec)
    problems = modify_position_problems(p, sl, tp, spec, ctx.quotes.get(p.symbol))
    if problems:
        raise _Refused("; ".join(problems))
    fmt = spec.format_price
    text = (
        f"Modify {_describe_position(p, ctx)}: SL {_opt(p.sl, fmt)} → {_opt(sl, fmt)}, "
        f"TP {_opt(p.tp, fmt)} → {_opt(tp, fmt)}"
    )
    command = ModifyPosition(p.ticket, sl, tp, client_id=ctx.new_id(), source=ctx.source)
    return ParsedCommand((command,), text)


def _modify_order(
    o: WorkingOrder, price: float | None, values: dict[str, StopValue], ctx: ParseContext
) -> ParsedCommand:
    spec = _spec(o.symbol, ctx)
    new_price = o.price if price is None else price
    entry = o.stop_limit if o.order_type is OrderType.STOP_LIMIT and o.stop_limit else new_price
    sl = _new_stop(values, "sl", o.sl, o.side, entry, None, spec)
    tp = _new_stop(values, "tp", o.tp, o.side, entry, sl, spec)
    problems = modify_order_problems(o, new_price, sl, tp, spec, ctx.quotes.get(o.symbol))
    if problems:
        raise _Refused("; ".join(problems))
    fmt = spec.format_price
    text = (
        f"Modify {_describe_order(o, ctx)}: price → {fmt(new_price)}, SL {_opt(o.sl, fmt)} → "
        f"{_opt(sl, fmt)}, TP {_opt(o.tp, fmt)} → {_opt(tp, fmt)}"
    )
    command = ModifyOrder(o.ticket, new_price, sl, tp, client_id=ctx.new_id(), source=ctx.source)
    return ParsedCommand((command,), text)


def _opt(value: float | None, fmt: Callable[[float], str]) -> str:
    return "none" if value is None else fmt(value)


def _reverse(tokens: list[str], ctx: ParseContext) -> ParsedCommand:
    _no_more(tokens, 1)
    if tokens and (ticket := _ticket(tokens[0])) is not None:
        position = _position(ticket, tokens[0], ctx)
    else:
        if tokens:
            symbol = _symbol(tokens[0], ctx)
            if symbol is None:
                raise _Refused(f"Reverse what? '{tokens[0]}' is not a symbol or #ticket", tokens[0])
        else:
            symbol = _current_symbol(ctx)
        mine = [p for p in ctx.positions if p.symbol == symbol]
        if not mine:
            raise _Refused(
                f"No open position in {symbol} to reverse", tokens[0] if tokens else None
            )
        if len(mine) > 1:
            tickets = ", ".join(f"#{p.ticket}" for p in mine)
            raise _Refused(
                f"{symbol} has {len(mine)} positions ({tickets}); reverse one by its ticket",
                tokens[0] if tokens else None,
            )
        position = mine[0]
    spec = _spec(position.symbol, ctx)
    text = (
        f"Reverse {_describe_position(position, ctx)}: close it and "
        f"{position.side.opposite.upper()} {spec.format_volume(position.volume)} "
        f"{position.symbol} at market"
    )
    command = ReversePosition(position.ticket, client_id=ctx.new_id(), source=ctx.source)
    return ParsedCommand((command,), text)
