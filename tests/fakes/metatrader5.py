"""A fake ``MetaTrader5`` package that behaves like a terminal, for tests and Linux runs.

Import it where the real module would be imported (``Mt5Broker`` takes the module
object; ``TRADETERM_MT5_MODULE=tests.fakes.metatrader5`` makes the app do so).

What is faithful (checked by ``tests/unit/test_fake_mt5_conformance.py`` against
``mt5_api_reference.json``, extracted from the official wheel): every function name
and calling convention (positional-only ``copy_*``, keyword-only ``orders_get`` /
``positions_get``, the three forms of ``history_*_get``), the named-tuple result
types with the real fields in the real order, the 223 constants, the numpy dtypes.

What it simulates: a seeded random-walk market (ticks at bid/ask, M1 bars built
from them, higher timeframes aggregated), a hedging or netting account on a
market-execution server with the real retcodes, ``None`` + ``last_error()`` for
bad input and lost IPC, symbols that must be selected in Market Watch before
their ticks can be read, and a terminal "Max bars in chart" limit.

Like the real package the state is process-global. Tests steer it through
``control`` (a ``FakeControl``), which is *not* part of the real API: reset the
terminal, cut the connection, requote, lose a reply, trade "from the phone".
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

from tests.fakes.mt5_market import FLAG_QUOTE as _FLAG_QUOTE
from tests.fakes.mt5_market import FakeSymbol, Market, default_symbols
from tests.fakes.mt5_market import bar_open as _bar_open
from tests.fakes.mt5_market import timeframe_seconds as _timeframe_seconds
from tests.fakes.mt5_surface import *  # noqa: F403  (the real constants, types and dtypes)
from tests.fakes.mt5_surface import (
    TICKS_DTYPE as _TICKS_DTYPE,
)
from tests.fakes.mt5_surface import (
    AccountInfo,
    BookInfo,
    OrderCheckResult,
    OrderSendResult,
    SymbolInfo,
    TerminalInfo,
    TradeDeal,
    TradeOrder,
    TradePosition,
    TradeRequest,
)
from tests.fakes.mt5_surface import Tick as _TickType
from tests.fakes.mt5_trading import (
    REQUEST_KEYS as _REQUEST_KEYS,
)
from tests.fakes.mt5_trading import (
    Account,
    Deal,
    Order,
    Position,
    RequestRefused,
    TradeServer,
)

__version__ = "5.0.6231"
__author__ = "MetaQuotes Ltd. (API surface); Tradeterm tests (simulation)"

_F = TypeVar("_F", bound=Callable[..., Any])

_RES_TEXT = {
    1: "Success",
    -1: "Terminal: Call failed",
    -2: "Terminal: Invalid params",
    -4: "Terminal: Not found",
    -6: "Terminal: Authorization failed",
    -8: "Auto-Trading using Python API disabled in Terminal",
    -10003: "IPC initialize failed, MetaTrader 5 x64 not found",
    -10004: "No IPC connection",
    -10005: "IPC timeout",
}


class _Terminal:
    """Everything one running terminal holds; replaced whole by ``control.reset``."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        seed: int,
        ticks_per_second: float,
        history_bars: int,
        maxbars: int,
        account: Account,
        symbols: list[FakeSymbol],
        password: str | None,
        installed: bool,
    ) -> None:
        self.clock = clock
        self.market = Market(
            symbols,
            now=clock(),
            seed=seed,
            ticks_per_second=ticks_per_second,
            history_bars=history_bars,
        )
        self.server = TradeServer(self.market, account)
        self.maxbars = maxbars
        self.password = password
        self.installed = installed
        self.initialized = False
        self.ipc_up = True
        self.server_connected = True
        self.trade_allowed = True
        self.tradeapi_disabled = False
        self.error: tuple[int, str] = (1, "Success")
        self.books: set[str] = set()
        self.fail_next: dict[str, int] = {}
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.lose_reply_then_disconnect = False

    def advance(self) -> None:
        if not self.server_connected:
            self.market.last_time = self.clock()  # no quotes arrive while offline
            return
        for name, *_ in self.market.advance(self.clock()):
            self.server.on_tick(name)


_lock = threading.RLock()
_t: _Terminal


