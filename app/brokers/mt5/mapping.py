"""MetaTrader 5 numbers turned into words and enums: retcodes, errors, filling, timeframes.

Plain tables and small functions, no module object needed, so every mapping is
tested on its own. Values are those of the official package (see the team's
reference notes); the ones the package does not export are defined here.
"""

from __future__ import annotations

from app.domain.timeframes import Timeframe
from app.domain.trading import EXTERNAL, MANUAL

# -- order_send / order_check retcodes -------------------------------------------------------
RETCODE_REQUOTE = 10004
RETCODE_PLACED = 10008
RETCODE_DONE = 10009
RETCODE_DONE_PARTIAL = 10010
RETCODE_PRICE_CHANGED = 10020
RETCODE_CONNECTION = 10031

SUCCESS_RETCODES = frozenset({RETCODE_PLACED, RETCODE_DONE, RETCODE_DONE_PARTIAL})
RETRY_RETCODES = frozenset({RETCODE_REQUOTE, RETCODE_PRICE_CHANGED})
"""Answers that mean "not executed at that price": safe to resend at the new price."""

RETCODE_WORDS: dict[int, str] = {
    10004: "the broker requoted the price",
    10006: "the broker rejected the request",
    10007: "the request was cancelled by the trader",
    10008: "order placed",
    10009: "done",
    10010: "only part of the volume was filled",
    10011: "the trade server could not process the request",
    10012: "the request timed out at the trade server",
    10013: "the request is invalid",
    10014: "invalid volume for this symbol",
    10015: "invalid price",
    10016: "invalid stops: stop loss or take profit too close to the price or on the wrong side",
    10017: "trading is disabled for this symbol",
    10018: "the market is closed",
    10019: "not enough money",
    10020: "the price changed",
    10021: "no prices to process the request (price off)",
    10022: "invalid order expiration",
    10023: "the order state changed meanwhile",
    10024: "too many requests; slow down",
    10025: "nothing to change",
    10026: "algo trading is disabled by the trade server",
    10027: "algo trading is disabled in the MetaTrader 5 terminal (press 'Algo Trading')",
    10028: "the request is locked for processing",
    10029: "the order or position is frozen: too close to the market to change",
    10030: "this filling mode is not supported for the symbol",
    10031: "no connection to the trade server",
    10032: "this operation is allowed for live accounts only",
    10033: "the limit on the number of pending orders is reached",
    10034: "the volume limit for this symbol is reached",
    10035: "invalid or unknown order",
    10036: "the position is already closed",
    10038: "the close volume exceeds the position's volume",
    10039: "a close order for this position already exists",
    10040: "the limit on the number of open positions is reached",
    10041: "the pending order activation request was rejected and the order cancelled",
    10042: "only long positions are allowed for this symbol",
    10043: "only short positions are allowed for this symbol",
    10044: "only closing positions is allowed for this symbol",
    10045: "positions must be closed in FIFO order on this account",
}


def retcode_words(retcode: int, comment: str = "") -> str:
    """A trade server answer as one sentence, with the code and the server's own comment."""
    words = RETCODE_WORDS.get(retcode, "unknown answer from the trade server")
    extra = f"; server says '{comment}'" if comment and comment.lower() not in words else ""
    return f"{words[:1].upper()}{words[1:]} (MT5 {retcode}{extra})"


# -- last_error() codes --------------------------------------------------------------------------
IPC_ERRORS = frozenset({-10000, -10001, -10002, -10003, -10004, -10005})
"""The pipe to the terminal failed: the connection is lost, not the request refused."""

REPLY_LOST_ERRORS = frozenset({-10001, -10002, -10005})
"""The request may have reached the terminal: its outcome is unknown until checked."""

ERROR_WORDS: dict[int, str] = {
    1: "no error",
    -1: "the terminal call failed",
    -2: "invalid arguments were passed to the terminal",
    -3: "the terminal ran out of memory",
    -4: "not found (no such symbol or no history)",
    -5: "the terminal and the MetaTrader5 package versions do not match; update both",
    -6: "authorization failed: check the login, server and password",
    -7: "the terminal does not support this function",
    -8: "trading through the Python API is disabled in the terminal (Tools > Options > "
    "Expert Advisors)",
    -10000: "the connection to the terminal failed",
    -10001: "sending to the terminal failed",
    -10002: "receiving from the terminal failed",
    -10003: "could not start or reach the MetaTrader 5 terminal (is it installed and the "
    "terminal_path right?)",
    -10004: "no connection to the MetaTrader 5 terminal (is it running and logged in?)",
    -10005: "the terminal did not answer in time",
}


