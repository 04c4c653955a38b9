"""The ``StrategyRunner``: one strategy instance adapted onto the engine's seam.

It is the engine client; the strategy is the plain object inside it. The runner
does what every strategy needs and none should write: it feeds each closed bar
to the strategy's indicators before ``on_bar``, replays the warm-up bars (with
``warming_up`` set, so history never becomes an order), saves ``state`` in the
journal whenever a callback changed it, counts the trades, and keeps the
newest log lines for the panel. Isolation (an exception disables it, a slow
callback is named) comes from the client host; ``max_failures = 1`` because a
strategy that raised has lost track of its own state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.domain.enums import OrderSource, OrderStatus
from app.domain.market import Bar, Tick
from app.domain.strategies import ChartIndicator, StrategyState
from app.domain.symbols import SymbolSpec
from app.domain.trading import Fill, OrderUpdate
from app.engine.clients import ClientContext, EngineClient, Subscriptions
from app.strategies.base import Strategy

StateSaver = Callable[[int, dict[str, Any]], None]
Changed = Callable[["StrategyRunner"], None]


class StrategyRunner(EngineClient):
    source = OrderSource.STRATEGY
    max_failures = 1

    def __init__(
        self,
        strategy: Strategy,
        *,
        save_state: StateSaver | None = None,
        changed: Changed | None = None,
        trades: int = 0,
    ) -> None:
        self.strategy = strategy
        self.name = strategy.name
        self.owner = strategy.config.number
        self.state = StrategyState.STOPPED
        self.reason = ""
        self.trades = trades
        self._save_state = save_state
        self._changed = changed or (lambda _runner: None)
        self._saved = _dump(strategy.state)
        self._chart_indicators: tuple[ChartIndicator, ...] = ()

    def chart_indicators(self) -> tuple[ChartIndicator, ...]:
        """The indicators its strategy made (``self.indicator(...)``, in ``on_start``
        usually), as a chart would add them: none before it first starts."""
        made = self.strategy._indicators
        if len(made) != len(self._chart_indicators):  # built once: a status goes out often
            self._chart_indicators = tuple(
                ChartIndicator(ind.name, ind.params.model_dump(mode="json")) for ind in made
            )
        return self._chart_indicators

    # -- the seam ---------------------------------------------------------------------
    def subscriptions(self) -> Subscriptions:
        strategy = self.strategy
        wants_ticks = type(strategy).on_tick is not Strategy.on_tick
        return Subscriptions(
            ticks=frozenset({strategy.symbol}) if wants_ticks else frozenset(),
            bars=frozenset({(strategy.symbol, strategy.timeframe)}),
            timer_ms=strategy.timer_ms,
        )

    def on_start(self, context: ClientContext) -> None:
        strategy = self.strategy
        strategy._context = context
        self._set(StrategyState.WARMING_UP)
        strategy.on_start()
        count = strategy.warmup()
        if count > 0:
            history = context.closed_bars(strategy.symbol, strategy.timeframe, count)
            strategy.warming_up = True
            try:
                for bar in _bars(history):
                    self._feed(bar)
                    strategy.on_bar(bar)
            finally:
                strategy.warming_up = False
        self._set(StrategyState.RUNNING)
        self._save()

    def on_bar(self, bar: Bar) -> None:
        self._feed(bar)
        self.strategy.on_bar(bar)
        self._save()

    def on_tick(self, tick: Tick) -> None:
        self.strategy.on_tick(tick)

    def on_order(self, update: OrderUpdate) -> None:
        if update.status is OrderStatus.REJECTED:
            self.note(f"order refused: {update.reason or 'no reason given'}")
        self.strategy.on_order(update)
        self._save()

    def on_fill(self, fill: Fill) -> None:
        self.record(fill)
        self.strategy.on_fill(fill)
        self._save()
        self._changed(self)

    def record(
        self, fill: Fill, spec: SymbolSpec | None = None, now_msc: int | None = None
    ) -> None:
        """A deal of its own counted and written in its last lines; the host calls it
        (with the symbol's ``spec`` and the engine's time) for a deal that came while it
        was stopped: the trader closed its position."""
        if fill.closes_position:
            self.trades += 1
        context = self.strategy._context
        if context is not None:
            spec = context.spec(fill.symbol)
        price = spec.format_price(fill.price) if spec is not None else f"{fill.price:g}"
        if fill.closes_position:  # the side of the position it closed, not of the deal
            line = (
                f"closed {fill.side.opposite.upper()} {fill.volume:g} {fill.symbol} at "
                f"{price}, {fill.realized_pnl:+,.2f}"
            )
        else:
            line = f"filled {fill.side.upper()} {fill.volume:g} {fill.symbol} at {price}"
        self.strategy._note(line, now_msc)

    def on_timer(self, now_msc: int) -> None:
        self.strategy.on_timer(datetime.fromtimestamp(now_msc / 1000, UTC))
        self._save()

    def on_stop(self) -> None:
        try:
            if self.state in (StrategyState.RUNNING, StrategyState.WARMING_UP):
                self.strategy.on_stop()
            if self.state is not StrategyState.FAILED:  # a state that failed is said once
                self._save()
        finally:
            self.strategy._context = None

    # -- for the host -----------------------------------------------------------------
    def mark(self, state: StrategyState, reason: str = "") -> None:
        self.reason = reason
        self._set(state)

    def note(self, message: str) -> None:
        """A line for the panel's last log lines only (the event log has its own)."""
        self.strategy._note(message)

    @property
    def last_log(self) -> tuple[str, ...]:
        return tuple(self.strategy._log_lines)

    # -- internals ----------------------------------------------------------------------
    def _set(self, state: StrategyState) -> None:
        if state is not self.state:
            self.state = state
            self._changed(self)

    def _feed(self, bar: Bar) -> None:
        strategy = self.strategy
        last = strategy._last
        for ind in strategy._indicators:
            last[id(ind)] = ind.update(bar)

    def _save(self) -> None:
        """Keep ``state`` in the journal when a callback changed it (and only then).

        What cannot be kept as it is (not a dict, a value JSON has no form for) is the
        strategy's failure, raised inside its callback, so the trader reads why: saved
        as text, it would come back at the next start as something else."""
        state = self.strategy.state
        if not state and self._saved == "{}" and isinstance(state, dict):
            return  # empty before and after: no JSON per bar for strategies that keep none
        text = _dump(state)
        if text != self._saved:
            _check_kept(state)  # only when it changed: a walk of it per save, not per bar
            if self._save_state is not None:
                self._save_state(self.owner, json.loads(text))
        self._saved = text


