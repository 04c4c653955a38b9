"""Where the MetaTrader 5 password comes from: the OS keyring, then the environment.

Never from a settings file and never into a log: callers get the string and pass
it straight to ``initialize``; this module logs only *where* it looked.

Store a password once with ``keyring set Tradeterm <login>`` (the ``keyring``
command comes with the package), or set ``TRADETERM_MT5_PASSWORD`` for the process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

KEYRING_SERVICE = "Tradeterm"
PASSWORD_ENV = "TRADETERM_MT5_PASSWORD"


def mt5_password(
    login: int,
    *,
    environ: Mapping[str, str] | None = None,
    keyring_module: Any = None,
) -> str | None:
    """The password for account ``login``, or ``None`` (the terminal's saved login is used).

    The keyring entry is service ``Tradeterm``, user name the account number. A
    missing or broken keyring backend (common on headless Linux) is not an error:
    the environment variable is tried next.
    """
    env = os.environ if environ is None else environ
    if login:
        password = _from_keyring(str(login), keyring_module)
        if password:
            log.info("MT5 password for account %s taken from the OS keyring", login)
            return password
    password = env.get(PASSWORD_ENV) or None
    if password:
        log.info("MT5 password taken from the environment variable %s", PASSWORD_ENV)
    return password


def _from_keyring(user: str, keyring_module: Any) -> str | None:
    try:
        if keyring_module is None:
            import keyring as keyring_module
        value = keyring_module.get_password(KEYRING_SERVICE, user)
    except Exception as exc:  # any backend failure means "not there"
        log.info("OS keyring not usable (%s); trying %s", exc.__class__.__name__, PASSWORD_ENV)
        return None
    return value if isinstance(value, str) and value else None
