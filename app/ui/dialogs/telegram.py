"""Settings → Telegram: token (masked), chat ids, alert categories, a test message.

The widget knows nothing of python-telegram-bot: it talks to a
:class:`TelegramBackend` (``app.cli`` passes the real one from ``app.notify``).
"Send test message" is a network call, so it runs as an asyncio task on the
qasync loop of the GUI thread; the window keeps painting while it waits.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.settings import TelegramAlerts, TelegramSettings
from app.ui.runtime.window_state import fit_to_screen
from app.ui.widgets.theme import LOSS, PROFIT


class TelegramBackend(Protocol):
    def current_settings(self) -> TelegramSettings: ...
    def token_present(self) -> bool: ...
    def save(self, settings: TelegramSettings, token: str) -> str: ...
    async def send_test(self, settings: TelegramSettings, token: str) -> str: ...


class TelegramSettingsWidget(QWidget):
    def __init__(self, backend: TelegramBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._backend = backend
        self._task: asyncio.Task[None] | None = None
        current = backend.current_settings()

        self.enabled = QCheckBox("Start the Telegram bot with the terminal")
        self.enabled.setChecked(current.enabled)
        self.token = QLineEdit()
        self.token.setObjectName("telegram_token")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(
            "stored in the OS keyring — type to replace"
            if backend.token_present()
            else "paste the token from @BotFather"
        )
        self.chat_ids = QLineEdit(", ".join(str(c) for c in current.chat_ids))
        self.chat_ids.setObjectName("telegram_chat_ids")
        self.chat_ids.setPlaceholderText("e.g. 123456789, -1001234567890")
        self.summary_time = QLineEdit(current.daily_summary_time)
        self.time_zone = QLineEdit(current.time_zone)

        form = QFormLayout()
        form.addRow(self.enabled)
        form.addRow("Bot token", self.token)
        form.addRow("Chat ids", self.chat_ids)
        form.addRow("Daily summary at", self.summary_time)
        form.addRow("Time zone", self.time_zone)

        self.categories: dict[str, QCheckBox] = {}
        group = QGroupBox("Alerts")
        group_layout = QVBoxLayout(group)
        for name, info in TelegramAlerts.model_fields.items():
            # "with P&L": a check box reads "&" as a mnemonic, "&&" as an ampersand.
            box = QCheckBox((info.description or name).replace("&", "&&"))
            box.setObjectName(f"telegram_alert_{name}")
            box.setChecked(bool(getattr(current.alerts, name)))
            self.categories[name] = box
            group_layout.addWidget(box)

        self.test_button = QPushButton("Send test message")
        self.test_button.setObjectName("telegram_test")
        self.test_button.clicked.connect(self.start_test)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("telegram_save")
        self.save_button.clicked.connect(self.save)
        self.result = QLabel("")
        self.result.setObjectName("telegram_result")
        self.result.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(group)
        layout.addLayout(buttons)
        layout.addWidget(self.result)

    # -- reading the form -----------------------------------------------------------
    def settings(self) -> TelegramSettings:
        """The form as settings; raises ``ValueError`` with one readable line."""
        ids: list[int] = []
        for part in self.chat_ids.text().replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                ids.append(int(part))
            except ValueError:
                raise ValueError(
                    f"chat id {part!r} is not a whole number (e.g. 123456789)"
                ) from None
        current = self._backend.current_settings()
        try:
            return TelegramSettings.model_validate(
                {
                    **current.model_dump(),
                    "enabled": self.enabled.isChecked(),
                    "chat_ids": ids,
                    "alerts": {n: b.isChecked() for n, b in self.categories.items()},
                    "daily_summary_time": self.summary_time.text(),
                    "time_zone": self.time_zone.text(),
                }
            )
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in error["loc"])
            raise ValueError(f"{where}: {error['msg'].removeprefix('Value error, ')}") from None

    # -- actions --------------------------------------------------------------------
    def start_test(self) -> None:
        """Start the test send on the asyncio loop; returns at once."""
        if self._task is not None and not self._task.done():
            return
        try:
            settings = self.settings()
        except ValueError as exc:
            self._show(str(exc), ok=False)
            return
        self.test_button.setEnabled(False)
        self._show("Sending…", ok=None)
        self._task = asyncio.get_event_loop().create_task(self._test(settings, self.token.text()))

    async def _test(self, settings: TelegramSettings, token: str) -> None:
        try:
            message = await self._backend.send_test(settings, token)
        except Exception as exc:  # the backend words its failures; show them as they are
            self._show(f"Test failed: {exc}", ok=False)
        else:
            self._show(message, ok=True)
        finally:
            self.test_button.setEnabled(True)

    def save(self) -> None:
        try:
            message = self._backend.save(self.settings(), self.token.text())
        except Exception as exc:
            self._show(f"Not saved: {exc}", ok=False)
            return
        self.token.clear()
        self.token.setPlaceholderText("stored in the OS keyring — type to replace")
        self._show(message, ok=True)

    def _show(self, text: str, *, ok: bool | None) -> None:
        self.result.setText(text)
        color = "" if ok is None else f"color: {(PROFIT if ok else LOSS).name()}"
        self.result.setStyleSheet(color)


class TelegramSettingsDialog(QDialog):
    def __init__(self, backend: TelegramBackend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Telegram")
        self.widget = TelegramSettingsWidget(backend, self)
        scroll = QScrollArea()  # the alert list is long: on a small screen it scrolls
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.widget)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(close)
        self.resize(self.widget.sizeHint().width() + 40, self.widget.sizeHint().height() + 80)
        fit_to_screen(self)
