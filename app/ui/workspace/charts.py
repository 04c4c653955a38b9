"""Several charts in one dock: tabs or windows (tiled, cascaded, one maximised).

``QMdiArea`` does the arranging: in its tabbed mode each chart is a tab, in its
window mode the charts are sub-windows that Qt tiles and cascades. Each chart
(``ChartWindow``) has its own symbol, timeframe, trading lines and watcher id:
the engine sends a frame the forming bar of every pair some chart watches, and
answers each chart's history request with a ``BarHistory`` the workspace hands
to the charts that asked for exactly that symbol and timeframe.

The *active* chart is the desk's: its symbol is the desk model's current symbol,
so the ticket, the hotkeys and the one-click panel trade what the active chart
shows. Activating another chart selects its symbol; choosing a symbol elsewhere
(market watch, ticket, toolbar) shows it on the active chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from itertools import count

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QMdiArea, QMdiSubWindow, QVBoxLayout, QWidget

from app.domain.commands import Command, RequestHistory, WatchBars
from app.domain.market import BarHistory
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.ui.desk.model import DeskChange, DeskModel
from app.ui.desk.orders import OrderDesk
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.trading_lines import ChartTrading
from app.ui.runtime.one_repaint import flush_in_one_repaint
from app.ui.workspace.chart_set import ARRANGEMENTS, ChartSet, ChartState
from app.ui.workspace.one_click import OneClickPanel

DEFAULT_TIMEFRAME = Timeframe.M1


class ChartWindow(QWidget):
    """One chart: the panel, its one-click panel above it, and its trading lines.

    ``watcher`` names this chart to the engine (``RequestHistory``/``WatchBars``);
    ``wanted_symbol`` is the symbol it shows or will show once the broker lists it.

    A ``stored`` chart shows bars from the history store (the History window's
    Open chart): it has no trading lines, no one-click panel, no quotes and no
    live bars, so nothing on it can be mistaken for today's market or traded.
    """

    def __init__(
        self,
        watcher: str,
        order_desk: OrderDesk,
        volume: Callable[[], float],
        parent: QWidget | None = None,
        *,
        stored: bool = False,
    ) -> None:
        super().__init__(parent)
        self.watcher = watcher
        self.stored = stored
        self.on_detach: list[Callable[[], None]] = []  # what else lets go when it closes
        self.setObjectName(f"chart_window_{watcher}")
        self.chart = ChartPanel()
        self.chart.set_timeframe(DEFAULT_TIMEFRAME)
        self.one_click = OneClickPanel(order_desk, lambda: self.chart.symbol)
        self.one_click.hide()
        self.one_click.setEnabled(not stored)
        self.trading: ChartTrading | None = (
            None if stored else ChartTrading(self.chart, order_desk, volume)
        )
        self.wanted_symbol: str | None = None
        self.pending: tuple[str, Timeframe] | None = None  # the history asked for, not yet here
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.one_click)
        layout.addWidget(self.chart, 1)
        self.setFocusProxy(self.chart)

    def title(self) -> str:
        symbol = self.chart.symbol or self.wanted_symbol or "No symbol"
        timeframe = self.chart.timeframe.name if self.chart.timeframe else ""
        if self.stored:
            return f"{symbol} {timeframe} · stored history"
        return f"{symbol}, {timeframe}".rstrip(", ")

    def show_one_click(self, visible: bool) -> None:
        """The one-click panel, never on a chart of stored history."""
        self.one_click.setVisible(visible and not self.stored)

    def state(self) -> ChartState:
        """The panel's state, with the symbol it waits for and the one-click panel's toggle."""
        state = dict(self.chart.state())
        if state.get("symbol") is None:
            state["symbol"] = self.wanted_symbol
        state["one_click"] = self.one_click.isVisibleTo(self)
        return state

    def detach(self) -> None:
        """Before closing: stop listening to the desk model."""
        if self.trading is not None:
            self.trading.detach()
        self.one_click.detach()
        for detach in self.on_detach:
            detach()


class _ChartSubWindow(QMdiSubWindow):
    """A sub-window that asks the workspace before it closes (the last chart stays)."""

    def __init__(self, workspace: ChartWorkspace, window: ChartWindow) -> None:
        super().__init__()
        self._workspace = workspace
        self.chart_window = window
        self.setWidget(window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(window.title())
        menu = self.systemMenu()
        for action in menu.actions() if menu is not None else []:
            # Its Ctrl+W / Ctrl+F4 would make the window's own keys ambiguous (both dead).
            action.setShortcuts([])

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._workspace.closing(self.chart_window):
            super().closeEvent(event)
        else:
            event.ignore()


class ChartWorkspace(QMdiArea):
    """The charts, their arrangement, and the routing of bars, quotes and history to them.

    Signals:
        active_changed: the active chart changed (its ``ChartWindow``), or its symbol
            or timeframe did.
        message: something to tell the trader (the window's status bar).
    """

    active_changed = Signal(object)
    message = Signal(str)
    chart_opened = Signal(object)  # a new ChartWindow, before it asks for its bars

    def __init__(
        self,
        desk: DeskModel,
        order_desk: OrderDesk,
        send: Callable[[Command], None],
        volume: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("chart_workspace")
        self._desk = desk
        self._order_desk = order_desk
        self._send = send
        self._volume = volume
        self._ids = count(1)
        self._windows: list[ChartWindow] = []  # in the order they were opened
        self._active: ChartWindow | None = None
        self._arrangement = "tabs"
        self._theme = ""
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.setTabsMovable(True)
        self.setActivationOrder(QMdiArea.WindowOrder.CreationOrder)
        self.setViewMode(QMdiArea.ViewMode.TabbedView)
        self.subWindowActivated.connect(self._on_activated)

    # -- the charts -----------------------------------------------------------------
    @property
    def windows(self) -> list[ChartWindow]:
        return list(self._windows)

    @property
    def active(self) -> ChartWindow:
        """The active chart (there is always one: the last chart cannot be closed)."""
        if self._active is None:
            self.new_chart()
        assert self._active is not None
        return self._active

    def new_chart(
        self,
        symbol: str | None = None,
        timeframe: Timeframe | None = None,
        state: Mapping[str, object] | None = None,
    ) -> ChartWindow:
        """Open a chart of ``symbol`` (the desk's by default) and make it the active one."""
        window = ChartWindow(f"chart-{next(self._ids)}", self._order_desk, self._volume)
        if self._theme:
            window.chart.set_theme(self._theme)
        if state is not None:
            problems = window.chart.restore(state)
            window.show_one_click(state.get("one_click") is True)
            if problems:
                self.message.emit("Chart settings not applied: " + "; ".join(problems))
            wanted = state.get("symbol")
            symbol = symbol or (wanted if isinstance(wanted, str) else None)
        if timeframe is not None:
            window.chart.set_timeframe(timeframe)
        window.wanted_symbol = symbol or self._desk.symbol
        self._windows.append(window)
        self.chart_opened.emit(window)
        sub = _ChartSubWindow(self, window)
        self.addSubWindow(sub)
        sub.show()
        self._show(window)
        self.setActiveSubWindow(sub)
        self._on_activated(sub)  # offscreen and tabbed, Qt may not say so itself
        if self._arrangement in ("tile", "cascade"):
            self.arrange(self._arrangement)
        return window

    def open_stored(self, spec: SymbolSpec, history: BarHistory) -> ChartWindow:
        """A new chart of stored bars, made active; it never asks the engine for anything."""
        window = ChartWindow(
            f"stored-{next(self._ids)}", self._order_desk, self._volume, stored=True
        )
        if self._theme:
            window.chart.set_theme(self._theme)
        window.wanted_symbol = spec.name
        self.show_stored(window, spec, history)
        self._windows.append(window)
        self.chart_opened.emit(window)
        sub = _ChartSubWindow(self, window)
        self.addSubWindow(sub)
        sub.show()
        self.setActiveSubWindow(sub)
        self._on_activated(sub)
        # The focus too: opened from the History window, the terminal gives the focus
        # back to its last focused widget on activation, and that chart's window would
        # become the active one again.
        window.chart.setFocus(Qt.FocusReason.OtherFocusReason)
        if self._arrangement in ("tile", "cascade"):
            self.arrange(self._arrangement)
        return window

    def show_stored(self, window: ChartWindow, spec: SymbolSpec, history: BarHistory) -> None:
        """Stored bars on a stored chart (its first ones, or another timeframe's)."""
        window.chart.set_symbol_spec(spec)
        window.chart.set_timeframe(history.timeframe)
        window.chart.set_history(history)
        self.retitle(window)
        if window is self._active:
            self.active_changed.emit(window)

    def chart_of(self, symbol: str, timeframe: Timeframe) -> ChartWindow:
        """The live chart of ``symbol`` and ``timeframe``, made active; opened if none is."""
        for window in self._windows:
            shown = window.chart.symbol or window.wanted_symbol
            if not window.stored and shown == symbol and window.chart.timeframe is timeframe:
                self.activate(window)
                return window
        return self.new_chart(symbol, timeframe)

    def last_live(self) -> ChartWindow | None:
        """The most recently opened chart of the live market, if any is open."""
        live = [w for w in self._windows if not w.stored]
        return live[-1] if live else None

    def close_chart(self, window: ChartWindow | None = None) -> bool:
        """Close ``window`` (the active chart by default); the last chart stays open."""
        target = window or self._active
        sub = self._sub_of(target) if target is not None else None
        return bool(sub is not None and sub.close())

    def closing(self, window: ChartWindow) -> bool:
        """A chart is about to close: drop its watch and its lines, or refuse if it is the last."""
        if len(self._windows) <= 1 or (
            not window.stored and not any(w is not window and not w.stored for w in self._windows)
        ):
            self.message.emit("The last chart stays open: open another one first (Ctrl+N)")
            return False
        self._windows.remove(window)
        window.detach()
        if not window.stored:
            self._send(WatchBars(window.watcher, ()))
        if self._active is window:
            self._active = None
        return True

    def _sub_of(self, window: ChartWindow) -> _ChartSubWindow | None:
        for sub in self.subWindowList():
            if isinstance(sub, _ChartSubWindow) and sub.chart_window is window:
                return sub
        return None

    def activate(self, window: ChartWindow) -> None:
        sub = self._sub_of(window)
        if sub is not None:
            self.setActiveSubWindow(sub)
            self._on_activated(sub)

    def cycle(self, step: int) -> ChartWindow:
        """Ctrl+Tab / Ctrl+Shift+Tab: the next or previous chart in the order they were opened."""
        windows = self._windows
        if self._active in windows and len(windows) > 1:
            target = windows[(windows.index(self._active) + step) % len(windows)]
            self.activate(target)
            target.chart.setFocus(Qt.FocusReason.TabFocusReason)
        return self.active

    def _on_activated(self, sub: QMdiSubWindow | None) -> None:
        if not isinstance(sub, _ChartSubWindow) or sub.chart_window not in self._windows:
            return  # Qt says "none" while a window closes or the app loses focus
        window = sub.chart_window
        if window is self._active:
            return
        self._active = window
        symbol = window.chart.symbol or window.wanted_symbol
        if symbol and not window.stored:  # stored bars are not the desk's symbol to trade
            self._desk.select(symbol)  # the ticket and the market watch follow
        self.active_changed.emit(window)

    # -- arranging ------------------------------------------------------------------
    @property
    def arrangement(self) -> str:
        return self._arrangement

    def arrange(self, arrangement: str) -> None:
        """Tabs, or windows tiled, cascaded or with the active one maximised."""
        if arrangement not in ARRANGEMENTS:
            return
        self._arrangement = arrangement
        if arrangement == "tabs":
            self.setViewMode(QMdiArea.ViewMode.TabbedView)
            return
        self.setViewMode(QMdiArea.ViewMode.SubWindowView)
        for sub in self.subWindowList():
            sub.showNormal()
        if arrangement == "tile":
            self.tile()
            QTimer.singleShot(0, self.tile)  # again once the view's margins have settled
        elif arrangement == "cascade":
            self.cascadeSubWindows()
        elif self.activeSubWindow() is not None:
            self.activeSubWindow().showMaximized()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Tiled charts stay tiled as the dock grows or shrinks (none cut at the edge)."""
        super().resizeEvent(event)
        if self._arrangement == "tile":
            self.tile()

    def tile(self) -> None:
        """The charts in a grid over the whole view, in the order they were opened.

        Qt's own ``tileSubWindows`` measures the view before its margins settle,
        so after a switch from tabs its right column could end past the edge.
        Here the last row's charts share its whole width.
        """
        if self._arrangement != "tile" or self.viewMode() is not QMdiArea.ViewMode.SubWindowView:
            return
        subs = [s for w in self._windows if (s := self._sub_of(w)) is not None]
        if not subs:
            return
        area = self.viewport().rect()
        columns = math.ceil(math.sqrt(len(subs)))
        rows = math.ceil(len(subs) / columns)
        for index, sub in enumerate(subs):
            row, column = divmod(index, columns)
            in_row = columns if row < rows - 1 else len(subs) - row * columns
            left = area.width() * column // in_row
            right = area.width() * (column + 1) // in_row
            top = area.height() * row // rows
            bottom = area.height() * (row + 1) // rows
            sub.showNormal()
            sub.setGeometry(left, top, right - left, bottom - top)

    # -- symbols, timeframes and what the engine sends ------------------------------------
    def show_symbol(self, symbol: str) -> None:
        """Show ``symbol`` on the active chart (nothing happens if it shows it already).

        A chart of stored history keeps its bars: the last live chart shows the symbol.
        """
        window = self.active
        if window.stored:
            live = self.last_live()
            if live is None:
                return
            self.activate(live)
            window = live
        if window.chart.symbol == symbol and (window.chart.bar_count or window.pending):
            return
        self._show(window, symbol)
        self.active_changed.emit(window)

    def show_timeframe(self, timeframe: Timeframe) -> None:
        window = self.active
        if window.stored:
            return  # the main window reads the store for it
        if window.chart.set_timeframe(timeframe):
            self._show(window)
        self.active_changed.emit(window)

    def _show(self, window: ChartWindow, symbol: str | None = None) -> None:
        """Give ``window`` its symbol's spec and ask for its history (once specs are known)."""
        if symbol is not None:
            window.wanted_symbol = symbol
        wanted = window.wanted_symbol
        spec = self._desk.spec(wanted)
        if spec is None:
            self.retitle(window)
            return  # asked for again when the broker's symbols arrive
        window.chart.set_symbol_spec(spec)
        if window.trading is not None:
            window.trading.refresh()
        timeframe = window.chart.timeframe or DEFAULT_TIMEFRAME
        window.pending = (spec.name, timeframe)
        self._send(RequestHistory(spec.name, timeframe, watcher=window.watcher))
        self.retitle(window)

    def retitle(self, window: ChartWindow) -> None:
        sub = self._sub_of(window)
        if sub is not None:
            sub.setWindowTitle(window.title())

    def on_symbols(self, default: str) -> None:
        """The broker's symbols (at connect and reconnect): every chart asks for its bars again.

        A chart whose symbol the broker no longer lists shows ``default`` instead.
        """
        for window in self._windows:
            if window.stored:
                continue
            if window.wanted_symbol not in self._desk.specs:
                window.wanted_symbol = default or None
            window.pending = None
            self._show(window)
        self.active_changed.emit(self.active)

    def on_history(self, history: BarHistory) -> None:
        """Bars go to the charts that asked for exactly them (a late answer goes nowhere)."""
        key = (history.symbol, history.timeframe)
        for window in self._windows:
            if window.pending == key:
                window.pending = None
                window.chart.set_history(history)

    def on_desk(self, change: DeskChange) -> None:
        """A frame's forming bars and quotes, each to the charts showing that symbol."""
        if not (change.bars or change.quotes):
            return
        bars, quotes = change.bars, change.quotes
        for window in self._windows:
            chart = window.chart
            symbol, timeframe = chart.symbol, chart.timeframe
            if symbol is None or timeframe is None or window.stored:
                continue
            quote = quotes.get(symbol)
            if window.pending is None:
                bar = bars.get((symbol, timeframe))
                if bar is not None:
                    chart.update_bar(bar)
            if quote is not None:
                chart.set_quote(quote)
                window.one_click.show_quote(quote)
        # Every chart's change in the window's next repaint, not a repaint per pane.
        flush_in_one_repaint(
            self.window(), [scene for w in self._windows for scene in w.chart.scenes()]
        )

    def set_theme(self, theme: str) -> None:
        self._theme = theme
        for window in self._windows:
            window.chart.set_theme(theme)

    # -- the set of charts ------------------------------------------------------------
    def chart_set(self) -> ChartSet:
        """The live charts (a chart of stored history is reopened from the History window)."""
        live = [w for w in self._windows if not w.stored]
        active = live.index(self._active) if self._active in live else 0
        return ChartSet(tuple(w.state() for w in live), active, self._arrangement)

    def restore_chart_set(self, charts: ChartSet) -> None:
        """Replace every chart by ``charts`` (an empty set keeps one chart of the desk's symbol)."""
        old = list(self._windows)
        self._arrangement = "tabs"
        self.setViewMode(QMdiArea.ViewMode.TabbedView)
        opened = [self.new_chart(state=state) for state in charts.charts] or [self.new_chart()]
        for window in old:
            sub = self._sub_of(window)
            if sub is not None:
                sub.close()
        self.arrange(charts.arrangement)
        self.activate(opened[min(charts.active, len(opened) - 1)])
