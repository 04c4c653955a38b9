"""The History window: what the store holds, with delete and export, downloads and recording.

The listing reads the files' footers only, yet it still runs on the worker
thread with every other store action, so a slow disk never freezes the
terminal; while a job runs the buttons that would start another wait.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.commands import Command
from app.domain.timeframes import Timeframe
from app.engine.history_library import HistoryLibrary, StoredChart, StoredSeries
from app.ui.history.download import DownloadPanel
from app.ui.history.listing import SeriesModel, seconds_text, series_table
from app.ui.history.worker import Worker
from app.ui.runtime.window_state import fit_to_screen

Confirm = Callable[[str, str], bool]
ChoosePath = Callable[[str], str | None]


def ask_export_path(suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(None, "Export CSV", suggested, "CSV files (*.csv)")
    return path or None


class StoredHistoryWindow(QWidget):
    """A separate window. ``chart_requested`` carries stored bars for the chart."""

    chart_requested = Signal(object)  # StoredChart
    import_requested = Signal()
    listing_changed = Signal(list)  # list[StoredSeries], after every refresh

    def __init__(
        self,
        send: Callable[[Command], None],
        library: HistoryLibrary,
        *,
        confirm: Confirm,
        choose_path: ChoosePath = ask_export_path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("History")
        self.setObjectName("StoredHistoryWindow")
        self.resize(1000, 620)
        self.library = library
        self._confirm = confirm
        self._choose_path = choose_path
        self.worker = Worker(self)
        self.worker.busy_changed.connect(lambda _busy: self._enable())

        self.model = SeriesModel()
        self.table = series_table(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.table.doubleClicked.connect(lambda _index: self.open_chart())
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.chart_button = QPushButton("Open &chart")
        self.chart_button.setObjectName("history_open_chart")
        self.chart_button.setToolTip("Show the stored bars on the chart (double-click a row)")
        self.chart_button.clicked.connect(self.open_chart)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setObjectName("history_export")
        self.export_button.clicked.connect(self.export_selected)
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.setObjectName("history_delete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.import_button = QPushButton("&Import…")
        self.import_button.setObjectName("history_import")
        self.import_button.clicked.connect(self.import_requested)
        self.summary = QLabel("")
        self.summary.setObjectName("stored_history_summary")
        self.status = QLabel("")
        self.status.setObjectName("stored_history_status")
        self.status.setWordWrap(True)
        self.downloads = DownloadPanel(send)
        self.downloads.download_finished.connect(lambda _p: self.refresh())

        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.chart_button, self.export_button):
            buttons.addWidget(button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Stored bars and ticks (times on the data's clock):"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.downloads)
        self._enable()
        fit_to_screen(self)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc closes the window, as it closes a dialog."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- the listing ----------------------------------------------------------------------
    def refresh(self) -> bool:
        """Read the listing again (on the worker); ``False`` if a job is running."""
        return self.worker.run("listing", self.library.listing, self._show_listing, self._say)

    def _show_listing(self, series: list[StoredSeries]) -> None:
        chosen = self.selected()
        self.model.set_series(series)
        if chosen is not None:
            for row, s in enumerate(series):
                if (s.symbol, s.series) == (chosen.symbol, chosen.series):
                    self.table.selectRow(row)
        if not series:
            self.summary.setText(
                "Nothing is stored yet: import a file (File → Import…) "
                "or download from the broker below"
            )
        else:
            total = sum(s.count for s in series)
            self.summary.setText(f"{len(series)} series, {total:,} rows in the history folder")
        self.summary.setToolTip(str(self.library.root))
        self.listing_changed.emit(series)

    def selected(self) -> StoredSeries | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.series(rows[0].row()) if rows else None

    def select(self, symbol: str, series: str) -> bool:
        for row, s in enumerate(self.model.all_series()):
            if (s.symbol, s.series) == (symbol, series):
                self.table.selectRow(row)
                return True
        return False

    # -- actions --------------------------------------------------------------------------
    def delete_selected(self) -> bool:
        chosen = self.selected()
        if chosen is None or self.worker.busy:
            return False
        what = f"{chosen.symbol} {chosen.series}"
        if not self._confirm(
            "Delete history",
            f"Delete every stored {what} row ({chosen.count:,}, "
            f"{_dates(chosen)})? This cannot be undone.",
        ):
            return False

        def deleted(names: list[str]) -> None:
            self._say(f"Deleted {', '.join(names)}" if names else f"{what} was already gone")
            self.refresh()

        self._say(f"Deleting {what}…")
        return self.worker.run(
            "delete", lambda: self.library.delete(chosen.symbol, chosen.series), deleted, self._say
        )

    def export_selected(self) -> bool:
        chosen = self.selected()
        if chosen is None or self.worker.busy:
            return False
        suggested = f"{chosen.symbol}-{chosen.series}.csv".replace("/", "-")
        path = self._choose_path(suggested)
        if not path:
            return False
        target = Path(path)
        what = f"{chosen.symbol} {chosen.series}"
        self._say(f"Exporting {what} to {target}…")
        return self.worker.run(
            "export",
            lambda: self.library.export_csv(chosen.symbol, chosen.series, target),
            lambda written: self._say(f"Exported {written:,} {what} rows to {target}"),
            self._say,
        )

    def open_chart(self) -> bool:
        """Read the newest stored bars of the selected series and hand them to the chart."""
        chosen = self.selected()
        if chosen is None or self.worker.busy:
            return False
        timeframe = _timeframe(chosen)
        if timeframe is None:
            self._say("Ticks have no chart: choose a bar series (import or download bars)")
            return False
        self._say(f"Loading {chosen.symbol} {chosen.series} for the chart…")

        def loaded(chart: StoredChart) -> None:
            bars = len(chart.history.time)  # type: ignore[arg-type]
            self._say(
                f"{chosen.symbol} {chosen.series}: the newest {bars:,} stored bars on the chart"
            )
            self.chart_requested.emit(chart)

        return self.worker.run(
            "chart", lambda: self.library.chart_bars(chosen.symbol, timeframe), loaded, self._say
        )

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _enable(self) -> None:
        chosen = self.selected()
        idle = not self.worker.busy
        self.refresh_button.setEnabled(idle)
        for button in (self.export_button, self.delete_button):
            button.setEnabled(idle and chosen is not None)
        self.chart_button.setEnabled(idle and chosen is not None and not chosen.is_ticks)


def _timeframe(series: StoredSeries) -> Timeframe | None:
    return None if series.is_ticks else Timeframe[series.series]


def _dates(series: StoredSeries) -> str:
    return f"{seconds_text(series.first)} to {seconds_text(series.last)}"
