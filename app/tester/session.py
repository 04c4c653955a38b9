"""One test pass: the live engine replaying history, start to finish.

Not a second engine: a pass builds the same ``TradingCore`` the terminal runs,
with its risk gate (the strategy's budget included), the same ``StrategyHost``,
``StrategyRunner`` and strategy class, over a ``ReplayBroker`` (the paper
broker's matching on replayed quotes) and a ``ReplayClock`` that the broker
moves to each poll's newest quote. What the tester adds is only the driving:
it feeds the model's prices poll by poll (``stream.py`` says where polls end),
and at the end stops the strategy and closes what it left open at the last
price, marking those trades "end of test".

Two parts of the engine are swapped for replay: the GUI's frames are not built
(no window watches), and in the bar models the engine's bars come from
``ReplayBars`` (the stored bars, closed at the engine's moment). Everything
that decides — the order road, the gate, the strategy — is the live code.

A pass is a pure function of its inputs: ``run_test(settings, market, catalog)``
gives the same result every time, in any process, which is what the optimiser
relies on.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from app.brokers.sim.replay import ReplayBroker, ReplayClock
from app.domain.commands import CancelOrder, ClosePosition
from app.domain.enums import LogLevel, OrderSource, OrderStatus
from app.domain.notices import LogEvent
from app.domain.strategies import AttachStrategy, StopStrategy, StrategyState, StrategyStatus
from app.domain.timeframes import Timeframe
from app.domain.trading import Fill, OrderUpdate
from app.engine.conflation import FrameBuilder
from app.engine.core import TradingCore
from app.reporting import PricePath, build_report
from app.strategies.base import Strategy
from app.strategies.catalog import Catalog
from app.strategies.host import StrategyHost
from app.strategies.params import ParamError
from app.tester.bars import ReplayBars
from app.tester.errors import TestCancelled, TesterError
from app.tester.market import MarketHistory
from app.tester.result import TesterResult
from app.tester.settings import Model, TesterSettings
from app.tester.stream import TickStream, build_stream, ticks_of, timer_ends

log = logging.getLogger(__name__)

END_OF_TEST = "end-of-test"
"""Client id prefix (and trade reason) of the closes the tester sends at the end."""
CHUNK_TICKS = 16_384  # ticks made into objects at a time; cancel and progress between
REFUSALS_KEPT = 50


class CancelFlag(Protocol):
    """``threading.Event``, ``multiprocessing.Event`` or anything with ``is_set``."""

    def is_set(self) -> bool: ...


Progress = Callable[[int, int], None]
"""Told ``(prices replayed, prices in all)`` between chunks."""


class _NoFrames(FrameBuilder):
    """No window watches a test: the frames' bookkeeping per tick is skipped."""

    def add_tick(self, tick: object) -> None:
        return None

    def add_ticks(self, ticks: object) -> None:
        return None

    def add_quote(self, tick: object) -> None:
        return None


class _Collector:
    """The core's publisher in a test: keeps the deals, the refusals and the strategy's fate."""

    def __init__(self) -> None:
        self.fills: list[Fill] = []
        self.refused: Counter[str] = Counter()  # each reason and how often, first seen first
        self.statuses: list[StrategyStatus] = []
        self.problems: list[str] = []

    def publish(self, fact: object) -> None:
        kind = type(fact)
        if kind is Fill:
            self.fills.append(fact)  # type: ignore[arg-type]
        elif kind is OrderUpdate:
            update: OrderUpdate = fact  # type: ignore[assignment]
            if update.status is OrderStatus.REJECTED and (
                update.reason in self.refused or len(self.refused) < REFUSALS_KEPT
            ):
                self.refused[update.reason] += 1
        elif kind is StrategyStatus:
            self.statuses.append(fact)  # type: ignore[arg-type]
        elif kind is LogEvent:
            event: LogEvent = fact  # type: ignore[assignment]
            if event.level >= LogLevel.WARNING and len(self.problems) < REFUSALS_KEPT:
                self.problems.append(event.message)