def _fail(code: int, text: str | None = None) -> None:
    _t.error = (code, text or _RES_TEXT.get(code, "Terminal: Call failed"))


def _api(needs_connection: bool = True) -> Callable[[_F], _F]:
    """Wrap an API function: one lock, the call log, IPC checks, the moving market."""

    def wrap(fn: _F) -> _F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            with _lock:
                _t.calls.append((fn.__name__, args, kwargs))
                code = _t.fail_next.pop(fn.__name__, None)
                if code is not None:
                    _fail(code)
                    return None
                if needs_connection:
                    if not (_t.initialized and _t.ipc_up):
                        _fail(-10004)
                        return None
                    _t.advance()
                _t.error = (1, "Success")
                return fn(*args, **kwargs)

        return call  # type: ignore[return-value]

    return wrap


def _epoch(value: Any) -> float | None:
    """A date argument as epoch seconds: a datetime (naive ones are local time, as in the
    real package) or an int of seconds; ``None`` for anything else."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return None


# -- connection ---------------------------------------------------------------------------


def initialize(
    path: str | None = None,
    *,
    login: int | None = None,
    password: str | None = None,
    server: str | None = None,
    timeout: int = 60000,
    portable: bool = False,
) -> bool:
    with _lock:
        _t.calls.append(
            (
                "initialize",
                (path,),
                {
                    "login": login,
                    "password": password,
                    "server": server,
                    "timeout": timeout,
                    "portable": portable,
                },
            )
        )
        if not _t.installed:
            _fail(-10003)
            return False
        if not _t.ipc_up:
            _fail(-10004)
            return False
        account = _t.server.account
        wrong_login = login is not None and login != account.login
        wrong_server = server is not None and server != account.server
        wrong_password = _t.password is not None and password != _t.password
        if wrong_login or wrong_server or (login is not None and wrong_password):
            _fail(-6)
            return False
        _t.initialized = True
        _t.error = (1, "Success")
        _t.advance()
        return True


@_api(needs_connection=True)
def login(
    login: int, *, password: str | None = None, server: str | None = None, timeout: int = 60000
) -> bool:
    if login != _t.server.account.login or (_t.password is not None and password != _t.password):
        _fail(-6)
        return False
    return True


def shutdown() -> None:
    with _lock:
        _t.calls.append(("shutdown", (), {}))
        _t.initialized = False


@_api()
def version() -> tuple[int, int, str]:
    return (500, 5120, "14 Jun 2025")


def last_error() -> tuple[int, str]:
    with _lock:
        return _t.error


@_api()
def account_info() -> Any:
    a = _t.server.account
    m = _t.server.summary()
    mode = 2 if a.hedging else 0
    return AccountInfo(
        a.login,
        a.trade_mode,
        a.leverage,
        200,
        0,
        a.trade_allowed,
        a.trade_expert,
        mode,
        2,
        False,
        m["balance"],
        0.0,
        m["profit"],
        m["equity"],
        m["margin"],
        m["margin_free"],
        m["margin_level"],
        50.0,
        30.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        a.name,
        a.server,
        a.currency,
        a.company,
    )


@_api()
def terminal_info() -> Any:
    return TerminalInfo(
        False,
        False,
        _t.server_connected,
        False,
        _t.trade_allowed,
        _t.tradeapi_disabled,
        False,
        False,
        False,
        False,
        5120,
        _t.maxbars,
        1252,
        25_000,
        0.0,
        0.0,
        _t.server.account.company,
        "MetaTrader 5 (fake)",
        "English",
        "C:\\MT5",
        "C:\\MT5\\data",
        "C:\\MT5\\common",
    )


# -- symbols ------------------------------------------------------------------------------


def _symbol_info(sym: FakeSymbol) -> Any:
    feed = _t.market.feeds[sym.name]
    values: dict[str, Any] = dict.fromkeys(SymbolInfo._fields, 0)
    for name in SymbolInfo._fields[-13:]:
        values[name] = ""
    values.update(
        custom=False,
        select=sym.selected,
        visible=sym.selected,
        time=feed.time_msc // 1000,
        digits=sym.digits,
        spread=round((feed.ask - feed.bid) / sym.point),
        spread_float=True,
        trade_calc_mode=sym.calc_mode,
        trade_mode=sym.trade_mode,
        trade_stops_level=sym.stops_level,
        trade_freeze_level=sym.freeze_level,
        trade_exemode=sym.exemode,
        swap_rollover3days=3,
        expiration_mode=sym.expiration_mode,
        filling_mode=sym.filling_mode,
        order_mode=sym.order_mode,
        bid=feed.bid,
        ask=feed.ask,
        point=sym.point,
        trade_tick_size=sym.point,
        trade_contract_size=sym.contract_size,
        trade_tick_value=_t.server.to_account(sym.point * sym.contract_size, sym.profit),
        volume_min=sym.volume_min,
        volume_max=sym.volume_max,
        volume_step=sym.volume_step,
        margin_hedged_use_leg=False,
        spread_mode=None,
        currency_base=sym.base,
        currency_profit=sym.profit,
        currency_margin=sym.base,
        description=sym.description,
        name=sym.name,
        path=sym.path,
        bidhigh=feed.bid,
        bidlow=feed.bid,
        askhigh=feed.ask,
        asklow=feed.ask,
    )
    values.pop("spread_mode")
    values["trade_tick_value_profit"] = values["trade_tick_value_loss"] = values["trade_tick_value"]
    return SymbolInfo(**values)


def _matches(name: str, group: str) -> bool:
    """MT5 group filter: comma list of wildcards, ``!`` excludes; the last match wins."""
    result = False
    for pattern in (p.strip() for p in group.split(",")):
        if pattern.startswith("!") and fnmatch.fnmatchcase(name, pattern[1:]):
            result = False
        elif fnmatch.fnmatchcase(name, pattern):
            result = True
    return result


@_api()
def symbols_total() -> int:
    return len(_t.market.symbols)


@_api()
def symbols_get(group: str = "*") -> Any:
    return tuple(
        _symbol_info(sym) for sym in _t.market.symbols.values() if _matches(sym.name, group)
    )


@_api()
def symbol_info(symbol: str) -> Any:
    sym = _t.market.symbols.get(symbol)
    if sym is None:
        _fail(-4)
        return None
    return _symbol_info(sym)


@_api()
def symbol_info_tick(symbol: str) -> Any:
    sym = _t.market.symbols.get(symbol)
    if sym is None or not sym.selected:  # pitfall 5: not in Market Watch -> None
        _fail(-1)
        return None
    t = _t.market.feeds[symbol].ticks[-1]
    return _TickType(*t)


@_api()
def symbol_select(symbol: str, enable: bool = True) -> bool:
    sym = _t.market.symbols.get(symbol)
    if sym is None:
        _fail(-1)
        return False
    if not enable and any(p.symbol == symbol for p in _t.server.positions.values()):
        _fail(-1)
        return False
    sym.selected = bool(enable)
    return True


@_api()
def market_book_add(symbol: str) -> bool:
    sym = _t.market.symbols.get(symbol)
    if sym is None or not sym.selected:
        _fail(-1)
        return False
    _t.books.add(symbol)
    return True


@_api()
def market_book_get(symbol: str) -> Any:
    if symbol not in _t.books:
        _fail(-1)
        return None
    feed = _t.market.feeds[symbol]
    point = feed.symbol.point
    asks = [BookInfo(BOOK_TYPE_SELL, feed.ask + i * point, 10, 10.0) for i in range(4, -1, -1)]  # noqa: F405
    bids = [BookInfo(BOOK_TYPE_BUY, feed.bid - i * point, 10, 10.0) for i in range(5)]  # noqa: F405
    return tuple(asks + bids)


@_api()
def market_book_release(symbol: str) -> bool:
    _t.books.discard(symbol)
    return True


# -- history: bars and ticks ----------------------------------------------------------------


def _feed_for_copy(symbol: Any) -> Any:
    sym = _t.market.symbols.get(symbol) if isinstance(symbol, str) else None
    if sym is None or not sym.selected:  # pitfall 5: copy_* fail unless in Market Watch
        _fail(-1)
        return None
    return _t.market.feeds[symbol]


def _rates_for(symbol: Any, timeframe: Any) -> np.ndarray | None:
    feed = _feed_for_copy(symbol)
    if feed is None:
        return None
    if not isinstance(timeframe, int) or _timeframe_seconds(timeframe) is None:
        _fail(-2)
        return None
    rates: np.ndarray = feed.rates(timeframe)
    return rates


@_api()
def copy_rates_from(symbol: Any, timeframe: Any, date_from: Any, count: Any, /) -> Any:
    rates, start = _rates_for(symbol, timeframe), _epoch(date_from)
    if rates is None or start is None or not isinstance(count, int) or count <= 0:
        _fail(-2) if rates is not None else None
        return None
    if count > _t.maxbars:
        _fail(-2)
        return None
    upto = rates[rates["time"] <= start]
    return upto[-count:].copy()


@_api()
def copy_rates_from_pos(symbol: Any, timeframe: Any, start_pos: Any, count: Any, /) -> Any:
    rates = _rates_for(symbol, timeframe)
    if rates is None:
        return None
    if not all(isinstance(v, int) for v in (start_pos, count)) or start_pos < 0 or count <= 0:
        _fail(-2)
        return None
    if start_pos + count > _t.maxbars:  # pitfall 13: only what a chart may hold
        _fail(-2)
        return None
    end = len(rates) - start_pos
    return rates[max(0, end - count) : max(0, end)].copy()


@_api()
def copy_rates_range(symbol: Any, timeframe: Any, date_from: Any, date_to: Any, /) -> Any:
    rates, start, end = _rates_for(symbol, timeframe), _epoch(date_from), _epoch(date_to)
    if rates is None:
        return None
    if start is None or end is None:
        _fail(-2)
        return None
    return rates[(rates["time"] >= start) & (rates["time"] <= end)].copy()


def _ticks_for(symbol: Any, flags: Any, start: float | None = None) -> np.ndarray | None:
    """The symbol's cached ticks (from ``start`` on, if given) as a ticks-dtype array."""
    feed = _feed_for_copy(symbol)
    if feed is None:
        return None
    if flags not in (COPY_TICKS_ALL, COPY_TICKS_INFO, COPY_TICKS_TRADE):  # noqa: F405
        _fail(-2)
        return None
    at = round(start * 1000) if start is not None else 0
    first = bisect.bisect_left(feed.ticks, at, key=lambda r: r[5])
    ticks: np.ndarray = np.array(feed.ticks[first:], dtype=_TICKS_DTYPE)
    if flags == COPY_TICKS_TRADE:  # noqa: F405
        ticks = ticks[(ticks["flags"] & (TICK_FLAG_LAST | TICK_FLAG_VOLUME)) != 0]  # noqa: F405
    return ticks


