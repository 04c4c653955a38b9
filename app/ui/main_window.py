"""The main window: the composition root of the desk's panels, menus and status bar.

It builds the desk model and the order desk, adds every panel through one
helper (``add_panel``: key, title, widget, area and its View-menu entry), feeds
the desk model from the bus (each frame once, and the facts), and shows the
trading state where a trader looks first: the title, the status bar, the
ticket. It never waits on the engine.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.domain.commands import Command, UpdateRiskLimits, WatchBars
from app.domain.enums import ConnectionStatus, LogLevel, OrderSource, TradingState
from app.domain.frame import MarketFrame
from app.domain.market import BarHistory
from app.domain.notices import ConnectionState, LogEvent
from app.domain.risk_facts import RiskBreach, RiskFact, RiskWarning
from app.domain.risk_limits import RiskLimits
from app.domain.strategies import StopStrategy, StrategyStatus
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.engine.bus import EventBus
from app.engine.history_library import StoredChart
from app.paths import user_data_dir
from app.ui.desk.model import DeskChange, DeskModel
from app.ui.desk.orders import ConfirmFn, OrderDesk
from app.ui.dialogs.risk_limits import RiskLimitsDialog
from app.ui.dialogs.shortcuts import ShortcutsDialog
from app.ui.dialogs.symbol_spec import SymbolSpecDialog
from app.ui.dialogs.telegram import TelegramBackend, TelegramSettingsDialog
from app.ui.dialogs.trade_history import HistoryWindow
from app.ui.history.chart import stored_spec
from app.ui.history.menus import HistoryWindows
from app.ui.panels.account import AccountPanel
from app.ui.panels.alerts import AlertsPanel
from app.ui.panels.chart.alert_lines import ChartAlerts
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.price_styles import ChartType
from app.ui.panels.chart.tools import ChartTools
from app.ui.panels.chart.trading_lines import ChartTrading
from app.ui.panels.event_log import EventLogModel, EventLogView
from app.ui.panels.market_watch import MarketWatchModel, MarketWatchView
from app.ui.panels.orders import OrdersModel, OrdersView
from app.ui.panels.positions import PositionsModel, PositionsView
from app.ui.panels.risk import RiskPanel
from app.ui.panels.strategies import StrategiesPanel
from app.ui.panels.ticket import OrderTicket
from app.ui.runtime.frame_pacing import PaintedAcknowledger
from app.ui.runtime.window_state import (
    fill_screen,
    fits_screen,
    keep_on_screen,
    restore_header,
    save_header,
    saved_window_size,
)
from app.ui.tester.window import StrategyTesterWindow
from app.ui.trading_actions import TradingActions
from app.ui.widgets.steady_label import SteadyLabel
from app.ui.widgets.theme import LOSS, PROFIT, WARNING
from app.ui.workspace.chart_set import (
    DocumentError,
    NamedDocuments,
    chart_set_from,
    chart_set_from_json,
    chart_set_json,
    template_document,
    template_from,
)
from app.ui.workspace.charts import ChartWindow, ChartWorkspace
from app.ui.workspace.strategy_indicators import show_strategy_indicators

LAYOUT_VERSION = 4  # 4: the tables share the top dock area (3: several charts in one dock)
TITLE = "Tradeterm"
_AREA = Qt.DockWidgetArea


def ask_user(title: str, text: str) -> bool:
    answer = QMessageBox.question(
        None,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def open_folder(path: Path) -> bool:
    """Show ``path`` in the system's file manager (created first if missing)."""
    path.mkdir(parents=True, exist_ok=True)
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


