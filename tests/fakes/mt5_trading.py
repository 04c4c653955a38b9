"""The fake terminal's trade server: request checks, fills, positions, orders, deals.

Behaves like an MT5 account on a market-execution broker: deals fill at the bid or
ask, requests are checked in the order a server checks them and refused with the
real retcodes, hedging accounts hold many positions per symbol and close with
``position=``, netting accounts keep one position per symbol that an opposite
deal reduces or reverses, and pending orders, stop losses and take profits fire
on the ticks that touch them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tests.fakes import mt5_surface as s
from tests.fakes.mt5_market import FakeSymbol, Market

COMMENT_WORDS = {
    s.TRADE_RETCODE_REQUOTE: "Requote",
    s.TRADE_RETCODE_PLACED: "Request executed",
    s.TRADE_RETCODE_DONE: "Request executed",
    s.TRADE_RETCODE_DONE_PARTIAL: "Request executed partially",
    s.TRADE_RETCODE_INVALID: "Invalid request",
    s.TRADE_RETCODE_INVALID_VOLUME: "Invalid volume",
    s.TRADE_RETCODE_INVALID_PRICE: "Invalid price",
    s.TRADE_RETCODE_INVALID_STOPS: "Invalid stops",
    s.TRADE_RETCODE_TRADE_DISABLED: "Trade disabled",
    s.TRADE_RETCODE_MARKET_CLOSED: "Market closed",
    s.TRADE_RETCODE_NO_MONEY: "No money",
    s.TRADE_RETCODE_PRICE_CHANGED: "Price changed",
    s.TRADE_RETCODE_INVALID_EXPIRATION: "Invalid expiration",
    s.TRADE_RETCODE_NO_CHANGES: "No changes",
    s.TRADE_RETCODE_CLIENT_DISABLES_AT: "AutoTrading disabled by client",
    s.TRADE_RETCODE_FROZEN: "Frozen",
    s.TRADE_RETCODE_INVALID_FILL: "Unsupported filling mode",
    s.TRADE_RETCODE_CONNECTION: "No connection",
    s.TRADE_RETCODE_INVALID_ORDER: "Invalid order",
    s.TRADE_RETCODE_POSITION_CLOSED: "Position doesn't exist",
    s.TRADE_RETCODE_INVALID_CLOSE_VOLUME: "Invalid close volume",
    s.TRADE_RETCODE_LONG_ONLY: "Long only",
    s.TRADE_RETCODE_SHORT_ONLY: "Short only",
    s.TRADE_RETCODE_CLOSE_ONLY: "Close only",
}

REQUEST_KEYS = {
    "action": int,
    "magic": int,
    "order": int,
    "symbol": str,
    "volume": float,
    "price": float,
    "stoplimit": float,
    "sl": float,
    "tp": float,
    "deviation": int,
    "type": int,
    "type_filling": int,
    "type_time": int,
    "expiration": int,
    "comment": str,
    "position": int,
    "position_by": int,
}
PENDING_TYPES = {
    s.ORDER_TYPE_BUY_LIMIT,
    s.ORDER_TYPE_SELL_LIMIT,
    s.ORDER_TYPE_BUY_STOP,
    s.ORDER_TYPE_SELL_STOP,
    s.ORDER_TYPE_BUY_STOP_LIMIT,
    s.ORDER_TYPE_SELL_STOP_LIMIT,
}
BUY_TYPES = {
    s.ORDER_TYPE_BUY,
    s.ORDER_TYPE_BUY_LIMIT,
    s.ORDER_TYPE_BUY_STOP,
    s.ORDER_TYPE_BUY_STOP_LIMIT,
}


class RequestRefused(Exception):
    """A request the server answers with a retcode other than success."""

    def __init__(self, retcode: int, comment: str = "") -> None:
        super().__init__(retcode)
        self.retcode = retcode
        self.comment = comment or COMMENT_WORDS.get(retcode, "Rejected")


@dataclass
class Position:
    ticket: int
    time_msc: int
    type: int
    magic: int
    reason: int
    volume: float
    price_open: float
    symbol: str
    comment: str
    sl: float = 0.0
    tp: float = 0.0
    time_update_msc: int = 0
    swap: float = 0.0


@dataclass
class Order:
    ticket: int
    time_setup_msc: int
    type: int
    type_time: int
    type_filling: int
    state: int
    magic: int
    reason: int
    volume_initial: float
    volume_current: float
    price_open: float
    symbol: str
    comment: str
    sl: float = 0.0
    tp: float = 0.0
    price_stoplimit: float = 0.0
    time_done_msc: int = 0
    position_id: int = 0
    position_by_id: int = 0
    expiration: int = 0


@dataclass
class Deal:
    ticket: int
    order: int
    time_msc: int
    type: int
    entry: int
    magic: int
    position_id: int
    reason: int
    volume: float
    price: float
    profit: float
    symbol: str
    comment: str


@dataclass
class Fault:
    """Misbehaviour a test asked for on the next trade requests."""

    requotes: int = 0
    requote_code: int = s.TRADE_RETCODE_REQUOTE
    requote_move_points: int = 0
    partial_fraction: float = 0.0
    lose_reply: bool = False
    # The reply arrives, then the terminal is gone (the adapter's next call fails).
    drop_after_reply: bool = False
    # The request executes, then the call raises this (a broken wrapper, a crash).
    raise_after_execute: Exception | None = None


@dataclass
class Account:
    login: int = 5_123_456
    server: str = "MetaQuotes-Demo"
    name: str = "Fake Trader"
    company: str = "MetaQuotes Ltd."
    currency: str = "USD"
    leverage: int = 100
    balance: float = 10_000.0
    hedging: bool = True
    trade_allowed: bool = True
    trade_expert: bool = True
    trade_mode: int = s.ACCOUNT_TRADE_MODE_DEMO


@dataclass
class TradeServer:
    """Positions, orders and history of one account, and the rules that change them."""

    market: Market
    account: Account
    positions: dict[int, Position] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    history_orders: list[Order] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    fault: Fault = field(default_factory=Fault)
    tickets: itertools.count = field(default_factory=lambda: itertools.count(400_000_001))  # type: ignore[type-arg]
    deal_tickets: itertools.count = field(default_factory=lambda: itertools.count(300_000_001))  # type: ignore[type-arg]

    # -- money -------------------------------------------------------------------------
    def to_account(self, amount: float, ccy: str) -> float:
        if ccy == self.account.currency:
            return amount
        for feed in self.market.feeds.values():
            sym, mid = feed.symbol, (feed.bid + feed.ask) / 2
            if sym.base == self.account.currency and sym.profit == ccy:
                return amount / mid
            if sym.base == ccy and sym.profit == self.account.currency:
                return amount * mid
        return amount

    def profit(
        self, sym: FakeSymbol, is_buy: bool, volume: float, open_: float, close: float
    ) -> float:
        raw = (close - open_) * (1 if is_buy else -1) * volume * sym.contract_size
        return round(self.to_account(raw, sym.profit), 2)

    def margin_for(self, sym: FakeSymbol, volume: float, price: float) -> float:
        notional = self.to_account(volume * sym.contract_size * price, sym.profit)
        return notional / max(1, self.account.leverage)

    def close_price(self, p: Position) -> float:
        feed = self.market.feeds[p.symbol]
        return feed.bid if p.type == s.POSITION_TYPE_BUY else feed.ask

    def floating(self, p: Position) -> float:
        sym = self.market.symbols[p.symbol]
        return self.profit(
            sym, p.type == s.POSITION_TYPE_BUY, p.volume, p.price_open, self.close_price(p)
        )

    def summary(self) -> dict[str, float]:
        profit = sum(self.floating(p) for p in self.positions.values())
        margin = sum(
            self.margin_for(self.market.symbols[p.symbol], p.volume, p.price_open)
            for p in self.positions.values()
        )
        equity = self.account.balance + profit
        return {
            "balance": round(self.account.balance, 2),
            "profit": round(profit, 2),
            "equity": round(equity, 2),
            "margin": round(margin, 2),
            "margin_free": round(equity - margin, 2),
            "margin_level": round(equity / margin * 100, 2) if margin else 0.0,
        }

    # -- request checks (what order_check and order_send share) ----------------------------
    def check(self, req: dict[str, object]) -> None:
        """Raise ``RequestRefused`` with the server's retcode if ``req`` cannot execute."""
        action = req.get("action")
        if action == s.TRADE_ACTION_DEAL:
            self._check_deal(req)
        elif action == s.TRADE_ACTION_PENDING:
            self._check_pending(req)
        elif action == s.TRADE_ACTION_SLTP:
            self._check_sltp(req)
        elif action == s.TRADE_ACTION_MODIFY:
            self._check_modify(req)
        elif action == s.TRADE_ACTION_REMOVE:
            if _int(req, "order") not in self.orders:
                raise RequestRefused(s.TRADE_RETCODE_INVALID_ORDER)
        elif action == s.TRADE_ACTION_CLOSE_BY:
            self._check_close_by(req)
        else:
            raise RequestRefused(s.TRADE_RETCODE_INVALID)

    def _symbol(self, req: dict[str, object]) -> FakeSymbol:
        sym = self.market.symbols.get(str(req.get("symbol", "")))
        if sym is None:
            raise RequestRefused(s.TRADE_RETCODE_INVALID, "Invalid request (unknown symbol)")
        if sym.trade_mode == s.SYMBOL_TRADE_MODE_DISABLED:
            raise RequestRefused(s.TRADE_RETCODE_TRADE_DISABLED)
        if not sym.market_open:
            raise RequestRefused(s.TRADE_RETCODE_MARKET_CLOSED)
        return sym

    def _check_volume(self, sym: FakeSymbol, volume: float) -> None:
        steps = volume / sym.volume_step
        if (
            volume < sym.volume_min - 1e-9
            or volume > sym.volume_max + 1e-9
            or abs(steps - round(steps)) > 1e-7
        ):
            raise RequestRefused(s.TRADE_RETCODE_INVALID_VOLUME)

    def _check_filling(self, sym: FakeSymbol, filling: int, pending: bool) -> None:
        allowed = {
            s.ORDER_FILLING_FOK: bool(sym.filling_mode & 1),
            s.ORDER_FILLING_IOC: bool(sym.filling_mode & 2),
            s.ORDER_FILLING_BOC: pending and bool(sym.filling_mode & 4),
            s.ORDER_FILLING_RETURN: pending or sym.exemode != s.SYMBOL_TRADE_EXECUTION_MARKET,
        }
        if not allowed.get(filling, False):
            raise RequestRefused(s.TRADE_RETCODE_INVALID_FILL)

    def _check_stops(self, sym: FakeSymbol, is_buy: bool, ref: float, sl: float, tp: float) -> None:
        """SL/TP on the right side of ``ref`` and at least ``stops_level`` points away."""
        gap = sym.stops_level * sym.point
        for value, below in ((sl, is_buy), (tp, not is_buy)):
            if value == 0:
                continue
            if value < 0 or (below and value > ref - gap) or (not below and value < ref + gap):
                raise RequestRefused(s.TRADE_RETCODE_INVALID_STOPS)
            if (below and value >= ref) or (not below and value <= ref):
                raise RequestRefused(s.TRADE_RETCODE_INVALID_STOPS)

    def _check_deal(self, req: dict[str, object]) -> None:
        sym = self._symbol(req)
        order_type = _int(req, "type")
        if order_type not in (s.ORDER_TYPE_BUY, s.ORDER_TYPE_SELL):
            raise RequestRefused(s.TRADE_RETCODE_INVALID)
        volume = _float(req, "volume")
        self._check_volume(sym, volume)
        self._check_filling(sym, _int(req, "type_filling"), pending=False)
        is_buy = order_type == s.ORDER_TYPE_BUY
        if sym.trade_mode == s.SYMBOL_TRADE_MODE_LONGONLY and not is_buy:
            raise RequestRefused(s.TRADE_RETCODE_LONG_ONLY)
        if sym.trade_mode == s.SYMBOL_TRADE_MODE_SHORTONLY and is_buy:
            raise RequestRefused(s.TRADE_RETCODE_SHORT_ONLY)
        feed = self.market.feeds[sym.name]
        closing = self._closing_target(req, sym, is_buy, volume)
        if closing is None:
            self._check_stops(
                sym, is_buy, feed.bid if is_buy else feed.ask, _float(req, "sl"), _float(req, "tp")
            )
            market = feed.ask if is_buy else feed.bid
            needed = self.margin_for(sym, volume, market)
            if needed > self.summary()["margin_free"]:
                raise RequestRefused(s.TRADE_RETCODE_NO_MONEY)

    def _closing_target(
        self, req: dict[str, object], sym: FakeSymbol, is_buy: bool, volume: float
    ) -> Position | None:
        """The position a deal closes (``position=`` on hedging), checked; else ``None``."""
        ticket = _int(req, "position")
        if not ticket:
            return None
        p = self.positions.get(ticket)
        if p is None or p.symbol != sym.name:
            raise RequestRefused(s.TRADE_RETCODE_POSITION_CLOSED)
        if (p.type == s.POSITION_TYPE_BUY) == is_buy:
            raise RequestRefused(s.TRADE_RETCODE_INVALID, "Invalid request (same direction)")
        if volume > p.volume + 1e-9:
            raise RequestRefused(s.TRADE_RETCODE_INVALID_CLOSE_VOLUME)
        return p

    def _check_pending(self, req: dict[str, object]) -> None:
        sym = self._symbol(req)
        order_type = _int(req, "type")
        if order_type not in PENDING_TYPES:
            raise RequestRefused(s.TRADE_RETCODE_INVALID)
        self._check_volume(sym, _float(req, "volume"))
        self._check_filling(sym, _int(req, "type_filling"), pending=True)
        self._check_pending_price(sym, order_type, _float(req, "price"))
        self._check_stops(
            sym, order_type in BUY_TYPES, _float(req, "price"), _float(req, "sl"), _float(req, "tp")
        )
        if _int(req, "type_time") == s.ORDER_TIME_SPECIFIED and (
            _int(req, "expiration") <= self.market.last_time
        ):
            raise RequestRefused(s.TRADE_RETCODE_INVALID_EXPIRATION)

    def _check_pending_price(self, sym: FakeSymbol, order_type: int, price: float) -> None:
        feed = self.market.feeds[sym.name]
        gap = sym.stops_level * sym.point
        is_buy = order_type in BUY_TYPES
        market = feed.ask if is_buy else feed.bid
        below = order_type in (s.ORDER_TYPE_BUY_LIMIT, s.ORDER_TYPE_SELL_STOP)
        if price <= 0 or (below and price > market - gap) or (not below and price < market + gap):
            raise RequestRefused(s.TRADE_RETCODE_INVALID_PRICE)

    def _frozen(self, sym: FakeSymbol, level: float, against: float) -> bool:
        return sym.freeze_level > 0 and abs(level - against) < sym.freeze_level * sym.point

    def _check_sltp(self, req: dict[str, object]) -> None:
        p = self.positions.get(_int(req, "position"))
        if p is None:
            raise RequestRefused(s.TRADE_RETCODE_POSITION_CLOSED)
        sym = self._symbol({"symbol": p.symbol})
        sl, tp = _float(req, "sl"), _float(req, "tp")
        if (sl, tp) == (p.sl, p.tp):
            raise RequestRefused(s.TRADE_RETCODE_NO_CHANGES)
        price = self.close_price(p)
        if any(self._frozen(sym, lvl, price) for lvl in (p.sl, p.tp) if lvl):
            raise RequestRefused(s.TRADE_RETCODE_FROZEN)
        self._check_stops(sym, p.type == s.POSITION_TYPE_BUY, price, sl, tp)

    def _check_modify(self, req: dict[str, object]) -> None:
        o = self.orders.get(_int(req, "order"))
        if o is None:
            raise RequestRefused(s.TRADE_RETCODE_INVALID_ORDER)
        sym = self._symbol({"symbol": o.symbol})
        price, sl, tp = _float(req, "price"), _float(req, "sl"), _float(req, "tp")
        if (price, sl, tp) == (o.price_open, o.sl, o.tp):
            raise RequestRefused(s.TRADE_RETCODE_NO_CHANGES)
        feed = self.market.feeds[o.symbol]
        market = feed.ask if o.type in BUY_TYPES else feed.bid
        if self._frozen(sym, o.price_open, market):
            raise RequestRefused(s.TRADE_RETCODE_FROZEN)
        self._check_pending_price(sym, o.type, price)
        self._check_stops(sym, o.type in BUY_TYPES, price, sl, tp)

    def _check_close_by(self, req: dict[str, object]) -> None:
        if not self.account.hedging:
            raise RequestRefused(s.TRADE_RETCODE_INVALID, "Close by is for hedging accounts")
        a = self.positions.get(_int(req, "position"))
        b = self.positions.get(_int(req, "position_by"))
        if a is None or b is None:
            raise RequestRefused(s.TRADE_RETCODE_POSITION_CLOSED)
        if a.symbol != b.symbol or a.type == b.type:
            raise RequestRefused(s.TRADE_RETCODE_INVALID, "Invalid request (close by)")
        self._symbol({"symbol": a.symbol})

    # -- execution ---------------------------------------------------------------------
    def execute(self, req: dict[str, object]) -> tuple[int, int, int, float, float, str]:
        """Carry out a checked request: (retcode, deal, order, volume, price, comment)."""
        action = req["action"]
        now_msc = int(self.market.last_time * 1000)
        if action == s.TRADE_ACTION_DEAL:
            return self._deal(req, now_msc)
        if action == s.TRADE_ACTION_PENDING:
            ticket = next(self.tickets)
            self.orders[ticket] = Order(
                ticket,
                now_msc,
                _int(req, "type"),
                _int(req, "type_time"),
                _int(req, "type_filling"),
                s.ORDER_STATE_PLACED,
                _int(req, "magic"),
                s.ORDER_REASON_EXPERT,
                _float(req, "volume"),
                _float(req, "volume"),
                _float(req, "price"),
                str(req["symbol"]),
                str(req.get("comment", "")),
                _float(req, "sl"),
                _float(req, "tp"),
                _float(req, "stoplimit"),
                expiration=_int(req, "expiration"),
            )
            return s.TRADE_RETCODE_PLACED, 0, ticket, _float(req, "volume"), 0.0, ""
        if action == s.TRADE_ACTION_SLTP:
            p = self.positions[_int(req, "position")]
            p.sl, p.tp, p.time_update_msc = _float(req, "sl"), _float(req, "tp"), now_msc
            return s.TRADE_RETCODE_DONE, 0, 0, 0.0, 0.0, ""
        if action == s.TRADE_ACTION_MODIFY:
            o = self.orders[_int(req, "order")]
            o.price_open, o.sl, o.tp = _float(req, "price"), _float(req, "sl"), _float(req, "tp")
            return s.TRADE_RETCODE_DONE, 0, o.ticket, 0.0, o.price_open, ""
        if action == s.TRADE_ACTION_REMOVE:
            o = self.orders.pop(_int(req, "order"))
            o.state, o.time_done_msc = s.ORDER_STATE_CANCELED, now_msc
            self.history_orders.append(o)
            return s.TRADE_RETCODE_DONE, 0, o.ticket, 0.0, 0.0, ""
        return self._close_by(req, now_msc)

    def _deal(
        self, req: dict[str, object], now_msc: int
    ) -> tuple[int, int, int, float, float, str]:
        sym = self.market.symbols[str(req["symbol"])]
        feed = self.market.feeds[sym.name]
        is_buy = _int(req, "type") == s.ORDER_TYPE_BUY
        volume = _float(req, "volume")
        retcode = s.TRADE_RETCODE_DONE
        if self.fault.partial_fraction and _int(req, "type_filling") == s.ORDER_FILLING_IOC:
            part = round(volume * self.fault.partial_fraction / sym.volume_step) * sym.volume_step
            volume, retcode = max(sym.volume_min, round(part, 8)), s.TRADE_RETCODE_DONE_PARTIAL
            self.fault.partial_fraction = 0.0
        price = feed.ask if is_buy else feed.bid
        ticket = next(self.tickets)
        order = Order(
            ticket,
            now_msc,
            _int(req, "type"),
            s.ORDER_TIME_GTC,
            _int(req, "type_filling"),
            s.ORDER_STATE_FILLED,
            _int(req, "magic"),
            s.ORDER_REASON_EXPERT,
            _float(req, "volume"),
            _float(req, "volume") - volume,
            price,
            sym.name,
            str(req.get("comment", "")),
            _float(req, "sl"),
            _float(req, "tp"),
            time_done_msc=now_msc,
        )
        target = self._closing_target(req, sym, is_buy, volume)
        deal = self.fill(
            sym,
            is_buy,
            volume,
            price,
            ticket,
            order.comment,
            order.magic,
            s.DEAL_REASON_EXPERT,
            target,
            _float(req, "sl"),
            _float(req, "tp"),
        )
        order.position_id = deal.position_id
        self.history_orders.append(order)
        return retcode, deal.ticket, ticket, volume, price, ""

    def fill(
        self,
        sym: FakeSymbol,
        is_buy: bool,
        volume: float,
        price: float,
        order: int,
        comment: str,
        magic: int,
        reason: int,
        target: Position | None = None,
        sl: float = 0.0,
        tp: float = 0.0,
    ) -> Deal:
        """Book one deal: open, add to, reduce, close or reverse a position."""
        now_msc = int(self.market.last_time * 1000)
        if target is None and not self.account.hedging:
            target = next((p for p in self.positions.values() if p.symbol == sym.name), None)
        deal_type = s.DEAL_TYPE_BUY if is_buy else s.DEAL_TYPE_SELL
        if target is None or (target.type == s.POSITION_TYPE_BUY) == is_buy:
            if target is None:  # a new position: its ticket is the opening order's
                target = Position(
                    order,
                    now_msc,
                    s.POSITION_TYPE_BUY if is_buy else s.POSITION_TYPE_SELL,
                    magic,
                    reason,
                    0.0,
                    price,
                    sym.name,
                    comment,
                    sl,
                    tp,
                )
                self.positions[order] = target
            total = target.volume + volume
            target.price_open = sym.round(
                (target.price_open * target.volume + price * volume) / total
            )
            target.volume = round(total, 8)
            target.time_update_msc = now_msc
            return self._book(
                order,
                now_msc,
                deal_type,
                s.DEAL_ENTRY_IN,
                magic,
                target.ticket,
                reason,
                volume,
                price,
                0.0,
                sym.name,
                comment,
            )
        # an opposite deal: reduce, close or (netting only) reverse
        closed = min(volume, target.volume)
        pnl = self.profit(sym, target.type == s.POSITION_TYPE_BUY, closed, target.price_open, price)
        self.account.balance = round(self.account.balance + pnl, 2)
        rest = round(volume - closed, 8)
        target.volume = round(target.volume - closed, 8)
        entry = s.DEAL_ENTRY_INOUT if rest > 1e-9 else s.DEAL_ENTRY_OUT
        if target.volume <= 1e-9:
            if rest > 1e-9:  # reversal keeps the netting position's ticket
                target.type = s.POSITION_TYPE_BUY if is_buy else s.POSITION_TYPE_SELL
                target.volume, target.price_open, target.sl, target.tp = rest, price, sl, tp
            else:
                del self.positions[target.ticket]
        target.time_update_msc = now_msc
        return self._book(
            order,
            now_msc,
            deal_type,
            entry,
            magic,
            target.ticket,
            reason,
            volume,
            price,
            pnl,
            sym.name,
            comment,
        )

    def _book(self, *fields: object) -> Deal:
        deal = Deal(next(self.deal_tickets), *fields)  # type: ignore[arg-type]
        self.deals.append(deal)
        return deal

    def _close_by(
        self, req: dict[str, object], now_msc: int
    ) -> tuple[int, int, int, float, float, str]:
        a = self.positions[_int(req, "position")]
        b = self.positions[_int(req, "position_by")]
        sym = self.market.symbols[a.symbol]
        volume = min(a.volume, b.volume)
        ticket = next(self.tickets)
        pnl = self.profit(sym, a.type == s.POSITION_TYPE_BUY, volume, a.price_open, b.price_open)
        self.account.balance = round(self.account.balance + pnl, 2)
        first = None
        for p, price, profit in ((a, b.price_open, pnl), (b, b.price_open, 0.0)):
            deal_type = s.DEAL_TYPE_SELL if p.type == s.POSITION_TYPE_BUY else s.DEAL_TYPE_BUY
            deal = self._book(
                ticket,
                now_msc,
                deal_type,
                s.DEAL_ENTRY_OUT_BY,
                _int(req, "magic"),
                p.ticket,
                s.DEAL_REASON_EXPERT,
                volume,
                price,
                profit,
                sym.name,
                str(req.get("comment", "")),
            )
            first = first or deal
            p.volume = round(p.volume - volume, 8)
            if p.volume <= 1e-9:
                del self.positions[p.ticket]
        self.history_orders.append(
            Order(
                ticket,
                now_msc,
                s.ORDER_TYPE_CLOSE_BY,
                s.ORDER_TIME_GTC,
                s.ORDER_FILLING_FOK,
                s.ORDER_STATE_FILLED,
                _int(req, "magic"),
                s.ORDER_REASON_EXPERT,
                volume,
                0.0,
                b.price_open,
                sym.name,
                str(req.get("comment", "")),
                time_done_msc=now_msc,
                position_id=a.ticket,
                position_by_id=b.ticket,
            )
        )
        assert first is not None
        return s.TRADE_RETCODE_DONE, first.ticket, ticket, volume, b.price_open, ""

    # -- what ticks set off ------------------------------------------------------------
    def on_tick(self, symbol: str) -> None:
        """Trigger pending orders and stop losses / take profits touched by the quote."""
        feed = self.market.feeds[symbol]
        sym = feed.symbol
        for o in [o for o in self.orders.values() if o.symbol == symbol]:
            is_buy = o.type in BUY_TYPES
            price = feed.ask if is_buy else feed.bid
            below = o.type in (s.ORDER_TYPE_BUY_LIMIT, s.ORDER_TYPE_SELL_STOP)
            if (below and price <= o.price_open) or (not below and price >= o.price_open):
                del self.orders[o.ticket]
                deal = self.fill(
                    sym,
                    is_buy,
                    o.volume_current,
                    price,
                    o.ticket,
                    o.comment,
                    o.magic,
                    s.DEAL_REASON_EXPERT,
                    None,
                    o.sl,
                    o.tp,
                )
                o.state, o.volume_current = s.ORDER_STATE_FILLED, 0.0
                o.time_done_msc, o.position_id = deal.time_msc, deal.position_id
                self.history_orders.append(o)
        for p in [p for p in self.positions.values() if p.symbol == symbol]:
            is_buy = p.type == s.POSITION_TYPE_BUY
            price = feed.bid if is_buy else feed.ask
            hit_sl = p.sl and (price <= p.sl if is_buy else price >= p.sl)
            hit_tp = p.tp and (price >= p.tp if is_buy else price <= p.tp)
            if hit_sl or hit_tp:
                reason = s.DEAL_REASON_SL if hit_sl else s.DEAL_REASON_TP
                comment = f"[{'sl' if hit_sl else 'tp'} {sym.round(price)}]"
                ticket = next(self.tickets)
                self.fill(sym, not is_buy, p.volume, price, ticket, comment, p.magic, reason, p)


def _int(req: dict[str, object], key: str) -> int:
    value = req.get(key, 0)
    return int(value)  # type: ignore[call-overload]


def _float(req: dict[str, object], key: str) -> float:
    value = req.get(key, 0.0)
    return float(value)  # type: ignore[arg-type]