def run_test(
    settings: TesterSettings,
    market: MarketHistory,
    catalog: Catalog,
    *,
    cancel: CancelFlag | None = None,
    progress: Progress | None = None,
) -> TesterResult:
    """Replay ``market`` through the engine with ``settings``; raises ``TesterError`` for
    a test that cannot run (nothing ran) and ``TestCancelled`` when ``cancel`` is set."""
    settings.check()
    if settings.symbol != market.symbol:
        raise TesterError(f"the history loaded is of {market.symbol}, not {settings.symbol}")
    cls = catalog.classes.get(settings.strategy)
    if cls is None:
        known = ", ".join(sorted(catalog.classes)) or "none"
        raise TesterError(f"no strategy {settings.strategy!r} (available: {known})")
    try:
        params = dict(cls.Params.parse(settings.params).model_dump(mode="json"))
    except ParamError as exc:
        raise TesterError(str(exc)) from None
    spec = market.spec
    conversion = _conversion(settings.currency, spec.base_currency, spec.profit_currency)
    takes_ticks = cls.on_tick is not Strategy.on_tick  # then every tick is a poll
    stream = build_stream(market, settings, every_tick_polls=takes_ticks)
    first_msc = int(stream.time_msc[0])
    dues = np.zeros(0, dtype=np.int64)
    if cls.timer_ms > 0 and not stream.recorded:
        ends, dues = timer_ends(stream.time_msc, first_msc + cls.timer_ms, cls.timer_ms)
        stream = TickStream(
            stream.time_msc, stream.bid, stream.ask, stream.poll_end | ends, False, stream.bars
        )

    clock = ReplayClock(first_msc / 1000)
    broker = _broker(settings, market, clock, stop_at_fills=not stream.recorded)
    sink = _Collector()
    core = TradingCore(
        lambda: broker, sink, risk_limits=settings.risk_limits, clock=clock, monotonic=clock
    )
    core.frames = _NoFrames()
    if settings.model is not Model.TICKS:
        core.market_data = ReplayBars(
            settings.symbol, [settings.timeframe], {settings.timeframe: _truth(settings, market)}
        )
    host = StrategyHost(core, lambda: catalog, status_refresh_ms=0)
    if not core.connect():
        raise TesterError("; ".join(sink.problems) or "the replay could not start")
    core.handle(
        AttachStrategy(
            settings.strategy,
            settings.symbol,
            settings.timeframe,
            params,
            settings.budget,
            start=True,
            source=OrderSource.SYSTEM,
        )
    )
    if not host.configs:
        raise TesterError("; ".join(sink.problems) or f"{settings.strategy} could not be attached")
    name = next(iter(host.configs))
    runner = host.runners.get(name)
    if runner is None or runner.state is not StrategyState.RUNNING:
        reason = runner.reason if runner is not None else ""
        raise TesterError(f"{name} did not start: {reason or '; '.join(sink.problems)}")

    started = time.perf_counter()
    polls = _drive(
        core, broker, clock, stream, settings.symbol, dues, cls.timer_ms, cancel, progress
    )
    seconds = time.perf_counter() - started
    stopped = "" if runner.state is StrategyState.RUNNING else f"{runner.state}: {runner.reason}"
    closed = _finish(core, name, host.configs[name].number)

    deals = tuple(sink.fills)
    path = PricePath(
        stream.time_msc, stream.bid, stream.ask, spec.contract_size, spec.point, conversion
    )
    report = build_report(
        deals,
        deposit=settings.deposit,
        currency=settings.currency,
        points={spec.name: spec.point},
        # The strategy, not the instance ("ma_cross#1" reads like a live one).
        title=f"Test of {settings.strategy} on {settings.symbol} {settings.timeframe.name}, "
        f"{settings.model.label}",
        path=path,
        reason=_reason,
        settings=_summary(settings, params),
    )
    return TesterResult(
        settings=settings,
        instance=name,
        params=params,
        deals=deals,
        report=report,
        ticks=len(stream),
        bars=stream.bars,
        polls=polls,
        seconds=seconds,
        first_msc=first_msc,
        last_msc=int(stream.time_msc[-1]),
        refused=tuple(sink.refused.items()),
        stopped=stopped,
        closed_at_end=closed,
    )


