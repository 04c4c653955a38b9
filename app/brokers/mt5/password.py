"""Where the MetaTrader 5 password comes from: the OS keyring, then the environment.

Never from a settings file and never into a log: callers get the string and pass
it straight to ``initialize``; this module logs only *where* it was found.

Store a password once with ``keyring set Tradeterm <login>`` (the ``keyring``
command comes with the package), or set ``TRADETERM_MT5_PASSWORD`` for the process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from app.secrets import lookup

log = logging.getLogger(__name__)

PASSWORD_ENV = "TRADETERM_MT5_PASSWORD"


def mt5_password(
    login: int,
    *,
    environ: Mapping[str, str] | None = None,
    keyring_module: Any = None,
) -> str | None:
    """The password for account ``login``, or ``None`` (the terminal's saved login is used).

    The keyring entry is service ``Tradeterm``, user name the account number.
    """
    password, where = lookup(
        str(login) if login else None, PASSWORD_ENV, environ=environ, keyring_module=keyring_module
    )
    if password:
        log.info("MT5 password for account %s taken from %s", login, where)
    return password
