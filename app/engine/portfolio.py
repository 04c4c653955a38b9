"""The engine's picture of the account: positions marked to market by the latest quotes.

The broker is the source of truth; ``Portfolio`` copies its positions, orders and
balance at sync points (connect, after every trade event) and in between marks
open positions to the latest quotes locally. That keeps P&L live without asking
the broker on every tick (for MetaTrader 5 each ask is an IPC round trip).

Marking is lazy: a tick only stores the quote and notes that a held symbol
moved; positions are re-marked when something reads them (a frame, the equity
watch, a strategy), at most once per batch of ticks. Marking every position on
every tick built a new ``Position`` per tick per position and cost the engine
thread most of its burst rate once strategies held positions. The account is
kept too, and rebuilt only when something it shows changed: the engine reads
it after every poll (the loss limits), and the tester polls once per bar.

"Today" is the engine's day (its clock: the replayed time in the tester), UTC.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from app.domain.enums import Side
from app.domain.market import Tick
from app.domain.pnl import CurrencyConverter, close_price, position_profit
from app.domain.symbols import SymbolSpec
from app.domain.trading import AccountState, Fill, Position, WorkingOrder

_DAY_S = 86_400


class Portfolio:
    def __init__(
        self,
        specs: Mapping[str, SymbolSpec],
        currency: str,
        leverage: int,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock``: the engine's time in epoch seconds, which says when a day begins."""
        self.specs = dict(specs)
        self._clock = clock
        self.currency = currency
        self.leverage = leverage
        self.quotes: dict[str, Tick] = {}
        self._converter = CurrencyConverter(self.specs, self.quotes)
        self._positions: dict[int, Position] = {}
        self._orders: tuple[WorkingOrder, ...] = ()
        self._held: frozenset[str] = frozenset()  # symbols with open positions
        self._stale = False  # a held symbol ticked since the positions were last marked
        self._balance = 0.0
        self._margin = 0.0
        self._realized_today = 0.0
        self._day = int(clock()) // _DAY_S  # days since the epoch, UTC
        self._account: AccountState | None = None  # the last one built, while it holds
        self._rounded = (0.0, 0.0)  # balance and margin of the last sync, to the cent
        self._listed: tuple[Position, ...] | None = None  # positions as last handed out
        self.changed = True
        self.orders_changed = True

    # -- updates from the broker ----------------------------------------------------
    def sync(
        self, account: AccountState, positions: Iterable[Position], orders: Iterable[WorkingOrder]
    ) -> None:
        self._balance = account.balance
        self._margin = account.margin
        self._rounded = (round(account.balance, 2), round(account.margin, 2))
        self._positions = {p.ticket: p for p in positions}
        self._listed = None
        self._held = frozenset(p.symbol for p in self._positions.values())
        self._stale = False  # the broker's own marks
        self._account = None
        new_orders = tuple(orders)
        if new_orders != self._orders:
            self._orders = new_orders
            self.orders_changed = True
        self.changed = True

    def on_tick(self, tick: Tick) -> None:
        self.quotes[tick.symbol] = tick
        if tick.symbol in self._held:
            self._stale = self.changed = True
            self._account = None

    def on_ticks(self, ticks: Sequence[Tick]) -> None:
        """``on_tick`` for a poll's ticks, in order."""
        quotes, held = self.quotes, self._held
        touched = False
        for tick in ticks:
            quotes[tick.symbol] = tick
            if tick.symbol in held:
                touched = True
        if touched:
            self._stale = self.changed = True
            self._account = None

    def on_fill(self, fill: Fill) -> None:
        self._roll_day()
        if fill.closes_position:
            self._realized_today += fill.realized_pnl
        self._account = None
        self.changed = True

    # -- queries --------------------------------------------------------------------
    def position(self, ticket: int) -> Position | None:
        self._mark()
        return self._positions.get(ticket)

    @property
    def positions(self) -> tuple[Position, ...]:
        self._mark()
        listed = self._listed
        if listed is None:
            listed = self._listed = tuple(self._positions.values())
        return listed

    @property
    def orders(self) -> tuple[WorkingOrder, ...]:
        return self._orders

    def account(self) -> AccountState:
        """Balance and margin from the last sync; equity and P&L from the latest quotes.

        Today's P&L is what was realised since 00:00 UTC plus the open positions' P&L.
        """
        self._roll_day()
        account = self._account
        if account is not None:
            return account
        self._mark()
        floating = 0.0
        for p in self._positions.values():
            floating += p.profit
        equity = self._balance + floating
        balance, margin = self._rounded
        account = self._account = AccountState(
            currency=self.currency,
            balance=balance,
            equity=round(equity, 2),
            margin=margin,
            free_margin=round(equity - self._margin, 2),
            floating_pnl=round(floating, 2),
            day_pnl=round(self._realized_today + floating, 2),
            leverage=self.leverage,
        )
        return account

    def equity(self) -> float:
        """``account().equity`` without building the account: the risk gate reads it
        after every poll that moved a held symbol."""
        account = self._account
        if account is not None:
            return account.equity
        self._mark()
        floating = 0.0
        for p in self._positions.values():
            floating += p.profit
        return round(self._balance + floating, 2)

    # -- internals ------------------------------------------------------------------
    def _mark(self) -> None:
        """Re-mark the positions to the latest quotes, if a held symbol ticked since."""
        if not self._stale:
            return
        self._stale = False
        self._listed = None
        quotes, specs = self.quotes, self.specs
        for ticket, p in self._positions.items():
            spec, tick = specs.get(p.symbol), quotes.get(p.symbol)
            if spec is not None and tick is not None:
                self._positions[ticket] = self._marked(p, spec, tick)

    def _marked(self, p: Position, spec: SymbolSpec, tick: Tick) -> Position:
        price = close_price(p.side, tick)
        if spec.profit_currency == self.currency:  # no conversion: position_profit's arithmetic
            sign = 1 if p.side is Side.BUY else -1
            profit = round(sign * (price - p.price_open) * p.volume * spec.contract_size, 2)
        else:
            try:
                profit = round(
                    position_profit(
                        p.side, p.volume, p.price_open, price, spec, self._converter, self.currency
                    ),
                    2,
                )
            except ValueError:  # no quote yet to convert the profit currency
                return replace(p, price_current=price)
        # Built field by field: ``dataclasses.replace`` costs three times as much, per poll.
        return Position(
            p.ticket,
            p.symbol,
            p.side,
            p.volume,
            p.price_open,
            price,
            profit,
            p.time_msc,
            p.sl,
            p.tp,
            p.swap,
            p.comment,
            p.owner,
        )

    def _roll_day(self) -> None:
        today = int(self._clock()) // _DAY_S
        if today != self._day:
            self._day = today
            self._realized_today = 0.0
            self._account = None
