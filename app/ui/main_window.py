"""The main window: docks for chart, ticket, risk, positions and the event log.

It subscribes to the bus, hands each frame's state to the panels, and turns
user actions into commands. It never waits on the engine.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.domain.command_parser import ParsedCommand
from app.domain.commands import (
    ClosePosition,
    Command,
    Halt,
    RequestHistory,
    Resume,
    UpdateRiskLimits,
    WatchBars,
)
from app.domain.enums import ConnectionStatus, LogLevel, OrderSource
from app.domain.frame import MarketFrame
from app.domain.market import BarHistory
from app.domain.notices import ConnectionState, LogEvent
from app.domain.risk_facts import RiskBreach, RiskFact, RiskWarning
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.domain.trading import Position
from app.engine.bus import EventBus
from app.ui.dialogs.risk_limits import RiskLimitsDialog
from app.ui.dialogs.telegram import TelegramBackend, TelegramSettingsDialog
from app.ui.dialogs.trade_history import HistoryWindow
from app.ui.panels.account import AccountPanel
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.trading_lines import ChartTrading
from app.ui.panels.event_log import EventLogModel, EventLogView
from app.ui.panels.market_watch import MarketWatchModel, MarketWatchView
from app.ui.panels.orders import OrdersModel, OrdersView
from app.ui.panels.positions import PositionsModel, PositionsView
from app.ui.panels.risk import RiskPanel
from app.ui.panels.ticket import OrderTicket
from app.ui.runtime.frame_pacing import PaintedAcknowledger
from app.ui.runtime.window_state import fit_to_screen, keep_on_screen, restore_header, save_header
from app.ui.trading_actions import TradingActions
from app.ui.widgets.steady_label import SteadyLabel
from app.ui.widgets.theme import LOSS, PROFIT, WARNING

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
        fit_to_screen(self)  # first start: a HiDPI or small screen gets a window that fits
        self.setDockNestingEnabled(True)
        self._bus = bus
        self._default_symbol = default_symbol
        self._one_click = one_click_trading
        self._confirm = confirm
        self._state_file = state_file
        self._specs: dict[str, SymbolSpec] = {}
        self._tick_window: deque[tuple[float, int]] = deque()
        self._rate_shown_at = 0.0
        self._closed = False

        self.chart = ChartPanel()
        self.chart.set_timeframe(Timeframe.M1)
        self.market_watch_model = MarketWatchModel()
        self.market_watch = MarketWatchView(self.market_watch_model)
        self.ticket = OrderTicket(self.trade, default_volume)
        self.chart_trading = ChartTrading(
            self.chart,
            lambda text, source: self.ticket.send_text(text, source),
            self._ticket_volume,
        )
        self.account = AccountPanel()
        self.risk_panel = RiskPanel()
        self.risk_dialog: RiskLimitsDialog | None = None
        self.positions_model = PositionsModel()
        self.positions = PositionsView(self.positions_model)
        self.positions.setObjectName("positions_table")
        self.orders_model = OrdersModel()
        self.orders = OrdersView(self.orders_model)
        self.orders.setObjectName("orders_table")
        self.log_model = EventLogModel()
        self.log_view = EventLogView(self.log_model)
        self.log_view.setObjectName("event_log_table")

        placeholder = QWidget()  # every panel is a dock; the central area stays empty
        placeholder.hide()
        self.setCentralWidget(placeholder)
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock(
            "market_watch", "Market watch", self.market_watch, Qt.DockWidgetArea.TopDockWidgetArea
        )
        self._add_dock("chart", "Chart", self.chart, Qt.DockWidgetArea.TopDockWidgetArea)
        self.splitDockWidget(
            self.docks["market_watch"], self.docks["chart"], Qt.Orientation.Horizontal
        )
        self._add_dock("ticket", "Order ticket", self.ticket, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("risk", "Risk", self._risk_column(), Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock(
            "positions", "Positions", self.positions, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self._add_dock("orders", "Orders", self.orders, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._add_dock("log", "Event log", self.log_view, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.docks["chart"], self.docks["ticket"], Qt.Orientation.Horizontal)
        self.splitDockWidget(self.docks["ticket"], self.docks["risk"], Qt.Orientation.Vertical)
        self.splitDockWidget(self.docks["chart"], self.docks["positions"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["positions"], self.docks["orders"])
        self.tabifyDockWidget(self.docks["positions"], self.docks["log"])
        self.docks["positions"].raise_()
        self.resizeDocks(
            [self.docks["market_watch"], self.docks["chart"], self.docks["ticket"]],
            [420, 630, 350],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks(
            [self.docks["chart"], self.docks["positions"]], [600, 220], Qt.Orientation.Vertical
        )

        self._build_toolbar()
        self.history_window: HistoryWindow | None = None
        self._build_menus()
        self._build_status_bar()
        self._connect_bus()
        self.restore_layout()

    # -- construction ---------------------------------------------------------------
    def _risk_column(self) -> QWidget:
        """The "risk" dock: the account's money above the risk gate's panel, scrollable."""
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.account)
        layout.addWidget(self.risk_panel)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("risk_column")
        scroll.setWidgetResizable(True)
        scroll.setWidget(column)
        return scroll

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
        bar.addSeparator()
        # One checkable button per timeframe; Ctrl+1 … Ctrl+7 from anywhere in the window.
        self.timeframe_group = QActionGroup(self)
        self.timeframe_actions: dict[Timeframe, QAction] = {}
        for number, timeframe in enumerate(Timeframe, start=1):
            action = QAction(timeframe.name, self)
            action.setObjectName(f"action_timeframe_{timeframe.name}")
            action.setCheckable(True)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setToolTip(f"{timeframe.name} bars (Ctrl+{number})")
            action.triggered.connect(lambda _=False, tf=timeframe: self.show_timeframe(tf))
            self.timeframe_group.addAction(action)
            self.timeframe_actions[timeframe] = action
            bar.addAction(action)
        self.timeframe_actions[Timeframe.M1].setChecked(True)
        self.addToolBar(bar)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.history_action = QAction("Trade &history…", self)
        self.history_action.setObjectName("action_trade_history")
        self.history_action.setShortcut(QKeySequence("Ctrl+H"))
        self.history_action.triggered.connect(self.open_trade_history)
        file_menu.addAction(self.history_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        # Not StandardKey.Quit: Windows has none, and Ctrl+Q must quit there too.
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        trade = self.menuBar().addMenu("&Trade")
        self.new_order_action = QAction("&New order", self)
        self.new_order_action.setShortcut(QKeySequence(Qt.Key.Key_F9))
        self.new_order_action.triggered.connect(self.focus_ticket)
        trade.addAction(self.new_order_action)
        trade.addAction(self.positions.close_action)
        self.trading = TradingActions(
            self,
            self.ticket,
            self.positions,
            self.orders,
            specs=lambda: self._specs,
            confirm=lambda title, text: self._confirm(title, text),
            one_click=self._one_click,
            emit=self.send,
            status=lambda text: self.statusBar().showMessage(text, 8000),
        )
        self.trading.populate(trade)
        trade.addSeparator()
        self.halt_action = QAction("&Halt trading (kill switch)", self)
        self.halt_action.setObjectName("action_halt")
        self.halt_action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.halt_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.halt_action.triggered.connect(lambda: self.halt_trading(flatten=False))
        trade.addAction(self.halt_action)
        self.flatten_action = QAction("Halt and &flatten everything…", self)
        self.flatten_action.triggered.connect(lambda: self.halt_trading(flatten=True))
        trade.addAction(self.flatten_action)
        self.resume_action = QAction("&Resume trading", self)
        self.resume_action.triggered.connect(self.resume_trading)
        trade.addAction(self.resume_action)

        settings_menu = self.menuBar().addMenu("&Settings")
        self.preferences_action = QAction("&Preferences…", self)
        self.preferences_action.setObjectName("action_preferences")
        self.preferences_action.setShortcut(QKeySequence("Ctrl+,"))
        settings_menu.addAction(self.preferences_action)
        settings_menu.addSeparator()
        self.risk_limits_action = QAction("Risk &limits…", self)
        self.risk_limits_action.triggered.connect(self.edit_risk_limits)
        settings_menu.addAction(self.risk_limits_action)
        self.telegram_action = QAction("&Telegram…", self)
        self.telegram_action.setObjectName("action_telegram_settings")
        self.telegram_action.setEnabled(False)  # until the app hands over a backend
        self.telegram_action.triggered.connect(self.open_telegram_settings)
        settings_menu.addAction(self.telegram_action)

        view = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())

    def _build_status_bar(self) -> None:
        self.broker_label = QLabel("Broker: —")
        self.connection_label = QLabel("Disconnected")
        self.connection_label.setObjectName("status_connection")
        self.rate_label = SteadyLabel("0 ticks/s")
        self.rate_label.setObjectName("status_rate")
        self.telegram_label = QLabel("Telegram: off")
        self.telegram_label.setObjectName("status_telegram")
        for label in (
            self.broker_label,
            self.connection_label,
            self.rate_label,
            self.telegram_label,
        ):
            self.statusBar().addPermanentWidget(label)
        self._telegram_backend: TelegramBackend | None = None

    def _connect_bus(self) -> None:
        bus = self._bus
        self._frame_ack = PaintedAcknowledger(bus.frame_consumed.emit, self)
        bus.frame.connect(self.on_frame)
        bus.history.connect(self.on_history)
        bus.symbols.connect(self.on_symbols)
        bus.connection.connect(self.on_connection)
        bus.log.connect(self.on_log)
        bus.order.connect(self.ticket.on_order_update)
        bus.engine_failed.connect(self.on_engine_failed)
        bus.risk.connect(self.on_risk)
        self.risk_panel.halt_requested.connect(lambda flatten: self.halt_trading(flatten=flatten))
        self.risk_panel.resume_requested.connect(self.resume_trading)
        self.ticket.symbol_changed.connect(self._sync_chart_symbol)
        self.ticket.problem.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.positions.close_requested.connect(self.close_positions)
        self.market_watch.symbol_activated.connect(self.open_symbol)

    # -- commands -------------------------------------------------------------------
    def send(self, command: Command) -> None:
        self._bus.command.emit(command)

    def trade(self, parsed: ParsedCommand) -> bool:
        """Every order from the ticket, tables and chart: confirm (rule in TradingActions), send."""
        return self.trading.trade(parsed)

    def _ticket_volume(self) -> float:
        """The ticket's volume if it is a number, else the default (the chart's orders)."""
        try:
            return float(self.ticket.volume.text().replace(",", "."))
        except ValueError:
            return self.ticket.default_volume

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
        self.chart_trading.refresh()
        self.send(RequestHistory(symbol, self.chart.timeframe or Timeframe.M1))

    def show_timeframe(self, timeframe: Timeframe) -> None:
        """Switch the chart's bar period; the engine answers with that history."""
        self.timeframe_actions[timeframe].setChecked(True)
        if self.chart.set_timeframe(timeframe) and self.chart.symbol in self._specs:
            self.send(RequestHistory(self.chart.symbol, timeframe))

    def open_symbol(self, symbol: str) -> None:
        """From the market watch: show ``symbol`` in the chart and the ticket, ready to trade."""
        if symbol not in self._specs:
            return
        if symbol != self.chart_symbol.currentText():
            self.chart_symbol.setCurrentText(symbol)  # -> show_symbol
        self.focus_ticket()

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

    def halt_trading(self, *, flatten: bool) -> None:
        """The kill switch halts at once; flattening everything asks first."""
        if flatten:
            question = "Halt trading, cancel every working order and close every position?"
            if not self._confirm("Halt and flatten", question):
                return
        reason = "kill switch, flatten everything" if flatten else "kill switch"
        self.send(Halt(reason, flatten=flatten, source=OrderSource.TICKET))

    def resume_trading(self) -> None:
        self.send(Resume(source=OrderSource.TICKET))

    def edit_risk_limits(self) -> None:
        """Open the limits editor without blocking; an accepted change goes to the engine."""
        dialog = RiskLimitsDialog(self.risk_panel.limits, self)
        self.risk_dialog = dialog

        def send() -> None:
            if dialog.result_limits is not None:
                self.send(UpdateRiskLimits(dialog.result_limits, OrderSource.TICKET))

        dialog.accepted.connect(send)
        dialog.open()

    # -- bus events -----------------------------------------------------------------
    def open_trade_history(self) -> HistoryWindow:
        """Show the trade history window (one per main window) and load its range."""
        if self.history_window is None:
            self.history_window = HistoryWindow(self.send, parent=self)
            self._bus.trade_history.connect(self.history_window.on_trade_history)
        window = self.history_window
        window.set_symbols(self._specs)
        window.show()
        window.raise_()
        window.activateWindow()
        window.request()
        return window

    def on_symbols(self, specs: tuple[SymbolSpec, ...]) -> None:
        self._specs = {s.name: s for s in specs}
        self.positions_model.set_specs(self._specs)
        self.orders_model.set_specs(self._specs)
        self.chart_trading.set_specs(self._specs)
        self.market_watch.set_symbols(specs)
        # Frames then carry every symbol's D1 bar: its open is the daily change's base.
        self.send(WatchBars("market_watch", tuple((s.name, Timeframe.D1) for s in specs)))
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
        # The chart ignores history of another symbol or timeframe (a late answer).
        self.chart.set_history(history)

    def on_frame(self, frame: MarketFrame) -> None:
        try:
            symbol, timeframe = self.chart.symbol, self.chart.timeframe
            if symbol is not None and timeframe is not None:
                bar = frame.bars.get((symbol, timeframe))
                if bar is not None:
                    self.chart.update_bar(bar)
                quote = frame.quotes.get(symbol)
                if quote is not None:
                    self.chart.set_quote(quote)
            if frame.quotes or frame.bars:
                self.market_watch_model.apply(frame.quotes, frame.bars.values())
            if frame.quotes:
                self.ticket.update_quotes(frame.quotes)
                self.orders_model.update_quotes(frame.quotes)
                self.chart_trading.update_quotes(frame.quotes)
            if frame.positions is not None:
                self.positions_model.update_positions(frame.positions)
                self.ticket.update_positions(frame.positions)
            if frame.orders is not None:
                self.orders_model.update_orders(frame.orders)
                self.ticket.update_orders(frame.orders)
            if frame.positions is not None or frame.orders is not None:
                self.chart_trading.update(frame.positions, frame.orders)
            if frame.risk is not None:
                self.risk_panel.update_snapshot(frame.risk)
            if frame.account is not None:
                self.account.update_account(frame.account)
                self.ticket.update_account(frame.account)
                self.chart_trading.set_currency(frame.account.currency)
            self._count_ticks(frame.tick_count)
        finally:
            self._frame_ack.frame_applied(frame.seq)  # acknowledged after the repaint

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

    def on_risk(self, fact: RiskFact) -> None:
        """Risk facts go to the panel and the event log (order rejections are logged already)."""
        self.risk_panel.add_fact(fact)
        if isinstance(fact, RiskBreach) and fact.client_id:
            return
        level = LogLevel.ERROR if isinstance(fact, RiskBreach) else LogLevel.WARNING
        if not isinstance(fact, RiskBreach | RiskWarning):
            level = LogLevel.WARNING if fact.new.value != "active" else LogLevel.INFO
        self.log_model.add(LogEvent(level, "risk", fact.message, fact.time))

    def on_log(self, event: LogEvent) -> None:
        self.log_model.add(event)

    def bring_to_front(self) -> None:
        """A second launch asked for this window: restore, raise and focus it."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # -- Telegram -------------------------------------------------------------------
    def set_telegram_backend(self, backend: TelegramBackend) -> None:
        """Enable Settings → Telegram… (the backend comes from app.notify via app.cli)."""
        self._telegram_backend = backend
        self.telegram_action.setEnabled(True)

    def open_telegram_settings(self) -> TelegramSettingsDialog | None:
        if self._telegram_backend is None:
            return None
        dialog = TelegramSettingsDialog(self._telegram_backend, self)
        dialog.setModal(False)
        dialog.show()
        return dialog

    def set_telegram_status(self, state: str, detail: str, merged: int, dropped: int) -> None:
        """The bot's state (off / connecting / online / offline) and its merge/drop count."""
        text = f"Telegram: {state}"
        if state == "offline":
            text += " (retrying)" if "retrying" in detail or not detail else ""
        counts = [f"{merged} merged" if merged else "", f"{dropped} dropped" if dropped else ""]
        if any(counts):
            text += " · " + ", ".join(c for c in counts if c)
        colors = {"online": PROFIT, "connecting": WARNING, "offline": LOSS}
        color = colors.get(state)
        self.telegram_label.setText(text)
        self.telegram_label.setStyleSheet(f"color: {color.name()}" if color else "")
        self.telegram_label.setToolTip(detail)

    def on_engine_failed(self, details: str) -> None:
        self.statusBar().showMessage("Engine error: see the event log", 10_000)

    # -- helpers --------------------------------------------------------------------
    def _sync_chart_symbol(self, symbol: str) -> None:
        if symbol != self.chart_symbol.currentText():
            self.chart_symbol.setCurrentText(symbol)

    def _count_ticks(self, count: int) -> None:
        """Ticks in the last second; the label changes at most 4 times a second.

        Frames can come a thousand times a second in a quiet market (each tick
        is sent at once); relaying out the status bar for each would cost more
        than the frame itself.
        """
        now = time.monotonic()
        window = self._tick_window
        window.append((now, count))
        while window and now - window[0][0] > 1.0:
            window.popleft()
        if now - self._rate_shown_at >= 0.25:
            self._rate_shown_at = now
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
            keep_on_screen(self)  # its monitor may be gone since last time
        for view in self._persistent_tables():
            restore_header(store, view.objectName(), view.horizontalHeader())
        symbol = store.value("chart/symbol")
        if isinstance(symbol, str) and symbol:
            self._default_symbol = symbol
        timeframe = store.value("chart/timeframe")
        if isinstance(timeframe, str) and timeframe in Timeframe.__members__:
            self.show_timeframe(Timeframe[timeframe])
        if isinstance(state, QByteArray):
            return self.restoreState(state, LAYOUT_VERSION)
        return False

    def _persistent_tables(self) -> list[QTableView]:
        """Tables whose column widths and sort order are remembered (named ones)."""
        return [view for view in self.findChildren(QTableView) if view.objectName()]

    def save_layout(self) -> None:
        store = self._layout_store()
        if store is None:
            return
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState(LAYOUT_VERSION))
        for view in self._persistent_tables():
            save_header(store, view.objectName(), view.horizontalHeader())
        if self.chart.symbol:
            store.setValue("chart/symbol", self.chart.symbol)
        if self.chart.timeframe is not None:
            store.setValue("chart/timeframe", self.chart.timeframe.name)
        store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self._closed = True
            self.save_layout()
            self.closing.emit()
        super().closeEvent(event)
