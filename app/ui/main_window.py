"""The main window: docks for chart, ticket, risk, positions and the event log.

It subscribes to the bus, hands each frame's state to the panels, and turns
user actions into commands. It never waits on the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from app.domain.commands import ClosePosition, Command, RequestHistory
from app.domain.enums import ConnectionStatus, OrderSource
from app.domain.events import BarHistory, ConnectionState, LogEvent, MarketFrame, Position
from app.domain.symbols import SymbolSpec
from app.engine.bus import EventBus
from app.ui.account_panel import AccountPanel
from app.ui.chart import ChartPanel
from app.ui.event_log import EventLogModel, EventLogView
from app.ui.order_ticket import OrderTicket
from app.ui.positions import PositionsModel, PositionsView
from app.ui.theme import LOSS, PROFIT, WARNING

ConfirmFn = Callable[[str, str], bool]
LAYOUT_VERSION = 1


def ask_user(title: str, text: str) -> bool:
    answer = QMessageBox.question(
        None,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class MainWindow(QMainWindow):
    """``closing`` fires once, before the window hides, so the app can stop the engine."""

    closing = Signal()

    def __init__(
        self,
        bus: EventBus,
        *,
        default_symbol: str,
        default_volume: float,
        one_click_trading: bool = False,
        state_file: Path | None = None,
        confirm: ConfirmFn = ask_user,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Tradeterm")
        self.setObjectName("MainWindow")
        self.resize(1400, 860)
        self.setDockNestingEnabled(True)
        self._bus = bus
        self._default_symbol = default_symbol
        self._one_click = one_click_trading
        self._confirm = confirm
        self._state_file = state_file
        self._specs: dict[str, SymbolSpec] = {}
        self._tick_window: list[tuple[float, int]] = []
        self._closed = False

        self.chart = ChartPanel()
        self.ticket = OrderTicket(self.send, default_volume)
        self.account = AccountPanel()
        self.positions_model = PositionsModel()
        self.positions = PositionsView(self.positions_model)
        self.log_model = EventLogModel()
        self.log_view = EventLogView(self.log_model)

        placeholder = QWidget()  # every panel is a dock; the central area stays empty
        placeholder.hide()
        self.setCentralWidget(placeholder)
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock("chart", "Chart", self.chart, Qt.DockWidgetArea.TopDockWidgetArea)
        self._add_dock("ticket", "Order ticket", self.ticket, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("risk", "Risk", self.account, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock(
            "positions", "Positions", self.positions, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self._add_dock("log", "Event log", self.log_view, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.docks["chart"], self.docks["ticket"], Qt.Orientation.Horizontal)
        self.splitDockWidget(self.docks["ticket"], self.docks["risk"], Qt.Orientation.Vertical)
        self.splitDockWidget(self.docks["chart"], self.docks["positions"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["positions"], self.docks["log"])
        self.docks["positions"].raise_()
        self.resizeDocks(
            [self.docks["chart"], self.docks["ticket"]], [1050, 350], Qt.Orientation.Horizontal
        )
        self.resizeDocks(
            [self.docks["chart"], self.docks["positions"]], [600, 220], Qt.Orientation.Vertical
        )

        self._build_toolbar()
        self._build_menus()
        self._build_status_bar()
        self._connect_bus()
        self.restore_layout()

    # -- construction ---------------------------------------------------------------
    def _add_dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    def _build_toolbar(self) -> None:
        bar = QToolBar("Chart", self)
        bar.setObjectName("toolbar_chart")
        bar.addWidget(QLabel(" Symbol "))
        self.chart_symbol = QComboBox()
        self.chart_symbol.setObjectName("chart_symbol")
        self.chart_symbol.setMinimumWidth(110)
        self.chart_symbol.currentTextChanged.connect(self.show_symbol)
        bar.addWidget(self.chart_symbol)
        self.addToolBar(bar)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        trade = self.menuBar().addMenu("&Trade")
        self.new_order_action = QAction("&New order", self)
        self.new_order_action.setShortcut(QKeySequence(Qt.Key.Key_F9))
        self.new_order_action.triggered.connect(self.focus_ticket)
        trade.addAction(self.new_order_action)
        trade.addAction(self.positions.close_action)

        view = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())

    def _build_status_bar(self) -> None:
        self.broker_label = QLabel("Broker: —")
        self.connection_label = QLabel("Disconnected")
        self.connection_label.setObjectName("status_connection")
        self.rate_label = QLabel("0 ticks/s")
        self.rate_label.setObjectName("status_rate")
        for label in (self.broker_label, self.connection_label, self.rate_label):
            self.statusBar().addPermanentWidget(label)

    def _connect_bus(self) -> None:
        bus = self._bus
        bus.frame.connect(self.on_frame)
        bus.history.connect(self.on_history)
        bus.symbols.connect(self.on_symbols)
        bus.connection.connect(self.on_connection)
        bus.log.connect(self.on_log)
        bus.order.connect(self.ticket.on_order_update)
        bus.engine_failed.connect(self.on_engine_failed)
        self.ticket.symbol_changed.connect(self._sync_chart_symbol)
        self.positions.close_requested.connect(self.close_positions)

    # -- commands -------------------------------------------------------------------
    def send(self, command: Command) -> None:
        self._bus.command.emit(command)

    def focus_ticket(self) -> None:
        self.docks["ticket"].show()
        self.docks["ticket"].raise_()
        self.ticket.focus()

    def show_symbol(self, symbol: str) -> None:
        spec = self._specs.get(symbol)
        if spec is None:
            return
        self.chart.set_symbol_spec(spec)
        self.ticket.set_current_symbol(symbol)
        self.send(RequestHistory(symbol))

    def close_positions(self, positions: list[Position]) -> None:
        if not positions:
            return
        if not self._one_click:
            listing = "\n".join(
                f"#{p.ticket} {p.side} {p.volume:g} {p.symbol} ({p.profit:+,.2f})"
                for p in positions
            )
            if not self._confirm(
                "Close positions", f"Close these positions at market?\n\n{listing}"
            ):
                return
        for p in positions:
            self.send(ClosePosition(p.ticket, source=OrderSource.TABLE))

    # -- bus events -----------------------------------------------------------------
    def on_symbols(self, specs: tuple[SymbolSpec, ...]) -> None:
        self._specs = {s.name: s for s in specs}
        self.positions_model.set_specs(self._specs)
        current = self.chart.symbol or self._default_symbol
        if current not in self._specs:
            current = specs[0].name if specs else ""
        self.ticket.set_symbols(self._specs, current)
        self.chart_symbol.blockSignals(True)
        self.chart_symbol.clear()
        self.chart_symbol.addItems(list(self._specs))
        self.chart_symbol.setCurrentText(current)
        self.chart_symbol.blockSignals(False)
        self.show_symbol(current)

    def on_history(self, history: BarHistory) -> None:
        if history.symbol == self.chart.symbol:
            self.chart.set_history(history)

    def on_frame(self, frame: MarketFrame) -> None:
        try:
            symbol = self.chart.symbol
            if symbol is not None:
                bar = frame.bars.get(symbol)
                if bar is not None:
                    self.chart.update_bar(bar)
                quote = frame.quotes.get(symbol)
                if quote is not None:
                    self.chart.set_quote(quote)
            if frame.quotes:
                self.ticket.update_quotes(frame.quotes)
            if frame.positions is not None:
                self.positions_model.update_positions(frame.positions)
            if frame.account is not None:
                self.account.update_account(frame.account)
            self._count_ticks(frame.tick_count)
        finally:
            self._bus.frame_consumed.emit(frame.seq)

    def on_connection(self, state: ConnectionState) -> None:
        colors = {
            ConnectionStatus.CONNECTED: PROFIT,
            ConnectionStatus.CONNECTING: WARNING,
            ConnectionStatus.DISCONNECTED: LOSS,
        }
        self.connection_label.setText(state.status.capitalize())
        self.connection_label.setStyleSheet(
            f"color: {colors[state.status].name()}; font-weight: bold"
        )
        if state.status is ConnectionStatus.CONNECTED:
            self.broker_label.setText(f"Broker: {state.broker}")
        if state.detail and state.status is ConnectionStatus.DISCONNECTED:
            self.connection_label.setToolTip(state.detail)

    def on_log(self, event: LogEvent) -> None:
        self.log_model.add(event)

    def on_engine_failed(self, details: str) -> None:
        self.statusBar().showMessage("Engine error: see the event log", 10_000)

    # -- helpers --------------------------------------------------------------------
    def _sync_chart_symbol(self, symbol: str) -> None:
        if symbol != self.chart_symbol.currentText():
            self.chart_symbol.setCurrentText(symbol)

    def _count_ticks(self, count: int) -> None:
        now = time.monotonic()
        window = self._tick_window
        window.append((now, count))
        while window and now - window[0][0] > 1.0:
            window.pop(0)
        self.rate_label.setText(f"{sum(c for _, c in window):,} ticks/s")

    # -- layout persistence ---------------------------------------------------------
    def _layout_store(self) -> QSettings | None:
        if self._state_file is None:
            return None
        return QSettings(str(self._state_file), QSettings.Format.IniFormat)

    def restore_layout(self) -> bool:
        store = self._layout_store()
        if store is None:
            return False
        geometry = store.value("window/geometry")
        state = store.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            return self.restoreState(state, LAYOUT_VERSION)
        return False

    def save_layout(self) -> None:
        store = self._layout_store()
        if store is None:
            return
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState(LAYOUT_VERSION))
        store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self._closed = True
            self.save_layout()
            self.closing.emit()
        super().closeEvent(event)
