"""Secrets (the MT5 password, the Telegram bot token): the OS keyring, then the environment.

One lookup for every secret, so each is found the same way and none is ever
read from a settings file or written to a log. The keyring entry is service
``Tradeterm`` with a name per secret (the MT5 account number, ``telegram``).
A missing or broken keyring backend (common on headless Linux) is not an error:
the environment variable is tried next. Callers log only *where* a secret came
from, never the secret.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

KEYRING_SERVICE = "Tradeterm"


class SecretUnavailable(Exception):
    """A secret could not be stored; the message says what to do instead."""


def lookup(
    name: str | None,
    env_var: str,
    *,
    environ: Mapping[str, str] | None = None,
    keyring_module: Any = None,
) -> tuple[str | None, str]:
    """``(secret, where it came from)``: the keyring entry ``name``, else ``env_var``.

    ``name=None`` skips the keyring. ``(None, "")`` when neither has it.
    """
    if name:
        value = _from_keyring(name, keyring_module)
        if value:
            return value, "the OS keyring"
    env = os.environ if environ is None else environ
    value = env.get(env_var, "").strip()
    if value:
        return value, f"the environment variable {env_var}"
    return None, ""


def store(name: str, secret: str, *, env_var: str) -> None:
    """Keep ``secret`` in the OS keyring; ``SecretUnavailable`` (in words) if it cannot."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        raise SecretUnavailable(f"no OS keyring available; set {env_var} instead") from None
    try:
        keyring.set_password(KEYRING_SERVICE, name, secret)
    except KeyringError as exc:
        raise SecretUnavailable(
            f"could not store it in the OS keyring ({exc.__class__.__name__}); "
            f"set {env_var} instead"
        ) from None


def _from_keyring(name: str, keyring_module: Any) -> str | None:
    try:
        if keyring_module is None:
            import keyring as keyring_module
        value = keyring_module.get_password(KEYRING_SERVICE, name)
    except Exception as exc:  # no backend, a locked keyring, D-Bus missing…
        log.info("OS keyring not usable (%s)", exc.__class__.__name__)
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None
