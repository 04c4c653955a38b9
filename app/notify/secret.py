"""The bot token: where it comes from, and keeping it out of every log line.

The token is a password to the bot: whoever has it can read the trader's chats
and send commands as the bot. It is read from the OS keyring (service
``Tradeterm``, name ``telegram``) or the ``TRADETERM_TELEGRAM_TOKEN`` environment
variable, and never written to settings files.

httpx logs every request URL at INFO level, and Bot API URLs contain the token
(``/bot<TOKEN>/sendMessage``); exception texts can contain it too. So once a
token is in use, :func:`redact_everywhere` wraps the logging record factory: a
record whose message or traceback contains a known token gets it replaced
before any handler, file or test capture sees it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Mapping

from app.secrets import SecretUnavailable, lookup, store

log = logging.getLogger(__name__)

KEYRING_NAME = "telegram"
TOKEN_ENV = "TRADETERM_TELEGRAM_TOKEN"
MASK = "[telegram token]"


class TokenUnavailable(Exception):
    """No token could be read or stored; the message says where it was looked for."""


def load_token(environ: Mapping[str, str] | None = None) -> str:
    """The bot token from the keyring, else the environment; raises ``TokenUnavailable``."""
    token, _where = lookup(KEYRING_NAME, TOKEN_ENV, environ=environ)
    if not token:
        raise TokenUnavailable(
            "no Telegram bot token: set it in Settings > Telegram (stored in the OS keyring) "
            f"or in the {TOKEN_ENV} environment variable"
        )
    redact_everywhere(token)
    return token


def save_token(token: str) -> None:
    """Store the token in the OS keyring; raises ``TokenUnavailable`` in words on failure."""
    token = token.strip()
    redact_everywhere(token)
    try:
        store(KEYRING_NAME, token, env_var=TOKEN_ENV)
    except SecretUnavailable as exc:
        raise TokenUnavailable(f"the token: {exc}") from None


# --------------------------------------------------------------------------- redaction

_tokens: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """``text`` with every known token replaced by :data:`MASK`."""
    for token in _tokens:
        if token in text:
            text = text.replace(token, MASK)
    return text


def redact_everywhere(token: str) -> None:
    """Make sure ``token`` never reaches a log handler (idempotent, thread-safe)."""
    global _installed
    if len(token) < 8:  # a too-short "token" would mask random words in logs
        return
    with _lock:
        _tokens.add(token)
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _scrub(record: logging.LogRecord) -> None:
    if not _tokens:
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the caller's problem, not a leak
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        cleaned = redact(text)
        if cleaned != text:
            record.exc_text = cleaned
            record.exc_info = None