@_api()
def copy_ticks_from(symbol: Any, date_from: Any, count: Any, flags: Any, /) -> Any:
    start = _epoch(date_from)
    ticks = _ticks_for(symbol, flags, start)
    if ticks is None:
        return None
    if start is None or not isinstance(count, int) or count <= 0:
        _fail(-2)
        return None
    return ticks[ticks["time_msc"] >= round(start * 1000)][:count].copy()


@_api()
def copy_ticks_range(symbol: Any, date_from: Any, date_to: Any, flags: Any, /) -> Any:
    start, end = _epoch(date_from), _epoch(date_to)
    ticks = _ticks_for(symbol, flags, start)
    if ticks is None:
        return None
    if start is None or end is None:
        _fail(-2)
        return None
    msc = ticks["time_msc"]
    return ticks[(msc >= round(start * 1000)) & (msc <= round(end * 1000))].copy()


# -- positions and orders -------------------------------------------------------------------


def _position(p: Position) -> Any:
    profit = _t.server.floating(p)
    return TradePosition(
        p.ticket,
        p.time_msc // 1000,
        p.time_msc,
        (p.time_update_msc or p.time_msc) // 1000,
        p.time_update_msc or p.time_msc,
        p.type,
        p.magic,
        p.ticket,
        p.reason,
        p.volume,
        p.price_open,
        p.sl,
        p.tp,
        _t.server.close_price(p),
        p.swap,
        profit,
        p.symbol,
        p.comment,
        "",
    )


