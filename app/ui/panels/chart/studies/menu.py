"""The Insert menu's indicator entries, acting on whichever chart is active.

The window passes a callable that returns the active chart, so the same menu
serves one chart or many: Insert → Indicators… (Ctrl+I) opens the list, Insert →
Indicator ▸ adds one directly, Insert → Remove all indicators clears the chart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.indicators import INDICATORS, Placement
from app.ui.panels.chart.studies.dialog import StudiesDialog, StudyDialog

if TYPE_CHECKING:
    from app.ui.panels.chart.panel import ChartPanel


class StudiesMenu:
    """Indicator actions for a menu; ``chart()`` is the chart they act on."""

    def __init__(self, parent: QWidget, chart: Callable[[], ChartPanel]) -> None:
        self._parent = parent
        self._chart = chart
        self.dialog: StudiesDialog | None = None
        self.list_action = QAction("&Indicators…", parent)
        self.list_action.setObjectName("action_indicators")
        self.list_action.setShortcut(QKeySequence("Ctrl+I"))
        self.list_action.setToolTip("Indicators on the chart: add, edit, remove (Ctrl+I)")
        self.list_action.triggered.connect(self.open_list)
        self.add_menu = QMenu("Add &indicator", parent)
        for placement, heading in (
            (Placement.OVERLAY, "On the price"),
            (Placement.PANE, "In a pane"),
        ):
            self.add_menu.addSection(heading)
            for name, cls in INDICATORS.items():
                if cls.placement is placement:
                    action = self.add_menu.addAction(f"{cls.title} ({cls.short})…")
                    action.setObjectName(f"action_add_{name}")
                    action.triggered.connect(lambda _=False, n=name: self.open_add(n))
        self.clear_action = QAction("Remove all indicators", parent)
        self.clear_action.setObjectName("action_clear_indicators")
        self.clear_action.triggered.connect(lambda: self._chart().studies.clear())

    def populate(self, menu: QMenu) -> None:
        menu.addAction(self.list_action)
        menu.addMenu(self.add_menu)
        menu.addAction(self.clear_action)

    def open_list(self) -> StudiesDialog:
        """The list of indicators (Enter adds or edits, Delete removes)."""
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = StudiesDialog(lambda: self._chart().studies, self._parent)
        self.dialog.open()
        self.dialog.available.setFocus()
        return self.dialog

    def open_add(self, name: str) -> StudyDialog:
        """The dialog of a new ``name`` indicator; on OK it goes on the active chart."""
        editor = StudyDialog(name, None, self._parent)

        def apply() -> None:
            if editor.spec is not None:
                self._chart().studies.add(editor.spec)

        editor.accepted.connect(apply)
        editor.open()
        return editor
