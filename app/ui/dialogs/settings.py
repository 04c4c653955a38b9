"""Settings → Preferences: edit broker, symbols, paper account, risk, Telegram and UI.

Validates with the same model as the settings files, shows each problem beside
its field, and writes only what differs from the defaults into the user's
``settings.toml`` (keeping the user's own comments). Secrets are never written:
the MT5 password and the Telegram token live in the OS keyring or environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.settings import ConfigError, Settings, settings_from_dict
from app.ui.dialogs.settings_form import SettingsForm, humanize, iter_editors, set_nested
from app.ui.runtime.window_state import fit_to_screen
from app.ui.widgets.theme import LOSS

# Section tabs in the order a trader looks for them.
SECTIONS = ("broker", "sim", "mt5", "risk", "telegram", "ui", "engine", "storage")
_TITLES = {"sim": "Paper account", "mt5": "MetaTrader 5", "ui": "Window", "risk": "Risk limits"}


class SettingsDialog(QDialog):
    def __init__(self, current: Settings, user_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settings_dialog")
        self.resize(640, 620)
        fit_to_screen(self)
        self._current = current
        self._user_file = user_file
        self.saved: Settings | None = None

        self.tabs = QTabWidget()
        general = SettingsForm(current, "", skip=frozenset(SECTIONS))
        self.forms: list[SettingsForm] = [general]
        self.tabs.addTab(_scrolled(general), "Symbols")
        for section in SECTIONS:
            form = SettingsForm(getattr(current, section), f"{section}.")
            self.forms.append(form)
            self.tabs.addTab(_scrolled(form), _TITLES.get(section, humanize(section)))

        note = QLabel(
            "Saved to your settings file. Broker, symbols and the paper account apply at the next "
            "start. The MT5 password and the Telegram token are never stored here: set them in "
            "the OS keyring or the environment (see the README)."
        )
        note.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setObjectName("settings_summary")
        self.summary.setStyleSheet(f"color: {LOSS.name()}")
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.summary)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def edited_data(self) -> dict[str, Any]:
        data = self._current.model_dump()
        for editor in iter_editors(self.forms):
            set_nested(data, editor.key, editor.value())
        return data

    def save(self) -> bool:
        """Validate everything; on success write the user file and close."""
        for editor in iter_editors(self.forms):
            editor.error.hide()
        try:
            new = settings_from_dict(self.edited_data())
        except ConfigError as exc:
            self._show_problems(exc)
            return False
        try:
            write_user_settings(self._user_file, new)
        except OSError as exc:
            self.summary.setText(f"Could not write {self._user_file}: {exc.strerror or exc}")
            return False
        self.saved = new
        self.accept()
        return True

    def _show_problems(self, exc: ConfigError) -> None:
        by_key = {editor.key: editor for editor in iter_editors(self.forms)}
        for problem in exc.problems:
            editor = by_key.get(problem.key or "")
            if editor is not None:
                editor.error.setText(problem.message)
                editor.error.show()
        first = exc.problems[0]
        self.summary.setText(f"{first.key}: {first.message}" if first.key else first.message)
        editor = by_key.get(first.key or "")
        if editor is not None:
            for index, form in enumerate(self.forms):
                if editor in form.editors:
                    self.tabs.setCurrentIndex(index)
            editor.widget.setFocus()


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


def write_user_settings(path: Path, settings: Settings) -> None:
    """Record in ``path`` every value that differs from the defaults.

    Keys the user already has are updated in place, so their comments and order
    survive; values equal to the default are not added. Written to a temporary
    file first and then renamed, so a crash never leaves half a file.
    """
    document = (
        tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    )
    defaults = Settings().model_dump(mode="json")
    _merge(document, settings.model_dump(mode="json"), defaults)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".toml.tmp")
    temporary.write_text(tomlkit.dumps(document), encoding="utf-8")
    temporary.replace(path)


def _merge(node: Any, values: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    # Plain values first: in TOML they must come before the tables of the same level.
    for key, value in sorted(values.items(), key=lambda item: isinstance(item[1], dict)):
        default = defaults.get(key)
        if isinstance(value, dict):
            if value == default and key not in node:
                continue
            if key not in node:
                node[key] = tomlkit.table()
            _merge(node[key], value, default if isinstance(default, dict) else {})
        elif key in node or value != default:
            node[key] = value
