"""The history windows in the main window: File → Import…, View → History…, the chart hook.

One object the main window creates and adds to its menus, so the window itself
changes by a few lines. The History window is built at once (hidden) so that it
follows the engine's recording and download facts from the start; it reads the
store only when shown.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from app.domain.commands import Command
from app.domain.timeframes import Timeframe
from app.engine.bus import EventBus
from app.engine.history_library import HistoryLibrary, StoredChart
from app.ui.desk.model import DeskModel
from app.ui.history.chart import StoredChartFeed
from app.ui.history.import_dialog import ChooseFile, ImportDialog, ask_import_file
from app.ui.history.window import Confirm, StoredHistoryWindow
from app.ui.history.worker import Worker


class HistoryWindows:
    def __init__(
        self,
        parent: QWidget,
        bus: EventBus,
        send: Callable[[Command], None],
        desk: DeskModel,
        *,
        confirm: Confirm,
        show_bars: Callable[[StoredChart], None],
        status: Callable[[str], None] = lambda _text: None,
        library: HistoryLibrary | None = None,
        choose_file: ChooseFile = ask_import_file,
    ) -> None:
        self._parent = parent
        self._desk = desk
        self.library = library or HistoryLibrary()
        self.window = StoredHistoryWindow(send, self.library, confirm=confirm, parent=parent)
        self.chart_feed = StoredChartFeed(self.library, Worker(parent), show_bars, status)
        self.window.chart_requested.connect(self.chart_feed.shown)
        self.window.import_requested.connect(self.open_import)
        # One dialog, kept: a running import's worker lives as long as the terminal.
        self.import_dialog = ImportDialog(self.library, choose_file=choose_file, parent=parent)
        self.import_dialog.imported.connect(lambda _line: self._imported())
        bus.history_jobs.connect(self.window.downloads.on_fact)
        self.history_action = QAction("&History…", parent)
        self.history_action.setObjectName("action_stored_history")
        self.history_action.setToolTip("Stored bars and ticks: import, download, record, chart")
        self.history_action.triggered.connect(self.open_history)
        self.import_action = QAction("&Import…", parent)
        self.import_action.setObjectName("action_import_history")
        self.import_action.triggered.connect(self.open_import)

    def add_to(self, file_menu: QMenu, view_menu: QMenu) -> None:
        file_menu.addAction(self.import_action)
        view_menu.addAction(self.history_action)
        view_menu.addSeparator()

    def follow_timeframe(
        self, symbol: str, timeframe: Timeframe, deliver: Callable[[StoredChart], None]
    ) -> None:
        """A stored chart's timeframe changed: its bars from the store, for ``deliver``."""
        self.chart_feed.follow(symbol, timeframe, deliver)

    def open_history(self) -> StoredHistoryWindow:
        window = self.window
        window.downloads.set_symbols(self._desk.specs)
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def open_import(self) -> ImportDialog:
        """File → Import…: the dialog, which asks for the file when it has none yet."""
        dialog = self.import_dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        if dialog.preview is None and not dialog.worker.busy:
            dialog.browse()
        return dialog

    def _imported(self) -> None:
        if self.window.isVisible():
            self.window.refresh()