LAYOUT_AUTOSAVE_MS = 60_000  # how often the layout is saved while the window is open


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
        log_file: Path | None = None,
        open_path: Callable[[Path], bool] = open_folder,
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        fill_screen(self)  # a first start opens on the whole screen, as trading terminals do
        self.setDockNestingEnabled(True)
        self._layout_restored = False
        self._layout_fitted = False
        self._bus = bus
        self._default_symbol = default_symbol
        self._state_file = state_file
        self._log_file = log_file
        self._open_path = open_path
        self._tick_window: deque[tuple[float, int]] = deque()
        self._rate_shown_at = 0.0
        self._closed = False
        self._quit_confirmed = False
        self._confirm = confirm
        self._listing_symbols = False
        # The layout (charts, indicators, docks) is also saved every minute, not only on
        # quitting: a crash or a power cut then costs at most a minute of arranging.
        self.layout_autosave = QTimer(self)
        self.layout_autosave.setInterval(LAYOUT_AUTOSAVE_MS)
        self.layout_autosave.timeout.connect(self.save_layout)
        if state_file is not None:
            self.layout_autosave.start()

        self.desk = DeskModel()
        self.order_desk = OrderDesk(
            self.desk,
            self.send,
            confirm=confirm,
            default_volume=default_volume,
            one_click=one_click_trading,
            report=lambda text: self.statusBar().showMessage(text, 8000),
        )
        self.market_watch_model = MarketWatchModel(self.desk)
        self.market_watch = MarketWatchView(self.market_watch_model)
        self.ticket = OrderTicket(self.order_desk)
        self.workspace = ChartWorkspace(self.desk, self.order_desk, self.send, self._ticket_volume)
        self.workspace.new_chart()
        folder = state_file.parent if state_file is not None else None
        self.profiles = NamedDocuments(folder / "profiles", "profile") if folder else None
        self.templates = NamedDocuments(folder / "templates", "template") if folder else None
        self.name_dialog: QInputDialog | None = None
        self.chart_tools = ChartTools(  # Insert menu, Data Window; indicators live per chart
            self, lambda: self.chart, lambda text: self.statusBar().showMessage(text, 8000)
        )
        self.account = AccountPanel()
        self.risk_panel = RiskPanel()
        self.risk_dialog: RiskLimitsDialog | None = None
        # Keeps accepted risk limits across restarts (the settings file): set by the app.
        self.keep_risk_limits: Callable[[RiskLimits], str] | None = None
        self._limits_to_keep: RiskLimits | None = None
        self.positions_model = PositionsModel(self.desk)
        self.positions = PositionsView(self.positions_model)
        self.positions.setObjectName("positions_table")
        self.orders_model = OrdersModel(self.desk)
        self.orders = OrdersView(self.orders_model)
        self.orders.setObjectName("orders_table")
        self.log_model = EventLogModel()
        self.log_view = EventLogView(self.log_model)
        self.log_view.setObjectName("event_log_table")
        self.strategies = StrategiesPanel(
            self.send,
            self.desk,
            confirm=confirm,
            timeframe=lambda: self.workspace.active.chart.timeframe,
            close_positions=self._close_strategy_positions,
            show_indicators=self._show_strategy_indicators,
        )
        self.alerts = AlertsPanel(self.send, self.desk, confirm=confirm)
        self.chart_alerts: dict[str, ChartAlerts] = {}  # by chart watcher id
        self.workspace.chart_opened.connect(self._add_chart_alerts)
        for window in self.workspace.windows:
            self._add_chart_alerts(window)
        self.trading = TradingActions(
            self,
            self.order_desk,
            self.ticket,
            self.positions,
            self.orders,
            status=lambda text: self.statusBar().showMessage(text, 8000),
        )
        self.halt_action = self.trading.halt_action
        self.flatten_action = self.trading.halt_flatten_action
        self.resume_action = self.trading.resume_action

        # Every panel is a dock; the central area stays empty: a widget of no height,
        # not a hidden one (with the centre hidden, Qt restored the saved dock widths
        # some 30 px off each time, so the right column widened at every restart).
        placeholder = QWidget()
        placeholder.setMaximumHeight(0)
        self.setCentralWidget(placeholder)
        self.docks: dict[str, QDockWidget] = {}
        self.history_window: HistoryWindow | None = None
        self.stored_history = HistoryWindows(
            self,
            bus,
            self.send,
            self.desk,
            confirm=confirm,
            show_bars=self.show_stored_bars,
            status=lambda text: self.statusBar().showMessage(text, 8000),
        )
        self.tester_window: StrategyTesterWindow | None = None
        self._connected = False  # until the engine says so: the status bar never claims more
        self._build_toolbar()
        self._build_menus()
        self._build_panels()
        self._build_status_bar()
        self._connect_bus()
        self._show_trading_state()
        self.restore_layout()

    # -- panels ---------------------------------------------------------------------
    def add_panel(
        self,
        key: str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea,
        *,
        in_view_menu: bool = True,
    ) -> QDockWidget:
        """Dock ``widget`` as the panel ``key``: one call, with its View-menu entry.

        The dock's object name (``dock_<key>``) is what the saved layout knows it by.
        """
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        if in_view_menu:
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _build_panels(self) -> None:
        """The default layout: the ticket over the risk panel down the whole right side;
        market watch | chart above the positions, orders and event log tabs."""
        self.setCorner(Qt.Corner.TopRightCorner, _AREA.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, _AREA.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, _AREA.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.TopLeftCorner, _AREA.TopDockWidgetArea)
        self.add_panel("market_watch", "Market watch", self.market_watch, _AREA.TopDockWidgetArea)
        self.add_panel("chart", "Charts", self.workspace, _AREA.TopDockWidgetArea)
        ticket = _scrolled(self.ticket, "ticket_scroll")
        self.add_panel("ticket", "Order ticket", ticket, _AREA.RightDockWidgetArea)
        self.add_panel("risk", "Risk", self._risk_column(), _AREA.RightDockWidgetArea)
        self.add_panel("positions", "Positions", self.positions, _AREA.TopDockWidgetArea)
        self.add_panel("orders", "Orders", self.orders, _AREA.TopDockWidgetArea)
        self.add_panel("log", "Event log", self.log_view, _AREA.TopDockWidgetArea)
        self.add_panel("strategies", "Strategies", self.strategies, _AREA.TopDockWidgetArea)
        self.add_panel("alerts", "Alerts", self.alerts, _AREA.TopDockWidgetArea)
        self.chart_tools.add_panels(self)
        docks = self.docks
        self.splitDockWidget(docks["market_watch"], docks["positions"], Qt.Orientation.Vertical)
        self.splitDockWidget(docks["market_watch"], docks["chart"], Qt.Orientation.Horizontal)
        self.splitDockWidget(docks["ticket"], docks["risk"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(docks["positions"], docks["orders"])
        self.tabifyDockWidget(docks["positions"], docks["log"])
        self.tabifyDockWidget(docks["positions"], docks["strategies"])
        self.tabifyDockWidget(docks["positions"], docks["alerts"])
        docks["positions"].raise_()
        self.fit_default_layout()

    def fit_default_layout(self) -> None:
        """Share the window's room out: the chart gets what the side panels leave.

        The right column is as wide as the ticket needs (about 300 pixels at any
        scale), the market watch as wide as its five columns; the tables get a
        quarter of the height, the ticket what it needs above the risk panel.
        """
        width, height = max(self.width(), 640), max(self.height(), 400)
        ticket_width = self.ticket.minimumSizeHint().width() + 24  # and its scroll bar
        side = max(ticket_width, min(380, width // 4))
        market = min(self.market_watch.fitting_width(), max(200, width - side - 260))
        self.resizeDocks(
            [self.docks["market_watch"], self.docks["chart"], self.docks["ticket"]],
            [market, width - market - side, side],
            Qt.Orientation.Horizontal,
        )
        tables = max(120, height // 4)
        self.resizeDocks(
            [self.docks["chart"], self.docks["positions"]],
            [height - tables, tables],
            Qt.Orientation.Vertical,
        )
        # Room for a two-line preview and a status line besides the form.
        ticket = min(self.ticket.sizeHint().height() + 80, height * 3 // 5)
        self.resizeDocks(
            [self.docks["ticket"], self.docks["risk"]],
            [ticket, height - ticket],
            Qt.Orientation.Vertical,
        )

    def showEvent(self, event: QShowEvent) -> None:
        """The first show of a default layout shares out the window's final size."""
        super().showEvent(event)
        if not self._layout_restored and not self._layout_fitted:
            self._layout_fitted = True
            self.fit_default_layout()

    def _risk_column(self) -> QWidget:
        """The "risk" dock: the account's money above the risk gate's panel, scrollable."""
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.risk_panel.controls)  # the state and HALT first, never scrolled away
        layout.addWidget(self.account)
        layout.addWidget(self.risk_panel)
        layout.addStretch(1)
        return _scrolled(column, "risk_column")

    # -- menus, toolbar, status bar ---------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Chart", self)
        bar.setObjectName("toolbar_chart")
        bar.addWidget(QLabel(" Symbol "))
        self.chart_symbol = QComboBox()
        self.chart_symbol.setObjectName("chart_symbol")
        self.chart_symbol.setMinimumWidth(110)
        self.chart_symbol.currentTextChanged.connect(self.desk.select)
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
        bar.addSeparator()
        self.volume_action = QAction("Volume", self)
        self.volume_action.setObjectName("action_volume_pane")
        self.volume_action.setCheckable(True)
        self.volume_action.setChecked(True)
        self.volume_action.setToolTip("Show the volume pane under the price")
        self.volume_action.toggled.connect(lambda on: self.chart.set_volume_visible(on))
        bar.addAction(self.volume_action)
        bar.addSeparator()
        # The kill switch where it is always in view, whatever the layout and the screen.
        self.halt_button = QPushButton("HALT")
        self.halt_button.setObjectName("toolbar_halt")
        self.halt_button.setToolTip("Kill switch: halt trading at once (Ctrl+Shift+H)")
        self.halt_button.setStyleSheet(
            f"background: {LOSS.name()}; color: white; font-weight: bold; padding: 2px 10px"
        )
        self.halt_button.clicked.connect(
            lambda: self.trading.halt(OrderSource.TOOLBAR, flatten=False)
        )
        bar.addWidget(self.halt_button)
        self.addToolBar(bar)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.history_action = QAction("Trade &history…", self)
        self.history_action.setObjectName("action_trade_history")
        self.history_action.setShortcut(QKeySequence("Ctrl+H"))
        self.history_action.triggered.connect(self.open_trade_history)
        file_menu.addAction(self.history_action)
        file_menu.addSeparator()
        self.view_menu = QMenu("&View", self)  # add_panel fills it
        self.stored_history.add_to(file_menu, self.view_menu)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        # Not StandardKey.Quit: Windows has none, and Ctrl+Q must quit there too.
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.request_quit)
        file_menu.addAction(quit_action)

        trade = self.menuBar().addMenu("&Trade")
        self.new_order_action = QAction("&New order", self)
        self.new_order_action.setShortcut(QKeySequence(Qt.Key.Key_F9))
        self.new_order_action.triggered.connect(self.focus_ticket)
        trade.addAction(self.new_order_action)
        trade.addSeparator()
        self.trading.populate(trade)
        trade.addSeparator()
        self.strategies_action = QAction("S&trategies", self)
        self.strategies_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.strategies_action.triggered.connect(lambda: self.show_panel("strategies"))
        trade.addAction(self.strategies_action)
        self.alerts_action = QAction("&Alerts", self)
        self.alerts_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.alerts_action.triggered.connect(lambda: self.show_panel("alerts"))
        trade.addAction(self.alerts_action)

        self.chart_tools.populate(self.menuBar().addMenu("&Insert"))

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

        self.menuBar().addMenu(self.view_menu)  # add_panel fills it
        self._build_chart_menus()
        self.tester_action = QAction("Strategy &Tester…", self)
        self.tester_action.setObjectName("action_strategy_tester")
        # Not MT5's Ctrl+R: that reverses the selected position here.
        self.tester_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.tester_action.triggered.connect(self.open_strategy_tester)
        self.view_menu.addAction(self.tester_action)
        self.view_menu.addSeparator()

        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = QAction("&Keyboard shortcuts", self)
        self.shortcuts_action.setObjectName("action_shortcuts")
        self.shortcuts_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.shortcuts_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        self.open_log_action = QAction("Open the &log folder", self)
        self.open_log_action.triggered.connect(lambda: self.open_folder_of("log"))
        help_menu.addAction(self.open_log_action)
        self.open_data_action = QAction("Open the &data folder", self)
        self.open_data_action.triggered.connect(lambda: self.open_folder_of("data"))
        help_menu.addAction(self.open_data_action)
        help_menu.addSeparator()
        self.about_action = QAction("&About Tradeterm", self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)
        self.shortcuts_dialog: ShortcutsDialog | None = None

    def _build_chart_menus(self) -> None:
        """Charts (new, close, type, shift, scale, templates, profiles) and Window (arranging)."""
        charts = self.menuBar().addMenu("&Charts")
        self.charts_menu = charts
        self.new_chart_action = self._window_action(
            "&New chart", ("Ctrl+N",), lambda: self.new_chart(), charts
        )
        self.new_chart_action.setToolTip(
            "A new chart of the symbol selected in the market watch (or the current one)"
        )
        self.close_chart_action = self._window_action(
            "&Close chart", ("Ctrl+W", "Ctrl+F4"), lambda: self.workspace.close_chart(), charts
        )
        charts.addSeparator()
        self.chart_type_group = QActionGroup(self)
        self.chart_type_actions: dict[ChartType, QAction] = {}
        for kind, text, keys in (
            (ChartType.BARS, "&Bars", "Alt+1"),
            (ChartType.CANDLES, "Cand&lesticks", "Alt+2"),
            (ChartType.LINE, "L&ine", "Alt+3"),
        ):
            action = self._window_action(
                text, (keys,), partial(self.set_chart_type, kind), charts, checkable=True
            )
            action.setObjectName(f"action_chart_{kind}")
            self.chart_type_group.addAction(action)
            self.chart_type_actions[kind] = action
        self.chart_type_actions[ChartType.CANDLES].setChecked(True)
        charts.addSeparator()
        self.chart_shift_action = self._window_action(
            "Chart &shift", (), lambda: self._toggle_chart("shift"), charts, checkable=True
        )
        self.auto_scroll_action = self._window_action(
            "&Auto scroll", (), lambda: self._toggle_chart("scroll"), charts, checkable=True
        )
        self.auto_scroll_action.setChecked(True)
        self.fixed_scale_action = self._window_action(
            "&Fix the price scale", (), lambda: self._toggle_chart("scale"), charts, checkable=True
        )
        self.one_click_panel_action = self._window_action(
            "&One-click panel", ("Alt+O",), lambda: self._toggle_chart("one_click"), charts,
            checkable=True,
        )  # fmt: skip
        self.alert_at_crosshair_action = self._window_action(
            "Ale&rt at the crosshair", ("Alt+A",), self.alert_at_crosshair, charts
        )
        self.alert_at_crosshair_action.setToolTip(
            "An alert at the price under the mouse on the active chart (focus anywhere)"
        )
        charts.addSeparator()
        templates = charts.addMenu("&Templates")
        self.templates_menu = templates
        templates.aboutToShow.connect(lambda: self._fill_named_menu("template"))
        profiles = charts.addMenu("&Profiles")
        self.profiles_menu = profiles
        profiles.aboutToShow.connect(lambda: self._fill_named_menu("profile"))
        self._fill_named_menu("template")
        self._fill_named_menu("profile")

        window = self.menuBar().addMenu("&Window")
        self.arrange_actions: dict[str, QAction] = {}
        arrangements: tuple[tuple[str, str, tuple[str, ...]], ...] = (
            ("tabs", "&Tabs", ()),
            ("tile", "T&ile windows", ("Alt+R",)),
            ("cascade", "&Cascade windows", ()),
            ("maximised", "&Maximise the active chart", ()),
        )
        for arrangement, text, arrange_keys in arrangements:
            action = self._window_action(
                text, arrange_keys, partial(self.workspace.arrange, arrangement), window
            )
            self.arrange_actions[arrangement] = action
        window.addSeparator()
        self.next_chart_action = self._window_action(
            "&Next chart", ("Ctrl+Tab",), lambda: self.workspace.cycle(1), window
        )
        self.previous_chart_action = self._window_action(
            "&Previous chart", ("Ctrl+Shift+Tab", "Ctrl+Backtab"),
            lambda: self.workspace.cycle(-1), window,
        )  # fmt: skip

    def _window_action(
        self,
        text: str,
        keys: tuple[str, ...],
        slot: Callable[[], object],
        menu: QMenu,
        *,
        checkable: bool = False,
    ) -> QAction:
        """A menu item whose keys work anywhere in the window."""
        action = QAction(text, self)
        action.setCheckable(checkable)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        self.addAction(action)  # the keys work with the menu bar hidden too
        return action

    def _fill_named_menu(self, noun: str) -> None:
        """The Templates or Profiles menu: save, then one item per saved name, then delete."""
        menu = self.templates_menu if noun == "template" else self.profiles_menu
        store = self.templates if noun == "template" else self.profiles
        menu.clear()
        save = menu.addAction(f"&Save {noun} as…")
        save.triggered.connect(lambda _=False: self.ask_name(noun))
        save.setEnabled(store is not None)
        names = store.names() if store is not None else []
        if names:
            menu.addSeparator()
        for name in names:
            verb = self.apply_template if noun == "template" else self.load_profile
            menu.addAction(name).triggered.connect(lambda _=False, n=name, v=verb: v(n))
        if names:
            delete = menu.addMenu(f"&Delete {noun}")
            for name in names:
                delete.addAction(name).triggered.connect(
                    lambda _=False, n=name: self.delete_named(noun, n)
                )

    def _build_status_bar(self) -> None:
        self.trading_state_label = QLabel("")
        self.trading_state_label.setObjectName("status_trading_state")
        self.broker_label = QLabel("Broker: —")
        self.connection_label = QLabel("Disconnected")
        self.connection_label.setObjectName("status_connection")
        self.rate_label = SteadyLabel("0 ticks/s")
        self.rate_label.setObjectName("status_rate")
        self.telegram_label = QLabel("Telegram: off")
        self.telegram_label.setObjectName("status_telegram")
        for label in (
            self.trading_state_label,
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
        self.strategies.listen(bus)
        bus.strategy.connect(self.desk.apply_strategy)  # owners' names in Positions/Orders
        self.alerts.listen(bus)
        bus.alerts.connect(self._on_alert_fact_for_charts)
        self.desk.subscribe(self._on_desk)
        self.risk_panel.halt_requested.connect(
            lambda flatten: self.trading.halt(OrderSource.PANEL, flatten=flatten)
        )
        self.risk_panel.resume_requested.connect(lambda: self.trading.resume(OrderSource.PANEL))
        self.market_watch.symbol_activated.connect(self.open_symbol)
        self.market_watch.order_requested.connect(self.open_symbol)
        self.market_watch.new_chart_requested.connect(self.new_chart)
        self.workspace.active_changed.connect(self._on_active_chart)
        self.workspace.message.connect(self.tell)
        self.market_watch.specification_requested.connect(self.show_specification)

    # -- commands -------------------------------------------------------------------
    def send(self, command: Command) -> None:
        """Put ``command`` on the bus; orders reach here only through the order desk."""
        self._bus.command.emit(command)

    def _ticket_volume(self) -> float:
        """The ticket's volume if it is a number, else the default (the chart's orders)."""
        try:
            return float(self.ticket.volume.text().replace(",", "."))
        except ValueError:
            return self.order_desk.default_volume

    def show_panel(self, key: str) -> None:
        """Bring the panel ``key`` to the front with the keys in it."""
        dock = self.docks[key]
        dock.show()
        dock.raise_()
        focus = getattr(dock.widget(), "focus", None)
        if callable(focus):
            focus()

    def focus_ticket(self) -> None:
        self.docks["ticket"].show()
        self.docks["ticket"].raise_()
        self.ticket.focus()

    def show_symbol(self, symbol: str) -> None:
        """Make ``symbol`` the desk's symbol: chart, ticket and market watch follow."""
        self.desk.select(symbol)

    def show_timeframe(self, timeframe: Timeframe) -> None:
        """Switch the active chart's bar period; the engine answers with that history,
        or, on a chart of stored history, the store does."""
        self.timeframe_actions[timeframe].setChecked(True)
        window = self.workspace.active
        symbol = window.chart.symbol
        if window.stored:
            if symbol is not None and window.chart.set_timeframe(timeframe):
                self.workspace.retitle(window)
                self.stored_history.follow_timeframe(
                    symbol, timeframe, lambda stored: self._fill_stored(window, stored)
                )
            self._show_title()
        else:
            self.workspace.show_timeframe(timeframe)

    # -- the charts -----------------------------------------------------------------
    @property
    def chart(self) -> ChartPanel:
        """The active chart's panel (the one the ticket, hotkeys and toolbar act on)."""
        return self.workspace.active.chart

    @property
    def chart_trading(self) -> ChartTrading | None:
        """The active chart's trading lines (none on a chart of stored history)."""
        return self.workspace.active.trading

    def new_chart(self, symbol: str | None = None) -> ChartWindow:
        """Ctrl+N or the market watch's "New chart": a chart of that symbol, made active.

        Without a symbol: the market watch's selected row, else the desk's symbol.
        """
        if not symbol:
            row = self.market_watch.currentIndex()
            if self.market_watch.hasFocus() and row.isValid():
                symbol = self.market_watch.symbol_at_view_row(row.row())
        timeframe = self.chart.timeframe if self.workspace.windows else None
        window = self.workspace.new_chart(symbol or self.desk.symbol, timeframe)
        self.docks["chart"].show()
        self.docks["chart"].raise_()
        return window

    def _add_chart_alerts(self, window: ChartWindow) -> None:
        """Every live chart draws the alert lines of its symbol and offers "Alert at …"."""
        if window.trading is None:
            return  # a chart of stored history: alerts watch the live market
        lines = ChartAlerts(
            window.chart,
            self.alerts.book,
            self.send,
            self.desk.spec,
            report=lambda text: self.statusBar().showMessage(text, 8000),
        )
        window.trading.menu_extras.append(lines.menu_items)
        self.chart_alerts[window.watcher] = lines

        def detach() -> None:
            lines.detach()
            self.chart_alerts.pop(window.watcher, None)

        window.on_detach.append(detach)

    def alert_at_crosshair(self) -> None:
        """Alt+A: an alert at the crosshair of the active chart, wherever the focus is."""
        lines = self.chart_alerts.get(self.workspace.active.watcher)
        if lines is None:
            self.tell("A chart of stored history has no alerts: Alt+A sets one on a live chart")
            return
        lines.alert_at_crosshair()

    def _on_alert_fact_for_charts(self, fact: object) -> None:
        for lines in list(self.chart_alerts.values()):
            lines.on_alert_fact(fact)

    def set_chart_type(self, kind: ChartType) -> None:
        self.chart.set_chart_type(kind)
        self.chart_type_actions[kind].setChecked(True)

    def _toggle_chart(self, what: str) -> None:
        window = self.workspace.active
        chart = window.chart
        if what == "shift":
            chart.set_chart_shift(self.chart_shift_action.isChecked())
        elif what == "scroll":
            chart.set_auto_scroll(self.auto_scroll_action.isChecked())
        elif what == "scale":
            chart.set_fixed_price_scale(True if self.fixed_scale_action.isChecked() else None)
        elif what == "one_click":
            window.show_one_click(self.one_click_panel_action.isChecked())
            if window.stored and self.one_click_panel_action.isChecked():
                self.one_click_panel_action.setChecked(False)
                self.tell("A chart of stored history has no one-click trading")

    def set_chart_theme(self, theme: str) -> None:
        """Every chart on the dark or the light ground."""
        self.workspace.set_theme(theme)

    def _on_active_chart(self, window: ChartWindow) -> None:
        """The toolbar, the Charts menu and the title show the active chart's settings."""
        chart = window.chart
        self.chart_tools.follow_chart()  # the Data Window shows the active chart's bar
        symbol = chart.symbol or window.wanted_symbol or ""
        if symbol and self.chart_symbol.currentText() != symbol:
            self.chart_symbol.blockSignals(True)
            self.chart_symbol.setCurrentText(symbol)
            self.chart_symbol.blockSignals(False)
        if chart.timeframe is not None:
            self.timeframe_actions[chart.timeframe].setChecked(True)
        for action, on in (
            (self.volume_action, chart.volume_visible),
            (self.chart_shift_action, chart.chart_shift),
            (self.auto_scroll_action, chart.auto_scroll),
            (self.fixed_scale_action, chart.fixed_price_scale is not None),
            (self.one_click_panel_action, window.one_click.isVisibleTo(window)),
        ):
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
        self.chart_type_actions[chart.chart_type].setChecked(True)
        self._show_title()

    def tell(self, text: str, *, warn: bool = False) -> None:
        """A line in the status bar; warnings also in the event log, so none is missed."""
        self.statusBar().showMessage(text, 10_000)
        if warn:
            self.log_model.add(LogEvent(LogLevel.WARNING, "charts", text))

    # -- profiles and templates -------------------------------------------------------
    def ask_name(self, noun: str) -> QInputDialog:
        """Save a profile or a template under a name typed in a (non-blocking) dialog."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle(f"Save {noun}")
        dialog.setLabelText(f"Name of the {noun}:")
        if noun == "template":
            dialog.textValueSelected.connect(self.save_template)
        else:
            dialog.textValueSelected.connect(self.save_profile)
        self.name_dialog = dialog
        dialog.open()
        return dialog

    def save_profile(self, name: str) -> bool:
        """Keep every chart (symbols, timeframes, settings, arrangement) as profile ``name``."""
        if self.profiles is None:
            self.tell("Profiles need a data folder (not in a smoke test)", warn=True)
            return False
        try:
            path = self.profiles.save(name, self.workspace.chart_set().to_document())
        except (DocumentError, OSError) as error:
            self.tell(f"Profile not saved: {error}", warn=True)
            return False
        self.tell(f"Profile {path.stem!r} saved: {len(self.workspace.windows)} chart(s)")
        return True

    def load_profile(self, name: str) -> bool:
        """Replace the charts with profile ``name``; a bad file changes nothing."""
        if self.profiles is None:
            return False
        try:
            charts = chart_set_from(self.profiles.load(name), f"The profile {name!r}")
        except DocumentError as error:
            self.tell(str(error), warn=True)
            return False
        self.workspace.restore_chart_set(charts)
        self.tell(f"Profile {name!r}: {len(charts.charts)} chart(s)")
        return True

    def save_template(self, name: str) -> bool:
        """Keep the active chart's type, scale and styles (not its symbol) as template ``name``."""
        if self.templates is None:
            self.tell("Templates need a data folder (not in a smoke test)", warn=True)
            return False
        try:
            self.templates.save(name, template_document(self.workspace.active.state()))
        except (DocumentError, OSError) as error:
            self.tell(f"Template not saved: {error}", warn=True)
            return False
        self.tell(f"Template {name!r} saved")
        return True

    def apply_template(self, name: str) -> bool:
        """Style the active chart by template ``name``; one from a newer version is refused."""
        if self.templates is None:
            return False
        try:
            state = template_from(self.templates.load(name), f"The template {name!r}")
        except DocumentError as error:
            self.tell(str(error), warn=True)
            return False
        window = self.workspace.active
        problems = window.chart.restore(state)
        if "one_click" in state:
            window.show_one_click(state["one_click"] is True)
        self._on_active_chart(window)
        if problems:
            self.tell(f"Template {name!r} applied in part: " + "; ".join(problems), warn=True)
        else:
            self.tell(f"Template {name!r} applied to {window.title()}")
        return True

    def delete_named(self, noun: str, name: str) -> None:
        store = self.templates if noun == "template" else self.profiles
        if store is not None:
            store.delete(name)
            self.tell(f"{noun.capitalize()} {name!r} deleted")

    def open_symbol(self, symbol: str) -> None:
        """From the market watch: show ``symbol`` in the active chart and the ticket."""
        if symbol not in self.desk.specs:
            return
        self.desk.select(symbol)
        self.focus_ticket()

    def show_specification(self, symbol: str) -> SymbolSpecDialog | None:
        spec = self.desk.spec(symbol)
        if spec is None:
            return None
        dialog = SymbolSpecDialog(spec, self)
        dialog.open()
        return dialog

    def edit_risk_limits(self) -> RiskLimitsDialog | None:
        """Open the limits editor without blocking; an accepted change goes to the engine."""
        risk = self.desk.risk
        if risk is None:
            self.statusBar().showMessage("The risk limits show once the engine reports them", 8000)
            return None
        currency = self.desk.account.currency if self.desk.account is not None else None
        dialog = RiskLimitsDialog(
            risk.limits, self, known_symbols=self.desk.specs, currency=currency
        )
        self.risk_dialog = dialog

        def send() -> None:
            if dialog.result_limits is not None:
                self._limits_to_keep = dialog.result_limits  # once the engine applied them
                self.send(UpdateRiskLimits(dialog.result_limits, OrderSource.MENU))

        dialog.accepted.connect(send)
        dialog.open()
        return dialog

    # -- help -----------------------------------------------------------------------
    def show_shortcuts(self) -> ShortcutsDialog:
        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()
        return self.shortcuts_dialog

    def folder_of(self, what: str) -> Path:
        if what == "log" and self._log_file is not None:
            return self._log_file.parent
        if what == "log":
            from app.paths import user_log_dir

            return user_log_dir()
        return user_data_dir()

    def open_folder_of(self, what: str) -> bool:
        folder = self.folder_of(what)
        opened = self._open_path(folder)
        if not opened:
            self.statusBar().showMessage(f"Could not open {folder}", 10_000)
        return opened

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Tradeterm",
            f"<b>Tradeterm {__version__}</b><p>A keyboard-first trading terminal for "
            "MetaTrader 5, with a paper broker built in.</p>"
            f"<p>Your data: {user_data_dir()}<br>Log: {self.folder_of('log')}</p>"
            "<p>Press F1 for the keyboard shortcuts.</p>",
        )

    # -- bus events -----------------------------------------------------------------
    def open_trade_history(self) -> HistoryWindow:
        """Show the trade history window (one per main window) and load its range."""
        if self.history_window is None:
            self.history_window = HistoryWindow(self.send, self.desk, parent=self)
            self._bus.trade_history.connect(self.history_window.on_trade_history)
        window = self.history_window
        window.set_symbols()
        window.show()
        window.raise_()
        window.activateWindow()
        window.request()
        return window

    def open_strategy_tester(self) -> StrategyTesterWindow:
        """Show the Strategy Tester (one per main window; its runs go on while it is hidden)."""
        if self.tester_window is None:
            self.tester_window = StrategyTesterWindow(self)
        window = self.tester_window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def on_symbols(self, specs: tuple[SymbolSpec, ...]) -> None:
        active = self.workspace.active
        current = (
            active.chart.symbol or active.wanted_symbol or self.desk.symbol or self._default_symbol
        )
        self._listing_symbols = True  # the ticket picks a symbol as it fills: not the chart's
        try:
            self.desk.set_symbols(specs)
        finally:
            self._listing_symbols = False
        # Frames then carry every symbol's D1 bar: its open is the daily change's base.
        self.send(WatchBars("market_watch", tuple((s.name, Timeframe.D1) for s in specs)))
        if current not in self.desk.specs:
            current = specs[0].name if specs else ""
        self.chart_symbol.blockSignals(True)
        self.chart_symbol.clear()
        self.chart_symbol.addItems(list(self.desk.specs))
        self.chart_symbol.blockSignals(False)
        self.workspace.on_symbols(current)  # every chart asks for its bars (again)
        active = self.workspace.active
        if active.wanted_symbol:
            self.desk.select(active.wanted_symbol)  # the ticket and market watch follow
        self._on_active_chart(active)

    def show_stored_bars(self, stored: StoredChart) -> None:
        """The History window's Open chart: a new chart of the stored bars, marked so.

        It never takes the live market's bars, quotes, trading lines or alerts, and
        nothing can be traded from it; its timeframe buttons read the store.
        """
        # The terminal comes forward with the new chart: the History window stays open.
        self.raise_()
        self.activateWindow()
        self.docks["chart"].show()
        self.docks["chart"].raise_()
        self.workspace.open_stored(self._stored_spec(stored), stored.history)
        self._show_title()

    def _stored_spec(self, stored: StoredChart) -> SymbolSpec:
        history = stored.history
        return self.desk.spec(history.symbol) or stored_spec(history.symbol, stored.digits)

    def _fill_stored(self, window: ChartWindow, stored: StoredChart) -> None:
        """Another timeframe's stored bars, for the stored chart that asked (if still open)."""
        history = stored.history
        chart = window.chart
        if window not in self.workspace.windows or (chart.symbol, chart.timeframe) != (
            history.symbol,
            history.timeframe,
        ):
            return  # closed, or switched again since it asked
        self.workspace.show_stored(window, self._stored_spec(stored), history)
        self._show_title()

    def on_history(self, history: BarHistory) -> None:
        # Only the charts that asked for this symbol and timeframe take it.
        self.workspace.on_history(history)

    def on_frame(self, frame: MarketFrame) -> None:
        try:
            self.desk.apply_frame(frame)
            self._count_ticks(frame.tick_count)
        finally:
            self._frame_ack.frame_applied(frame.seq)  # acknowledged after the repaint

    def _on_desk(self, change: DeskChange) -> None:
        """The chart, the account, the risk panel and the trading state, from the desk model."""
        if change.bars or change.quotes:
            self.workspace.on_desk(change)
        if change.symbol and self.desk.symbol and not self._listing_symbols:
            self.workspace.show_symbol(self.desk.symbol)
        if change.account and self.desk.account is not None:
            self.account.update_account(self.desk.account)
        if change.risk and self.desk.risk is not None:
            self.risk_panel.update_snapshot(self.desk.risk)
            self.account.update_day_pnl(self.desk.risk, self.desk.currency)
            self._keep_applied_limits(self.desk.risk.limits)
        if change.state:
            self._show_trading_state()

    def _keep_applied_limits(self, limits: RiskLimits) -> None:
        """The dialog's change, once the engine applied it (it refuses to loosen while
        HALTED: then nothing is kept), goes into the settings file."""
        if self._limits_to_keep is None or limits != self._limits_to_keep:
            return
        self._limits_to_keep = None
        if self.keep_risk_limits is not None:
            self.statusBar().showMessage(self.keep_risk_limits(limits), 15_000)

    def _show_trading_state(self) -> None:
        """HALTED or REDUCING in the status bar and the title; nothing extra while ACTIVE.

        ACTIVE without a connection is not trading: the gate is open but every order
        is refused for the link, so the label says that instead.
        """
        state, reason = self.desk.state, self.desk.state_reason
        label = self.trading_state_label
        if state is TradingState.ACTIVE and not self._connected:
            label.setText("No trading: not connected")
            label.setStyleSheet(f"color: {WARNING.name()}")
            label.setToolTip("Orders are refused until the broker is connected.")
        elif state is TradingState.ACTIVE:
            label.setText("Trading active")
            label.setStyleSheet(f"color: {PROFIT.name()}")
            label.setToolTip("")
        else:
            colour = LOSS if state is TradingState.HALTED else WARNING
            label.setText(f"Trading {state.upper()}")
            label.setStyleSheet(
                f"background: {colour.name()}; color: white; font-weight: bold; padding: 0 6px"
            )
            label.setToolTip(reason)
        self._show_title()

    def _show_title(self) -> None:
        parts = [TITLE]
        if self.desk.state is not TradingState.ACTIVE:
            parts.insert(0, f"{self.desk.state.upper()}")
        if self.chart.symbol:
            timeframe = self.chart.timeframe.name if self.chart.timeframe else ""
            stored = " · stored history" if self.workspace.active.stored else ""
            parts.append(f"{self.chart.symbol} {timeframe}".strip() + stored)
        self.setWindowTitle(" — ".join(parts))

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
        connected = state.status is ConnectionStatus.CONNECTED
        if connected != self._connected:
            self._connected = connected
            self._show_trading_state()

    def on_risk(self, fact: RiskFact) -> None:
        """Risk facts go to the desk, the panel and the event log (rejections are logged already)."""
        self.desk.apply_fact(fact)
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
        self.alerts.model.set_telegram_on(state != "off")
        self.telegram_label.setStyleSheet(f"color: {color.name()}" if color else "")
        self.telegram_label.setToolTip(detail)

    def on_engine_failed(self, details: str) -> None:
        self.statusBar().showMessage("Engine error: see the event log", 10_000)

    # -- helpers --------------------------------------------------------------------
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
        if store.value("window/version") != str(LAYOUT_VERSION):
            return False  # a layout of older panels: start from the default one
        geometry = store.value("window/geometry")
        state = store.value("window/state")
        if isinstance(geometry, QByteArray) and not self._fits_this_screen(geometry):
            geometry = state = None  # the charts and the tables' columns are still restored
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
            keep_on_screen(self)  # its monitor may be gone since last time
        for view in self._persistent_tables():
            restore_header(store, view.objectName(), view.horizontalHeader())
        saved = store.value("charts/set")
        if isinstance(saved, str) and saved:
            try:
                charts = chart_set_from_json(saved)
            except DocumentError as error:
                self.tell(f"{error}: one chart opened instead", warn=True)
            else:
                self.workspace.restore_chart_set(charts)
                active = self.workspace.active
                symbol = active.wanted_symbol
                if symbol:
                    self._default_symbol = symbol
                self._on_active_chart(active)
        if isinstance(state, QByteArray):
            self._layout_restored = self.restoreState(state, LAYOUT_VERSION)
        return self._layout_restored

    def _fits_this_screen(self, geometry: QByteArray) -> bool:
        """Whether the saved window fits this screen; if not, the default layout is used.

        The docks' sizes were shared out for the saved window: squeezed into a
        smaller screen, Qt cuts the ticket's Buy and Sell and the risk panel's HALT
        off. The default layout shares this screen out instead, and says so.
        """
        size = saved_window_size(geometry)
        screen = self.screen() or QGuiApplication.primaryScreen()
        if size is None or screen is None:
            return True
        area = screen.availableGeometry()
        if fits_screen(size, area):
            return True
        self.tell(
            f"The saved layout was made for a {size.width()}×{size.height()} window, larger "
            f"than this {area.width()}×{area.height()} screen: the default layout for this "
            "screen is shown",
            warn=True,
        )
        return False

    def _persistent_tables(self) -> list[QTableView]:
        """Tables whose column widths and sort order are remembered (named ones)."""
        return [view for view in self.findChildren(QTableView) if view.objectName()]

    def save_layout(self) -> None:
        store = self._layout_store()
        if store is None:
            return
        store.setValue("window/version", str(LAYOUT_VERSION))
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState(LAYOUT_VERSION))
        for view in self._persistent_tables():
            save_header(store, view.objectName(), view.horizontalHeader())
        charts = self.workspace.chart_set()
        store.setValue(
            "charts/set", chart_set_json(charts.charts, charts.active, charts.arrangement)
        )
        store.sync()

    def _close_strategy_positions(
        self, stop: StopStrategy | None, tickets: Sequence[int], name: str
    ) -> None:
        outcome = self.order_desk.stop_and_close(stop, tickets, OrderSource.PANEL, name=name)
        self.statusBar().showMessage(outcome.message, 8000)

    def _show_strategy_indicators(self, status: StrategyStatus) -> str:
        text = show_strategy_indicators(self.workspace, status)
        self.docks["chart"].show()  # in view; the keys stay in the Strategies panel
        self.docks["chart"].raise_()
        self.statusBar().showMessage(text, 8000)
        return text

    def request_quit(self) -> None:
        """File → Quit and Ctrl+Q: asks first while strategies are running."""
        if self._may_quit():
            self._quit_confirmed = True
            self.close()

    def _may_quit(self) -> bool:
        running = [s.name for s in self.strategies.model.statuses if s.state.runs]
        if not running:
            return True
        return self._confirm(
            "Quit Tradeterm",
            f"{len(running)} strateg{'y is' if len(running) == 1 else 'ies are'} running "
            f"({', '.join(running)}). Quitting stops {'it' if len(running) == 1 else 'them'}; "
            "open positions stay at the broker, and working orders too until the next start, "
            "which cancels those of an instance that does not start by itself. Quit anyway?",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        # The window's own close button asks too; a close from the program (a shutdown
        # signal, a test) does not, and neither does one already confirmed.
        if (
            not self._closed
            and event.spontaneous()
            and not self._quit_confirmed
            and not self._may_quit()
        ):
            event.ignore()
            return
        if not self._closed:
            self._closed = True
            self.layout_autosave.stop()
            if self.tester_window is not None:
                self.tester_window.shutdown()  # a test running in a worker stops with the app
            self.save_layout()
            self.closing.emit()
        super().closeEvent(event)


def _scrolled(widget: QWidget, name: str) -> QScrollArea:
    """``widget`` in a scroll area that only scrolls when the dock is smaller than it."""
    scroll = QScrollArea()
    scroll.setObjectName(name)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    # Panels in a side column shrink to its width (labels wrap); only their height scrolls.
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(widget)
    return scroll
