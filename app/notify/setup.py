"""What the GUI needs from the Telegram side: make the service, test, save settings.

``app.ui`` and ``app.notify`` are independent layers (neither imports the
other), so ``app.cli`` builds a :class:`TelegramHooks` and hands it to the GUI,
which sees it only through the small protocols in ``app.ui``.
"""

from __future__ import annotations

import json
import logging
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from app.engine.bus import EventBus
from app.notify.secret import TokenUnavailable, load_token, redact, redact_everywhere, save_token
from app.settings import TelegramAlerts, TelegramSettings

if TYPE_CHECKING:  # python-telegram-bot loads only when the bot is used, not at start-up
    from app.notify.companion import NotifyCompanion
    from app.notify.service import TelegramService

log = logging.getLogger(__name__)

TEST_TEXT = "✅ Tradeterm test message: alerts for this chat will arrive here."
_HEADER_RE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


class TelegramProblem(Exception):
    """A one-line explanation for the settings dialog (never contains the token)."""


class TelegramHooks:
    """Made by ``app.cli``; the GUI calls it through ``app.ui`` protocols."""

    def __init__(self, settings: TelegramSettings, user_settings_file: Path | None) -> None:
        self.settings = settings
        self._file = user_settings_file
        self.service: TelegramService | None = None

    # -- service --------------------------------------------------------------------
    def create_service(self, bus: EventBus) -> tuple[NotifyCompanion, str]:
        """What runs beside the window: alert webhooks always, the bot if it can run.

        The second value says why the bot stays off ("" if it runs or is
        switched off); the companion shows it in the status bar when it starts.
        """
        from app.notify.companion import NotifyCompanion
        from app.notify.webhook import WebhookSender

        service, problem = self.create_bot(bus)
        return NotifyCompanion(WebhookSender(bus), service, problem), problem

    def create_bot(self, bus: EventBus) -> tuple[TelegramService | None, str]:
        """The bot if Telegram is enabled and a token exists; else ``None`` and why."""
        if not self.settings.enabled:
            return None, ""
        if not self.settings.chat_ids:
            return None, "no chat ids configured"
        try:
            token = load_token()
        except TokenUnavailable as exc:
            log.warning("Telegram stays off: %s", exc)
            return None, str(exc)
        from app.notify.service import TelegramService

        self.service = TelegramService(bus, self.settings, token)
        return self.service, ""

    # -- settings dialog ------------------------------------------------------------
    def current_settings(self) -> TelegramSettings:
        return self.settings

    def token_present(self) -> bool:
        try:
            load_token()
        except TokenUnavailable:
            return False
        return True

    def save(self, settings: TelegramSettings, token: str) -> str:
        """Store the token (if given) in the keyring and the rest in the user file."""
        try:
            if token.strip():
                save_token(token)
            if self._file is not None:
                write_telegram_section(self._file, settings)
        except (TokenUnavailable, OSError, ValueError) as exc:
            raise TelegramProblem(redact(str(exc))) from None
        restart = (
            settings.enabled != self.settings.enabled
            or bool(token.strip())
            or settings.base_url != self.settings.base_url
        )
        self.settings = settings
        if self.service is not None:
            self.service.reconfigure(settings)
        if restart:
            return "Saved. Switching the bot on or off, or a new token, applies at the next start."
        return "Saved. Chat ids and alert choices apply now."

    async def send_test(self, settings: TelegramSettings, token: str) -> str:
        """Send a test message to every chat id; raises ``TelegramProblem`` with the cause."""
        return await send_test_message(settings, token)


async def send_test_message(settings: TelegramSettings, token: str = "") -> str:
    if not settings.chat_ids:
        raise TelegramProblem("add at least one chat id first")
    token = token.strip()
    if not token:
        try:
            token = load_token()
        except TokenUnavailable as exc:
            raise TelegramProblem(str(exc)) from None
    redact_everywhere(token)
    from telegram import Bot
    from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
    from telegram.request import HTTPXRequest

    request = HTTPXRequest(connect_timeout=5.0, read_timeout=10.0, write_timeout=10.0)
    bot = Bot(token, base_url=settings.base_url, request=request)
    chat_id = settings.chat_ids[0]
    try:
        async with bot:
            for chat_id in settings.chat_ids:
                await bot.send_message(chat_id=chat_id, text=TEST_TEXT)
    except InvalidToken:
        raise TelegramProblem("Telegram rejected the bot token (Unauthorized)") from None
    except Forbidden as exc:
        raise TelegramProblem(f"chat {chat_id}: {redact(exc.message)}") from None
    except BadRequest as exc:
        raise TelegramProblem(f"chat {chat_id}: {redact(exc.message)}") from None
    except NetworkError as exc:
        raise TelegramProblem(f"cannot reach Telegram: {redact(exc.message)}") from None
    except TelegramError as exc:
        raise TelegramProblem(redact(exc.message)) from None
    count = len(settings.chat_ids)
    return f"Test message sent to {count} chat{'s' if count != 1 else ''}."


# --------------------------------------------------------------------------- user file


def write_telegram_section(path: Path, settings: TelegramSettings) -> None:
    """Replace the ``[telegram]`` tables of the user's TOML file, keeping everything else.

    Only values that differ from the defaults are written (plus ``enabled`` and
    ``chat_ids``), so later default changes still reach the user.
    """
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept: list[str] = []
    skipping = False
    for line in old.splitlines():
        match = _HEADER_RE.match(line)
        if match and not line.lstrip().startswith("[["):
            name = match.group(1).replace(" ", "")
            skipping = name == "telegram" or name.startswith("telegram.")
        if not skipping:
            kept.append(line)
    base = "\n".join(kept).rstrip()
    if "telegram" in tomllib.loads(base or ""):
        raise ValueError(f"{path} sets telegram keys outside a [telegram] table; edit it by hand")
    text = (base + "\n\n" if base else "") + _dump(settings)
    check = tomllib.loads(text).get("telegram", {})
    if TelegramSettings(**check) != settings:  # pragma: no cover - a bug in _dump
        raise ValueError("could not write the Telegram settings faithfully")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def _dump(settings: TelegramSettings) -> str:
    defaults = TelegramSettings()
    lines = ["[telegram]"]
    for name in TelegramSettings.model_fields:
        if name == "alerts":
            continue
        value = getattr(settings, name)
        if name in ("enabled", "chat_ids") or value != getattr(defaults, name):
            lines.append(f"{name} = {_toml_value(value)}")
    alerts = [
        f"{name} = {_toml_value(getattr(settings.alerts, name))}"
        for name in TelegramAlerts.model_fields
        if getattr(settings.alerts, name) != getattr(defaults.alerts, name)
    ]
    if alerts:
        lines += ["", "[telegram.alerts]", *alerts]
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} to TOML")
