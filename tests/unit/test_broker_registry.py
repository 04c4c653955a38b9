"""Brokers are chosen from a registry: each package declares its kind; nothing else names one."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.brokers.registry import KINDS, BrokerUnavailable, broker_factory
from app.brokers.sim.broker import SimBroker
from app.settings import BrokerSettings, ConfigError, Settings, load_settings
from app.ui.dialogs.settings import SettingsDialog
from app.ui.dialogs.settings_form import BrokerChoice


def test_every_registered_kind_is_a_choice_of_the_settings_with_a_line_about_it() -> None:
    assert set(KINDS) == {"sim", "mt5"}
    for name, kind in KINDS.items():
        assert kind.name == name and kind.title and kind.section in Settings.model_fields


def test_the_paper_kind_builds_a_paper_broker() -> None:
    assert isinstance(broker_factory(Settings())(), SimBroker)


def test_an_unknown_kind_stops_the_start_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("TRADETERM_BROKER__KIND", "ctrader")
    with pytest.raises(ConfigError) as stop:
        load_settings(None)
    message = str(stop.value)
    assert "\n" not in message and "broker.kind" in message and "ctrader" in message
    assert '"sim"' in message and '"mt5"' in message


def test_a_kind_unknown_to_the_registry_is_refused_by_the_factory_too() -> None:
    settings = Settings.model_construct(broker=Settings().broker.model_copy(update={"kind": "x"}))
    with pytest.raises(BrokerUnavailable, match="no such broker"):
        broker_factory(settings)


def test_the_settings_dialog_offers_the_registered_brokers_with_their_titles(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every registered kind is a choice, a new one with the line it registered."""
    monkeypatch.setitem(BrokerSettings.KINDS, "fix", "a FIX gateway of your broker")
    dialog = SettingsDialog(Settings(), Path("settings.toml"))
    qtbot.addWidget(dialog)
    choice = dialog.editor("broker.kind").widget
    assert isinstance(choice, BrokerChoice)
    assert list(choice.buttons) == [*KINDS, "fix"]
    notes = [label.text() for label in choice.findChildren(QLabel)]
    assert "a FIX gateway of your broker" in notes
    assert choice.kind() == "sim"
