"""File → Import…: a bar or tick file previewed as it will be read, then imported.

The preview is the importer's own reading of the whole file (on the worker
thread): the first rows as parsed, what kind of file it is, the detected
timeframe and how many lines are bad. The import then runs the command line's
import on the worker and shows the line ``tradeterm import`` prints. The file
is checked whole before anything is stored, so "stop at the first bad line"
stores nothing and "skip" says how many lines it left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.timeframes import Timeframe
from app.engine.history_library import HistoryLibrary, ImportPreview, OnError
from app.ui.history.worker import Worker

ChooseFile = Callable[[], str | None]
DETECTED = "Detected"
_SYMBOL_IN_NAME = re.compile(r"^[A-Za-z0-9.#$@!+-]{2,32}$")


def ask_import_file() -> str | None:
    path, _ = QFileDialog.getOpenFileName(
        None,
        "Import history",
        "",
        "MetaTrader 5 exports and CSV files (*.csv *.txt *.tsv);;All files (*)",
    )
    return path or None


def symbol_from_name(path: Path) -> str:
    """MT5 names its exports ``EURUSD_M1_201704190900_201903141939.csv``: the symbol first."""
    first = path.stem.split("_")[0].strip()
    return first if _SYMBOL_IN_NAME.match(first) else ""


def _time_text(value: int, ticks: bool) -> str:
    if ticks:
        moment = datetime.fromtimestamp(value // 1000, tz=UTC)
        return f"{moment:%Y-%m-%d %H:%M:%S}.{value % 1000:03d}"
    return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M")


class ImportDialog(QDialog):
    """Not modal: the terminal keeps trading while a file is read. ``imported`` carries
    the summary line after a successful import."""

    imported = Signal(str)

    def __init__(
        self,
        library: HistoryLibrary,
        *,
        choose_file: ChooseFile = ask_import_file,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import history")
        self.setObjectName("ImportDialog")
        self.setModal(False)
        self.resize(980, 640)
        self._library = library
        self.choose_file = choose_file
        self.preview: ImportPreview | None = None
        self._path: Path | None = None  # the file chosen, previewed or refused
        self._ticks = False  # it held ticks when last read
        self.summary = ""
        self._done = False  # imported as shown: Import waits for a change
        self.worker = Worker(self)
        self.worker.busy_changed.connect(lambda _busy: self._enable())

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("import_path")
        self.path_edit.setPlaceholderText(
            "A MetaTrader 5 bar or tick export, or a CSV with a header"
        )
        self.path_edit.editingFinished.connect(self._path_typed)
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.clicked.connect(self.browse)
        self.kind_label = QLabel("")
        self.kind_label.setObjectName("import_kind")
        self.kind_label.setWordWrap(True)
        self.symbol_edit = QLineEdit()
        self.symbol_edit.setObjectName("import_symbol")
        self.symbol_edit.setPlaceholderText("the symbol to store it under, e.g. EURUSD")
        self.symbol_edit.textChanged.connect(lambda _text: self._changed())
        self.timeframe_box = QComboBox()
        self.timeframe_box.setObjectName("import_timeframe")
        self.timeframe_box.addItem(DETECTED)
        self.timeframe_box.addItems([tf.name for tf in Timeframe])
        self.timeframe_box.activated.connect(lambda _index: self._timeframe_chosen())
        self.skip_button = QRadioButton("S&kip bad lines and say how many")
        self.skip_button.setObjectName("import_skip")
        self.skip_button.setChecked(True)
        self.stop_button = QRadioButton("S&top at the first bad line (store nothing)")
        self.stop_button.setObjectName("import_stop")
        self._on_error = QButtonGroup(self)
        self._on_error.addButton(self.skip_button)
        self._on_error.addButton(self.stop_button)
        self._on_error.buttonToggled.connect(lambda *_: self._changed())
        self.bad_label = QLabel("")
        self.bad_label.setObjectName("import_bad_lines")
        self.bad_label.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("import_preview")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().setVisible(False)  # row numbers are not the file's lines
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.bar = QProgressBar()
        self.bar.setObjectName("import_progress")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setTextVisible(False)
        self.status = QLabel("Choose a file to see its first rows as they will be stored")
        self.status.setObjectName("import_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("import_start")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)

        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        on_error = QHBoxLayout()
        on_error.addWidget(self.skip_button)
        on_error.addWidget(self.stop_button)
        on_error.addStretch(1)
        form = QFormLayout()
        form.addRow("File", file_row)
        form.addRow("Holds", self.kind_label)
        form.addRow("Symbol", self.symbol_edit)
        form.addRow("Timeframe", self.timeframe_box)
        form.addRow("Bad lines", on_error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.bar, 1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bad_label)
        layout.addWidget(QLabel("First rows, as they will be stored:"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._enable()

    # -- choosing and previewing ----------------------------------------------------------
    def browse(self) -> bool:
        path = self.choose_file()
        return self.choose(Path(path)) if path else False

    def choose(self, path: Path) -> bool:
        """Preview ``path`` (the worker reads it whole); the symbol is guessed from its name."""
        if self.worker.busy:
            return False
        self.path_edit.setText(str(path))
        guess = symbol_from_name(path)
        if guess:
            self.symbol_edit.setText(guess)
        self.timeframe_box.setCurrentIndex(0)
        self._path, self._ticks = path, False
        return self._read_preview(path)

    def _path_typed(self) -> None:
        text = self.path_edit.text().strip()
        current = str(self._path) if self._path is not None else ""
        if text and text != current:
            self.choose(Path(text))

    def _timeframe_chosen(self) -> None:
        """A timeframe the data contradicts is refused now, in the importer's words."""
        if self._path is not None and not self._ticks:
            self._read_preview(self._path)

    def _chosen_timeframe(self) -> Timeframe | None:
        index = self.timeframe_box.currentIndex()
        return None if index <= 0 else Timeframe[self.timeframe_box.currentText()]

    def _read_preview(self, path: Path) -> bool:
        self.preview = None
        self.summary = ""
        self._done = False
        self._show_table((), ())
        self.kind_label.setText("")
        self.bad_label.setText("")
        self._busy(f"Reading {path.name}…")
        timeframe = self._chosen_timeframe()
        return self.worker.run(
            "preview",
            lambda: self._library.preview(path, timeframe),
            self._show_preview,
            self._refused,
        )

    def _show_preview(self, preview: ImportPreview) -> None:
        self._idle(done=False)
        self.preview = preview
        self._ticks = preview.is_ticks
        unit = "ticks" if preview.is_ticks else "bars"
        first = _time_text(preview.first, preview.is_ticks)
        last = _time_text(preview.last, preview.is_ticks)
        what = f"a {preview.description}: {preview.count:,} {unit}, {first} to {last}"
        if preview.timeframe is not None:
            how = "detected" if preview.timeframe_detected else "as chosen"
            what = f"{preview.timeframe.name} ({how}) from " + what
            self.timeframe_box.setItemText(0, f"{DETECTED} ({preview.timeframe.name})")
        else:
            self.timeframe_box.setItemText(0, DETECTED)
        self.kind_label.setText(what[0].upper() + what[1:])
        self.bad_label.setText(f"⚠ {preview.bad_text}" if preview.bad_count else "No bad lines")
        self._show_table(preview.columns, preview.rows)
        self.status.setText("Ready to import: nothing is stored until you press Import")
        self._enable()

    def _refused(self, message: str) -> None:
        self._idle(done=False)
        self.status.setText(message)
        self._enable()

    def _show_table(self, columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> None:
        table = self.table
        table.clear()
        table.setColumnCount(len(columns))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(list(columns))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(r, c, item)

    # -- importing ------------------------------------------------------------------------
    def on_error(self) -> OnError:
        return "stop" if self.stop_button.isChecked() else "skip"

    def start_import(self) -> bool:
        preview = self.preview
        if preview is None or self.worker.busy:
            return False
        symbol = self.symbol_edit.text().strip()
        if not symbol:
            self.status.setText("Type the symbol to store the file under")
            return False
        timeframe = None if preview.is_ticks else self._chosen_timeframe()
        on_error = self.on_error()
        self._busy(f"Importing {preview.path.name} as {symbol}: reading, checking, storing…")

        def done(line: str) -> None:
            self._idle()
            self.summary = line
            self._done = True
            self._enable()
            self.status.setText(line)
            self.imported.emit(line)

        return self.worker.run(
            "import",
            lambda: self._library.import_file(preview.path, symbol, timeframe, on_error),
            done,
            self._refused,
        )

    # -- state ----------------------------------------------------------------------------
    def _busy(self, text: str) -> None:
        self.status.setText(text)
        self.bar.setRange(0, 0)  # the importer reads and stores in one go: a busy bar

    def _idle(self, *, done: bool = True) -> None:
        """The busy bar stops: full after an import, empty otherwise."""
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if done else 0)

    def _changed(self) -> None:
        self._done = False
        self._enable()

    def _enable(self) -> None:
        idle = not self.worker.busy
        preview = self.preview
        self.browse_button.setEnabled(idle)
        self.path_edit.setEnabled(idle)
        self.timeframe_box.setEnabled(idle and self._path is not None and not self._ticks)
        self.import_button.setEnabled(
            idle
            and preview is not None
            and not self._done
            and bool(self.symbol_edit.text().strip())
        )
