"""The ``Strategy`` base class: what a strategy writer subclasses.

A strategy decides; the engine does everything else. It gets closed bars of its
symbol and timeframe (``on_bar``), optionally ticks, its own orders' updates and
fills, and a timer; it reads its own positions and orders, the account, quotes
and the indicators it declared; it trades with ``buy``, ``sell``, ``close``,
``modify`` and ``cancel``, which build the same commands as the order ticket and
go through the same risk gate, plus its own budget. It never sees the broker,
never reads the wall clock (``now()`` is the engine's time), and never keeps
state outside ``self.state`` if that state must survive a restart — so the
same class runs unchanged live and in the tester.

Why a plain class and not an engine client: the ``StrategyRunner`` adapts it onto
the engine's seam (warm-up, indicator updates before ``on_bar``, saving
``state``, isolation), so a strategy writer never meets the engine's plumbing.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from app.domain.commands import CancelOrder, ClosePosition, ModifyPosition, SubmitOrder
from app.domain.enums import LogLevel, OrderType, Side
from app.domain.market import Bar, BarHistory, Tick
from app.domain.strategies import StrategyConfig
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Fill, OrderRequest, OrderUpdate, Position, WorkingOrder
from app.indicators import Indicator, create
from app.strategies.params import StrategyParams

if TYPE_CHECKING:
    from app.engine.clients import ClientContext


#: The newest log lines of an instance the Strategies panel shows.
LOG_LINES_KEPT = 5
#: Warm-up bars for an indicator whose value depends on all of its history (Parabolic
#: SAR): after a few reversals two histories agree, and this many bars hold many.
WARM_ALL_BARS = 5_000


class NotRunning(RuntimeError):
    """A strategy used the engine before it started (e.g. in ``__init__``)."""


class Strategy:
    """Subclass it: set ``key``, ``title`` and ``Params``; override the callbacks you need."""

    #: The registry key and the instance's name prefix ("ma_cross" → "ma_cross#3").
    key: ClassVar[str] = ""
    #: What the Strategies panel shows.
    title: ClassVar[str] = ""
    #: The parameter model (a ``StrategyParams`` subclass).
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    #: Period of ``on_timer`` in milliseconds of engine time; 0: no timer.
    timer_ms: ClassVar[int] = 0

    def __init__(
        self, config: StrategyConfig, params: StrategyParams, state: dict[str, Any]
    ) -> None:
        self.config = config
        self.params: Any = params  # the subclass's own Params model, validated
        self.symbol = config.symbol
        self.timeframe = config.timeframe
        self.name = config.name
        #: Saved in the journal after each callback that changed it, restored at start.
        self.state: dict[str, Any] = state
        #: True while warm-up bars are replayed: decisions then are not sent.
        self.warming_up = False
        self._context: ClientContext | None = None
        self._indicators: list[Indicator] = []
        self._last: dict[int, tuple[float, ...]] = {}  # each indicator's values at the last bar
        self._log_lines: deque[str] = deque(maxlen=LOG_LINES_KEPT)

    # -- declared by the subclass -----------------------------------------------------
    def warmup(self) -> int:
        """Closed bars of history to replay through ``on_bar`` before the first live one.

        Enough for every indicator to hold the value it would have over all of history
        (what a chart of the same bars draws): a windowed one's window, a recursive
        one's tail until its seed weighs less than one ulp (``warm_bars``), and for one
        whose value depends on all history (Parabolic SAR) ``WARM_ALL_BARS``.
        """
        return max(
            (max(ind.lookback + 1, ind.warm_bars() or WARM_ALL_BARS) for ind in self._indicators),
            default=0,
        )

    # -- callbacks: override what you need ----------------------------------------------
    def on_start(self) -> None:
        """Create indicators here (``self.indicator``); warm-up follows."""

    def on_bar(self, bar: Bar) -> None:
        """A closed bar of the strategy's symbol and timeframe; its indicators already have it."""

    def on_tick(self, tick: Tick) -> None:
        """A quote of the strategy's symbol (only if overridden: ticks cost nothing otherwise)."""

    def on_order(self, update: OrderUpdate) -> None:
        """A step in the life of one of its orders; a refusal carries the reason."""

    def on_fill(self, fill: Fill) -> None:
        """A deal of one of its orders or positions (a stop loss closing one too)."""

    def on_timer(self, now: datetime) -> None:
        """Every ``timer_ms`` of engine time."""

    def on_stop(self) -> None:
        """The strategy stops (the trader, its budget, the kill switch, an error)."""

    # -- reading ------------------------------------------------------------------------
    def now(self) -> datetime:
        """The engine's time (the replayed time in the tester), never the wall clock."""
        return datetime.fromtimestamp(self._ctx().now_msc() / 1000, UTC)

    def quote(self, symbol: str | None = None) -> Tick | None:
        return self._ctx().quote(symbol or self.symbol)

    def round_price(self, price: float) -> float:
        """``price`` on its symbol's tick grid: a computed level (a stop some ATRs away)
        has more decimals than the symbol allows, and the broker refuses such a level."""
        spec = self._ctx().spec(self.symbol)
        return spec.round_price(price) if spec is not None else price

    def bars(self, count: int, timeframe: Timeframe | None = None) -> BarHistory:
        """The newest ``count`` closed bars of its symbol (the forming bar never)."""
        return self._ctx().closed_bars(self.symbol, timeframe or self.timeframe, count)

    def positions(self) -> list[Position]:
        """Its own open positions (never the trader's or another strategy's)."""
        owner = self.config.number
        return [p for p in self._ctx().positions() if p.owner == owner]

    def orders(self) -> list[WorkingOrder]:
        """Its own working orders."""
        owner = self.config.number
        return [o for o in self._ctx().orders() if o.owner == owner]

    def net_position(self) -> float:
        """Its net lots in its symbol: + long, − short."""
        return sum(p.side.sign * p.volume for p in self.positions() if p.symbol == self.symbol)

    def account(self) -> AccountState | None:
        return self._ctx().account()

    def indicator(self, name: str, **params: Any) -> Indicator:
        """An indicator of the library, kept up to date with every closed bar before ``on_bar``.

        Read ``last(ind)`` (or ``values(ind)`` for several outputs) in ``on_bar``.
        """
        ind = create(name, **params)
        self._indicators.append(ind)
        self._last[id(ind)] = ()
        return ind

    def last(self, ind: Indicator) -> float:
        """The indicator's first output at the newest closed bar (NaN during its warm-up)."""
        values = self._last.get(id(ind), ())
        return values[0] if values else float("nan")

    def values(self, ind: Indicator) -> tuple[float, ...]:
        """Every output of the indicator at the newest closed bar, in its ``outputs`` order."""
        return self._last.get(id(ind), ())

    # -- trading ------------------------------------------------------------------------
    def buy(
        self,
        volume: float,
        *,
        sl: float | None = None,
        tp: float | None = None,
        limit: float | None = None,
        stop: float | None = None,
        comment: str = "",
    ) -> str:
        """A buy of ``volume`` lots (market, or at ``limit`` / ``stop``); returns its client id."""
        return self._order(Side.BUY, volume, sl, tp, limit, stop, comment)

    def sell(
        self,
        volume: float,
        *,
        sl: float | None = None,
        tp: float | None = None,
        limit: float | None = None,
        stop: float | None = None,
        comment: str = "",
    ) -> str:
        """A sell of ``volume`` lots (market, or at ``limit`` / ``stop``); returns its client id."""
        return self._order(Side.SELL, volume, sl, tp, limit, stop, comment)

    def close(self, position: Position | int | None = None) -> list[str]:
        """Close one of its positions (by position or ticket), or all of them in its symbol."""
        if position is None:
            targets = [p.ticket for p in self.positions() if p.symbol == self.symbol]
        else:
            targets = [position.ticket if isinstance(position, Position) else position]
        if self._refused_while_warming("close"):
            return []
        return [cid for cid in (self._ctx().send(ClosePosition(t)) for t in targets) if cid]

    def modify(self, position: Position | int, *, sl: float | None, tp: float | None) -> str:
        """New stop loss and take profit of one of its positions (``None`` removes one)."""
        if self._refused_while_warming("modify"):
            return ""
        ticket = position.ticket if isinstance(position, Position) else position
        return self._ctx().send(ModifyPosition(ticket, sl, tp))

    def cancel(self, order: WorkingOrder | int) -> str:
        if self._refused_while_warming("cancel"):
            return ""
        ticket = order.ticket if isinstance(order, WorkingOrder) else order
        return self._ctx().send(CancelOrder(ticket))

    def log(self, message: str, level: LogLevel = LogLevel.INFO) -> None:
        """A line in the event log under the strategy's name."""
        if level >= LogLevel.INFO:
            self._note(message)
        self._ctx().log(level, message)

    def _note(self, message: str, now_msc: int | None = None) -> None:
        """Keep ``message`` among the newest lines the Strategies panel shows, with the
        engine's time (the tester's replayed clock in a test pass; ``now_msc`` when it is
        stopped and has no context)."""
        context = self._context
        if context is not None:
            now_msc = context.now_msc()
        if now_msc is not None:
            stamp = datetime.fromtimestamp(now_msc / 1000, UTC)
            message = f"{stamp:%H:%M:%S} {message}"
        self._log_lines.append(message)

    # -- internals ----------------------------------------------------------------------
    def _ctx(self) -> ClientContext:
        if self._context is None:
            raise NotRunning(f"{self.name}: the engine is not running it yet")
        return self._context

    def _order(
        self,
        side: Side,
        volume: float,
        sl: float | None,
        tp: float | None,
        limit: float | None,
        stop: float | None,
        comment: str,
    ) -> str:
        if self._refused_while_warming(str(side)):
            return ""
        kind, price = OrderType.MARKET, None
        if limit is not None and stop is not None:
            kind, price = OrderType.STOP_LIMIT, stop
        elif limit is not None:
            kind, price = OrderType.LIMIT, limit
        elif stop is not None:
            kind, price = OrderType.STOP, stop
        request = OrderRequest(
            "",
            self.symbol,
            side,
            volume,
            kind,
            price=price,
            stop_limit=limit if kind is OrderType.STOP_LIMIT else None,
            sl=sl,
            tp=tp,
            comment=comment or self.name,
        )
        return self._ctx().send(SubmitOrder(request))

    def _refused_while_warming(self, what: str) -> bool:
        if self.warming_up:
            self.log(f"{what} ignored: warm-up bars are history, not decisions", LogLevel.DEBUG)
        return self.warming_up
