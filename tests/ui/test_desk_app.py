"""First run, themes and remembered window state: the desk app a trader comes back to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from app.settings import Settings
from app.ui.first_run import Preferences, is_first_run, show_welcome
from app.ui.runtime.window_state import keep_on_screen, visible_enough
from app.ui.widgets.theme import apply_theme, resolve_theme
from tests.ui.conftest import Terminal


def test_first_run_shows_the_welcome_once(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    window = make_terminal().window
    user_file = tmp_path / "config" / "settings.toml"
    store = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    assert is_first_run(user_file, store)
    preferences = Preferences(window, Settings(), user_file)

    welcome = show_welcome(preferences, store)
    qtbot.waitUntil(welcome.isVisible, timeout=3000)
    assert "paper mode" in _all_text(welcome)
    assert "Settings → Preferences → Broker" in _all_text(welcome)
    welcome.dont_show_again.setChecked(True)
    welcome.accept()
    assert not is_first_run(user_file, store)


def test_with_metatrader_5_the_welcome_says_orders_go_to_the_account(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    window = make_terminal().window
    store = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    settings = Settings(broker={"kind": "mt5"})  # type: ignore[arg-type]
    preferences = Preferences(window, settings, tmp_path / "settings.toml")

    welcome = show_welcome(preferences, store)
    qtbot.waitUntil(welcome.isVisible, timeout=3000)
    text = _all_text(welcome)
    buttons = [button.text() for button in welcome.findChildren(QPushButton)]
    assert "paper mode" not in text and "Start on paper" not in buttons
    assert "MetaTrader 5" in text and "real money" in text
    assert "Settings → Preferences → MetaTrader 5" in text
    welcome.accept()


def test_welcome_can_lead_straight_to_the_settings(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    window = make_terminal().window
    store = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    preferences = Preferences(window, Settings(), tmp_path / "settings.toml")
    welcome = show_welcome(preferences, store)
    welcome._go_to_settings()
    qtbot.waitUntil(
        lambda: preferences.dialog is not None and preferences.dialog.isVisible(), timeout=3000
    )
    assert is_first_run(tmp_path / "settings.toml", store)  # not dismissed: shows again next time
    preferences.dialog.reject()  # type: ignore[union-attr]


def test_preferences_action_opens_the_dialog_and_saving_ends_first_run(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    window = make_terminal().window
    user_file = tmp_path / "settings.toml"
    preferences = Preferences(window, Settings(), user_file)
    window.preferences_action.trigger()
    dialog = preferences.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    assert dialog.save()
    assert user_file.exists()
    store = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    assert not is_first_run(user_file, store)
    assert str(user_file) in window.statusBar().currentMessage()


def test_themes_dark_light_and_following_the_system(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert resolve_theme("system", system_is_dark=True) == "dark"
    assert resolve_theme("system", system_is_dark=False) == "light"
    assert resolve_theme("light", system_is_dark=True) == "light"
    try:
        assert apply_theme(app, "dark") == "dark"
        dark_window = app.palette().color(QPalette.ColorRole.Window)
        assert dark_window.lightness() < 60
        assert apply_theme(app, "light") == "light"
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180
    finally:
        apply_theme(app, "light")


def test_window_stranded_on_a_missing_monitor_comes_back(qtbot: QtBot) -> None:
    screens = [QRect(0, 0, 1920, 1080)]
    assert visible_enough(QRect(100, 100, 800, 600), screens)
    assert not visible_enough(QRect(2500, 100, 800, 600), screens)  # was on a second monitor
    assert not visible_enough(QRect(100, -500, 800, 300), screens)  # title bar above the screen

    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.move(50_000, 50_000)
    widget.show()
    assert keep_on_screen(widget)
    assert not keep_on_screen(widget)  # now it is visible: nothing more to do


def test_column_widths_and_chart_symbol_are_remembered(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    state = tmp_path / "layout.ini"
    first = make_terminal(state_file=state).window
    first.positions.horizontalHeader().resizeSection(1, 173)
    first.ticket.symbol.setCurrentText("USDJPY")
    qtbot.waitUntil(lambda: first.chart.symbol == "USDJPY", timeout=5000)
    first.close()

    second = make_terminal(state_file=state).window
    assert second.positions.horizontalHeader().sectionSize(1) == 173
    qtbot.waitUntil(lambda: second.chart.symbol == "USDJPY", timeout=5000)


def _all_text(widget: object) -> str:
    from PySide6.QtWidgets import QLabel, QWidget

    assert isinstance(widget, QWidget)
    return " ".join(label.text() for label in widget.findChildren(QLabel))


def test_first_window_fits_a_small_or_scaled_screen(qtbot: QtBot) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QWidget

    from app.ui.runtime.window_state import fit_to_screen

    area = QGuiApplication.primaryScreen().availableGeometry()
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.resize(area.width() * 2, area.height() * 2)  # as 1400x860 at 200 % on a small screen
    fit_to_screen(widget)
    assert widget.width() <= area.width() and widget.height() <= area.height()
