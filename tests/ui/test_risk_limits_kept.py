"""A change in Settings → Risk limits holds after a restart (the user's settings file).

Driven on a real window with the engine thread: the dialog's change is written once
the engine has applied it, into ``[risk]`` of the user's settings file, which the next
start reads; a change the engine refuses (loosening while HALTED) is not written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.domain.commands import Halt
from app.domain.enums import TradingState
from app.domain.risk_limits import RiskLimits, SymbolLimits, TradingHours
from app.settings import RiskSettings, Settings, load_settings
from app.ui.dialogs.risk_limits import RiskLimitsDialog
from app.ui.first_run import Preferences
from tests.ui.conftest import Terminal


def test_limits_round_trip_through_the_settings() -> None:
    limits = RiskLimits(
        max_order_volume=2.5,
        max_open_positions=3,
        allowed_symbols=("EURUSD", "XAUUSD"),
        trading_hours=TradingHours.parse(
            {"monday": ["08:00-12:00", "13:00-17:30"], "saturday": [], "sunday": []}
        ),
        symbols={"XAUUSD": SymbolLimits(max_order_volume=0.5, max_spread_points=40)},
        reduce_on_warning=True,
    )
    assert RiskSettings.from_limits(limits).to_limits() == limits
    assert RiskSettings.from_limits(RiskLimits()).to_limits() == RiskLimits()


def _change_max_volume(qtbot: QtBot, terminal: Terminal, text: str) -> None:
    window = terminal.window
    qtbot.waitUntil(lambda: window.desk.risk is not None, timeout=5000)
    window.risk_limits_action.trigger()
    dialog = window.risk_dialog
    assert dialog is not None
    dialog.numbers["max_order_volume"].setText(text)
    dialog.accept()
    assert not dialog.isVisible(), dialog.error.text()


def test_a_tightened_limit_is_saved_and_read_back_at_the_next_start(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    terminal = make_terminal()
    window = terminal.window
    config = tmp_path / "config"
    preferences = Preferences(window, Settings(), config / "settings.toml")
    _change_max_volume(qtbot, terminal, "4")
    qtbot.waitUntil(lambda: "saved to" in window.statusBar().currentMessage(), timeout=5000)
    assert "they hold after a restart" in window.statusBar().currentMessage()
    # The next start reads it: the limit is 4 lots, the rest as before.
    again = load_settings(environ={}, user_config_dir=config)
    assert again.risk.max_order_volume == 4.0
    assert again.risk.to_limits() == replace(Settings().risk.to_limits(), max_order_volume=4.0)
    assert preferences.settings.risk.max_order_volume == 4.0  # Preferences shows it too
    text = (config / "settings.toml").read_text(encoding="utf-8")
    assert "[risk]" in text and "max_order_volume = 4.0" in text
    assert "[broker]" not in text  # only what the dialog changed


def test_a_change_the_engine_refuses_is_not_saved(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    terminal = make_terminal()
    window = terminal.window
    user_file = tmp_path / "config" / "settings.toml"
    Preferences(window, Settings(), user_file)
    window.send(Halt("kill switch"))
    qtbot.waitUntil(lambda: window.desk.state is TradingState.HALTED, timeout=5000)
    _change_max_volume(qtbot, terminal, "8")  # loosening: refused while HALTED
    qtbot.waitUntil(
        lambda: any("max_order_volume" in m for m in window.log_model.messages()), timeout=5000
    )
    qtbot.wait(300)
    assert window.desk.risk is not None and window.desk.risk.limits.max_order_volume == 5.0
    assert not user_file.exists()


def test_the_dialog_refuses_what_the_settings_file_could_not_hold(qtbot: QtBot) -> None:
    """An accepted change is saved: a value the engine would take but a settings file
    refuses (a trading day starting at 24:00) is refused in the dialog, before it applies."""
    dialog = RiskLimitsDialog(Settings().risk.to_limits())
    qtbot.addWidget(dialog)
    dialog.reset_time.setText("24:00")
    limits, problems = dialog.build()
    assert limits is None and any("daily_reset_time" in p for p in problems), problems
    dialog.reset_time.setText("7:00")  # read as 07:00, by the engine and the file alike
    limits, problems = dialog.build()
    assert limits is not None, problems
    assert RiskSettings.from_limits(limits).daily_reset_time == "07:00"
