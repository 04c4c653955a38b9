"""SimBroker: a paper broker with a random-walk market, the default broker.

It behaves like a small MetaTrader 5 hedging account: market orders fill at the
ask (buy) or bid (sell), pending orders trigger when the market touches them,
positions close when their stop loss or take profit is touched, and balance,
equity and margin follow. Given a seed and a clock it is fully deterministic.

Costs, for the tester (both 0 by default, as the live paper account has none):
a commission per lot charged on every deal, and a slippage in points that every
fill at the market takes against the trader — market orders and closes, stop
orders when they trigger, stop losses. Limit orders fill at their price, as they
do at a broker; a take profit closes at the quote that reached it, or, with
``take_profit_at_level`` (the tester's choice), at its own level: prices made
from bars jump over levels, and a jump must not pay more than the level asked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from app.brokers.base import BrokerEvents, BrokerInfo, ExecutionReport, TransientBrokerError
from app.brokers.sim.history import paper_history
from app.brokers.sim.state import (
    SimAccountState,
    SimOrderRecord,
    discard_unfinished_writes,
    load_state,
    save_state,
)
from app.domain.enums import OrderStatus, OrderType, Side, TimeInForce
from app.domain.market import RATES_DTYPE, Tick
from app.domain.pnl import CurrencyConverter, close_price, position_profit, required_margin
from app.domain.symbols import SymbolSpec, fx_pair
from app.domain.timeframes import Timeframe
from app.domain.trading import (
    MANUAL,
    AccountState,
    Fill,
    OrderRequest,
    OrderUpdate,
    Position,
    WorkingOrder,
)
from app.domain.validation import order_problems

SECONDS_PER_YEAR = 365 * 24 * 3600
MS_PER_DAY = 86_400_000

ALL_BARS = 1 << 62  # a count no history reaches: history(..., ALL_BARS) is all of it


@dataclass(frozen=True, slots=True)
class SimMarket:
    """How one paper symbol moves: start price, yearly volatility, typical spread."""

    spec: SymbolSpec
    start_price: float
    annual_volatility: float
    spread_points: int


def _fx(name: str, desc: str, digits: int, price: float, vol: float, spread: int) -> SimMarket:
    spec = fx_pair(name, digits, description=desc, stops_level=10)
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
        state_path: Path | None = None,
        max_fill_volume: float | None = None,
        markets: Mapping[str, SimMarket] | None = None,
        commission_per_lot: float = 0.0,
        slippage_points: int = 0,
        take_profit_at_level: bool = False,
    ) -> None:
        """``state_path``: keep the account (balance, positions, orders, deals) in this
        file, saved after every change and loaded at ``connect``, like a real broker.
        ``markets``: the symbols it can trade (default ``DEFAULT_MARKETS``);
        ``commission_per_lot``: account currency per lot of every deal;
        ``slippage_points``: how much worse every fill at the market is."""
        known_markets = DEFAULT_MARKETS if markets is None else markets
        names = list(symbols) if symbols else list(known_markets)
        unknown = [n for n in names if n not in known_markets]
        if unknown:
            known = ", ".join(known_markets)
            raise ValueError(
                f"the paper broker has no symbol {', '.join(unknown)}; it knows {known}"
            )
        if not (math.isfinite(commission_per_lot) and commission_per_lot >= 0):
            raise ValueError(f"the commission per lot must be 0 or more, not {commission_per_lot}")
        if slippage_points < 0:
            raise ValueError(f"the slippage must be 0 points or more, not {slippage_points}")
        self._commission_per_lot = commission_per_lot
        self._slippage_points = slippage_points
        self._take_profit_at_level = take_profit_at_level
        self._markets = {n: known_markets[n] for n in names}
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
        self._rates: dict[str, dict[Timeframe, np.ndarray]] = {}  # closed bars up to connect
        self._positions: dict[int, Position] = {}
        self._orders: dict[int, tuple[WorkingOrder, OrderRequest]] = {}
        self._position_client: dict[int, str] = {}
        self._next_ticket = 1001
        self._next_deal = 50001
        self._last_poll = 0.0
        self._connected = False
        self._pending_events = BrokerEvents()
        self._link_down: str | None = None  # set by the set_connected(False) test hook
        self._state_path = state_path
        self._history: dict[str, SimOrderRecord] = {}  # client id -> what became of it
        self._deals: list[Fill] = []
        # Liquidity cap: market orders above it fill in slices, one per tick.
        self._max_fill_volume = max_fill_volume
        self._filling: dict[int, tuple[OrderRequest, float]] = {}  # position -> (order, filled)

    # -- connection ---------------------------------------------------------------
    def connect(self) -> BrokerInfo:
        if self._link_down is not None:
            raise TransientBrokerError(self._link_down)
        if self._rates:  # reconnecting: the market and the account carry on
            self._connected = True
            return BrokerInfo(
                "Paper trading", "paper", "local simulation", self._currency, self._leverage, True
            )
        now = self._clock()
        for name, market in self._markets.items():
            self._rates[name] = paper_history(
                self._rng,
                now,
                market.start_price,
                self._history_bars,
                annual_volatility=market.annual_volatility,
                digits=market.spec.digits,
                spread_points=market.spread_points,
                ticks_per_second=self._ticks_per_second,
            )
            history = self._rates[name][Timeframe.M1]
            last = float(history["close"][-1]) if len(history) else market.start_price
            self._true_bid[name] = last
            self._last_tick_at[name] = now
            self._quotes[name] = self._make_tick(name, last, int(now * 1000))
        self._last_poll = now
        self._connected = True
        self._load()
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
        """The newest ``count`` closed bars before connect (see ``paper_history``)."""
        rates = self._rates[symbol][timeframe]
        return rates[max(0, len(rates) - count) :].copy()  # rates[-0:] would be all of them

    # -- market -------------------------------------------------------------------
    def last_tick(self, symbol: str) -> Tick | None:
        return self._quotes.get(symbol)

    def poll(self) -> BrokerEvents:
        """Advance the simulated market to the clock's now and report what happened."""
        if self._link_down is not None:
            raise TransientBrokerError(self._link_down)
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
        self._expire(now, events)
        if events.fills or events.order_updates:
            self._save()
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

    def _market_msc(self) -> int:
        """The market's now: its newest quote. A deal done now is stamped with it, not with
        its own symbol's last quote, which can be older than another symbol's deal."""
        return max(quote.time_msc for quote in self._quotes.values())

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
        if request.order_type.is_pending:
            report = self._place_pending(request)
        else:
            price = quote.ask if request.side is Side.BUY else quote.bid
            report = self._open_market(
                request, self._slipped(request.symbol, request.side, price), self._market_msc()
            )
        self._remember(request.client_id, report)
        return report

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
            owner=request.owner,
        )
        self._positions[ticket] = self._marked(position, spec)
        self._position_client[ticket] = request.client_id
        commission = self._commission(request.volume)
        self._balance += commission
        fill = Fill(
            client_id=request.client_id,
            deal_ticket=self._new_deal(),
            position_ticket=ticket,
            symbol=request.symbol,
            side=request.side,
            volume=request.volume,
            price=price,
            time_msc=time_msc,
            realized_pnl=commission,
            reason="client",
            owner=request.owner,
            commission=commission,
        )
        self._deals.append(fill)
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
            time_msc=self._market_msc(),
            sl=request.sl,
            tp=request.tp,
            stop_limit=request.stop_limit,
            time_in_force=request.time_in_force,
            expiration_msc=request.expiration_msc,
            comment=request.comment,
            owner=request.owner,
        )
        self._orders[ticket] = (order, request)
        return ExecutionReport(OrderStatus.WORKING, ticket, price=request.price)

    def _open_market(self, request: OrderRequest, price: float, time_msc: int) -> ExecutionReport:
        """Fill a market order, or only ``max_fill_volume`` of it now and the rest on later
        ticks (each slice a deal into the same position) when liquidity is capped."""
        cap = self._max_fill_volume
        if cap is None or request.volume <= cap + 1e-9:
            return self._open_position(request, price, time_msc)
        report = self._open_position(replace(request, volume=cap), price, time_msc)
        if report.status is not OrderStatus.FILLED or report.broker_ticket is None:
            return report
        self._filling[report.broker_ticket] = (request, cap)
        return replace(report, status=OrderStatus.PARTIALLY_FILLED)

    def _continue_fills(self, tick: Tick, events: BrokerEvents) -> None:
        """Fill the next slice of every partly filled market order on ``tick``'s symbol."""
        assert self._max_fill_volume is not None
        for ticket, (request, filled) in list(self._filling.items()):
            if request.symbol != tick.symbol:
                continue
            spec = self._specs[request.symbol]
            position = self._positions.get(ticket)
            quoted = tick.ask if request.side is Side.BUY else tick.bid
            price = self._slipped(request.symbol, request.side, quoted)
            volume = round(
                min(self._max_fill_volume, request.volume - filled), spec.volume_digits + 2
            )
            problem = self._margin_problem(request.symbol, volume, price)
            if position is None or problem:
                del self._filling[ticket]
                events.order_updates.append(
                    OrderUpdate.of_request(
                        request,
                        OrderStatus.CANCELLED,
                        filled=filled,
                        ticket=ticket,
                        reason=problem or "position closed before the order was filled",
                    )
                )
                continue
            total = round(position.volume + volume, spec.volume_digits + 2)
            average = (position.price_open * position.volume + price * volume) / total
            self._positions[ticket] = self._marked(
                replace(position, volume=total, price_open=average), spec
            )
            filled = round(filled + volume, spec.volume_digits + 2)
            commission = self._commission(volume)
            self._balance += commission
            fill = Fill(
                client_id=request.client_id,
                deal_ticket=self._new_deal(),
                position_ticket=ticket,
                symbol=request.symbol,
                side=request.side,
                volume=volume,
                price=price,
                time_msc=tick.time_msc,
                realized_pnl=commission,
                reason="client",
                owner=request.owner,
                commission=commission,
            )
            self._deals.append(fill)
            events.fills.append(fill)
            done = filled >= request.volume - 1e-9
            status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED
            if done:
                del self._filling[ticket]
            else:
                self._filling[ticket] = (request, filled)
            events.order_updates.append(
                OrderUpdate.of_request(request, status, filled=filled, price=price, ticket=ticket)
            )

    def _expire(self, now: float, events: BrokerEvents) -> None:
        """Day orders end with the UTC day they were placed in; others at their time."""
        now_msc = int(now * 1000)
        for ticket, (order, request) in list(self._orders.items()):
            if order.time_in_force is TimeInForce.DAY:
                ends = (order.time_msc // MS_PER_DAY + 1) * MS_PER_DAY
            elif order.time_in_force is TimeInForce.SPECIFIED and order.expiration_msc:
                ends = order.expiration_msc
            else:
                continue
            if now_msc >= ends:
                del self._orders[ticket]
                update = OrderUpdate.of_request(
                    request, OrderStatus.EXPIRED, ticket=ticket, reason="expired"
                )
                events.order_updates.append(update)
                self._remember(order.client_id, ExecutionReport(OrderStatus.EXPIRED, ticket))

    def close_by(self, ticket: int, opposite_ticket: int, client_id: str) -> ExecutionReport:
        """Close two opposite positions of one symbol against each other (hedging).

        The smaller volume of the two is closed on both; both deals are priced at the
        opposite position's open price, so the pair realises exactly the difference of
        the two open prices and pays no spread.
        """
        first = self._positions.get(ticket)
        other = self._positions.get(opposite_ticket)
        if first is None or other is None:
            missing = ticket if first is None else opposite_ticket
            return ExecutionReport(OrderStatus.REJECTED, reason=f"No open position #{missing}")
        if first.symbol != other.symbol or first.side is other.side:
            return ExecutionReport(
                OrderStatus.REJECTED,
                reason=f"#{opposite_ticket} is not an opposite {first.symbol} position of "
                f"#{ticket}",
            )
        volume = min(first.volume, other.volume)
        price = other.price_open
        fills = (
            self._close(first, volume, client_id, "close by", price=price),
            self._close(other, volume, client_id, "close by", price=price),
        )
        report = ExecutionReport(OrderStatus.FILLED, self._new_ticket(), volume, price, fills=fills)
        self._remember(client_id, report)
        return report

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
        report = ExecutionReport(
            OrderStatus.FILLED, self._new_ticket(), volume, fill.price, fills=(fill,)
        )
        self._remember(client_id, report)
        return report

    def _close(
        self,
        position: Position,
        volume: float,
        client_id: str,
        reason: str,
        *,
        price: float | None = None,
    ) -> Fill:
        spec = self._specs[position.symbol]
        quote = self._quotes[position.symbol]
        if price is None:  # at the market: a take profit fills at its level's quote, unslipped
            price = close_price(position.side, quote)
            if reason != "take profit":
                price = self._slipped(position.symbol, position.side.opposite, price)
        commission = self._commission(volume)
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
        pnl = round(pnl + commission, 2)
        self._balance += pnl
        remaining = round(position.volume - volume, spec.volume_digits + 2)
        if remaining <= 1e-9:
            del self._positions[position.ticket]
        else:
            self._positions[position.ticket] = self._marked(
                replace(position, volume=remaining), spec
            )
        fill = Fill(
            client_id=client_id,
            deal_ticket=self._new_deal(),
            position_ticket=position.ticket,
            symbol=position.symbol,
            side=position.side.opposite,
            volume=volume,
            price=price,
            time_msc=self._market_msc(),
            closes_position=True,
            realized_pnl=pnl,
            reason=reason,
            owner=position.owner,
            commission=commission,
        )
        self._deals.append(fill)
        return fill

    def cancel_order(self, ticket: int) -> ExecutionReport:
        entry = self._orders.pop(ticket, None)
        if entry is None:
            return ExecutionReport(OrderStatus.REJECTED, reason=f"No working order #{ticket}")
        report = ExecutionReport(OrderStatus.CANCELLED, ticket)
        self._remember(entry[0].client_id, report)
        return report

    def modify_position(self, ticket: int, sl: float | None, tp: float | None) -> ExecutionReport:
        position = self._positions.get(ticket)
        if position is None:
            return ExecutionReport(OrderStatus.REJECTED, reason=f"No open position #{ticket}")
        probe = OrderRequest("", position.symbol, position.side, position.volume, sl=sl, tp=tp)
        spec = self._specs[position.symbol]
        problems = order_problems(probe, spec, self._quotes.get(position.symbol))
        if problems:
            return ExecutionReport(OrderStatus.REJECTED, reason="; ".join(problems))
        self._positions[ticket] = replace(position, sl=sl, tp=tp)
        self._save()
        return ExecutionReport(OrderStatus.WORKING, ticket)

    def modify_order(
        self, ticket: int, price: float, sl: float | None, tp: float | None
    ) -> ExecutionReport:
        entry = self._orders.get(ticket)
        if entry is None:
            return ExecutionReport(OrderStatus.REJECTED, reason=f"No working order #{ticket}")
        order, request = entry
        changed = replace(request, price=price, sl=sl, tp=tp)
        spec = self._specs[order.symbol]
        problems = order_problems(changed, spec, self._quotes.get(order.symbol))
        if problems:
            return ExecutionReport(OrderStatus.REJECTED, reason="; ".join(problems))
        self._orders[ticket] = (replace(order, price=price, sl=sl, tp=tp), changed)
        self._save()
        return ExecutionReport(OrderStatus.WORKING, ticket, price=price)

    # -- test hooks: what the broker contract suite does to every broker -------------
    def set_connected(self, connected: bool, reason: str = "") -> None:
        """Cut (False) or restore (True) the link: while cut, ``poll`` and ``connect``
        raise ``TransientBrokerError`` like a broker whose connection dropped."""
        self._link_down = None if connected else reason or "the paper broker's link is down"
        self._connected = connected and bool(self._rates)

    def open_external_position(
        self, symbol: str, side: Side, volume: float, *, owner: int = MANUAL
    ) -> int:
        """A trade made outside Tradeterm (by hand, or ``owner=EXTERNAL`` by another
        program); the next poll reports its fill."""
        quote = self._quotes[symbol]
        price = quote.ask if side is Side.BUY else quote.bid
        request = OrderRequest("", symbol, side, volume, owner=owner)
        report = self._open_position(request, price, self._market_msc())
        self._pending_events.fills.extend(report.fills)
        self._save()
        assert report.broker_ticket is not None, report.reason
        return report.broker_ticket

    def close_external_position(self, ticket: int) -> None:
        """A position closed outside Tradeterm; the next poll reports the closing fill."""
        position = self._positions[ticket]
        fill = self._close(position, position.volume, "", "outside Tradeterm")
        self._pending_events.fills.append(fill)
        self._save()

    def order_outcome(self, client_id: str) -> ExecutionReport | None:
        """What became of the order sent with ``client_id`` (the ``Broker`` protocol's
        lookup, used by crash recovery); ``None``: it never reached this broker."""
        record = self._history.get(client_id)
        if record is None:
            return None
        deals = set(record.deal_tickets)
        return ExecutionReport(
            record.status,
            record.ticket,
            record.filled_volume,
            record.price,
            record.reason,
            fills=tuple(d for d in self._deals if d.deal_ticket in deals),
        )

    def order_margin(self, symbol: str, side: Side, volume: float, price: float) -> float | None:
        """The paper broker charges the leverage formula, which the gate computes itself."""
        return None

    def deals_since(self, time_msc: int) -> Sequence[Fill] | None:
        """Every deal from ``time_msc`` on (the paper account keeps them all)."""
        return [d for d in self._deals if d.time_msc >= time_msc]

    def rates_range(
        self, symbol: str, timeframe: Timeframe, start: int, end: int
    ) -> np.ndarray | None:
        """The paper market's bars over a range: its generated history and nothing else."""
        if symbol not in self._rates:
            return np.zeros(0, dtype=RATES_DTYPE)
        rates = self.history(symbol, timeframe, ALL_BARS)
        times = rates["time"]
        return rates[(times >= start) & (times <= end)].copy()

    def ticks_range(self, symbol: str, start_msc: int, end_msc: int) -> np.ndarray | None:
        """The paper market keeps no ticks it has sent."""
        return None

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
        if self._filling:
            self._continue_fills(tick, events)
        if self._orders:
            self._trigger_orders(tick, events)
        hits: list[tuple[Position, str]] = []
        for position in self._positions.values():  # not copied: closing waits for the end
            if position.symbol != tick.symbol or (position.sl is None and position.tp is None):
                continue
            reason = _stop_hit(position, tick)
            if reason:
                hits.append((position, reason))
        for position, reason in hits:
            client = self._position_client.get(position.ticket, "")
            level = position.tp if reason == "take profit" and self._take_profit_at_level else None
            events.fills.append(self._close(position, position.volume, client, reason, price=level))

    def _trigger_orders(self, tick: Tick, events: BrokerEvents) -> None:
        """Working orders of ``tick``'s symbol that it reaches: filled, or (stop-limit) placed."""
        for ticket, (order, request) in list(self._orders.items()):
            if order.symbol == tick.symbol and _triggered(order, tick):
                if order.order_type is OrderType.STOP_LIMIT:
                    self._place_stop_limit(ticket, order, request, events)
                    continue
                del self._orders[ticket]
                price = order.price
                if order.order_type is OrderType.STOP:  # a stop fills at the market: it slips
                    price = self._slipped(order.symbol, order.side, price)
                report = self._open_position(
                    replace(request, order_type=OrderType.MARKET), price, tick.time_msc
                )
                status = report.status
                events.order_updates.append(
                    OrderUpdate.of_order(
                        order,
                        status,
                        source=request.source,
                        filled=report.filled_volume,
                        price=report.price,
                        reason=report.reason or f"{order.order_type} triggered at {order.price}",
                    )
                )
                events.fills.extend(report.fills)
                self._remember(order.client_id, replace(report, broker_ticket=ticket))

    def _place_stop_limit(
        self, ticket: int, order: WorkingOrder, request: OrderRequest, events: BrokerEvents
    ) -> None:
        """A triggered stop-limit becomes a limit order at its limit price (same ticket)."""
        assert order.stop_limit is not None
        limit = replace(order, order_type=OrderType.LIMIT, price=order.stop_limit, stop_limit=None)
        self._orders[ticket] = (
            limit,
            replace(request, order_type=OrderType.LIMIT, price=order.stop_limit, stop_limit=None),
        )
        spec = self._specs[order.symbol]
        reason = (
            f"stop {spec.format_price(order.price)} reached; limit order placed at "
            f"{spec.format_price(order.stop_limit)}"
        )
        events.order_updates.append(
            OrderUpdate.of_request(
                request, OrderStatus.WORKING, price=order.stop_limit, ticket=ticket, reason=reason
            )
        )

    def _remember(self, client_id: str, report: ExecutionReport) -> None:
        """Keep the order's fate (the broker's order history), then save the account."""
        # A refused request leaves no trace, as at MT5, unless it ends an order on record.
        if report.status is not OrderStatus.REJECTED or client_id in self._history:
            self._history[client_id] = SimOrderRecord(
                client_id,
                report.status,
                report.broker_ticket,
                report.filled_volume,
                report.price,
                report.reason,
                [f.deal_ticket for f in report.fills],
            )
        self._save()

    def _save(self) -> None:
        if self._state_path is None:
            return
        state = SimAccountState(
            balance=self._balance,
            next_ticket=self._next_ticket,
            next_deal=self._next_deal,
            positions=list(self._positions.values()),
            position_client=dict(self._position_client),
            orders=list(self._orders.values()),
            history=list(self._history.values()),
            deals=list(self._deals),
        )
        save_state(self._state_path, state)

    def _load(self) -> None:
        if self._state_path is not None:
            discard_unfinished_writes(self._state_path)
        state = load_state(self._state_path) if self._state_path is not None else None
        if state is None:
            return
        self._balance = state.balance
        self._next_ticket, self._next_deal = state.next_ticket, state.next_deal
        self._positions = {p.ticket: p for p in state.positions if p.symbol in self._specs}
        self._position_client = dict(state.position_client)
        self._orders = {o.ticket: (o, r) for o, r in state.orders if o.symbol in self._specs}
        self._history = {h.client_id: h for h in state.history}
        self._deals = list(state.deals)

    def _commission(self, volume: float) -> float:
        """The commission of a deal of ``volume`` lots (0 or negative)."""
        if not self._commission_per_lot:
            return 0.0
        return -round(self._commission_per_lot * volume, 2)

    def _slipped(self, symbol: str, side: Side, price: float) -> float:
        """``price`` made worse by the slippage for a deal on ``side`` (a buy pays more)."""
        points = self._slippage_points
        if not points:
            return price
        spec = self._specs[symbol]
        return round(price + side.sign * points * spec.point, spec.digits)

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
