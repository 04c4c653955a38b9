"""The event bus: the only way the engine and its clients talk.

One ``QObject`` with one typed signal per kind of message. It lives in the GUI
thread; the engine emits from its own thread, so Qt delivers to GUI slots through
queued connections, and GUI commands reach the engine's slots the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.domain.frame import MarketFrame
from app.domain.market import BarHistory
from app.domain.notices import ConnectionState, LogEvent
from app.domain.trading import Fill, OrderUpdate


class EventBus(QObject):
    # engine -> clients: facts, every one delivered in order
    order = Signal(OrderUpdate)
    fill = Signal(Fill)
    log = Signal(LogEvent)
    connection = Signal(ConnectionState)
    history = Signal(BarHistory)
    symbols = Signal(object)  # tuple[SymbolSpec, ...], once per connect
    trade_history = Signal(object)  # TradeHistory, the answer to RequestTradeHistory
    risk = Signal(object)  # app.domain.risk.RiskFact: breaches, warnings, state changes
    # engine -> clients: conflated state, at most one frame in flight
    frame = Signal(MarketFrame)
    # clients -> engine
    command = Signal(object)  # app.domain.commands.Command
    frame_consumed = Signal(int)  # seq of the frame a client finished drawing
    engine_failed = Signal(str)  # the engine thread hit an unexpected error
