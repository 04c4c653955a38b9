"""python-telegram-bot plumbing: the Application and a request that reports health.

PTB tells us about polling failures (``error_callback``) but not about recovery,
and a send can fail while polling works. Wrapping the HTTP request gives one
truthful signal for the status bar: every Bot API call that gets an HTTP answer
means "online", every network failure means "offline".
"""

from __future__ import annotations

from collections.abc import Callable

from telegram.error import NetworkError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

HealthListener = Callable[[bool, str], None]

POLL_TIMEOUT_S = 10
"""Long-poll duration of getUpdates; the read timeout must be longer."""


class MonitoredRequest(HTTPXRequest):
    """An ``HTTPXRequest`` that reports each call's outcome to ``listener``."""

    def __init__(self, listener: HealthListener, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._listener = listener

    async def do_request(self, *args: object, **kwargs: object) -> tuple[int, bytes]:
        try:
            result = await super().do_request(*args, **kwargs)  # type: ignore[arg-type]
        except NetworkError as exc:
            self._listener(False, str(exc) or exc.__class__.__name__)
            raise
        self._listener(True, "")
        return result


def build_application(token: str, base_url: str, listener: HealthListener) -> Application:
    """An Application with no rate limiter (our outbox does that) and sane timeouts."""
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .request(
            MonitoredRequest(
                listener,
                connection_pool_size=8,
                connect_timeout=5.0,
                read_timeout=10.0,
                write_timeout=10.0,
                pool_timeout=3.0,
            )
        )
        .get_updates_request(
            MonitoredRequest(
                listener,
                connection_pool_size=1,
                connect_timeout=5.0,
                read_timeout=POLL_TIMEOUT_S + 5.0,
                write_timeout=5.0,
                pool_timeout=3.0,
            )
        )
        .build()
    )