def error_words(code: int, text: str = "") -> str:
    """A ``last_error()`` pair as one sentence."""
    words = ERROR_WORDS.get(code, "the terminal reported an error")
    extra = f": {text}" if text else ""
    return f"{words[:1].upper()}{words[1:]} (MT5 error {code}{extra})"


# -- filling modes: the symbol's bit flags vs the request's enum (pitfall 6) -----------------
SYMBOL_FILLING_FOK = 1
SYMBOL_FILLING_IOC = 2
SYMBOL_FILLING_BOC = 4
ORDER_FILLING_FOK = 0
ORDER_FILLING_IOC = 1
ORDER_FILLING_RETURN = 2
SYMBOL_TRADE_EXECUTION_MARKET = 2


def filling_type(filling_mode: int, execution_mode: int, *, pending: bool) -> int:
    """The ``type_filling`` enum for a request on a symbol whose ``filling_mode`` bits are given.

    Pending orders rest in the book, where Return is always accepted. A deal takes
    Fill-or-Kill if allowed, else Immediate-or-Cancel, else Return, which is not
    allowed under market execution (there a symbol always sets FOK or IOC).
    """
    if pending:
        return ORDER_FILLING_RETURN
    if filling_mode & SYMBOL_FILLING_FOK:
        return ORDER_FILLING_FOK
    if filling_mode & SYMBOL_FILLING_IOC:
        return ORDER_FILLING_IOC
    if execution_mode != SYMBOL_TRADE_EXECUTION_MARKET:
        return ORDER_FILLING_RETURN
    return ORDER_FILLING_FOK  # nothing declared: let the server say what it wants


def filling_names(filling_mode: int) -> tuple[str, ...]:
    names = (("fok", SYMBOL_FILLING_FOK), ("ioc", SYMBOL_FILLING_IOC), ("boc", SYMBOL_FILLING_BOC))
    return tuple(name for name, bit in names if filling_mode & bit)


ORDER_MODE_BITS = (
    ("market", 1),
    ("limit", 2),
    ("stop", 4),
    ("stop limit", 8),
    ("sl", 16),
    ("tp", 32),
    ("close by", 64),
)


def order_mode_names(order_mode: int) -> tuple[str, ...]:
    return tuple(name for name, bit in ORDER_MODE_BITS if order_mode & bit)


TRADE_MODE_NAMES = {0: "disabled", 1: "long only", 2: "short only", 3: "close only", 4: "full"}

# -- account margin modes (pitfall 9) ----------------------------------------------------------
ACCOUNT_MARGIN_MODE_RETAIL_HEDGING = 2


def is_hedging(margin_mode: int) -> bool:
    """Hedging holds many positions per symbol; netting (0) and exchange (1) hold one."""
    return margin_mode == ACCOUNT_MARGIN_MODE_RETAIL_HEDGING


# -- timeframes ---------------------------------------------------------------------------------
TIMEFRAME_CONSTANTS: dict[Timeframe, str] = {
    Timeframe.M1: "TIMEFRAME_M1",
    Timeframe.M5: "TIMEFRAME_M5",
    Timeframe.M15: "TIMEFRAME_M15",
    Timeframe.M30: "TIMEFRAME_M30",
    Timeframe.H1: "TIMEFRAME_H1",
    Timeframe.H4: "TIMEFRAME_H4",
    Timeframe.D1: "TIMEFRAME_D1",
}
"""Our timeframes by the name of the package's constant; the value is read from the
module itself, so a wrong hand-typed number (pitfall 15) cannot creep in."""

# -- deal reasons, in words for the event log ---------------------------------------------------
DEAL_REASON_WORDS = {
    0: "terminal",
    1: "mobile app",
    2: "web terminal",
    3: "client",
    4: "stop loss",
    5: "take profit",
    6: "stop out",
    7: "rollover",
    8: "variation margin",
    9: "split",
}
DEAL_ENTRY_IN = 0
DEAL_ENTRY_OUT_BY = 3


#: Magic numbers from the configured one up to this many above it are Tradeterm's:
#: the configured magic itself for the trader's own orders, +N for strategy instance N.
OWNED_MAGICS = 10_000


def magic_for(owner: int, base: int) -> int:
    """The magic number an order of ``owner`` carries (MANUAL: the configured one)."""
    return base + max(owner, 0)


def owner_of(magic: int, base: int) -> int:
    """Who owns a position, order or deal with ``magic``: the trader, a strategy, or not us.

    Magic 0 is what the terminal gives trades made by hand: the trader's own.
    """
    if magic == 0 or magic == base:
        return MANUAL
    if base < magic < base + OWNED_MAGICS:
        return magic - base
    return EXTERNAL
