"""Settings dialog: edit, validate beside the field, write the user file, read it back."""

from __future__ import annotations

import tomllib
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit
from pytestqt.qtbot import QtBot

from app.settings import Settings, load_settings
from app.ui.dialogs.settings import SettingsDialog, write_user_settings


def _field(dialog: SettingsDialog, key: str) -> QLineEdit | QCheckBox | QComboBox:
    for form in dialog.forms:
        for editor in form.editors:
            if editor.key == key:
                return editor.widget
    raise AssertionError(f"no editor for {key}")


def test_every_section_a_trader_needs_is_there(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(), tmp_path / "settings.toml")
    qtbot.addWidget(dialog)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    for title in (
        "Symbols",
        "Broker",
        "Paper account",
        "MetaTrader 5",
        "Risk limits",
        "Telegram",
        "Window",
    ):
        assert title in titles
    assert isinstance(_field(dialog, "broker.kind"), QComboBox)
    assert isinstance(_field(dialog, "ui.one_click_trading"), QCheckBox)
    assert not any("password" in e.key or "token" in e.key for f in dialog.forms for e in f.editors)


def test_round_trip_through_the_user_file(qtbot: QtBot, tmp_path: Path) -> None:
    user_dir = tmp_path / "config"
    dialog = SettingsDialog(Settings(), user_dir / "settings.toml")
    qtbot.addWidget(dialog)
    balance = _field(dialog, "sim.balance")
    symbols = _field(dialog, "symbols")
    one_click = _field(dialog, "ui.one_click_trading")
    assert (
        isinstance(balance, QLineEdit)
        and isinstance(symbols, QLineEdit)
        and isinstance(one_click, QCheckBox)
    )
    balance.setText("25000")
    symbols.setText("eurusd, xauusd")
    one_click.setChecked(True)
    assert dialog.save()

    written = tomllib.loads((user_dir / "settings.toml").read_text())
    assert written == {
        "symbols": ["EURUSD", "XAUUSD"],
        "sim": {"balance": 25000.0},
        "ui": {"one_click_trading": True},
    }
    loaded = load_settings(environ={}, user_config_dir=user_dir)
    assert loaded.sim.balance == 25000 and loaded.symbols == ["EURUSD", "XAUUSD"]
    assert loaded.ui.one_click_trading is True
    assert loaded.sim.leverage == Settings().sim.leverage  # untouched keys stay defaults


def test_bad_values_are_shown_beside_their_fields_and_nothing_is_written(
    qtbot: QtBot, tmp_path: Path
) -> None:
    target = tmp_path / "settings.toml"
    dialog = SettingsDialog(Settings(), target)
    qtbot.addWidget(dialog)
    dialog.show()
    balance = _field(dialog, "sim.balance")
    refresh = _field(dialog, "ui.refresh_hz")
    assert isinstance(balance, QLineEdit) and isinstance(refresh, QLineEdit)
    balance.setText("-100")
    refresh.setText("sixty")
    assert not dialog.save()
    assert not target.exists()
    errors = {e.key: e.error for f in dialog.forms for e in f.editors}
    assert not errors["sim.balance"].isHidden() and "greater than 0" in errors["sim.balance"].text()
    assert not errors["ui.refresh_hz"].isHidden() and errors["ui.refresh_hz"].text()
    assert dialog.summary.text().startswith("sim.balance:")
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Paper account"


def test_user_comments_survive_an_update(tmp_path: Path) -> None:
    target = tmp_path / "settings.toml"
    target.write_text("# my desk setup\n[sim]\n# big account\nbalance = 50000.0\n")
    new = Settings.model_validate(
        {**Settings().model_dump(), "sim": {**Settings().sim.model_dump(), "balance": 60000.0}}
    )
    write_user_settings(target, new)
    text = target.read_text()
    assert "# my desk setup" in text and "# big account" in text
    assert tomllib.loads(text)["sim"]["balance"] == 60000.0


def test_an_allowed_symbol_that_is_not_configured_is_refused_beside_its_field(
    qtbot: QtBot, tmp_path: Path
) -> None:
    target = tmp_path / "settings.toml"
    dialog = SettingsDialog(Settings(), target)
    qtbot.addWidget(dialog)
    dialog.show()
    allowed = _field(dialog, "risk.allowed_symbols")
    assert isinstance(allowed, QLineEdit)
    allowed.setText("EURUSD, EURUSDD")
    assert not dialog.save()
    assert not target.exists()
    error = {e.key: e.error for f in dialog.forms for e in f.editors}["risk.allowed_symbols"]
    assert not error.isHidden() and "EURUSDD is not one of the configured symbols" in error.text()


def test_a_default_volume_the_paper_broker_cannot_trade_is_refused(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from app.brokers.registry import settings_problem  # what the app hands the dialog

    target = tmp_path / "settings.toml"
    dialog = SettingsDialog(Settings(), target, check=settings_problem)
    qtbot.addWidget(dialog)
    dialog.show()
    volume = _field(dialog, "ui.default_volume")
    assert isinstance(volume, QLineEdit)
    volume.setText("0.015")
    assert not dialog.save()
    assert not target.exists()
    error = {e.key: e.error for f in dialog.forms for e in f.editors}["ui.default_volume"]
    assert not error.isHidden() and "not a multiple of the step 0.01" in error.text()
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Window"
    volume.setText("0.02")
    assert dialog.save()  # a volume on the step is saved
    assert tomllib.loads(target.read_text()) == {"ui": {"default_volume": 0.02}}
