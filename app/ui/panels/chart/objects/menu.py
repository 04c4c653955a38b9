"""The Insert menu's object entries, acting on whichever chart is active."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.ui.panels.chart.objects.dialog import ObjectsDialog
from app.ui.panels.chart.objects.layer import KEY_OF
from app.ui.panels.chart.objects.model import TITLES, ObjectKind

if TYPE_CHECKING:
    from app.ui.panels.chart.panel import ChartPanel


class ObjectsMenu:
    """Draw-an-object actions and the objects list; ``chart()`` is the chart they act on."""

    def __init__(self, parent: QWidget, chart: Callable[[], ChartPanel]) -> None:
        self._parent = parent
        self._chart = chart
        self.dialog: ObjectsDialog | None = None
        self.draw_menu = QMenu("&Objects", parent)
        self.tool_actions: dict[ObjectKind, QAction] = {}
        for kind in ObjectKind:
            # The key works with the chart focused (the chart reads it, not a window shortcut).
            action = self.draw_menu.addAction(f"{TITLES[kind]}\t{KEY_OF[kind]} on the chart")
            action.setObjectName(f"action_draw_{kind.value}")
            action.triggered.connect(lambda _=False, k=kind: self.draw(k))
            self.tool_actions[kind] = action
        self.list_action = QAction("Objects &list…", parent)
        self.list_action.setObjectName("action_objects_list")
        self.list_action.setShortcut(QKeySequence("Ctrl+L"))
        self.list_action.setToolTip("The chart's drawing objects: edit, delete (Ctrl+L)")
        self.list_action.triggered.connect(self.open_list)

    def populate(self, menu: QMenu) -> None:
        menu.addMenu(self.draw_menu)
        menu.addAction(self.list_action)

    def draw(self, kind: ObjectKind) -> None:
        """Draw a ``kind`` with the mouse on the active chart."""
        chart = self._chart()
        chart.setFocus()
        chart.objects.start(kind)

    def open_list(self) -> ObjectsDialog:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = ObjectsDialog(lambda: self._chart().objects, self._parent)
        self.dialog.open()
        self.dialog.table.setFocus()
        return self.dialog
