"""Download from the broker and record live ticks: the engine's history jobs, from the GUI.

Both are the engine's work (only the engine thread calls the broker): this
panel sends ``DownloadHistory`` / ``CancelDownload`` and ``StartTickRecording`` /
``StopTickRecording``, and shows what the ``DownloadProgress`` and
``RecordingState`` facts say. The toggle shows the engine's state, not the
click: it changes when the engine confirms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.commands import Command
from app.domain.enums import OrderSource
from app.domain.history_jobs import (
    TICKS_SERIES,
    CancelDownload,
    DownloadHistory,
    DownloadProgress,
    RecordingState,
    StartTickRecording,
    StopTickRecording,
)
from app.domain.timeframes import Timeframe

SERIES_CHOICES = (*(tf.name for tf in Timeframe), TICKS_SERIES)
DEFAULT_DAYS = 30
PROGRESS_STEPS = 1000


def day_start(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _date_edit(value: date, name: str) -> QDateEdit:
    edit = QDateEdit(QDate(value.year, value.month, value.day))
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class DownloadPanel(QWidget):
    """``download_finished`` fires when a download ends (stored rows may have changed)."""

    download_finished = Signal(object)  # the last DownloadProgress

    def __init__(
        self,
        send: Callable[[Command], None],
        *,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._send = send
        self.progress: DownloadProgress | None = None
        self.recording: RecordingState | None = None

        self.symbol_box = QComboBox()
        self.symbol_box.setObjectName("download_symbol")
        self.symbol_box.setEditable(True)
        self.symbol_box.setMinimumWidth(110)
        self.series_box = QComboBox()
        self.series_box.setObjectName("download_series")
        self.series_box.addItems(list(SERIES_CHOICES))
        end = today()
        self.start_edit = _date_edit(end - timedelta(days=DEFAULT_DAYS), "download_from")
        self.end_edit = _date_edit(end, "download_to")
        self.download_button = QPushButton("&Download")
        self.download_button.setObjectName("download_start")
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("download_cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.bar = QProgressBar()
        self.bar.setObjectName("download_progress")
        self.bar.setRange(0, PROGRESS_STEPS)
        self.bar.setValue(0)
        self.bar.setTextVisible(True)
        self.bar.setFormat("")
        self.status = QLabel("Bars or ticks over the dates (the broker's clock), into the store")
        self.status.setObjectName("download_status")
        self.status.setWordWrap(True)

        self.record_box = QCheckBox("&Record live ticks of every symbol into the store")
        self.record_box.setObjectName("record_ticks")
        self.record_box.clicked.connect(self._record_clicked)
        self.record_status = QLabel("Recording is off")
        self.record_status.setObjectName("record_status")

        download = QGroupBox("Download from the broker")
        grid = QGridLayout(download)
        grid.addWidget(QLabel("Symbol"), 0, 0)
        grid.addWidget(self.symbol_box, 0, 1)
        grid.addWidget(QLabel("Series"), 0, 2)
        grid.addWidget(self.series_box, 0, 3)
        grid.addWidget(QLabel("From"), 0, 4)
        grid.addWidget(self.start_edit, 0, 5)
        grid.addWidget(QLabel("to"), 0, 6)
        grid.addWidget(self.end_edit, 0, 7)
        grid.addWidget(self.download_button, 0, 8)
        grid.addWidget(self.cancel_button, 0, 9)
        grid.setColumnStretch(10, 1)
        grid.addWidget(self.bar, 1, 0, 1, 11)
        grid.addWidget(self.status, 2, 0, 1, 11)

        record = QGroupBox("Live ticks")
        row = QHBoxLayout(record)
        row.addWidget(self.record_box)
        row.addWidget(self.record_status, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(download)
        layout.addWidget(record)

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """The broker's symbols to choose from (the typed or chosen one is kept)."""
        current = self.symbol_box.currentText()
        names = list(symbols)
        self.symbol_box.clear()
        self.symbol_box.addItems(names)
        if current:
            self.symbol_box.setCurrentText(current)

    # -- download -------------------------------------------------------------------------
    def start_download(self) -> DownloadHistory | None:
        """Send the download; a missing symbol or a reversed range is refused here in words."""
        symbol = self.symbol_box.currentText().strip().upper()
        start_day, end_day = _to_date(self.start_edit.date()), _to_date(self.end_edit.date())
        if not symbol:
            self.status.setText("Choose the symbol to download")
            return None
        if start_day > end_day:
            self.status.setText(f"The start date {start_day} is after the end date {end_day}")
            return None
        series = self.series_box.currentText()
        command = DownloadHistory(
            symbol,
            series,
            day_start(start_day),
            day_start(end_day + timedelta(days=1)) - 1,
            OrderSource.MENU,
        )
        self.progress = None
        self.bar.setValue(0)
        self.bar.setFormat("")
        self.status.setText(f"Asking the engine to download {symbol} {series}…")
        self._send(command)
        return command

    def cancel_download(self) -> None:
        self._send(CancelDownload(OrderSource.MENU))

    # -- the engine's facts ---------------------------------------------------------------
    def on_fact(self, fact: object) -> None:
        if isinstance(fact, DownloadProgress):
            self._on_progress(fact)
        elif isinstance(fact, RecordingState):
            self._on_recording(fact)

    def _on_progress(self, p: DownloadProgress) -> None:
        self.progress = p
        self.bar.setValue(round(p.share * PROGRESS_STEPS))
        what = "ticks" if p.series == TICKS_SERIES else f"{p.series} bars"
        counts = f"{p.received:,} {what} received, {p.stored:,} stored"
        self.bar.setFormat(f"%p%  ·  {counts}")
        running = not p.finished
        self.cancel_button.setEnabled(running)
        self.download_button.setEnabled(not running)
        if not p.finished:
            self.status.setText(f"Downloading {p.symbol} {what}…")
            return
        if p.error:
            self.status.setText(f"Download of {p.symbol} {what} ended: {p.error}")
        elif p.cancelled:
            self.status.setText(f"Download of {p.symbol} cancelled; {p.stored:,} {what} kept")
        else:
            self.bar.setValue(PROGRESS_STEPS)
            self.status.setText(f"Downloaded {p.stored:,} {p.symbol} {what} into the store")
        self.download_finished.emit(p)

    # -- recording ------------------------------------------------------------------------
    def _record_clicked(self, checked: bool) -> None:
        with QSignalBlocker(self.record_box):  # shows the engine's state until it answers
            self.record_box.setChecked(bool(self.recording and self.recording.recording))
        if checked:
            self._send(StartTickRecording((), OrderSource.MENU))
            self.record_status.setText("Asking the engine to record…")
        else:
            self._send(StopTickRecording(OrderSource.MENU))
            self.record_status.setText("Asking the engine to stop recording…")

    def _on_recording(self, state: RecordingState) -> None:
        self.recording = state
        with QSignalBlocker(self.record_box):
            self.record_box.setChecked(state.recording)
        which = ", ".join(state.symbols) if state.symbols else "every symbol"
        counts = f"{state.stored:,} ticks stored, {state.waiting:,} waiting for the disk"
        if state.recording:
            text = f"Recording {which}: {counts}"
        elif state.error:
            text = f"Recording stopped: {state.error} ({counts})"
        else:
            text = f"Recording is off ({counts})"
        self.record_status.setText(text)