def _order(o: Order) -> Any:
    feed = _t.market.feeds[o.symbol]
    current = feed.ask if o.type % 2 == 0 else feed.bid
    return TradeOrder(
        o.ticket,
        o.time_setup_msc // 1000,
        o.time_setup_msc,
        o.time_done_msc // 1000,
        o.time_done_msc,
        o.expiration,
        o.type,
        o.type_time,
        o.type_filling,
        o.state,
        o.magic,
        o.position_id,
        o.position_by_id,
        o.reason,
        o.volume_initial,
        o.volume_current,
        o.price_open,
        o.sl,
        o.tp,
        current,
        o.price_stoplimit,
        o.symbol,
        o.comment,
        "",
    )


def _deal(d: Deal) -> Any:
    return TradeDeal(
        d.ticket,
        d.order,
        d.time_msc // 1000,
        d.time_msc,
        d.type,
        d.entry,
        d.magic,
        d.position_id,
        d.reason,
        d.volume,
        d.price,
        0.0,
        0.0,
        d.profit,
        0.0,
        d.symbol,
        d.comment,
        "",
    )


def _select(items: list[Any], symbol: Any, group: Any, ticket: Any) -> Any:
    if symbol is not None:
        items = [i for i in items if i.symbol == symbol]
    if group is not None:
        items = [i for i in items if _matches(i.symbol, group)]
    if ticket is not None:
        items = [i for i in items if i.ticket == ticket]
    return tuple(items)  # pitfall 14: an empty tuple, not None, when nothing matches


