"""Settings → Preferences: trading, broker, paper account, risk, Telegram and Advanced.

Each setting has a human label, its unit and a line of help (``settings_fields``);
technical ones are on the Advanced page. The dialog validates with the same
model as the settings files, shows each problem under its field, and writes
only what differs from the defaults into the user's ``settings.toml`` (keeping
the user's own comments). Secrets are never written: the MT5 password and the
Telegram token live in the OS keyring or environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import tomlkit
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.settings import ConfigError, RiskSettings, Settings, settings_from_dict
from app.ui.dialogs.settings_fields import PAGES
from app.ui.dialogs.settings_form import (
    BrokerChoice,
    FieldEditor,
    SettingsForm,
    SymbolList,
    get_nested,
    iter_editors,
    set_nested,
)
from app.ui.runtime.window_state import fit_to_screen
from app.ui.widgets.theme import LOSS

SettingsCheck = Callable[[Settings], str | None]
"""Checks valid settings against what only the running setup knows (the paper broker's
symbols and volume steps); returns ``"dotted.key: problem"`` or None."""


class SettingsDialog(QDialog):
    """Every setting a trader changes, by page, with human labels, units and a line of help."""

    def __init__(
        self,
        current: Settings,
        user_file: Path,
        parent: QWidget | None = None,
        *,
        check: SettingsCheck | None = None,
    ) -> None:
        super().__init__(parent)
        self._check = check
        self.setWindowTitle("Settings")
        self.setObjectName("settings_dialog")
        self.resize(640, 620)
        fit_to_screen(self)
        self._current = current
        self._user_file = user_file
        self.saved: Settings | None = None

        values = current.model_dump()
        self.tabs = QTabWidget()
        self.forms: list[SettingsForm] = []
        for title, fields in PAGES:
            form = SettingsForm(fields, lambda key: get_nested(values, key))
            self.forms.append(form)
            self.tabs.addTab(_scrolled(form), title)
        self._wire_pages()

        note = QLabel(
            "Saved to your settings file. The broker, the symbols and the paper account apply "
            "at the next start. Trading hours and per-symbol limits: Settings → Risk limits… "
            "(while running) or the settings file. The MT5 password and the Telegram token are "
            "never stored here (OS keyring or environment; see the README)."
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

    def editor(self, key: str) -> FieldEditor:
        found = next((e for e in iter_editors(self.forms) if e.key == key), None)
        if found is None:
            raise KeyError(key)
        return found

    def _wire_pages(self) -> None:
        """The start symbol is one of the listed ones; MT5 fields only matter for MT5."""
        symbols = self.editor("symbols").widget
        start = self.editor("ui.default_symbol").widget
        assert isinstance(symbols, SymbolList) and isinstance(start, QComboBox)
        chosen = self._current.ui.default_symbol

        def refill() -> None:
            keep = start.currentData() or chosen
            start.clear()
            for name in symbols.symbols():
                start.addItem(name, name)
            start.setCurrentIndex(max(0, start.findData(keep)))

        symbols.changed.connect(refill)
        refill()
        broker = self.editor("broker.kind").widget
        assert isinstance(broker, BrokerChoice)
        mt5 = [e for e in iter_editors(self.forms[1:2]) if e.key.startswith("mt5.")]

        def follow() -> None:
            for e in mt5:
                e.widget.setEnabled(broker.kind() == "mt5")

        broker.changed.connect(follow)
        follow()

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
            problem = self._check(new) if self._check is not None else None
            if problem is not None:
                key, _, message = problem.partition(": ")
                raise ConfigError.single(message or problem, key=key if message else None)
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
        editor = by_key.get(first.key or "")
        label = editor.field.label if editor is not None else first.key
        self.summary.setText(f"{label}: {first.message}" if label else first.message)
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
    _write_merged(path, settings.model_dump(mode="json"), Settings().model_dump(mode="json"))


def write_user_risk(path: Path, risk: RiskSettings) -> None:
    """Record the ``[risk]`` section alone, as ``write_user_settings`` would: what the
    Risk limits dialog changed, and nothing of the rest (an environment variable's value,
    say, stays out of the file). The per-symbol overrides are written whole: one the
    trader removed, or a value cleared, must not come back from the old file."""
    document = _read_document(path)
    values = risk.model_dump(mode="json")
    defaults = RiskSettings().model_dump(mode="json")
    symbols = _set_values(values.pop("symbols"))
    default_symbols = _set_values(defaults.pop("symbols"))
    if "risk" not in document:
        document["risk"] = tomlkit.table()
    section = document["risk"]
    _merge(section, values, defaults)
    if "symbols" in section:
        del section["symbols"]
    if symbols != default_symbols:
        table = tomlkit.table(is_super_table=True)
        for name, item in symbols.items():
            override = tomlkit.table()
            override.update(item)
            table[name] = override
        section["symbols"] = table
    _write_document(path, document)


def _write_merged(path: Path, values: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    document = _read_document(path)
    _merge(document, values, defaults)
    _write_document(path, document)


def _set_values(overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each symbol's overrides without the unset ones (TOML has no null)."""
    return {
        name: {k: v for k, v in item.items() if v is not None} for name, item in overrides.items()
    }


def _read_document(path: Path) -> tomlkit.TOMLDocument:
    """The user's file as tomlkit keeps it (comments and order), or a new one."""
    if path.exists():
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    return tomlkit.document()


def _write_document(path: Path, document: tomlkit.TOMLDocument) -> None:
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
