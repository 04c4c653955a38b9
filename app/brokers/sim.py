"""SimBroker: a paper broker with a random-walk market, the default broker.

It behaves like a small MetaTrader 5 hedging account: market orders fill at the
ask (buy) or bid (sell), pending orders trigger when the market touches them,
positions close when their stop loss or take profit is touched, and balance,
equity and margin follow. Given a seed and a clock it is fully deterministic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.brokers.base import RATES_DTYPE, BrokerEvents, BrokerInfo, ExecutionReport
from app.domain.bars import aggregate_rates
from app.domain.enums import OrderStatus, OrderType, Side
from app.domain.events import (
    AccountState,
    Fill,
    OrderRequest,
    OrderUpdate,
    Position,
    Tick,
    WorkingOrder,
)
from app.domain.pnl import CurrencyConverter, close_price, position_profit, required_margin
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.validation import order_problems

SECONDS_PER_YEAR = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class SimMarket:
    """How one paper symbol moves: start price, yearly volatility, typical spread."""

    spec: SymbolSpec
    start_price: float
    annual_volatility: float
    spread_points: int


def _fx(name: str, desc: str, digits: int, price: float, vol: float, spread: int) -> SimMarket:
    spec = SymbolSpec(
        name=name,
        description=desc,
        digits=digits,
        point=10.0**-digits,
        contract_size=100_000,
        volume_min=0.01,
        volume_max=100.0,
        volume_step=0.01,
        base_currency=name[:3],
        profit_currency=name[3:],
        stops_level=10,
    )
    return SimMarket(spec, price, vol, spread)


DEFAULT_MARKETS: dict[str, SimMarket] = {
    m.spec.name: m
    for m in (
        _fx("EURUSD", "Euro vs US Dollar", 5, 1.08500, 0.07, 8),
        _fx("GBPUSD", "Pound Sterling vs US Dollar", 5, 1.27000, 0.08, 12),
        _fx("USDJPY", "US Dollar vs Japanese Yen", 3, 150.000, 0.09, 11),
        _fx("USDCHF", "US Dollar vs Swiss Franc", 5, 0.88000, 0.07, 13),
        _fx("AUDUSD", "Australian Dollar vs US Dollar", 5, 0.66000, 0.09, 10),
        SimMarket(
            SymbolSpec(
                name="XAUUSD",
                description="Gold vs US Dollar",
                digits=2,
                point=0.01,
                contract_size=100,
                volume_min=0.01,
                volume_max=50.0,
                volume_step=0.01,
                base_currency="XAU",
                profit_currency="USD",
                stops_level=50,
            ),
            2350.00,
            0.15,
            25,
        ),
    )
}


class SimBroker:
    """The paper broker. Not thread-safe: only the engine thread calls it."""

    name = "paper"

    def __init__(
        self,
        *,
        symbols: Sequence[str] | None = None,
        balance: float = 10_000.0,
        currency: str = "USD",
        leverage: int = 100,
        seed: int = 7,
        ticks_per_second: float = 4.0,
        history_bars: int = 3000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        names = list(symbols) if symbols else list(DEFAULT_MARKETS)
        unknown = [n for n in names if n not in DEFAULT_MARKETS]
        if unknown:
            known = ", ".join(DEFAULT_MARKETS)
            raise ValueError(
                f"the paper broker has no symbol {', '.join(unknown)}; it knows {known}"
            )
        self._markets = {n: DEFAULT_MARKETS[n] for n in names}
        self._specs = {n: m.spec for n, m in self._markets.items()}
        self._rng = np.random.default_rng(seed)
        self._clock = clock
        self._ticks_per_second = ticks_per_second
        self._history_bars = history_bars
        self._currency = currency
        self._leverage = leverage
        self._balance = balance
        self._quotes: dict[str, Tick] = {}
        self._true_bid: dict[str, float] = {}
        self._last_tick_at: dict[str, float] = {}
        self._converter = CurrencyConverter(self._specs, self._quotes)
        self._base_history: dict[str, np.ndarray] = {}
        self._positions: dict[int, Position] = {}
        self._orders: dict[int, tuple[WorkingOrder, OrderRequest]] = {}
        self._position_client: dict[int, str] = {}
        self._next_ticket = 1001
        self._next_deal = 50001
        self._last_poll = 0.0
        self._connected = False
        self._pending_events = BrokerEvents()

    # -- connection ---------------------------------------------------------------
    def connect(self) -> BrokerInfo:
        now = self._clock()
        for name, market in self._markets.items():
            history = self._generate_m1_history(market, now)
            self._base_history[name] = history
            last = float(history["close"][-1]) if len(history) else market.start_price
            self._true_bid[name] = last
            self._last_tick_at[name] = now
            self._quotes[name] = self._make_tick(name, last, int(now * 1000))
        self._last_poll = now
        self._connected = True
        return BrokerInfo(
            name="Paper trading",
            account="paper",
            server="local simulation",
            currency=self._currency,
            leverage=self._leverage,
            hedging=True,
        )

    def disconnect(self) -> None:
        self._connected = False

    # -- reference data -----------------------------------------------------------
    def symbols(self) -> Sequence[SymbolSpec]:
        return list(self._specs.values())

    def history(self, symbol: str, timeframe: Timeframe, count: int) -> np.ndarray:
        base = self._base_history[symbol]
        rates = base if timeframe is Timeframe.M1 else aggregate_rates(base, timeframe)
        return rates[max(0, len(rates) - count) :].copy()  # rates[-0:] would be all of them

    # -- market -------------------------------------------------------------------
    def last_tick(self, symbol: str) -> Tick | None:
        return self._quotes.get(symbol)

    def poll(self) -> BrokerEvents:
        """Advance the simulated market to the clock's now and report what happened."""
        now = self._clock()
        elapsed = max(0.0, now - self._last_poll)
        events, self._pending_events = self._pending_events, BrokerEvents()
        if elapsed <= 0 or not self._connected:
            return events
        start = self._last_poll
        self._last_poll = now
        arrivals: list[tuple[float, str]] = []
        for name in self._markets:
            n = int(self._rng.poisson(self._ticks_per_second * elapsed))
            if n:
                times = np.sort(self._rng.uniform(start, now, n))
                arrivals.extend((float(t), name) for t in times)
        arrivals.sort()
        for t, name in arrivals:
            # The walk's variance follows the time since this symbol's previous tick.
            tick = self._step(name, t - self._last_tick_at[name], int(t * 1000))
            self._last_tick_at[name] = t
            events.ticks.append(tick)
            self._on_tick(tick, events)
        return events

    def _step(self, name: str, dt: float, time_msc: int) -> Tick:
        market = self._markets[name]
        prev = self._quotes[name]
        sigma = market.annual_volatility * math.sqrt(max(dt, 1e-3) / SECONDS_PER_YEAR)
        # Walk the unrounded price: rounding each step would swallow moves under a point.
        bid = self._true_bid[name] * math.exp(sigma * float(self._rng.standard_normal()))
        self._true_bid[name] = bid
        tick = self._make_tick(name, bid, max(time_msc, prev.time_msc))
        self._quotes[name] = tick
        return tick

    def _make_tick(self, name: str, bid: float, time_msc: int) -> Tick:
        market = self._markets[name]
        spec = market.spec
        jitter = float(self._rng.uniform(0.75, 1.3))
        spread_points = max(1, round(market.spread_points * jitter))
        bid = spec.round_price(bid)
        return Tick(name, time_msc, bid, spec.round_price(bid + spread_points * spec.point))

    def _generate_m1_history(self, market: SimMarket, now: float) -> np.ndarray:
        n = self._history_bars
        spec = market.spec
        out = np.zeros(n, dtype=RATES_DTYPE)
        if n == 0:
            return out
        sigma = market.annual_volatility * math.sqrt(60 / SECONDS_PER_YEAR)
        returns = self._rng.standard_normal(n) * sigma
        # Walk backwards from the start price so history ends where live ticks begin.
        log_close = (
            math.log(market.start_price) - np.concatenate(([0.0], np.cumsum(returns[:0:-1])))[::-1]
        )
        close = np.exp(log_close)
        open_ = np.exp(log_close - returns)
        wick = np.abs(self._rng.standard_normal((2, n))) * sigma * 0.6
        high = np.maximum(open_, close) * np.exp(wick[0])
        low = np.minimum(open_, close) * np.exp(-wick[1])
        last_closed = Timeframe.M1.bar_open(now) - 60
        out["time"] = last_closed - 60 * np.arange(n - 1, -1, -1, dtype=np.int64)
        for col, values in (("open", open_), ("high", high), ("low", low), ("close", close)):
            out[col] = np.round(values, spec.digits)
        out["tick_volume"] = self._rng.poisson(self._ticks_per_second * 60, n)
        out["spread"] = market.spread_points
        return out

    # -- trading ------------------------------------------------------------------
    def submit(self, request: OrderRequest) -> ExecutionReport:
        spec = self._specs.get(request.symbol)
        if spec is None:
            return ExecutionReport(OrderStatus.REJECTED, reason=f"Unknown symbol {request.symbol}")
        quote = self._quotes.get(request.symbol)
        problems = order_problems(request, spec, quote)
        if problems:
            return ExecutionReport(OrderStatus.REJECTED, reason="; ".join(problems))
        assert quote is not None
        if request.order_type is OrderType.STOP_LIMIT:
            return ExecutionReport(
                OrderStatus.REJECTED,
                reason="The paper broker does not support stop-limit orders yet",
            )
        if request.order_type.is_pending:
            return self._place_pending(request)
        price = quote.ask if request.side is Side.BUY else quote.bid
        return self._open_position(request, price, quote.time_msc)

    def _margin_problem(self, symbol: str, volume: float, price: float) -> str | None:
        spec = self._specs[symbol]
        needed = required_margin(
            volume, price, spec, self._converter, self._currency, self._leverage
        )
        account = self.account()
        if needed > account.free_margin:
            return (
                f"Not enough money: the order needs {needed:,.2f} {self._currency} margin, "
                f"free margin is {account.free_margin:,.2f}"
            )
        return None

    def _open_position(self, request: OrderRequest, price: float, time_msc: int) -> ExecutionReport:
        problem = self._margin_problem(request.symbol, request.volume, price)
        if problem:
            return ExecutionReport(OrderStatus.REJECTED, reason=problem)
        ticket = self._new_ticket()
        spec = self._specs[request.symbol]
        position = Position(
            ticket=ticket,
            symbol=request.symbol,
            side=request.side,
            volume=request.volume,
            price_open=price,
            price_current=close_price(request.side, self._quotes[request.symbol]),
            profit=0.0,
            time_msc=time_msc,
            sl=request.sl,
            tp=request.tp,
            comment=request.client_id,
        )
        self._positions[ticket] = self._marked(position, spec)
        self._position_client[ticket] = request.client_id
        fill = Fill(
            client_id=request.client_id,
            deal_ticket=self._new_deal(),
            position_ticket=ticket,
            symbol=request.symbol,
            side=request.side,
            volume=request.volume,
            price=price,
            time_msc=time_msc,
            reason="client",
        )
        return ExecutionReport(OrderStatus.FILLED, ticket, request.volume, price, fills=(fill,))

    def _place_pending(self, request: OrderRequest) -> ExecutionReport:
        assert request.price is not None
        ticket = self._new_ticket()
        order = WorkingOrder(
            ticket=ticket,
            client_id=request.client_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            volume=request.volume,
            price=request.price,
            time_msc=self._quotes[request.symbol].time_msc,
            sl=request.sl,
            tp=request.tp,
        )
        self._orders[ticket] = (order, request)
        return ExecutionReport(OrderStatus.WORKING, ticket, price=request.price)

    def close_position(self, ticket: int, volume: float | None, client_id: str) -> ExecutionReport:
        position = self._positions.get(ticket)
        if position is None:
            return ExecutionReport(OrderStatus.REJECTED, reason=f"No open position #{ticket}")
        spec = self._specs[position.symbol]
        volume = position.volume if volume is None else volume
        if (problem := spec.volume_problem(volume)) is not None:
            return ExecutionReport(OrderStatus.REJECTED, reason=problem)
        if volume > position.volume + 1e-9:
            return ExecutionReport(
                OrderStatus.REJECTED,
                reason=(
                    f"Cannot close {volume:g} lots of position #{ticket}: "
                    f"it holds {position.volume:g}"
                ),
            )
        fill = self._close(position, volume, client_id, "client")
        return ExecutionReport(
            OrderStatus.FILLED, self._new_ticket(), volume, fill.price, fills=(fill,)
        )

    def _close(self, position: Position, volume: float, client_id: str, reason: str) -> Fill:
        spec = self._specs[position.symbol]
        quote = self._quotes[position.symbol]
        price = close_price(position.side, quote)
        pnl = round(
            position_profit(
                position.side,
                volume,
                position.price_open,
                price,
                spec,
                self._converter,
                self._currency,
            ),
            2,
        )
        self._balance += pnl
        remaining = round(position.volume - volume, spec.volume_digits + 2)
        if remaining <= 1e-9:
            del self._positions[position.ticket]
        else:
            self._positions[position.ticket] = self._marked(
                replace(position, volume=remaining), spec
            )
        return Fill(
            client_id=client_id,
            deal_ticket=self._new_deal(),
            position_ticket=position.ticket,
            symbol=position.symbol,
            side=position.side.opposite,
            volume=volume,
            price=price,
            time_msc=quote.time_msc,
            closes_position=True,
            realized_pnl=pnl,
            reason=reason,
        )

    def cancel_order(self, ticket: int) -> ExecutionReport:
        if self._orders.pop(ticket, None) is None:
            return ExecutionReport(OrderStatus.REJECTED, reason=f"No working order #{ticket}")
        return ExecutionReport(OrderStatus.CANCELLED, ticket)

    # -- state --------------------------------------------------------------------
    def positions(self) -> Sequence[Position]:
        return [self._marked(p, self._specs[p.symbol]) for p in self._positions.values()]

    def working_orders(self) -> Sequence[WorkingOrder]:
        return [order for order, _ in self._orders.values()]

    def account(self) -> AccountState:
        floating = 0.0
        margin = 0.0
        for p in self._positions.values():
            spec = self._specs[p.symbol]
            floating += self._marked(p, spec).profit
            margin += required_margin(
                p.volume, p.price_open, spec, self._converter, self._currency, self._leverage
            )
        equity = self._balance + floating
        return AccountState(
            currency=self._currency,
            balance=round(self._balance, 2),
            equity=round(equity, 2),
            margin=round(margin, 2),
            free_margin=round(equity - margin, 2),
            floating_pnl=round(floating, 2),
            day_pnl=0.0,
            leverage=self._leverage,
        )

    # -- internals ----------------------------------------------------------------
    def _marked(self, position: Position, spec: SymbolSpec) -> Position:
        quote = self._quotes[position.symbol]
        price = close_price(position.side, quote)
        profit = position_profit(
            position.side,
            position.volume,
            position.price_open,
            price,
            spec,
            self._converter,
            self._currency,
        )
        return replace(position, price_current=price, profit=round(profit, 2))

    def _on_tick(self, tick: Tick, events: BrokerEvents) -> None:
        for ticket, (order, request) in list(self._orders.items()):
            if order.symbol == tick.symbol and _triggered(order, tick):
                del self._orders[ticket]
                price = order.price
                report = self._open_position(
                    replace(request, order_type=OrderType.MARKET), price, tick.time_msc
                )
                status = report.status
                events.order_updates.append(
                    OrderUpdate(
                        client_id=order.client_id,
                        status=status,
                        symbol=order.symbol,
                        side=order.side,
                        volume=order.volume,
                        order_type=order.order_type,
                        filled_volume=report.filled_volume,
                        price=report.price,
                        broker_ticket=ticket,
                        reason=report.reason or f"{order.order_type} triggered at {order.price}",
                        source=request.source,
                    )
                )
                events.fills.extend(report.fills)
        for position in list(self._positions.values()):
            if position.symbol != tick.symbol:
                continue
            reason = _stop_hit(position, tick)
            if reason:
                client = self._position_client.get(position.ticket, "")
                events.fills.append(self._close(position, position.volume, client, reason))

    def _new_ticket(self) -> int:
        self._next_ticket += 1
        return self._next_ticket

    def _new_deal(self) -> int:
        self._next_deal += 1
        return self._next_deal


def _triggered(order: WorkingOrder, tick: Tick) -> bool:
    price = tick.ask if order.side is Side.BUY else tick.bid
    if order.order_type is OrderType.LIMIT:
        return price <= order.price if order.side is Side.BUY else price >= order.price
    return price >= order.price if order.side is Side.BUY else price <= order.price


def _stop_hit(position: Position, tick: Tick) -> str | None:
    price = close_price(position.side, tick)
    if position.side is Side.BUY:
        if position.sl is not None and price <= position.sl:
            return "stop loss"
        if position.tp is not None and price >= position.tp:
            return "take profit"
    else:
        if position.sl is not None and price >= position.sl:
            return "stop loss"
        if position.tp is not None and price <= position.tp:
            return "take profit"
    return None
