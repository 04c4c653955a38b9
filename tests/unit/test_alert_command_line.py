"""The command line's alert words: the issue's examples, the whole grammar, the errors, properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.alert_facts import (
    AcknowledgeAlert,
    CreateAlert,
    DeleteAlert,
    EditAlert,
    EnableAlert,
    RequestAlerts,
)
from app.domain.alerts import AlertSpec, Condition, Trigger, Watch
from app.domain.command_parser import ParsedCommand, ParseError, parse
from app.domain.commands import SubmitOrder
from app.domain.enums import OrderSource, Side
from app.domain.timeframes import Timeframe
from tests.unit.test_command_parser import LONG, NOW, ctx, ok


def alert(text: str, **context: object) -> AlertSpec:
    parsed = ok(text, ctx(**context))
    (command,) = parsed.commands
    assert isinstance(command, CreateAlert | EditAlert), command
    return command.spec


def refused(text: str, **context: object) -> ParseError:
    result = parse(text, ctx(**context))
    assert isinstance(result, ParseError), result
    assert result.message and result.message[0].isupper()
    return result


def at(hour: int, minute: int, days: int = 0) -> int:
    return int((NOW.replace(hour=hour, minute=minute) + timedelta(days=days)).timestamp() * 1000)


# -- the examples -------------------------------------------------------------


def test_alert_eurusd_bid_above() -> None:
    parsed = ok("alert eurusd bid > 1.1000")
    (command,) = parsed.commands
    assert isinstance(command, CreateAlert) and command.source is OrderSource.TICKET
    assert command.request_id == "cid-1"
    spec = command.spec
    assert (spec.symbol, spec.watch, spec.condition, spec.level) == (
        "EURUSD",
        Watch.BID,
        Condition.ABOVE,
        1.1,
    )
    assert spec.trigger is Trigger.ONCE
    assert parsed.preview == (
        "Create alert: EURUSD bid above 1.10000, once; log, sound, notification, Telegram"
    )
    assert not parsed.bulk and parsed.request is None


def test_alert_xauusd_below_once() -> None:
    spec = alert("alert xauusd < 2300 once")
    assert (spec.symbol, spec.condition, spec.level, spec.trigger) == (
        "XAUUSD",
        Condition.BELOW,
        2300.0,
        Trigger.ONCE,
    )


def test_alert_gbpusd_cross_every_five_minutes() -> None:
    spec = alert("alert gbpusd cross 1.2700 every 5m")
    assert (spec.condition, spec.level, spec.trigger, spec.interval_s) == (
        Condition.CROSSES,
        1.27,
        Trigger.EVERY,
        300,
    )


def test_alert_eurusd_at_a_time_today() -> None:
    spec = alert("alert eurusd at 14:30")
    assert (spec.symbol, spec.watch, spec.condition) == ("EURUSD", Watch.TIME, Condition.AT)
    assert spec.at_msc == at(14, 30)


def test_alerts_lists_them() -> None:
    assert ok("alerts").commands == (RequestAlerts(say=True, request_id="cid-1"),)


def test_alert_del_3() -> None:
    parsed = ok("alert del 3")
    assert parsed.commands == (DeleteAlert(3, "cid-1", OrderSource.TICKET),)
    assert parsed.preview == "Delete alert 3"


# -- the rest of the grammar ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alert eurusd ask cross up 1.1", {"watch": Watch.ASK, "condition": Condition.CROSSES_UP}),
        (
            "alert eurusd last x down 1.1",
            {"watch": Watch.LAST, "condition": Condition.CROSSES_DOWN},
        ),
        ("alert eurusd cross above 1.1", {"condition": Condition.CROSSES_UP}),
        ("alert eurusd bid >1.1", {"condition": Condition.ABOVE, "level": 1.1}),
        ("alert eurusd bid <1,0850", {"condition": Condition.BELOW, "level": 1.085}),
        ("alert eurusd above 1.1", {"condition": Condition.ABOVE}),
        ("alert EURUSD BELOW 1.1 EVERY 1H", {"condition": Condition.BELOW, "interval_s": 3600}),
        (
            "alert eurusd enter 1.1000 1.0900",
            {"condition": Condition.ENTERS_CHANNEL, "level": 1.09, "upper": 1.1},
        ),
        ("alert eurusd exit 1.09 1.1", {"condition": Condition.EXITS_CHANNEL}),
        (
            "alert eurusd rise 0.5% in 15m",
            {"condition": Condition.MOVES_UP, "amount": 0.5, "percent": True, "window_s": 900},
        ),
        ("alert eurusd fall 20p in 5m", {"condition": Condition.MOVES_DOWN, "amount": 0.002}),
        ("alert eurusd up 50pt in 30s", {"amount": 0.0005, "window_s": 30}),
        ("alert eurusd down 0.0030 in 1h", {"amount": 0.003, "percent": False}),
        (
            "alert eurusd cross 1.1 bar m15",
            {"trigger": Trigger.ONCE_PER_BAR, "timeframe": Timeframe.M15},
        ),
        (
            "alert eurusd cross 1.1 close h1",
            {"trigger": Trigger.ONCE_PER_BAR_CLOSE, "timeframe": Timeframe.H1},
        ),
        ("alert eurusd cross 1.1 every", {"trigger": Trigger.EVERY, "interval_s": 0}),
        ("alert eurusd cross 1.1 every 30s max 3", {"interval_s": 30, "max_count": 3}),
        ("alert eurusd cross 1.1 note breakout of the range", {"note": "breakout of the range"}),
        ("alert eurusd cross 1.1 exp 2h", {"expires_msc": int(NOW.timestamp() * 1000) + 7_200_000}),
        ("alert eurusd cross 1.1 until 17:00", {"expires_msc": at(17, 0)}),
        ("alert eurusd at 2025-01-03 08:15", {"at_msc": at(8, 15, days=2)}),
        ("alert at 11:00", {"symbol": "", "watch": Watch.TIME}),
        ("alert at 11:00 every 1d", {"trigger": Trigger.EVERY, "interval_s": 86_400}),
        ("alert > 1.1", {"symbol": "EURUSD"}),  # the current symbol
        ("alert margin < 150", {"watch": Watch.MARGIN_LEVEL, "symbol": "", "level": 150.0}),
        (
            "alert #1234 pnl < -100",
            {"watch": Watch.POSITION_PNL, "ticket": 1234, "level": -100.0},
        ),
    ],
)
def test_the_grammar(text: str, expected: dict[str, object]) -> None:
    spec = alert(text, positions=(LONG,))
    for name, value in expected.items():
        assert getattr(spec, name) == value, name


def test_an_indicator_alert_names_its_timeframe_parameters_and_output() -> None:
    spec = alert("alert eurusd m15 rsi(14) cross 70")
    assert spec.watch is Watch.INDICATOR and spec.level == 70
    assert spec.indicator is not None
    assert (spec.indicator.name, spec.indicator.timeframe) == ("rsi", Timeframe.M15)
    assert spec.indicator.params == {"1": 14.0}  # the engine names positional parameters
    other = alert("alert eurusd h1 macd(12,26,9).signal cross up ema(period=50)")
    assert other.indicator is not None and other.indicator.output == "signal"
    assert other.other is not None and other.other.params == {"period": 50.0}


def test_actions_named_are_exactly_the_actions_taken() -> None:
    default = alert("alert eurusd cross 1.1").actions
    assert (default.sound, default.notify, default.telegram, default.webhook) == (
        True,
        True,
        True,
        "",
    )
    some = alert("alert eurusd cross 1.1 telegram sound").actions
    assert (some.sound, some.notify, some.telegram) == (True, False, True)
    hook = alert("alert eurusd cross 1.1 webhook https://example.com/h?k=1").actions
    assert hook.webhook == "https://example.com/h?k=1" and not hook.telegram
    ack = alert("alert eurusd cross 1.1 ack 2m").actions
    assert ack.repeat_until_ack and ack.repeat_every_s == 120


def test_then_buy_is_the_opt_in_to_trade_and_is_always_confirmed() -> None:
    parsed = ok("alert eurusd cross 1.09 then buy 0.2 sl 1.08 tp 1.1")
    assert parsed.bulk  # the ticket always asks before storing an alert that trades
    (command,) = parsed.commands
    assert isinstance(command, CreateAlert)
    actions = command.spec.actions
    assert actions.trade and actions.order is not None
    order = actions.order
    assert (order.symbol, order.side, order.volume, order.sl, order.tp) == (
        "EURUSD",
        Side.BUY,
        0.2,
        1.08,
        1.1,
    )
    assert order.source is OrderSource.ALERT and order.client_id == ""
    assert "order BUY 0.2 EURUSD" in parsed.preview
    default = alert("alert eurusd cross 1.09 then sell").actions.order
    assert default is not None and (default.side, default.volume) == (Side.SELL, 0.1)


def test_managing_alerts() -> None:
    assert ok("alert on 4").commands == (EnableAlert(4, True, "cid-1", OrderSource.TICKET),)
    assert ok("alert off #4").commands == (EnableAlert(4, False, "cid-1", OrderSource.TICKET),)
    assert ok("alert ack").commands == (AcknowledgeAlert(None, "cid-1", OrderSource.TICKET),)
    assert ok("alert ack 2").commands == (AcknowledgeAlert(2, "cid-1", OrderSource.TICKET),)
    (edit,) = ok("alert edit 2 gbpusd < 1.2").commands
    assert isinstance(edit, EditAlert) and edit.number == 2 and edit.spec.symbol == "GBPUSD"


# -- refusals name the word -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word", "says"),
    [
        ("alert foo > 1", "foo", "No symbol 'FOO' at this broker"),
        ("alert eurusdd > 1", "eurusdd", "(did you mean EURUSD?)"),
        ("alert eurusd bid > abc", "abc", "Level 'abc' is not a number"),
        ("alert eurusd bid > 1,000", "1,000", "'1,000' is ambiguous"),
        ("alert eurusd bid >= 1.1", ">=", "use > (above) or < (below)"),
        (
            "alert eurusd > 1.1 evry 5m",
            "evry",
            "Unknown word 'evry' in the alert (did you mean every?)",
        ),
        ("alert eurusd > 1.1 every", "every", "give one, e.g. every 5m"),
        ("alert eurusd cross 1.1 every 5x", "5x", "Unknown word '5x'"),
        ("alert eurusd cross 1.1 bar m7", "m7", "The timeframe 'm7' is not M1"),
        ("alert eurusd cross 1.1 max 0", "0", "The count after 'max' must be at least 1"),
        ("alert eurusd cross 1.1 max three", "three", "After 'max' give how many times"),
        ("alert eurusd at 09:30", "09:30", "09:30 today is already past"),
        ("alert eurusd at 2024-12-31 12:00", "2024-12-31", "is already past"),
        ("alert eurusd at 2025-02-30 12:00", "2025-02-30", "does not exist"),
        ("alert eurusd at 25:00", "25:00", "is not HH:MM or YYYY-MM-DD HH:MM"),
        ("alert eurusd cross 1.1 exp 08:00", "08:00", "The expiry 08:00 today is already past"),
        ("alert eurusd rise 0.5% 15m", "15m", "say within how long"),
        ("alert eurusd rise fast in 15m", "fast", "The amount 'fast' is not a price difference"),
        ("alert eurusd enter 1.09", "enter", "give two levels"),
        ("alert eurusd", "eurusd", "The alert has no condition after 'eurusd'"),
        ("alert eurusd gbpusd > 1", "gbpusd", "Two symbols, EURUSD and GBPUSD"),
        ("alert eurusd bid ask > 1", "ask", "An alert watches one thing"),
        ("alert del", "del", "give the alert's number"),
        ("alert del three", "three", "The alert number 'three' is not a number"),
        ("alert del 3 4", "4", "Unexpected '4' at the end"),
        ("alert #12x pnl < 1", "#12x", "The ticket '#12x' is not # and the digits"),
        ("alert #999 pnl < -1", "#999", "No open position #999"),
        ("alert eurusd m15 > 1.1", "m15", "names an indicator's bars"),
        ("alert eurusd rsi(14) > 70", "rsi(14)", "Give the indicator's timeframe before it"),
        ("alert eurusd cross 1.1 then buy 0.1 sl 20p", "20p", "must be a price"),
        ("alert eurusd cross 1.1 then hold", "hold", "After 'then' give buy or sell"),
        ("alert eurusd cross 1.1 then buy 0.1 gbpusd", "gbpusd", "the alert's own symbol"),
        ("alert eurusd cross 1.1 webhook", "webhook", "give its address"),
        ("alert eurusd cross 1.1 cross 1.2", "cross", "Unknown word 'cross'"),
        ("alert eurusd cross 1.1 once once", "once", "The word 'once' is given twice"),
    ],
)
def test_a_malformed_alert_names_the_bad_word(text: str, word: str, says: str) -> None:
    error = refused(text, positions=(LONG,))
    assert error.token == word
    assert says in error.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "alert eurusd cross 1.1 webhook ftp://x",
            "The webhook address 'ftp://x' is not http:// or https://",
        ),
        ("alert eurusd cross 1.1 once max 3", "Once fires one time, not 3"),
        ("alert eurusd enter 1.1 1.1", "must be above its lower level"),
        ("alert eurusd rise 0.1% in 8d", "time window from 1s to 7d"),
        ("alert eurusd cross 1.1 then buy 0.001", "The order: "),
        ("alert at 11:00 bar m5", "A time alert fires once, or every INTERVAL"),
    ],
)
def test_definitions_the_engine_would_refuse_are_refused_here_first(text: str, says: str) -> None:
    assert says in refused(text).message


def test_a_time_alert_is_read_in_the_zone_of_the_context() -> None:
    from zoneinfo import ZoneInfo

    berlin = NOW.astimezone(ZoneInfo("Europe/Berlin"))  # 11:00 there
    spec = alert("alert eurusd at 11:30", now=berlin)
    assert spec.at_msc == int(datetime(2025, 1, 1, 10, 30, tzinfo=UTC).timestamp() * 1000)


# -- properties -----------------------------------------------------------------------


_alert_words = st.sampled_from(
    [
        "eurusd", "GBPUSD", "xauusd", "bid", "ask", "last", "cross", "up", "down", ">", "<",
        "above", "below", "enter", "exit", "rise", "fall", "in", "at", "once", "every", "bar",
        "close", "max", "exp", "note", "then", "buy", "sell", "sl", "tp", "webhook", "ack",
        "telegram", "sound", "margin", "pnl", "#1234", "m15", "rsi(14)", "del", "on", "off",
        "edit", "1.1000", "1.0900", "2300", "-100", "0.5%", "20p", "5m", "1h", "14:30",
        "2025-01-02", "3", "0", "1,000", "nan", "", "é", ">1.1", ">=",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_any_text_after_alert_gives_a_command_or_a_sentence_never_an_exception(text: str) -> None:
    result = parse(f"alert {text}", ctx())
    assert isinstance(result, ParsedCommand | ParseError)
    if isinstance(result, ParseError):
        assert result.message.strip()
        assert result.token is None or result.token in f"alert {text}"
    else:
        assert result.commands and result.preview


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_alert_words, min_size=1, max_size=10), upper=st.booleans())
def test_alert_word_salad_never_sends_an_order_and_trades_only_when_told(
    words: list[str], upper: bool
) -> None:
    text = "alert " + " ".join(w.upper() if upper else w for w in words)
    result = parse(text, ctx(positions=(LONG,)))
    if isinstance(result, ParseError):
        assert result.message.strip()
        return
    for command in result.commands:
        assert not isinstance(command, SubmitOrder)  # an alert command never trades now
        if isinstance(command, CreateAlert | EditAlert):
            actions = command.spec.actions
            assert actions.trade == (actions.order is not None)
            if actions.trade:
                assert "then" in [w.lower() for w in words]
                assert result.bulk


_levels = st.integers(min_value=1, max_value=3_000_000).map(lambda n: n / 10_000)


@settings(max_examples=300, deadline=None)
@given(
    symbol=st.sampled_from(["eurusd", "gbpusd", "xauusd", "usdjpy"]),
    field=st.sampled_from(["", "bid", "ask", "last"]),
    word=st.sampled_from(["cross", "cross up", "cross down", ">", "<", "above", "below"]),
    level=_levels,
    trigger=st.sampled_from(["", "once", "every 5m", "bar m15", "close h1", "every 30s max 4"]),
    upper=st.booleans(),
)
def test_a_typed_level_is_stored_exactly_as_typed(
    symbol: str, field: str, word: str, level: float, trigger: str, upper: bool
) -> None:
    typed = f"{level:.4f}"
    text = " ".join(w for w in ["alert", symbol, field, word, typed, trigger] if w)
    result = parse(text.upper() if upper else text, ctx())
    assert isinstance(result, ParsedCommand), result
    (command,) = result.commands
    assert isinstance(command, CreateAlert)
    spec = command.spec
    assert spec.symbol == symbol.upper()
    assert spec.watch is Watch(field or "bid")
    assert spec.level == float(typed)
    expected = {
        "cross": Condition.CROSSES,
        "cross up": Condition.CROSSES_UP,
        "cross down": Condition.CROSSES_DOWN,
        ">": Condition.ABOVE,
        "above": Condition.ABOVE,
        "<": Condition.BELOW,
        "below": Condition.BELOW,
    }[word]
    assert spec.condition is expected
    assert (
        spec.trigger
        is {
            "": Trigger.ONCE,
            "once": Trigger.ONCE,
            "every 5m": Trigger.EVERY,
            "bar m15": Trigger.ONCE_PER_BAR,
            "close h1": Trigger.ONCE_PER_BAR_CLOSE,
            "every 30s max 4": Trigger.EVERY,
        }[trigger]
    )