def _drive(
    core: TradingCore,
    broker: ReplayBroker,
    clock: ReplayClock,
    stream: TickStream,
    symbol: str,
    dues: np.ndarray,
    timer_ms: int,
    cancel: CancelFlag | None,
    progress: Progress | None,
) -> int:
    """Feed the stream poll by poll; returns the number of polls."""
    poll, feed = core.poll, broker.feed
    ends = np.flatnonzero(stream.poll_end)
    total = len(stream)
    due_list = dues.tolist()
    next_due = due_list[0] if due_list else None
    due_at = 0
    polls = 0
    single = len(ends) == total and next_due is None  # one tick per poll: the open model
    lo = at = 0
    while at < len(ends):
        if cancel is not None and cancel.is_set():
            raise TestCancelled("the test was cancelled")
        stop = min(len(ends), max(at, int(np.searchsorted(ends, lo + CHUNK_TICKS - 1))) + 1)
        hi = int(ends[stop - 1]) + 1
        ticks = ticks_of(symbol, stream, lo, hi)
        if single:
            for tick in ticks:
                feed((tick,))
                poll()
            polls += len(ticks)
        else:
            start = 0
            for end in (ends[at:stop] - lo).tolist():
                batch = ticks[start : end + 1]
                start = end + 1
                while next_due is not None and next_due <= batch[0].time_msc:
                    clock.now = max(clock.now, next_due / 1000)  # a timer is due: an empty poll
                    poll()
                    polls += 1
                    due_at += 1
                    next_due = due_list[due_at] if due_at < len(due_list) else None
                feed(batch)
                poll()
                polls += 1
                while broker.waiting:  # the poll stopped at a fill; the rest follows
                    poll()
                    polls += 1
        at, lo = stop, hi
        if progress is not None:
            progress(hi, total)
    return polls


def _finish(core: TradingCore, name: str, owner: int) -> int:
    """Stop the strategy, then close its positions and cancel its orders at the last price."""
    core.handle(StopStrategy(name, source=OrderSource.SYSTEM))
    for order in [o for o in core.working_orders() if o.owner == owner]:
        core.handle(CancelOrder(order.ticket, source=OrderSource.SYSTEM))
    positions = [p for p in core.positions() if p.owner == owner]
    for position in positions:
        core.handle(
            ClosePosition(
                position.ticket,
                client_id=f"{END_OF_TEST}-{position.ticket}",
                source=OrderSource.SYSTEM,
            )
        )
    return len(positions)


def _reason(deal: Fill) -> str:
    if deal.client_id.startswith(END_OF_TEST):
        return "end of test"
    return "strategy" if deal.reason == "client" else deal.reason


def _broker(
    settings: TesterSettings, market: MarketHistory, clock: ReplayClock, *, stop_at_fills: bool
) -> ReplayBroker:
    """The replay broker, serving history from the bars the model's prices come from:
    the stored bars in the open-prices and real-ticks models, the M1 bars (and what
    they make) in the M1 models. Made bars are kept by ``market``, for the next pass."""
    symbol = settings.symbol
    from_m1 = settings.model.needs_m1
    bars: dict[tuple[str, Timeframe], np.ndarray] = {
        (symbol, tf): market.from_m1(tf) if from_m1 else market.series(tf)
        for tf in Timeframe
        if tf is not Timeframe.M1
    }
    return ReplayBroker(
        symbols=[symbol],
        clock=clock,
        history={symbol: market.m1},
        bars=bars,
        specs={symbol: market.spec},
        follow=True,
        stop_at_fills=stop_at_fills,
        balance=settings.deposit,
        currency=settings.currency,
        leverage=settings.leverage,
        commission_per_lot=settings.commission_per_lot,
        slippage_points=settings.slippage_points,
        take_profit_at_level=True,
    )


def _truth(settings: TesterSettings, market: MarketHistory) -> np.ndarray:
    """The bars a bar model closes with: those its prices were made from."""
    if settings.model is Model.OPEN:
        return market.series(settings.timeframe)
    return market.from_m1(settings.timeframe)


def _conversion(account: str, base: str, profit: str) -> str:
    if account == profit:
        return "same"
    if account == base:
        return "divide"
    raise TesterError(
        f"an account in {account} cannot test {base}{profit} alone: its profit is in {profit} "
        f"and no {profit}{account} prices are replayed; use an account in {profit} or {base}"
    )


def _summary(settings: TesterSettings, params: dict[str, Any]) -> dict[str, object]:
    def day(seconds: int | None) -> str:
        if seconds is None:
            return "all"
        from datetime import UTC, datetime

        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")

    spread = (
        "from the data" if settings.spread_points is None else f"{settings.spread_points} points"
    )
    return {
        "strategy": settings.strategy,
        "parameters": ", ".join(f"{k}={v}" for k, v in params.items()),
        "symbol": settings.symbol,
        "timeframe": settings.timeframe.name,
        "model": settings.model.label,
        "from": day(settings.start),
        "to": day(settings.end),
        "spread": spread,
        "commission per lot": f"{settings.commission_per_lot:g}",
        "slippage": f"{settings.slippage_points} points",
        "deposit": f"{settings.deposit:,.2f} {settings.currency}",
        "leverage": f"1:{settings.leverage}",
    }
