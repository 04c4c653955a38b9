"""The event bus: the only way the engine and its clients talk.

One ``QObject`` with one typed signal per kind of message. It lives in the GUI
thread; the engine emits from its own thread, so Qt delivers to GUI slots through
queued connections, and GUI commands reach the engine's slots the same way.

**Facts are declared once.** Each kind of fact is one line below, ``name =
fact(Type, ...)``: that line creates the signal and tells ``publish`` which
signal carries which type. The engine publishes every fact through
``publish(fact)``, so adding a kind of fact is its dataclass plus one line here;
no publisher class or pass-through list has to follow.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QObject, Signal

from app.domain.alert_facts import (
    AlertFired,
    AlertHistory,
    AlertList,
    AlertReply,
    AlertStatus,
    WebhookCheck,
)
from app.domain.frame import MarketFrame
from app.domain.history_jobs import DownloadProgress, RecordingState
from app.domain.market import BarHistory
from app.domain.notices import ConnectionState, LogEvent
from app.domain.risk_facts import RiskBreach, RiskWarning, TradingStateChanged
from app.domain.strategies import (
    BudgetHalt,
    BudgetReducing,
    StrategyCatalog,
    StrategyReply,
    StrategyStatus,
)
from app.domain.trading import Fill, OrderUpdate, TradeHistory

_declared: dict[int, tuple[type, ...]] = {}


def fact(*kinds: type) -> Any:
    """A signal that carries facts of ``kinds`` (each fact in order, none conflated)."""
    signal = Signal(object)
    _declared[id(signal)] = kinds
    return signal


class EventBus(QObject):
    # engine -> clients: facts, every one delivered in order
    order = fact(OrderUpdate)
    fill = fact(Fill)
    log = fact(LogEvent)
    connection = fact(ConnectionState)
    history = fact(BarHistory)
    symbols = fact(tuple)  # tuple[SymbolSpec, ...], once per connect
    trade_history = fact(TradeHistory)  # the answer to RequestTradeHistory
    risk = fact(RiskBreach, RiskWarning, TradingStateChanged)
    # an instance changed, its budget halted it or made it reduce, or an attach or edit
    # was answered
    strategy = fact(StrategyStatus, BudgetHalt, BudgetReducing, StrategyReply)
    strategy_catalog = fact(StrategyCatalog)  # the strategies that loaded, and those that did not
    history_jobs = fact(RecordingState, DownloadProgress)  # tick recording and downloads
    alert_fired = fact(AlertFired)  # an alert fired (or reminds, until acknowledged)
    alerts = fact(
        AlertStatus, AlertList, AlertReply, AlertHistory
    )  # alerts changed, listed, answered
    webhook_check = fact(WebhookCheck)  # try a webhook before an alert with it is stored
    # engine -> clients: conflated state, at most one frame in flight
    frame = Signal(MarketFrame)
    # clients -> engine
    command = Signal(object)  # app.domain.commands.Command
    frame_consumed = Signal(int)  # seq of the frame a client finished drawing
    engine_failed = Signal(str)  # the engine thread hit an unexpected error (trading halted)

    #: fact type -> the name of the signal that carries it (built from the lines above)
    FACTS: ClassVar[dict[type, str]] = {}

    def publish(self, fact: object) -> None:
        """Emit ``fact`` on its signal; safe from any thread (Qt queues it to the GUI)."""
        try:
            name = self.FACTS[type(fact)]
        except KeyError:
            raise TypeError(f"{type(fact).__name__} is not a declared fact") from None
        getattr(self, name).emit(fact)


EventBus.FACTS.update(
    {kind: name for name, value in vars(EventBus).items() for kind in _declared.get(id(value), ())}
)
