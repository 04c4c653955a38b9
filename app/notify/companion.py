"""What runs beside the window on its asyncio loop: the alert webhooks, and the Telegram bot.

The GUI knows one companion (``app.ui.app.TelegramCompanion``): it connects
``status_changed`` to the status bar and awaits ``start()`` and ``stop()`` on
the qasync loop. Webhooks must work whether or not Telegram is switched on, so
the companion always starts the :class:`WebhookSender` and, when Telegram is
on, the bot too; with Telegram off it tells the status bar why, once, as the
window would have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.notify.webhook import WebhookSender

if TYPE_CHECKING:  # python-telegram-bot loads only when the bot is on
    from app.notify.service import TelegramService


class NotifyCompanion(QObject):
    """``status_changed(state, detail, merged, dropped)``: the Telegram bot's, forwarded."""

    status_changed = Signal(str, str, int, int)

    def __init__(
        self, webhooks: WebhookSender, telegram: TelegramService | None, problem: str = ""
    ) -> None:
        super().__init__()
        self.webhooks = webhooks
        self.telegram = telegram
        self._problem = problem
        if telegram is not None:
            telegram.status_changed.connect(self.status_changed)

    async def start(self) -> None:
        await self.webhooks.start()
        if self.telegram is not None:
            await self.telegram.start()
        elif self._problem:
            self.status_changed.emit("off", self._problem, 0, 0)

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
        await self.webhooks.stop()
