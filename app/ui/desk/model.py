"""The GUI's one picture of the desk: specs, quotes, book, account, risk and trading state.

Plain Python (no Qt), in the spirit of napari's models: every panel reads this
one object instead of keeping its own copy of the symbol specs or the quotes,
so no two panels can disagree about a price or a digit count. The window feeds
it once per frame (``apply_frame``) and with the bus's facts (symbols, trading
state changes, strategy instances' statuses); each feed tells the subscribed panels what changed in one
``DeskChange``, so a panel repaints only what a frame moved.

Cost per frame is O(symbols that ticked) plus one call per subscriber.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from app.domain.enums import TradingState
from app.domain.frame import MarketFrame
from app.domain.market import Bar, Tick
from app.domain.owners import owner_label, owner_tooltip
from app.domain.risk_facts import RiskFact, RiskSnapshot, TradingStateChanged
from app.domain.strategies import StrategyStatus
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import AccountState, Position, WorkingOrder

_NO_QUOTES: Mapping[str, Tick] = {}
_NO_BARS: Mapping[tuple[str, Timeframe], Bar] = {}


@dataclass(frozen=True, slots=True)
class DeskChange:
    """What one feed of the model changed; panels repaint only that.

    ``quotes`` and ``bars`` hold the entries that changed (the model holds all
    the quotes); the flags say which snapshot was replaced.
    """

    quotes: Mapping[str, Tick] = field(default_factory=lambda: _NO_QUOTES)
    bars: Mapping[tuple[str, Timeframe], Bar] = field(default_factory=lambda: _NO_BARS)
    positions: bool = False
    orders: bool = False
    account: bool = False
    risk: bool = False
    state: bool = False  # the trading state (ACTIVE, REDUCING, HALTED) or its reason
    symbols: bool = False  # a new list of symbol specs
    symbol: bool = False  # the desk's current symbol
    strategies: bool = False  # a strategy instance's name became known, or it was detached


Listener = Callable[[DeskChange], None]


class DeskModel:
    """The latest of everything the engine reported, and the symbol the desk is on.

    ``symbol`` is the one current symbol: the chart shows it, the ticket trades it
    and the market watch highlights it, whichever of them changed it.
    """

    def __init__(self) -> None:
        self.specs: dict[str, SymbolSpec] = {}
        self.quotes: dict[str, Tick] = {}
        self.positions: tuple[Position, ...] = ()
        self.orders: tuple[WorkingOrder, ...] = ()
        self.account: AccountState | None = None
        self.risk: RiskSnapshot | None = None
        self.state = TradingState.ACTIVE
        self.state_reason = "waiting for the engine"
        self.symbol: str | None = None
        # Strategy instances by their owner number: the name the Strategies panel shows.
        self.strategy_names: dict[int, str] = {}
        self.detached_strategies: set[int] = set()  # gone, but what they opened may stay
        self._listeners: list[Listener] = []

    # -- subscribing ----------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` after every change, in the order of subscription."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling ``listener`` (a closed chart's); unknown listeners are ignored."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _publish(self, change: DeskChange) -> None:
        for listener in tuple(self._listeners):  # a listener may unsubscribe (a chart closes)
            listener(change)

    # -- feeding --------------------------------------------------------------------
    def set_symbols(self, specs: Iterable[SymbolSpec]) -> None:
        """The broker's symbols (once per connect); quotes of symbols still listed stay."""
        self.specs = {s.name: s for s in specs}
        self.quotes = {name: q for name, q in self.quotes.items() if name in self.specs}
        self._publish(DeskChange(symbols=True))

    def apply_frame(self, frame: MarketFrame) -> DeskChange:
        """One frame's state into the model, then one ``DeskChange`` to every subscriber."""
        if frame.quotes:
            self.quotes.update(frame.quotes)
        if frame.positions is not None:
            self.positions = frame.positions
        if frame.orders is not None:
            self.orders = frame.orders
        if frame.account is not None:
            self.account = frame.account
        state_changed = False
        if frame.risk is not None:
            self.risk = frame.risk
            state_changed = self._set_state(frame.risk.state, frame.risk.reason)
        change = DeskChange(
            quotes=frame.quotes,
            bars=frame.bars,
            positions=frame.positions is not None,
            orders=frame.orders is not None,
            account=frame.account is not None,
            risk=frame.risk is not None,
            state=state_changed,
        )
        self._publish(change)
        return change

    def apply_fact(self, fact: RiskFact) -> None:
        """A trading-state change shows at once, before the next risk snapshot."""
        if isinstance(fact, TradingStateChanged) and self._set_state(fact.new, fact.reason):
            self._publish(DeskChange(state=True))

    def apply_strategy(self, fact: object) -> None:
        """A strategy fact from the bus: an instance's status names its owner number.

        Only a new name or a detach is published (not every P&L update), so the
        Positions and Orders panels repaint their Owner column only then. A
        detached instance keeps its name: numbers are never reused.
        """
        if not isinstance(fact, StrategyStatus):
            return
        number = fact.config.number
        known = (self.strategy_names.get(number), number in self.detached_strategies)
        if known == (fact.name, fact.detached):
            return
        self.strategy_names[number] = fact.name
        if fact.detached:
            self.detached_strategies.add(number)
        else:
            self.detached_strategies.discard(number)
        self._publish(DeskChange(strategies=True))

    def select(self, symbol: str) -> bool:
        """Make ``symbol`` the desk's current one; False if unknown or already current."""
        if symbol not in self.specs or symbol == self.symbol:
            return False
        self.symbol = symbol
        self._publish(DeskChange(symbol=True))
        return True

    def _set_state(self, state: TradingState, reason: str) -> bool:
        if (state, reason) == (self.state, self.state_reason):
            return False
        self.state, self.state_reason = state, reason
        return True

    # -- reading --------------------------------------------------------------------
    @property
    def currency(self) -> str:
        return self.account.currency if self.account is not None else "USD"

    @property
    def leverage(self) -> int:
        return self.account.leverage if self.account is not None else 100

    @property
    def halted(self) -> bool:
        return self.state is TradingState.HALTED

    def spec(self, symbol: str | None) -> SymbolSpec | None:
        return self.specs.get(symbol) if symbol else None

    def position(self, ticket: int) -> Position | None:
        return next((p for p in self.positions if p.ticket == ticket), None)

    def order(self, ticket: int) -> WorkingOrder | None:
        return next((o for o in self.orders if o.ticket == ticket), None)

    def owner_label(self, owner: int) -> str:
        """``Manual``, ``External``, a strategy instance's name, or ``Strategy #N``."""
        return owner_label(owner, self.strategy_names)

    def owner_tooltip(self, owner: int) -> str:
        attached = owner not in self.detached_strategies
        return owner_tooltip(owner, self.strategy_names, attached=attached)

    def format_price(self, symbol: str, price: float | None) -> str:
        """A price in the symbol's digits ("" for none; plain when the symbol is unknown)."""
        if price is None:
            return ""
        spec = self.specs.get(symbol)
        return spec.format_price(price) if spec else f"{price:g}"

    def format_volume(self, symbol: str, volume: float) -> str:
        spec = self.specs.get(symbol)
        return spec.format_volume(volume) if spec else f"{volume:g}"
