"""Settings dialog: human labels and proper editors, validation beside the field, the user file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.settings import Settings, load_settings
from app.ui.dialogs.settings import SettingsDialog, write_user_settings
from app.ui.dialogs.settings_form import BrokerChoice, SymbolList


def _field(dialog: SettingsDialog, key: str) -> QWidget:
    return dialog.editor(key).widget


def _labels(dialog: SettingsDialog, page: int) -> list[str]:
    return [e.row.text() for e in dialog.forms[page].editors]  # type: ignore[attr-defined]


def test_settings_read_like_a_terminal_not_a_config_file(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(), tmp_path / "settings.toml")
    qtbot.addWidget(dialog)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles == ["Trading", "Broker", "Paper account", "Risk limits", "Telegram", "Advanced"]
    everyday = [label for page in range(len(titles) - 1) for label in _labels(dialog, page)]
    for raw in ("Kind", "Seed", "Magic", "Poll interval ms", "Storage Url", "Url"):
        assert raw not in everyday  # technical settings live under Advanced, in words
    assert "Broker poll interval" in _labels(dialog, titles.index("Advanced"))
    # Proper editors: a symbol list, a broker choice that explains itself, units on numbers.
    assert isinstance(_field(dialog, "symbols"), SymbolList)
    broker = _field(dialog, "broker.kind")
    assert isinstance(broker, BrokerChoice) and broker.kind() == "sim"
    notes = " ".join(label.text() for label in broker.findChildren(QLabel))
    assert "Nothing touches real money" in notes and "Windows only" in notes
    volume = _field(dialog, "ui.default_volume")
    assert isinstance(volume, QDoubleSpinBox) and volume.suffix() == " lots"
    daily = _field(dialog, "risk.max_daily_loss")
    assert isinstance(daily, QDoubleSpinBox) and daily.specialValueText() == "off"
    balance = _field(dialog, "sim.balance")
    assert isinstance(balance, QDoubleSpinBox) and balance.text() == "10,000.00"
    start = _field(dialog, "ui.default_symbol")
    assert isinstance(start, QComboBox) and start.currentText() == "EURUSD"
    assert isinstance(_field(dialog, "ui.one_click_trading"), QCheckBox)
    assert not _field(dialog, "mt5.server").isEnabled()  # only for MetaTrader 5
    broker.set_kind("mt5")
    assert _field(dialog, "mt5.server").isEnabled()
    assert not any("password" in e.key or "token" in e.key for f in dialog.forms for e in f.editors)


def test_round_trip_through_the_user_file(qtbot: QtBot, tmp_path: Path) -> None:
    user_dir = tmp_path / "config"
    dialog = SettingsDialog(Settings(), user_dir / "settings.toml")
    qtbot.addWidget(dialog)
    balance = _field(dialog, "sim.balance")
    symbols = _field(dialog, "symbols")
    one_click = _field(dialog, "ui.one_click_trading")
    assert isinstance(balance, QDoubleSpinBox) and isinstance(symbols, SymbolList)
    assert isinstance(one_click, QCheckBox)
    balance.setValue(25000)
    symbols.set_symbols([])
    for name in ("eurusd", "xauusd"):
        symbols.entry.setText(name)
        symbols.add_entry()
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
    currency = _field(dialog, "sim.currency")
    zone = _field(dialog, "telegram.time_zone")
    assert isinstance(currency, QLineEdit) and isinstance(zone, QLineEdit)
    currency.setText("dollars")
    zone.setText("Mars/Olympus")
    assert not dialog.save()
    assert not target.exists()
    errors = {e.key: e.error for f in dialog.forms for e in f.editors}
    assert (
        not errors["sim.currency"].isHidden() and "three letters" in errors["sim.currency"].text()
    )
    assert not errors["telegram.time_zone"].isHidden() and errors["telegram.time_zone"].text()
    assert dialog.summary.text().startswith("Account currency:")
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


def test_limits_naming_a_symbol_that_is_not_configured_are_refused_where_edited(
    qtbot: QtBot,
) -> None:
    """The risk limits dialog (where allowed symbols and overrides are edited now)."""
    from app.domain.risk_limits import RiskLimits
    from app.ui.dialogs.risk_limits import RiskLimitsDialog

    dialog = RiskLimitsDialog(RiskLimits(), known_symbols=("EURUSD", "GBPUSD"))
    qtbot.addWidget(dialog)
    dialog.allowed_symbols.setText("EURUSD, EURUSDD")
    dialog.accept()
    assert dialog.result_limits is None
    assert "allowed symbols: EURUSDD is not one of the configured symbols" in dialog.error.text()
    dialog.allowed_symbols.setText("EURUSD, GBPUSD")
    dialog.accept()
    assert dialog.result_limits is not None
    assert dialog.result_limits.allowed_symbols == ("EURUSD", "GBPUSD")


def test_a_default_volume_the_paper_broker_cannot_trade_is_refused(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from app.brokers.registry import settings_problem  # what the app hands the dialog

    target = tmp_path / "settings.toml"
    dialog = SettingsDialog(Settings(), target, check=settings_problem)
    qtbot.addWidget(dialog)
    dialog.show()
    volume = _field(dialog, "ui.default_volume")
    assert isinstance(volume, QDoubleSpinBox)
    volume.setValue(150.0)  # over the paper EURUSD's maximum per order
    assert not dialog.save()
    assert not target.exists()
    error = dialog.editor("ui.default_volume").error
    assert not error.isHidden() and "volume" in error.text().lower()
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Trading"
    volume.setValue(0.02)
    assert dialog.save()  # a volume the paper broker can trade is saved
    assert tomllib.loads(target.read_text()) == {"ui": {"default_volume": 0.02}}
