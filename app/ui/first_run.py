"""First run and preferences: the welcome on a fresh install, the settings dialog later.

A fresh install is one without a user settings file; the welcome shows once
(or until "don't show again"), says which broker the orders go to and points to
where MetaTrader 5 is connected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from tomlkit.exceptions import TOMLKitError

from app.domain.risk_limits import RiskLimits
from app.settings import ConfigError, RiskSettings, Settings, validation_problems
from app.ui.dialogs.settings import SettingsCheck, SettingsDialog, write_user_risk
from app.ui.dialogs.welcome import WelcomeDialog
from app.ui.main_window import MainWindow
from app.ui.widgets.theme import apply_theme

DISMISSED_KEY = "welcome/dismissed"


class Preferences:
    """Keeps the settings the dialog edits up to date across openings."""

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        user_file: Path,
        check: SettingsCheck | None = None,
        next_start: Callable[[], Settings] | None = None,
    ) -> None:
        """``next_start`` reads the settings as the next start will (the user's file, a
        ``--config`` file, the environment), to tell whether a saved change holds."""
        self.window = window
        self.settings = settings
        self.user_file = user_file
        self.check = check
        self.next_start = next_start
        self.dialog: SettingsDialog | None = None
        window.preferences_action.triggered.connect(self.open)
        window.keep_risk_limits = self.keep_risk_limits

    def open(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.user_file, self.window, check=self.check)
        dialog.accepted.connect(lambda: self._saved(dialog))
        self.dialog = dialog
        dialog.open()  # window-modal, never a nested event loop
        return dialog

    def keep_risk_limits(self, limits: RiskLimits) -> str:
        """Save ``limits`` (the engine applied them) in the user's settings file, so a
        restart keeps them; the Preferences dialog edits them from then on. Returns the
        word for the status bar."""
        until_the_end = "Risk limits apply until the terminal ends"
        try:
            risk = RiskSettings.from_limits(limits)
        except ValidationError as exc:
            problem = validation_problems(exc)[0]
            return f"{until_the_end}: a settings file cannot hold them ({problem})"
        try:
            write_user_risk(self.user_file, risk)
        except OSError as exc:
            return f"{until_the_end}: could not write {self.user_file}: {exc.strerror or exc}"
        except (TOMLKitError, ValueError) as exc:  # the file was broken by hand meanwhile
            return f"{until_the_end}: could not read {self.user_file} to save them: {exc}"
        self.settings = self.settings.model_copy(update={"risk": risk})
        saved = f"Risk limits saved to {self.user_file}"
        if self.next_start is None:
            return f"{saved}: they hold after a restart"
        try:
            later = self.next_start().risk.to_limits()
        except ConfigError as exc:
            return f"{saved}, but the next start cannot read the settings: {exc}"
        if later == limits:
            return f"{saved}: they hold after a restart"
        differ = ", ".join(limits.changes(later)) or "some limits"
        return (
            f"{saved}, but the next start takes other values from the environment or "
            f"--config ({differ}): change them there too"
        )

    def _saved(self, dialog: SettingsDialog) -> None:
        if dialog.saved is None:
            return
        self.settings = dialog.saved
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme = apply_theme(app, self.settings.ui.theme)  # the one change applied at once
            self.window.set_chart_theme(theme)
        self.window.statusBar().showMessage(
            f"Settings saved to {self.user_file}; broker and symbols apply at the next start",
            15_000,
        )


def is_first_run(user_file: Path, store: QSettings) -> bool:
    return not user_file.exists() and store.value(DISMISSED_KEY, False, type=bool) is False


def show_welcome(preferences: Preferences, store: QSettings) -> WelcomeDialog:
    """Open the welcome (non-blocking); remember "don't show again"; maybe go to settings."""
    dialog = WelcomeDialog(preferences.window, broker_kind=preferences.settings.broker.kind)

    def done() -> None:
        if dialog.dont_show_again.isChecked():
            store.setValue(DISMISSED_KEY, True)
            store.sync()
        if dialog.open_settings:
            QTimer.singleShot(0, preferences.open)

    dialog.finished.connect(done)
    dialog.open()
    return dialog
