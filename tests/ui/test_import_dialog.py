"""File → Import…: real files previewed and imported into a real history store (Parquet)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.timeframes import Timeframe
from app.engine.history_library import HistoryLibrary
from app.history import HistoryStore
from app.ui.history.import_dialog import ImportDialog, symbol_from_name
from tests.ui.conftest import Terminal

BAR_HEADER = "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
TICK_HEADER = "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"


def bar_export(path: Path, hours: int = 30, bad_at: int | None = None) -> Path:
    """An MT5 H1 export from 2024-03-04 00:00; line ``bad_at`` (1 is the header) is broken."""
    lines = [BAR_HEADER]
    for hour in range(hours):
        price = 1.1 + hour * 1e-4
        lines.append(
            f"2024.03.{4 + hour // 24:02d}\t{hour % 24:02d}:00:00\t{price:.5f}\t{price + 3e-4:.5f}"
            f"\t{price - 2e-4:.5f}\t{price + 1e-4:.5f}\t{100 + hour}\t0\t{hour % 5}\n"
        )
        if bad_at is not None and len(lines) == bad_at - 1:
            lines.append("2024.03.04\t25:00:00\t1.1\t1.2\t1.0\t1.1\t5\t0\t1\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def dialog(qtbot: QtBot, tmp_path: Path) -> ImportDialog:
    window = ImportDialog(HistoryLibrary(tmp_path / "history"), choose_file=lambda: None)
    qtbot.addWidget(window)
    window.show()
    return window


def settle(qtbot: QtBot, window: ImportDialog) -> None:
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=20_000)


def cells(window: ImportDialog, row: int) -> list[str]:
    table = window.table
    return [table.item(row, c).text() for c in range(table.columnCount())]


def test_a_bar_export_is_previewed_as_parsed_then_imported_with_the_command_lines_summary(
    qtbot: QtBot, dialog: ImportDialog, tmp_path: Path
) -> None:
    path = bar_export(tmp_path / "EURUSD_H1_202403040000_202403050500.csv", bad_at=5)
    assert dialog.choose(path)
    assert not dialog.import_button.isEnabled()  # while the worker reads the file
    settle(qtbot, dialog)
    assert dialog.symbol_edit.text() == "EURUSD"  # from MT5's file name
    assert dialog.kind_label.text() == (
        "H1 (detected) from a MetaTrader 5 bar export: 30 bars, 2024-03-04 00:00 to 2024-03-05 05:00"
    )
    assert dialog.timeframe_box.currentText() == "Detected (H1)"
    assert dialog.bad_label.text() == (
        "⚠ 1 bad line (line 5; line 5: bad date or time in <DATE> <TIME>: '2024.03.04 25:00:00')"
    )
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(8)]
    assert headers == ["Time", "Open", "High", "Low", "Close", "Tick volume", "Spread", "Volume"]
    assert dialog.table.rowCount() == 20
    assert cells(dialog, 0) == [
        "2024-03-04 00:00",
        "1.1000",
        "1.1003",
        "1.0998",
        "1.1001",
        "100",
        "0",
        "0",
    ]
    assert cells(dialog, 3)[0] == "2024-03-04 03:00"  # the bad line is not a row
    store = HistoryStore(tmp_path / "history")
    assert store.listing() == []  # a preview stores nothing

    imported: list[str] = []
    dialog.imported.connect(imported.append)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    line = (
        "Imported EURUSD H1 (detected) from a MetaTrader 5 bar export: 30 bars, "
        "2024-03-04 00:00 to 2024-03-05 05:00; 1 bad line skipped (line 5; line 5: bad date "
        "or time in <DATE> <TIME>: '2024.03.04 25:00:00')"
    )
    assert imported == [line]
    assert dialog.status.text() == line
    bars = store.read_bars("EURUSD", Timeframe.H1)
    assert len(bars) == 30 and float(bars["close"][0]) == pytest.approx(1.1001)
    assert not dialog.import_button.isEnabled()  # done: once more only after a change
    dialog.symbol_edit.setText("EURUSD.b")
    assert dialog.import_button.isEnabled()


def test_stop_at_the_first_bad_line_stores_nothing_and_says_which(
    qtbot: QtBot, dialog: ImportDialog, tmp_path: Path
) -> None:
    path = bar_export(tmp_path / "GBPUSD_H1.csv", bad_at=9)
    dialog.choose(path)
    settle(qtbot, dialog)
    dialog.stop_button.setChecked(True)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    assert dialog.status.text() == (
        "GBPUSD_H1.csv line 9: bad date or time in <DATE> <TIME>: '2024.03.04 25:00:00'; "
        "nothing was stored"
    )
    assert dialog.summary == ""
    assert HistoryStore(tmp_path / "history").listing() == []


def test_a_timeframe_the_data_contradicts_is_refused_before_anything_is_stored(
    qtbot: QtBot, dialog: ImportDialog, tmp_path: Path
) -> None:
    dialog.choose(bar_export(tmp_path / "EURUSD.csv"))
    settle(qtbot, dialog)
    dialog.timeframe_box.setCurrentText("M5")
    dialog.timeframe_box.activated.emit(dialog.timeframe_box.currentIndex())
    settle(qtbot, dialog)
    assert "holds bars H1 apart, not M5" in dialog.status.text()
    assert dialog.preview is None and not dialog.import_button.isEnabled()
    dialog.timeframe_box.setCurrentText("H1")
    dialog.timeframe_box.activated.emit(dialog.timeframe_box.currentIndex())
    settle(qtbot, dialog)
    assert dialog.kind_label.text().startswith("H1 (as chosen) from a MetaTrader 5 bar export")


def test_a_tick_export_with_empty_prices_is_previewed_with_them_carried_forward(
    qtbot: QtBot, dialog: ImportDialog, tmp_path: Path
) -> None:
    path = tmp_path / "EURUSD_202403040900_202403040901.csv"
    path.write_text(
        TICK_HEADER
        + "2024.03.04\t09:00:00.125\t1.10001\t1.10011\t\t\t6\n"
        + "2024.03.04\t09:00:00.375\t\t1.10013\t\t\t4\n"
        + "2024.03.04\t09:00:01.000\t1.10002\t\t\t\t2\n",
        encoding="utf-8",
    )
    dialog.choose(path)
    settle(qtbot, dialog)
    assert dialog.kind_label.text() == (
        "A MetaTrader 5 tick export: 3 ticks, 2024-03-04 09:00:00.125 to 2024-03-04 09:00:01.000"
    )
    assert not dialog.timeframe_box.isEnabled()  # ticks have no timeframe
    assert cells(dialog, 1) == [
        "2024-03-04 09:00:00.375",
        "1.10001",
        "1.10013",
        "0.00000",
        "0",
        "4",
    ]
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    assert dialog.summary.startswith(
        "Imported EURUSD ticks from a MetaTrader 5 tick export: 3 ticks"
    )
    assert len(HistoryStore(tmp_path / "history").read_ticks("EURUSD")) == 3


def test_a_csv_with_a_header_and_no_symbol_in_its_name(
    qtbot: QtBot, dialog: ImportDialog, tmp_path: Path
) -> None:
    path = tmp_path / "my prices.csv"
    path.write_text(
        "time,open,high,low,close,volume\n"
        "2024-03-04 00:00,1.1,1.2,1.0,1.15,10\n"
        "2024-03-05 00:00,1.15,1.25,1.1,1.2,11\n"
        "2024-03-06 00:00,1.2,1.3,1.1,1.25,12\n",
        encoding="utf-8",
    )
    dialog.choose(path)
    settle(qtbot, dialog)
    assert dialog.kind_label.text().startswith("D1 (detected) from a CSV bar file: 3 bars")
    assert dialog.symbol_edit.text() == ""  # "my prices" is no symbol: the trader types it
    assert not dialog.import_button.isEnabled()
    qtbot.keyClicks(dialog.symbol_edit, "DAX40")
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    assert dialog.summary.startswith("Imported DAX40 D1 (detected) from a CSV bar file: 3 bars")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty.csv is empty"),
        ("name,age\nann,3\n", "empty.csv is not a MetaTrader 5 export or a CSV file with a header"),
        (BAR_HEADER, "empty.csv has a header but no data rows"),
    ],
)
def test_an_empty_or_foreign_file_is_one_sentence_and_cannot_be_imported(
    qtbot: QtBot, dialog: ImportDialog, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    dialog.choose(path)
    settle(qtbot, dialog)
    assert dialog.status.text().startswith(message)
    assert "\n" not in dialog.status.text()
    assert dialog.table.rowCount() == 0 and not dialog.import_button.isEnabled()


def test_symbol_from_mt5_file_names() -> None:
    assert symbol_from_name(Path("EURUSD_M1_201704190900_201903141939.csv")) == "EURUSD"
    assert symbol_from_name(Path("XAUUSD.a_20240101.csv")) == "XAUUSD.a"
    assert symbol_from_name(Path("my prices.csv")) == ""


def test_file_import_opens_the_dialog_and_the_history_window_shows_the_import(
    qtbot: QtBot,
    make_terminal: Callable[..., Terminal],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRADETERM_HOME", str(tmp_path))
    terminal = make_terminal()
    history = terminal.window.stored_history
    path = bar_export(tmp_path / "USDJPY_H1.csv")
    history.import_dialog.choose_file = lambda: str(path)
    history.history_action.trigger()  # the History window is open behind the dialog
    qtbot.waitUntil(lambda: not history.window.worker.busy, timeout=10_000)
    history.import_action.trigger()
    dialog = history.import_dialog
    assert dialog.isVisible()
    settle(qtbot, dialog)
    assert dialog.symbol_edit.text() == "USDJPY"
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    qtbot.waitUntil(lambda: history.window.model.rowCount() == 1, timeout=10_000)
    assert history.window.model.series(0).symbol == "USDJPY"
    assert history.window.model.series(0).count == 30
