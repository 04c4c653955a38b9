"""What the window adds around its charts: the Insert menu (indicators and drawing objects),
the Data Window and the charts' notes in the status bar (each chart saves its own
indicators in its ``state()``).

The window keeps one :class:`ChartTools` and tells it which chart is active
(a callable), so the same menu and the one Data Window follow whichever chart the
trader works on. Kept out of ``main_window.py`` so
the window only carries a few one-line hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

from app.ui.panels.chart.objects.menu import ObjectsMenu
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.studies.data_window import DataWindow
from app.ui.panels.chart.studies.menu import StudiesMenu


class PanelHost(Protocol):
    """The part of the main window the tools use."""

    def add_panel(
        self,
        key: str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea,
        *,
        in_view_menu: bool = True,
    ) -> QDockWidget: ...


class ChartTools:
    """The Insert menu and the Data Window, acting on the active chart."""

    def __init__(
        self,
        window: QMainWindow,
        chart: Callable[[], ChartPanel],
        report: Callable[[str], None],
    ) -> None:
        self._window = window
        self._chart = chart
        self._report = report
        self.studies_menu = StudiesMenu(window, chart)
        self.objects_menu = ObjectsMenu(window, chart)
        self.data_window = DataWindow()
        self._attached: ChartPanel | None = None
        self._heard: list[ChartPanel] = []
        self.data_window_dock: QDockWidget | None = None
        self.follow_chart()

    def populate(self, menu_bar_menu: QMenu) -> None:
        """Fill the window's Insert menu."""
        self.studies_menu.populate(menu_bar_menu)
        menu_bar_menu.addSeparator()
        self.objects_menu.populate(menu_bar_menu)

    def add_panels(self, host: PanelHost) -> None:
        """Dock the Data Window (hidden at first, Ctrl+D shows it, as in MT5)."""
        dock = host.add_panel(
            "data_window", "Data Window", self.data_window, Qt.DockWidgetArea.RightDockWidgetArea
        )
        toggle = dock.toggleViewAction()
        toggle.setShortcut(QKeySequence("Ctrl+D"))
        toggle.setObjectName("action_data_window")
        dock.hide()
        self.data_window_dock = dock

    def follow_chart(self) -> None:
        """The active chart changed: the Data Window shows its bar and indicators."""
        chart = self._chart()
        if chart is self._attached:
            return
        if self._attached is not None:
            self._attached.studies.attach_data_window(None)
        chart.studies.attach_data_window(self.data_window)
        if (
            chart not in self._heard
        ):  # the chart's notes (an object kept on the chart) in the status bar
            chart.objects.on_notice(partial(self._notice, chart))
            self._heard.append(chart)
        self._attached = chart

    def _notice(self, chart: ChartPanel, text: str) -> None:
        if chart is self._attached:
            self._report(text)