class StateNotSaved(TypeError):
    """``self.state`` holds what the journal cannot keep; ``str()`` says what, in one line."""


def _dump(state: object) -> str:
    if not isinstance(state, dict):
        raise StateNotSaved(
            f"self.state must stay a dict (it was set to a {type(state).__name__}); "
            "change its keys instead of replacing it"
        )
    try:
        return json.dumps(state, sort_keys=True)
    except (TypeError, ValueError, RecursionError) as exc:
        why = _unkept(state) or f"{type(exc).__name__}: {exc}"
        raise StateNotSaved(f"self.state cannot be saved: {why}; {_KEEP}") from None


_KEEP = "keep numbers, text, true/false, None, lists and dicts with text keys in it"
_SCALARS = (str, int, float, bool, type(None))


def _check_kept(state: dict[str, Any]) -> None:
    """Raise if ``state`` would come back from the journal as something else (JSON
    turns an int key into text and a tuple into a list: a strategy keeping tickets
    as keys would no longer find them after a restart)."""
    why = _unkept(state)
    if why is not None:
        raise StateNotSaved(f"self.state would not come back the same: {why}; {_KEEP}")


def _unkept(value: object, where: str = "self.state", depth: int = 0) -> str | None:
    """What in ``value`` JSON cannot keep as it is, in words; ``None`` if all of it."""
    if depth > 64:
        return f"{where} is nested more than 64 levels deep"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has the key {key!r}, which is not text"
            found = _unkept(item, f"{where}[{key!r}]", depth + 1)
            if found is not None:
                return found
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unkept(item, f"{where}[{index}]", depth + 1)
            if found is not None:
                return found
        return None
    if isinstance(value, _SCALARS):
        return None
    return f"{where} is a {type(value).__name__}"


def _bars(history: Any) -> list[Bar]:
    columns = [
        np.asarray(getattr(history, name)) for name in ("time", "open", "high", "low", "close")
    ]
    volume = np.asarray(history.volume)
    return [
        Bar(
            history.symbol,
            history.timeframe,
            int(t),
            float(o),
            float(h),
            float(lo),
            float(c),
            float(v),
        )
        for t, o, h, lo, c, v in zip(*columns, volume, strict=True)
    ]
