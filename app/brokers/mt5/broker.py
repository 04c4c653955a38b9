"""Mt5Broker: the ``Broker`` protocol over a MetaTrader5-like module object.

The module is injected: the real ``MetaTrader5`` package on Windows, the fake in
``tests/fakes`` elsewhere. Everything the package is known to get wrong for its
users (``mt5-api.md`` section 8) is handled here, once:

* one thread: every call must come from the thread that connected (the engine's);
* symbols are selected in Market Watch before their ticks or bars are read;
* ticks are read with ``copy_ticks_from`` from the last one seen, so none is lost
  or repeated between polls; bars are paged within the terminal's "max bars";
* requests carry the symbol's filling *enum* (not its bit mask), volume and prices
  on the symbol's steps, our deviation and magic, and our client id as comment;
  ``order_check`` runs before ``order_send``; ``None`` is read through
  ``last_error()``; every retcode becomes a sentence; requotes are retried only
  while the price stays within the deviation;
* an answer lost with the connection is never resent blindly: the terminal is
  asked what became of the order first (``order_outcome``);
* positions, orders and deals are re-read after every trade and compared on every
  poll, so trades made in the terminal, on the phone or by SL/TP show up at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.brokers.base import (
    BrokerError,
    BrokerEvents,
    BrokerInfo,
    ExecutionReport,
    OutcomeUnknownError,
    PermanentBrokerError,
    TransientBrokerError,
)
from app.brokers.mt5 import mapping as m
from app.brokers.mt5.records import (
    ORDER_TYPE_CODES,
    account_from,
    fill_from_deal,
    position_from,
    spec_from_info,
    tick_from,
    working_order_from,
)
from app.brokers.mt5.ticks import TickCursor
from app.domain.enums import LogLevel, OrderStatus, OrderType, Side
from app.domain.market import RATES_DTYPE, TICKS_DTYPE, Tick
from app.domain.notices import LogEvent
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Fill, OrderRequest, OrderUpdate, Position, WorkingOrder
from app.settings import Mt5Settings

log = logging.getLogger(__name__)

COMMENT_MAX = 31  # MT5 keeps at most 31 characters of an order comment
TICK_BATCH = 5000  # ticks read per symbol per poll; the rest come next poll, in order
MAX_ATTEMPTS = 4  # sends of one market request when requoted (the first + 3 retries)
HISTORY_PAGES = 200  # copy_rates_range pages at most per history request
DAY = 86_400


def comment_for(client_id: str) -> str:
    """Our client order id as an MT5 comment (the terminal keeps 31 characters)."""
    return client_id[:COMMENT_MAX]


def utc(epoch_seconds: float) -> datetime:
    """A timezone-aware UTC datetime: the package reads naive ones as local time."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