@_api()
def orders_total() -> int:
    return len(_t.server.orders)


@_api()
def orders_get(
    *, symbol: str | None = None, group: str | None = None, ticket: int | None = None
) -> Any:
    return _select([_order(o) for o in _t.server.orders.values()], symbol, group, ticket)


@_api()
def positions_total() -> int:
    return len(_t.server.positions)


@_api()
def positions_get(
    *, symbol: str | None = None, group: str | None = None, ticket: int | None = None
) -> Any:
    return _select([_position(p) for p in _t.server.positions.values()], symbol, group, ticket)


def _history(kind: str, items: list[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The three call forms of history_*_get: (from, to[, group=]) | (ticket=) | (position=)."""
    if args:
        start, end = (_epoch(a) for a in args) if len(args) == 2 else (None, None)
        if start is None or end is None or set(kwargs) - {"group"}:
            _fail(-2)
            return None
        found = [i for i in items if start <= i.time_msc / 1000 <= end]
        if "group" in kwargs:
            found = [i for i in found if _matches(i.symbol, kwargs["group"])]
        return tuple(found)
    if set(kwargs) == {"ticket"}:
        key = "order" if kind == "deals" else "ticket"
        return tuple(i for i in items if getattr(i, key) == kwargs["ticket"])
    if set(kwargs) == {"position"}:
        return tuple(i for i in items if i.position_id == kwargs["position"])
    _fail(-2)
    return None


@_api()
def history_orders_total(date_from: Any, date_to: Any, /) -> Any:
    found = history_orders_get(date_from, date_to)
    return None if found is None else len(found)


@_api()
def history_orders_get(*args: Any, **kwargs: Any) -> Any:
    orders = [_order(o) for o in _t.server.history_orders]
    timed = [_Timed(o, o.time_done_msc or o.time_setup_msc) for o in orders]
    found = _history("orders", timed, args, kwargs)
    return None if found is None else tuple(t.item for t in found)


@_api()
def history_deals_total(date_from: Any, date_to: Any, /) -> Any:
    found = history_deals_get(date_from, date_to)
    return None if found is None else len(found)


@_api()
def history_deals_get(*args: Any, **kwargs: Any) -> Any:
    return _history("deals", [_deal(d) for d in _t.server.deals], args, kwargs)


class _Timed:
    """Lets history orders be filtered like deals (by time_msc, symbol, ticket, position)."""

    def __init__(self, item: Any, time_msc: int) -> None:
        self.item, self.time_msc = item, time_msc
        self.symbol, self.ticket, self.position_id = item.symbol, item.ticket, item.position_id


# -- trading ------------------------------------------------------------------------------


def _trade_request(req: dict[str, Any]) -> Any:
    defaults = {k: (t() if t is not str else "") for k, t in _REQUEST_KEYS.items()}
    return TradeRequest(**{**defaults, **req})


def _validate(request: Any) -> dict[str, Any] | None:
    """The binary's argument checks: a dict, known keys, values of the right type."""
    if not isinstance(request, dict):
        _fail(-2)
        return None
    for key, value in request.items():
        kind = _REQUEST_KEYS.get(key)
        ok = kind is not None and (
            isinstance(value, (int, float)) and not isinstance(value, bool)
            if kind is float
            else isinstance(value, kind) and not isinstance(value, bool)
        )
        if not ok:
            _fail(-2, f'Invalid "{key}" argument')
            return None
    if "action" not in request:
        _fail(-2, 'Invalid "action" argument')
        return None
    return request


def _refusal_before_server(req: dict[str, Any]) -> int | None:
    if _t.tradeapi_disabled:
        return -8
    if not _t.trade_allowed:
        return TRADE_RETCODE_CLIENT_DISABLES_AT  # noqa: F405
    if not _t.server_connected:
        return TRADE_RETCODE_CONNECTION  # noqa: F405
    return None


@_api()
def order_check(request: dict[str, Any]) -> Any:
    req = _validate(request)
    if req is None:
        return None
    m = _t.server.summary()
    refusal = _refusal_before_server(req)
    if refusal == -8:
        _fail(-8)
        return None
    code, comment = 0, "Done"
    if refusal is not None:
        code, comment = refusal, ""
    else:
        try:
            _t.server.check(req)
        except RequestRefused as exc:
            code, comment = exc.retcode, exc.comment
    return OrderCheckResult(
        code,
        m["balance"],
        m["equity"],
        m["profit"],
        m["margin"],
        m["margin_free"],
        m["margin_level"],
        comment,
        _trade_request(req),
    )


@_api()
def order_send(request: dict[str, Any]) -> Any:
    req = _validate(request)
    if req is None:
        return None
    feed = _t.market.feeds.get(str(req.get("symbol", "")))
    bid, ask = (feed.bid, feed.ask) if feed else (0.0, 0.0)

    def result(
        code: int,
        deal: int = 0,
        order: int = 0,
        volume: float = 0.0,
        price: float = 0.0,
        comment: str = "",
    ) -> Any:
        from tests.fakes.mt5_trading import COMMENT_WORDS

        text = comment or COMMENT_WORDS.get(code, "Rejected")
        return OrderSendResult(
            code, deal, order, volume, price, bid, ask, text, 1, 0, _trade_request(req)
        )

    refusal = _refusal_before_server(req)
    if refusal == -8:
        _fail(-8)
        return None
    if refusal is not None:
        return result(refusal)
    fault = _t.server.fault
    if fault.requotes and req["action"] == 1:  # TRADE_ACTION_DEAL
        fault.requotes -= 1
        if fault.requote_move_points and feed is not None:  # the price moved: that's why
            move = fault.requote_move_points * feed.symbol.point
            control.push_tick(feed.symbol.name, feed.bid + move, feed.ask + move)
        return result(fault.requote_code)
    try:
        _t.server.check(req)
        if req["action"] == 1 and req.get("price") and feed is not None:
            market = ask if req.get("type") == 0 else bid
            if abs(float(req["price"]) - market) > req.get("deviation", 0) * feed.symbol.point:
                return result(TRADE_RETCODE_REQUOTE)  # noqa: F405
        code, deal, order, volume, price, comment = _t.server.execute(req)
    except RequestRefused as exc:
        return result(exc.retcode, comment=exc.comment)
    if fault.lose_reply:  # executed, but the answer never arrives
        fault.lose_reply = False
        if _t.lose_reply_then_disconnect:
            _t.ipc_up = False
        _fail(-10005)
        return None
    if fault.raise_after_execute is not None:  # executed, then the call itself blows up
        exc, fault.raise_after_execute = fault.raise_after_execute, None
        raise exc
    if fault.drop_after_reply:  # answered DONE, then the terminal goes away
        fault.drop_after_reply = False
        _t.ipc_up = False
    return result(code, deal, order, volume, price, comment)


@_api()
def order_calc_margin(action: Any, symbol: Any, volume: Any, price: Any, /) -> Any:
    sym = _t.market.symbols.get(symbol)
    if sym is None or action not in (0, 1):
        _fail(-2)
        return None
    return round(_t.server.margin_for(sym, float(volume), float(price)), 2)


@_api()
def order_calc_profit(
    action: Any, symbol: Any, volume: Any, price_open: Any, price_close: Any, /
) -> Any:
    sym = _t.market.symbols.get(symbol)
    if sym is None or action not in (0, 1):
        _fail(-2)
        return None
    return _t.server.profit(sym, action == 0, float(volume), float(price_open), float(price_close))


# -- the package's pure-Python helpers (same behaviour: deviation 10, no type_filling) -----


def _helper_deal(
    symbol: str, volume: float, is_buy: bool, price: Any, comment: Any, ticket: Any
) -> Any:
    for _ in range(10):
        tick = symbol_info_tick(symbol)
        if tick is None:
            return None
        request = {
            "action": TRADE_ACTION_DEAL,  # noqa: F405
            "symbol": symbol,
            "volume": float(volume),
            "type": ORDER_TYPE_BUY if is_buy else ORDER_TYPE_SELL,  # noqa: F405
            "price": float(price if price is not None else tick.ask if is_buy else tick.bid),
            "deviation": 10,
        }
        if comment is not None:
            request["comment"] = comment
        if ticket is not None:
            request["position"] = ticket
        result = order_send(request)
        if result is None or result.retcode not in (TRADE_RETCODE_REQUOTE, TRADE_RETCODE_PRICE_OFF):  # noqa: F405
            return result
    return result


def Buy(
    symbol: str, volume: float, price: Any = None, *, comment: Any = None, ticket: Any = None
) -> Any:
    return _helper_deal(symbol, volume, True, price, comment, ticket)


def Sell(
    symbol: str, volume: float, price: Any = None, *, comment: Any = None, ticket: Any = None
) -> Any:
    return _helper_deal(symbol, volume, False, price, comment, ticket)


def Close(symbol: str, *, comment: Any = None, ticket: Any = None) -> Any:
    positions = positions_get(symbol=symbol) if ticket is None else positions_get(ticket=ticket)
    if positions is None:
        return None
    done = 0
    for p in positions:
        result = _helper_deal(symbol, p.volume, p.type == 1, None, comment, p.ticket)
        done += result is not None and result.retcode == TRADE_RETCODE_DONE  # noqa: F405
    if positions and done == len(positions):
        return True
    return "Partially" if done else False


# -- test control (NOT part of the real API) --------------------------------------------------


class FakeControl:
    """Steers the fake terminal from tests. Nothing here exists in the real package."""

    def reset(
        self,
        *,
        hedging: bool = True,
        balance: float = 10_000.0,
        leverage: int = 100,
        clock: Callable[[], float] = time.time,
        seed: int = 7,
        ticks_per_second: float = 4.0,
        history_bars: int = 3000,
        maxbars: int = 100_000,
        symbols: list[FakeSymbol] | None = None,
        password: str | None = None,
        installed: bool = True,
        login: int = 5_123_456,
        server: str = "MetaQuotes-Demo",
    ) -> None:
        """A fresh terminal: no positions, nothing selected, not initialized."""
        global _t
        with _lock:
            account = Account(
                login=login, server=server, balance=balance, leverage=leverage, hedging=hedging
            )
            _t = _Terminal(
                clock=clock,
                seed=seed,
                ticks_per_second=ticks_per_second,
                history_bars=history_bars,
                maxbars=maxbars,
                account=account,
                symbols=symbols if symbols is not None else default_symbols(),
                password=password,
                installed=installed,
            )

    # connection
    def disconnect(self) -> None:
        """The terminal is gone (closed, crashed): every call fails with -10004."""
        with _lock:
            _t.ipc_up = False

    def reconnect(self) -> None:
        """The terminal is back; the client must ``initialize`` again."""
        with _lock:
            _t.ipc_up = True
            _t.initialized = False

    def lose_server(self) -> None:
        """The terminal runs but lost its trade server: connected False, no quotes."""
        with _lock:
            _t.server_connected = False

    def restore_server(self) -> None:
        with _lock:
            _t.market.last_time = _t.clock()
            _t.server_connected = True

    def set_algo_trading(self, *, allowed: bool = True, api_disabled: bool = False) -> None:
        with _lock:
            _t.trade_allowed, _t.tradeapi_disabled = allowed, api_disabled

    def fail_next(self, function: str, code: int = -1) -> None:
        """The next call of ``function`` returns None with ``code`` in last_error."""
        with _lock:
            _t.fail_next[function] = code

    # trading faults
    def requote_next(self, n: int = 1, retcode: int = 10004, *, move_points: int = 0) -> None:
        """Answer the next ``n`` deals with ``retcode``, moving the price ``move_points``."""
        with _lock:
            fault = _t.server.fault
            fault.requotes, fault.requote_code, fault.requote_move_points = n, retcode, move_points

    def partial_fill_next(self, fraction: float = 0.5) -> None:
        with _lock:
            _t.server.fault.partial_fraction = fraction

    def lose_next_reply(self, *, then_disconnect: bool = False) -> None:
        """Execute the next order_send but answer None / IPC timeout (outcome unknown)."""
        with _lock:
            _t.server.fault.lose_reply = True
            _t.lose_reply_then_disconnect = then_disconnect

    def drop_after_next_reply(self) -> None:
        """Answer the next order_send as usual, then lose the terminal (every later call
        fails with -10004 until ``reconnect``): e.g. while the client reads the deal."""
        with _lock:
            _t.server.fault.drop_after_reply = True

    def raise_after_next_send(self, exc: Exception) -> None:
        """Execute the next order_send, then raise ``exc`` instead of answering."""
        with _lock:
            _t.server.fault.raise_after_execute = exc

    def set_market_open(self, symbol: str, is_open: bool) -> None:
        with _lock:
            _t.market.symbols[symbol].market_open = is_open

    # the market
    def push_tick(
        self, symbol: str, bid: float, ask: float | None = None, time_msc: int | None = None
    ) -> None:
        """Add one quote by hand (with ``ticks_per_second=0`` the market moves only so)."""
        with _lock:
            feed = _t.market.feeds[symbol]
            sym = feed.symbol
            ask = ask if ask is not None else sym.round(bid + sym.spread_points * sym.point)
            msc = time_msc if time_msc is not None else max(feed.time_msc, int(_t.clock() * 1000))
            feed.add_tick(msc, sym.round(bid), sym.round(ask), _FLAG_QUOTE)
            _t.server.on_tick(symbol)

    def quote(self, symbol: str) -> tuple[float, float]:
        with _lock:
            _t.advance()
            feed = _t.market.feeds[symbol]
            return feed.bid, feed.ask

    def ticks(self, symbol: str) -> np.ndarray:
        """Every tick the terminal has for ``symbol`` (what a perfect client would see)."""
        with _lock:
            return _t.market.feeds[symbol].ticks_array()

    # trades made elsewhere (the MT5 terminal's own window, the phone)
    def open_external_position(
        self, symbol: str, is_buy: bool, volume: float, *, sl: float = 0.0, tp: float = 0.0
    ) -> int:
        with _lock:
            _t.advance()
            server, sym = _t.server, _t.market.symbols[symbol]
            feed = _t.market.feeds[symbol]
            price = feed.ask if is_buy else feed.bid
            deal = server.fill(
                sym, is_buy, volume, price, next(server.tickets), "", 0, 1, None, sl, tp
            )  # reason 1 = DEAL_REASON_MOBILE
            return deal.position_id

    def close_external_position(self, ticket: int) -> None:
        with _lock:
            _t.advance()
            server = _t.server
            p = server.positions[ticket]
            sym = _t.market.symbols[p.symbol]
            is_buy = p.type == 1
            price = server.close_price(p)
            server.fill(sym, is_buy, p.volume, price, next(server.tickets), "", 0, 1, p)

    # inspection
    @property
    def calls(self) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
        return _t.calls

    @property
    def positions(self) -> dict[int, Position]:
        return _t.server.positions

    @property
    def orders(self) -> dict[int, Order]:
        return _t.server.orders

    @property
    def deals(self) -> list[Deal]:
        return _t.server.deals

    @property
    def account(self) -> Account:
        return _t.server.account

    def bar_open(self, timeframe: int, t: int) -> int:
        return _bar_open(timeframe, t)


control = FakeControl()
control.reset()