class Mt5Broker:
    """A MetaTrader 5 account through one terminal. Only the engine thread calls it."""

    name = "mt5"

    def __init__(
        self,
        module: Any,
        settings: Mt5Settings,
        symbols: Sequence[str],
        *,
        password: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._mt5 = module
        self._settings = settings
        self._wanted = list(symbols)
        self._password = password
        self._clock = clock
        self._owner: int | None = None
        self._connected = False
        self._ever_connected = False
        self._hedging = True
        self._maxbars = 100_000
        self._infos: dict[str, Any] = {}
        self._specs: dict[str, SymbolSpec] = {}
        self._cursors: dict[str, TickCursor] = {}
        self._quotes: dict[str, Tick] = {}
        self._snapshot: object = None
        self._position_client: dict[int, str] = {}
        self._seen_deals: set[int] = set()
        self._ours: dict[int, OrderRequest] = {}  # our working orders by ticket
        self._notices: list[LogEvent] = []

    # -- connection -------------------------------------------------------------------------
    def connect(self) -> BrokerInfo:
        """``initialize`` the terminal, report it, select the symbols, read the state.

        Called again after a connection loss: tick cursors and seen deals are kept, so
        the ticks and trades of the outage are delivered by the next poll.
        """
        self._owner = threading.get_ident()
        mt5, s = self._mt5, self._settings
        kwargs: dict[str, Any] = {"timeout": s.timeout_ms, "portable": s.portable}
        if s.login:
            kwargs["login"] = s.login
        if self._password:
            kwargs["password"] = self._password
        if s.server:
            kwargs["server"] = s.server
        args = (s.terminal_path,) if s.terminal_path else ()
        if not mt5.initialize(*args, **kwargs):
            code, text = mt5.last_error()
            words = f"Could not connect to MetaTrader 5: {m.error_words(code, text)}"
            if code in m.IPC_ERRORS and code != -10003:
                raise TransientBrokerError(words)
            raise PermanentBrokerError(words)
        version, account, terminal = mt5.version(), mt5.account_info(), mt5.terminal_info()
        if version is None or account is None or terminal is None:
            raise self._failure("reading the account")
        self._hedging = m.is_hedging(int(account.margin_mode))
        self._maxbars = int(terminal.maxbars) or self._maxbars
        facts, warnings = _describe_connection(version, account, terminal, self._hedging)
        warnings += self._load_symbols()
        self._connected = True
        if self._ever_connected:
            self._snapshot = None  # the first poll reports what happened while away
        else:
            self._refresh_state()
        self._ever_connected = True
        return BrokerInfo(
            name="MetaTrader 5",
            account=str(account.login),
            server=account.server,
            currency=account.currency,
            leverage=int(account.leverage),
            hedging=self._hedging,
            facts=tuple(facts),
            warnings=tuple(warnings),
        )

    def _load_symbols(self) -> list[str]:
        mt5, warnings = self._mt5, []
        for name in self._wanted:
            info = mt5.symbol_info(name)
            if info is None:
                self._check_ipc("reading symbol " + name)
                warnings.append(f"Symbol {name} is not offered by this broker; left out")
                continue
            if not (info.select and info.visible):  # pitfall 5: Market Watch first
                if not mt5.symbol_select(name, True):
                    self._check_ipc("selecting " + name)
                    warnings.append(f"Symbol {name} could not be added to Market Watch; left out")
                    continue
                info = mt5.symbol_info(name) or info
            self._infos[name] = info
            self._specs[name] = spec_from_info(info)
            cursor = self._cursors.setdefault(name, TickCursor())
            tick = mt5.symbol_info_tick(name)
            if tick is not None and tick.bid > 0 and tick.ask > 0:
                self._quotes[name] = tick_from(name, tick)
                if cursor.last_msc == 0:  # first connect: live from here on
                    cursor.skip_to(tick)
        if not self._specs:
            raise PermanentBrokerError(
                f"None of the symbols {', '.join(self._wanted)} is offered by this broker"
            )
        return warnings

    def disconnect(self) -> None:
        self._connected = False
        self._mt5.shutdown()

    # -- reference data ---------------------------------------------------------------------
    def symbols(self) -> Sequence[SymbolSpec]:
        return list(self._specs.values())

    def history(self, symbol: str, timeframe: Timeframe, count: int) -> np.ndarray:
        """The last ``count`` bars: the newest page by position (``copy_rates_from_pos`` is
        capped by the terminal's max bars, pitfall 13), older ones by date range."""
        self._check_thread()
        mt5 = self._mt5
        tf = getattr(mt5, m.TIMEFRAME_CONSTANTS[timeframe])
        first = mt5.copy_rates_from_pos(symbol, tf, 0, max(1, min(count, self._maxbars)))
        if first is None:
            raise self._failure(f"reading {symbol} bars")
        pages, have = [first], len(first)
        for _ in range(HISTORY_PAGES):
            if have >= count or have == 0:
                break
            need = min(count - have, self._maxbars)
            end = int(pages[0]["time"][0]) - 1
            span = max(need * timeframe.seconds, 7 * DAY)  # a week covers any weekend gap
            page = mt5.copy_rates_range(symbol, tf, utc(end - span), utc(end))
            if page is None:
                raise self._failure(f"reading older {symbol} bars")
            if len(page) == 0:
                break
            page = page[-need:]
            pages.insert(0, page)
            have += len(page)
        rates = np.concatenate([p.astype(RATES_DTYPE, copy=False) for p in pages])
        return rates[max(0, len(rates) - count) :]

    # -- market -----------------------------------------------------------------------------
    def last_tick(self, symbol: str) -> Tick | None:
        return self._quotes.get(symbol)

    def poll(self) -> BrokerEvents:
        """New ticks of every symbol, in time order, and what changed in the account."""
        self._check_thread()
        terminal = self._mt5.terminal_info()
        if terminal is None:
            raise self._failure("checking the terminal")
        if not terminal.connected:
            self._connected = False
            raise TransientBrokerError("The MetaTrader 5 terminal lost its trade server connection")
        events = BrokerEvents()
        for name in self._specs:
            events.ticks.extend(self._new_ticks(name))
        if len(self._specs) > 1:
            events.ticks.sort(key=lambda t: t.time_msc)
        self._sync_trades(events)
        events.notices, self._notices = self._notices, []
        return events

    def _new_ticks(self, name: str) -> list[Tick]:
        mt5, cursor = self._mt5, self._cursors[name]
        rows = mt5.copy_ticks_from(name, cursor.since(), TICK_BATCH, mt5.COPY_TICKS_ALL)
        if rows is None:  # fall back on the latest quote
            self._check_ipc(f"reading {name} ticks")
            tick = mt5.symbol_info_tick(name)
            if tick is None:
                self._check_ipc(f"reading the {name} quote")
                return []
            if int(tick.time_msc) <= cursor.last_msc or tick.bid <= 0 or tick.ask <= 0:
                return []
            cursor.skip_to(tick)
            self._quotes[name] = tick_from(name, tick)
            return [self._quotes[name]]
        new = cursor.take_new(rows)
        ticks = [tick_from(name, row) for row in new if row["bid"] > 0 and row["ask"] > 0]
        if ticks:
            self._quotes[name] = ticks[-1]
        return ticks

    # -- trading ----------------------------------------------------------------------------
    def submit(self, request: OrderRequest) -> ExecutionReport:
        self._check_thread()
        info, spec = self._infos.get(request.symbol), self._specs.get(request.symbol)
        if info is None or spec is None:
            return _rejected(f"Unknown symbol {request.symbol}")
        pending = request.order_type.is_pending
        req: dict[str, Any] = {
            "action": self._mt5.TRADE_ACTION_PENDING if pending else self._mt5.TRADE_ACTION_DEAL,
            "symbol": request.symbol,
            "volume": spec.round_volume(request.volume),
            "type": ORDER_TYPE_CODES[(request.side, request.order_type)],
            "type_filling": m.filling_type(
                int(info.filling_mode), int(info.trade_exemode), pending=pending
            ),
            "type_time": self._mt5.ORDER_TIME_GTC,
            "deviation": self._settings.deviation_points,
            "magic": m.magic_for(request.owner, self._settings.magic),
            "comment": comment_for(request.client_id),
        }
        if pending:
            if request.price is None:
                return _rejected(f"A {request.order_type} order needs a price")
            req["price"] = spec.round_price(request.price)
            if request.order_type is OrderType.STOP_LIMIT and request.stop_limit is not None:
                req["stoplimit"] = spec.round_price(request.stop_limit)
        else:
            price = self._market_price(request.symbol, request.side)
            if price is None:
                return _rejected(f"No price for {request.symbol} from the terminal")
            req["price"] = price
        req.update(self._stops(spec, request.sl, request.tp))
        result = self._send(req, request.client_id)
        report = self._report(result, req, request.client_id)
        if report.status is OrderStatus.WORKING and report.broker_ticket:
            self._ours[report.broker_ticket] = request
        return report

    def close_position(self, ticket: int, volume: float | None, client_id: str) -> ExecutionReport:
        """Close all or part of a position: on hedging by ``position=``; on netting an
        opposite deal of that volume reduces the symbol's one position."""
        self._check_thread()
        found = self._mt5.positions_get(ticket=ticket)
        if found is None:
            raise self._failure(f"reading position #{ticket}")
        if not found:
            return _rejected(f"No open position #{ticket}")
        p = found[0]
        info, spec = self._infos.get(p.symbol), self._specs.get(p.symbol)
        if info is None or spec is None:
            return _rejected(f"Position #{ticket} is on {p.symbol}, which is not in the watch-list")
        amount = float(p.volume) if volume is None else spec.round_volume(volume)
        if amount > float(p.volume) + 1e-9 or amount <= 0:
            return _rejected(
                f"Cannot close {amount:g} lots of position #{ticket}: it holds {p.volume:g}"
            )
        side = Side.SELL if p.type == 0 else Side.BUY
        price = self._market_price(p.symbol, side)
        if price is None:
            return _rejected(f"No price for {p.symbol} from the terminal")
        req: dict[str, Any] = {
            "action": self._mt5.TRADE_ACTION_DEAL,
            "symbol": p.symbol,
            "volume": amount,
            "type": ORDER_TYPE_CODES[(side, OrderType.MARKET)],
            "price": price,
            "type_filling": m.filling_type(
                int(info.filling_mode), int(info.trade_exemode), pending=False
            ),
            "type_time": self._mt5.ORDER_TIME_GTC,
            "deviation": self._settings.deviation_points,
            "magic": int(p.magic) or self._settings.magic,  # the position's owner
            "comment": comment_for(client_id),
        }
        if self._hedging:
            req["position"] = int(ticket)
        return self._report(self._send(req, client_id), req, client_id)

    def close_by(self, ticket: int, opposite_ticket: int, client_id: str) -> ExecutionReport:
        self._check_thread()
        if not self._hedging:
            return _rejected("Close by needs a hedging account; this account is netting")
        found = self._mt5.positions_get(ticket=ticket)
        if found is None:
            raise self._failure(f"reading position #{ticket}")
        if not found:
            return _rejected(f"No open position #{ticket}")
        req = {
            "action": self._mt5.TRADE_ACTION_CLOSE_BY,
            "symbol": found[0].symbol,
            "position": int(ticket),
            "position_by": int(opposite_ticket),
            "magic": int(found[0].magic) or self._settings.magic,
            "comment": comment_for(client_id),
        }
        return self._report(self._send(req, client_id), req, client_id)

    def cancel_order(self, ticket: int) -> ExecutionReport:
        self._check_thread()
        req = {"action": self._mt5.TRADE_ACTION_REMOVE, "order": int(ticket)}
        report = self._report(self._send(req, ""), req, "")
        if report.status is OrderStatus.REJECTED:
            return report
        self._ours.pop(ticket, None)
        return ExecutionReport(OrderStatus.CANCELLED, ticket)

    def modify_position(self, ticket: int, sl: float | None, tp: float | None) -> ExecutionReport:
        self._check_thread()
        found = self._mt5.positions_get(ticket=ticket)
        if found is None:
            raise self._failure(f"reading position #{ticket}")
        if not found or found[0].symbol not in self._specs:
            return _rejected(f"No open position #{ticket}")
        spec = self._specs[found[0].symbol]
        req = {
            "action": self._mt5.TRADE_ACTION_SLTP,
            "symbol": found[0].symbol,
            "position": int(ticket),
            "magic": self._settings.magic,
            **self._stops(spec, sl, tp, explicit=True),
        }
        report = self._report(self._send(req, ""), req, "")
        if report.status is OrderStatus.REJECTED:
            return report
        return ExecutionReport(OrderStatus.WORKING, ticket)

    def modify_order(
        self, ticket: int, price: float, sl: float | None, tp: float | None
    ) -> ExecutionReport:
        self._check_thread()
        found = self._mt5.orders_get(ticket=ticket)
        if found is None:
            raise self._failure(f"reading order #{ticket}")
        if not found or found[0].symbol not in self._specs:
            return _rejected(f"No working order #{ticket}")
        o, spec = found[0], self._specs[found[0].symbol]
        req = {
            "action": self._mt5.TRADE_ACTION_MODIFY,
            "order": int(ticket),
            "symbol": o.symbol,
            "price": spec.round_price(price),
            "stoplimit": float(o.price_stoplimit),
            "type_time": int(o.type_time),
            "expiration": int(o.time_expiration),
            **self._stops(spec, sl, tp, explicit=True),
        }
        report = self._report(self._send(req, ""), req, "")
        if report.status is OrderStatus.REJECTED:
            return report
        return ExecutionReport(OrderStatus.WORKING, ticket, price=req["price"])

    def order_outcome(self, client_id: str) -> ExecutionReport | None:
        """Ask the terminal what became of ``client_id``: resting, filled, refused, or
        never seen (``None``). Searched by the comment that carries the id."""
        self._check_thread()
        comment = comment_for(client_id)
        orders = self._mt5.orders_get()
        if orders is None:
            raise self._failure("looking up an order")
        for o in orders:
            if o.comment == comment:
                return ExecutionReport(OrderStatus.WORKING, int(o.ticket), price=o.price_open)
        start, end = self._history_window()
        deals = self._mt5.history_deals_get(start, end)
        if deals is None:
            raise self._failure("looking up deals")
        fills = tuple(
            fill_from_deal(d, client_id, self._settings.magic)
            for d in deals
            if d.comment == comment
        )
        if fills:
            self._seen_deals.update(f.deal_ticket for f in fills)
            volume = sum(f.volume for f in fills)
            return ExecutionReport(
                OrderStatus.FILLED, int(deals[0].order), volume, fills[-1].price, fills=fills
            )
        history = self._mt5.history_orders_get(start, end)
        if history is None:
            raise self._failure("looking up orders")
        for o in history:
            if o.comment == comment:
                status = _ORDER_STATE_STATUS.get(int(o.state), OrderStatus.REJECTED)
                return ExecutionReport(status, int(o.ticket), reason="found in the history")
        return None

    def deals_since(self, time_msc: int) -> Sequence[Fill] | None:
        """Buy and sell deals of the account from ``time_msc`` on (the terminal's history)."""
        self._check_thread()
        _start, end = self._history_window()
        deals = self._mt5.history_deals_get(utc(time_msc / 1000), end)
        if deals is None:
            raise self._failure("reading deals")
        fills = []
        for deal in deals:
            if int(deal.type) not in (0, 1):  # balance, credit, commission… are not trades
                continue
            client = self._position_client.get(int(deal.position_id), "") or deal.comment
            fills.append(fill_from_deal(deal, client, self._settings.magic))
        return fills

    def rates_range(
        self, symbol: str, timeframe: Timeframe, start: int, end: int
    ) -> np.ndarray | None:
        """The terminal's bars over a date range (``copy_rates_range``; the terminal
        downloads what it lacks from the trade server)."""
        self._check_thread()
        mt5 = self._mt5
        tf = getattr(mt5, m.TIMEFRAME_CONSTANTS[timeframe])
        rows = mt5.copy_rates_range(symbol, tf, utc(start), utc(end))
        if rows is None:
            raise self._failure(f"downloading {symbol} {timeframe.name} bars")
        return rows.astype(RATES_DTYPE, copy=False)

    def ticks_range(self, symbol: str, start_msc: int, end_msc: int) -> np.ndarray | None:
        """Every tick the terminal has over a range (``copy_ticks_range``, all of them)."""
        self._check_thread()
        mt5 = self._mt5
        rows = mt5.copy_ticks_range(
            symbol, utc(start_msc / 1000), utc(end_msc / 1000), mt5.COPY_TICKS_ALL
        )
        if rows is None:
            raise self._failure(f"downloading {symbol} ticks")
        out = np.empty(len(rows), dtype=TICKS_DTYPE)
        out["time_msc"] = rows["time_msc"]
        for name in ("bid", "ask", "last", "flags"):
            out[name] = rows[name]
        out["volume"] = rows["volume_real"]
        return out

    def order_margin(self, symbol: str, side: Side, volume: float, price: float) -> float | None:
        """The terminal's own margin figure for the risk gate; ``None`` if it cannot tell."""
        self._check_thread()
        action = self._mt5.ORDER_TYPE_BUY if side is Side.BUY else self._mt5.ORDER_TYPE_SELL
        value = self._mt5.order_calc_margin(action, symbol, float(volume), float(price))
        return float(value) if value is not None else None

    # -- state ------------------------------------------------------------------------------
    def positions(self) -> Sequence[Position]:
        self._check_thread()
        found = self._mt5.positions_get()
        if found is None:  # pitfall 14: None is an error, () is "no positions"
            raise self._failure("reading positions")
        return [position_from(p, self._settings.magic) for p in found]

    def working_orders(self) -> Sequence[WorkingOrder]:
        self._check_thread()
        found = self._mt5.orders_get()
        if found is None:
            raise self._failure("reading orders")
        return [
            o for o in (working_order_from(o, self._settings.magic) for o in found) if o is not None
        ]

    def account(self) -> AccountState:
        self._check_thread()
        info = self._mt5.account_info()
        if info is None:
            raise self._failure("reading the account")
        return account_from(info)

    # -- sending ----------------------------------------------------------------------------
    def _send(self, req: dict[str, Any], client_id: str) -> Any:
        """``order_check`` then ``order_send``; requotes retried within the deviation.

        Returns the ``OrderSendResult``, or an ``ExecutionReport`` when the request was
        refused before the server or its outcome had to be looked up.
        """
        mt5 = self._mt5
        check = mt5.order_check(req)
        if check is None:
            code, text = mt5.last_error()
            if code in m.IPC_ERRORS:
                self._connected = False
                raise TransientBrokerError(f"Not sent: {m.error_words(code, text)}")
            return _rejected(m.error_words(code, text))
        if check.retcode not in (0, m.RETCODE_DONE, m.RETCODE_PLACED):
            return _rejected(m.retcode_words(int(check.retcode), check.comment))
        first_price = float(req.get("price", 0.0))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            result = mt5.order_send(req)
            if result is None:
                return self._no_answer(client_id)
            retry = (
                int(result.retcode) in m.RETRY_RETCODES
                and req["action"] == mt5.TRADE_ACTION_DEAL
                and attempt < MAX_ATTEMPTS
            )
            if not retry:
                return result
            side = Side.BUY if req["type"] == mt5.ORDER_TYPE_BUY else Side.SELL
            price = self._market_price(req["symbol"], side)
            point = float(self._infos[req["symbol"]].point)
            moved = round(abs((price or 0.0) - first_price) / point)
            what = m.retcode_words(int(result.retcode), result.comment)
            if price is None or moved > self._settings.deviation_points:
                return _rejected(
                    f"{what}; the price moved {moved} points, more than the allowed "
                    f"deviation of {self._settings.deviation_points}; not sent again"
                )
            self._notify(
                LogLevel.INFO,
                f"{what}; sending again at {price} ({moved} points from the first price)",
                client_id,
            )
            req = {**req, "price": price}
        raise AssertionError("unreachable")  # pragma: no cover

    def _no_answer(self, client_id: str) -> ExecutionReport:
        """``order_send`` gave ``None``: a refused argument, or a lost reply to look up."""
        code, text = self._mt5.last_error()
        words = m.error_words(code, text)
        if code not in m.IPC_ERRORS:
            return _rejected(words)
        if not client_id:  # a cancel or a modify: only the orders and positions can tell
            self._connected = False
            raise OutcomeUnknownError(
                f"No reply from the terminal ({words}); whether it was carried out is "
                "checked as soon as the terminal answers",
                client_id,
            )
        try:
            found = self.order_outcome(client_id)
        except BrokerError:
            self._connected = False
            raise OutcomeUnknownError(
                f"The answer to this order was lost ({words}); it may have executed: the "
                "terminal will be checked before anything is sent again",
                client_id,
            ) from None
        if found is None:
            return _rejected(f"{words}; the terminal shows no such order, so it was not executed")
        self._notify(
            LogLevel.WARNING,
            f"The answer was lost ({words}); the terminal shows the "
            f"order {found.status.replace('_', ' ')}",
            client_id,
        )
        return found

    def _report(self, result: Any, req: dict[str, Any], client_id: str) -> ExecutionReport:
        """An ``OrderSendResult`` in our words, with the fills its deals made."""
        if isinstance(result, ExecutionReport):
            report = result
        elif int(result.retcode) not in m.SUCCESS_RETCODES:
            report = _rejected(m.retcode_words(int(result.retcode), result.comment))
        elif int(result.retcode) == m.RETCODE_PLACED:
            report = ExecutionReport(
                OrderStatus.WORKING, int(result.order), price=float(req.get("price", 0.0))
            )
        else:
            partial = int(result.retcode) == m.RETCODE_DONE_PARTIAL
            reason = m.retcode_words(int(result.retcode)) if partial else ""
            try:
                fills = self._fills_of(result, client_id)
            except BrokerError as exc:
                # DONE means executed, whatever happens next: the deal is read later,
                # when the next poll finds it among the deals it has not seen yet.
                fills = ()
                reason = (reason + "; " if reason else "") + (
                    f"executed; the deal's details will follow ({exc})"
                )
            report = ExecutionReport(
                OrderStatus.PARTIALLY_FILLED if partial else OrderStatus.FILLED,
                int(result.order),
                float(result.volume),
                float(result.price) or None,
                reason=reason,
                fills=fills,
            )
        if report.status is not OrderStatus.REJECTED:
            self._snapshot = None  # the next poll re-reads everything (and any trade made
            # meanwhile by someone else, which a snapshot taken now would hide)
        return report

    def _fills_of(self, result: Any, client_id: str) -> tuple[Fill, ...]:
        if not result.order:
            return ()
        deals = self._mt5.history_deals_get(ticket=int(result.order))
        if deals is None:
            raise self._failure("reading the deal of an order")
        fills = tuple(fill_from_deal(d, client_id, self._settings.magic) for d in deals)
        self._seen_deals.update(f.deal_ticket for f in fills)
        for fill in fills:  # an SL/TP later closing this position is reported as ours
            if not fill.closes_position:
                self._position_client[fill.position_ticket] = client_id
        return fills

    # -- keeping up with the account ------------------------------------------------------
    def _refresh_state(self) -> None:
        """On the first connect: what is already there is the starting point, not news."""
        positions, orders = self._mt5.positions_get(), self._mt5.orders_get()
        if positions is None or orders is None:
            raise self._failure("reading positions and orders")
        self._snapshot = _snapshot_of(positions, orders)
        self._position_client.update({int(p.ticket): p.comment for p in positions})
        start, end = self._history_window()
        deals = self._mt5.history_deals_get(start, end)
        if deals is None:
            raise self._failure("reading deals")
        self._seen_deals.update(int(d.ticket) for d in deals)

    def _sync_trades(self, events: BrokerEvents) -> None:
        """Report what changed in the account since the last look, by whomever."""
        positions, orders = self._mt5.positions_get(), self._mt5.orders_get()
        if positions is None or orders is None:
            raise self._failure("reading positions and orders")
        snapshot = _snapshot_of(positions, orders)
        if snapshot == self._snapshot:
            return
        self._snapshot = snapshot
        events.state_changed = True
        self._position_client.update({int(p.ticket): p.comment for p in positions})
        start, end = self._history_window()
        deals = self._mt5.history_deals_get(start, end)
        if deals is None:
            raise self._failure("reading deals")
        filled_orders: set[int] = set()
        for deal in deals:
            if int(deal.ticket) in self._seen_deals or int(deal.type) not in (0, 1):
                continue
            self._seen_deals.add(int(deal.ticket))
            events.fills.append(self._fill_for(deal, events))
            filled_orders.add(int(deal.order))
        working = {int(o.ticket) for o in orders}
        for ticket in [t for t in self._ours if t not in working]:
            request = self._ours.pop(ticket)
            if ticket not in filled_orders:
                events.order_updates.append(self._order_fate(ticket, request))

    def _fill_for(self, deal: Any, events: BrokerEvents) -> Fill:
        ours = self._ours.get(int(deal.order))
        if ours is not None:  # one of our pending orders triggered
            fill = fill_from_deal(deal, ours.client_id, self._settings.magic)
            events.order_updates.append(
                OrderUpdate.of_request(
                    ours,
                    OrderStatus.FILLED,
                    ticket=int(deal.order),
                    filled=fill.volume,
                    price=fill.price,
                    reason=f"{ours.order_type} triggered at {fill.price}",
                )
            )
            return fill
        client = self._position_client.get(int(deal.position_id), "")
        fill = fill_from_deal(deal, client, self._settings.magic)
        if int(deal.reason) in (0, 1, 2):  # terminal, mobile app, web terminal
            self._notify(
                LogLevel.INFO,
                f"Trade made outside Tradeterm ({fill.reason}): {fill.side} {fill.volume:g} "
                f"{fill.symbol} at {fill.price}, position #{fill.position_ticket}",
                client or None,
            )
        return fill

    def _order_fate(self, ticket: int, request: OrderRequest) -> OrderUpdate:
        history = self._mt5.history_orders_get(ticket=ticket)
        if history is None:
            raise self._failure(f"reading order #{ticket}")
        state = int(history[0].state) if history else -1
        status = _ORDER_STATE_STATUS.get(state, OrderStatus.CANCELLED)
        return OrderUpdate.of_request(
            request, status, ticket=ticket, reason="changed outside Tradeterm"
        )

    def _history_window(self) -> tuple[datetime, datetime]:
        """Two days either side of the terminal's latest quote: wide enough for any trade
        server clock (they often run at UTC+2/+3) and for the outage before a reconnect."""
        now = max((t.time_msc / 1000 for t in self._quotes.values()), default=self._clock())
        return utc(now - 2 * DAY), utc(now + 2 * DAY)

    # -- helpers ----------------------------------------------------------------------------
    def _market_price(self, symbol: str, side: Side) -> float | None:
        tick = self._mt5.symbol_info_tick(symbol)
        if tick is None:
            self._check_ipc(f"reading the {symbol} quote")
            return None
        price = float(tick.ask if side is Side.BUY else tick.bid)
        return price if price > 0 else None

    def _stops(
        self, spec: SymbolSpec, sl: float | None, tp: float | None, *, explicit: bool = False
    ) -> dict[str, float]:
        """SL/TP on the symbol's tick grid; 0.0 means none (``explicit`` sends the zeros)."""
        out = {"sl": spec.round_price(sl) if sl else 0.0, "tp": spec.round_price(tp) if tp else 0.0}
        return out if explicit else {k: v for k, v in out.items() if v}

    def _notify(self, level: LogLevel, message: str, client_id: str | None) -> None:
        self._notices.append(LogEvent(level, "mt5", message, client_id=client_id))

    def _check_thread(self) -> None:
        """Pitfall 2: the package is process-global and not thread-safe."""
        if self._owner is not None and threading.get_ident() != self._owner:
            raise RuntimeError("MetaTrader 5 is called from a second thread; only the engine's")

    def _check_ipc(self, doing: str) -> None:
        code, _text = self._mt5.last_error()
        if code in m.IPC_ERRORS:
            raise self._failure(doing)

    def _failure(self, doing: str) -> BrokerError:
        """The error behind a ``None`` result: transient if the terminal is gone."""
        code, text = self._mt5.last_error()
        words = m.error_words(code, text)
        if code in m.IPC_ERRORS:
            self._connected = False
            return TransientBrokerError(f"Lost the MetaTrader 5 terminal while {doing}: {words}")
        return PermanentBrokerError(f"MetaTrader 5 failed while {doing}: {words}")


_ORDER_STATE_STATUS = {
    1: OrderStatus.WORKING,
    2: OrderStatus.CANCELLED,
    3: OrderStatus.PARTIALLY_FILLED,
    4: OrderStatus.FILLED,
    5: OrderStatus.REJECTED,
    6: OrderStatus.EXPIRED,
}
"""ENUM_ORDER_STATE values (PLACED .. EXPIRED) as our order statuses."""


def _rejected(reason: str) -> ExecutionReport:
    return ExecutionReport(OrderStatus.REJECTED, reason=reason)


def _snapshot_of(positions: Sequence[Any], orders: Sequence[Any]) -> object:
    return (
        frozenset((p.ticket, p.type, p.volume, p.sl, p.tp) for p in positions),
        frozenset((o.ticket, o.volume_current, o.price_open, o.sl, o.tp) for o in orders),
    )


def _describe_connection(
    version: Any, account: Any, terminal: Any, hedging: bool
) -> tuple[list[str], list[str]]:
    """What the event log says on connecting: the facts, and what needs the trader."""
    kind = {0: "demo", 1: "contest", 2: "real"}.get(int(account.trade_mode), "unknown")
    facts = [
        f"MetaTrader 5 terminal {terminal.name} build {version[1]} ({version[2]}), "
        f"{terminal.company}",
        f"Account {account.login} ({kind}) on {account.server}: {account.name}, "
        f"{account.currency}, leverage 1:{account.leverage}",
        "Hedging account: each order opens its own position; closing names the position"
        if hedging
        else "Netting account: one position per symbol; an opposite order reduces or reverses it",
    ]
    warnings = []
    if not terminal.trade_allowed:
        warnings.append(
            "Algo trading is disabled in the MetaTrader 5 terminal: orders will be refused "
            "until you press its 'Algo Trading' button"
        )
    if terminal.tradeapi_disabled:
        warnings.append(
            "Trading through the Python API is disabled in the terminal: enable it under "
            "Tools > Options > Expert Advisors"
        )
    if not account.trade_allowed:
        warnings.append("Trading is not allowed on this account (investor password?)")
    elif not account.trade_expert:
        warnings.append("The broker does not allow automated trading on this account")
    if not terminal.connected:
        warnings.append("The terminal is not connected to its trade server")
    return facts, warnings
