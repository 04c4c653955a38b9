"""Alert webhooks: an HTTP POST of a JSON body when an alert fires, never from the engine thread.

The engine publishes ``AlertFired``; this object, living on the GUI thread,
POSTs :func:`app.domain.alert_facts.webhook_body` to the alert's URL with httpx
on the qasync loop (python-telegram-bot already depends on httpx), so a slow or
dead receiver costs the engine nothing and the window never waits.

**Retry policy.** A POST that fails on the network (refused, reset, timed out:
5 s to connect, 10 s in all) or is answered 408, 425, 429 or 5xx is tried again
after 2 s, 10 s and 30 s — four attempts in about 45 s; a ``Retry-After`` of up
to 60 s is honoured instead. Any other answer (a 3xx, a 4xx) means the receiver
refuses it, so it is not repeated. When the last attempt fails, the event log
gets **one** line naming the alert, the receiver's host and the last reason.
Delivery is at least once: a retry after a timeout may arrive twice, so every
body carries an ``id`` (the same for every attempt) for receivers to drop
duplicates by.

**Checked before use.** An alert with a webhook is stored only after one test
POST (``"event": "alert.test"``) was answered with a 2xx: the engine asks with
``WebhookCheck`` and this answers with ``WebhookChecked``.

Webhook addresses often hold their secret in the path or the query, so only
the scheme and host are ever written to the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot

from app import __version__
from app.domain.alert_facts import (
    AlertFired,
    WebhookCheck,
    WebhookChecked,
    webhook_body,
    webhook_test_body,
)
from app.domain.alerts import webhook_display, webhook_problem
from app.domain.enums import LogLevel
from app.domain.notices import LogEvent
from app.engine.bus import EventBus

if TYPE_CHECKING:  # httpx loads with the first delivery, not at start-up
    import httpx

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (2.0, 10.0, 30.0)
CONNECT_TIMEOUT_S = 5.0
TIMEOUT_S = 10.0
MAX_RETRY_AFTER_S = 60.0
MAX_PENDING = 200  # deliveries under way at once; more are dropped and said
RETRIED_STATUSES = frozenset({408, 425, 429})


class WebhookFailure(Exception):
    """One attempt failed; ``retry`` says whether another might succeed."""

    def __init__(self, reason: str, *, retry: bool, wait_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.wait_s = wait_s


class WebhookSender(QObject):
    """Start it on the qasync loop (``await start()``); ``await stop()`` at exit."""

    def __init__(
        self,
        bus: EventBus,
        *,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        timeout_s: float = TIMEOUT_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        max_pending: int = MAX_PENDING,
    ) -> None:
        super().__init__()
        self._bus = bus
        self._delays = tuple(retry_delays_s)
        self._timeout_s, self._connect_timeout_s = timeout_s, connect_timeout_s
        self._max_pending = max_pending
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

    # -- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._bus.alert_fired.connect(self.on_fired)
        self._bus.webhook_check.connect(self.on_check)

    async def stop(self) -> None:
        for signal, slot in (
            (self._bus.alert_fired, self.on_fired),
            (self._bus.webhook_check, self.on_check),
        ):
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(slot)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._loop = None

    async def wait_idle(self) -> None:
        """Return once no delivery or check is under way (for tests and a clean exit)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- from the bus -----------------------------------------------------------------
    @Slot(object)
    def on_fired(self, fired: AlertFired) -> None:
        url = fired.spec.actions.webhook
        if not url:
            return
        if not self._spawn(self._deliver(fired, url)):
            self.dropped += 1
            self._tell(
                f"Alert {fired.number}'s webhook {webhook_display(url)} was not sent: "
                f"{len(self._tasks)} deliveries are still under way"
            )

    @Slot(object)
    def on_check(self, check: WebhookCheck) -> None:
        if not self._spawn(self._check(check)):
            problem = "too many webhook deliveries are under way; try again in a minute"
            self._bus.command.emit(WebhookChecked(check.check_id, problem))

    # -- the network ------------------------------------------------------------------
    async def _deliver(self, fired: AlertFired, url: str) -> None:
        body = webhook_body(fired)
        body["version"] = __version__
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._post(url, body, fired.delivery_id, "alert.fired")
            except WebhookFailure as failure:
                if not failure.retry or attempt > len(self._delays):
                    self.failed += 1
                    took = time.monotonic() - started
                    tries = (
                        f"after {attempt} attempts over {took:.0f} s" if attempt > 1 else "at once"
                    )
                    self._tell(
                        f"Alert {fired.number}'s webhook {webhook_display(url)} failed {tries}: "
                        f"{failure.reason}; the alert itself fired (see its line above)"
                    )
                    return
                wait = self._delays[attempt - 1]
                if failure.wait_s is not None:
                    wait = min(MAX_RETRY_AFTER_S, max(wait, failure.wait_s))
                log.info(
                    "webhook of alert %s: %s; retrying in %.0f s",
                    fired.number,
                    failure.reason,
                    wait,
                )
                await asyncio.sleep(wait)
                continue
            self.delivered += 1
            return

    async def _check(self, check: WebhookCheck) -> None:
        problem = ""
        try:
            await self._post(
                check.url, webhook_test_body(check.check_id), check.check_id, "alert.test"
            )
        except WebhookFailure as failure:
            problem = failure.reason
        self._bus.command.emit(WebhookChecked(check.check_id, problem))

    async def _post(self, url: str, body: dict[str, Any], delivery: str, event: str) -> None:
        import httpx

        problem = webhook_problem(url)  # an address stored before the check was this strict
        if problem:
            raise WebhookFailure(problem[0].lower() + problem[1:], retry=False)
        client = self._client
        if client is None:
            client = self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout_s, connect=self._connect_timeout_s),
                follow_redirects=False,
                headers={"User-Agent": f"Tradeterm/{__version__}"},
            )
        headers = {"X-Tradeterm-Event": event, "X-Tradeterm-Delivery": delivery}
        try:
            answer = await client.post(url, json=body, headers=headers)
        except httpx.ConnectTimeout:
            raise WebhookFailure(
                f"could not connect within {self._connect_timeout_s:g} s", retry=True
            ) from None
        except httpx.TimeoutException:
            raise WebhookFailure(f"no answer within {self._timeout_s:g} s", retry=True) from None
        except httpx.ConnectError as exc:
            raise WebhookFailure(f"could not connect ({_reason(exc, url)})", retry=True) from None
        except httpx.HTTPError as exc:
            raise WebhookFailure(f"network error ({_reason(exc, url)})", retry=True) from None
        except Exception as exc:  # every failure must be answered, with its reason
            # httpx.InvalidURL, idna.IDNAError, an ExceptionGroup wrapping the socket's
            # OverflowError...: the address cannot be sent to, and trying again won't help.
            log.info("webhook POST to %s failed", webhook_display(url), exc_info=True)
            raise WebhookFailure(f"cannot be sent ({_reason(exc, url)})", retry=False) from None
        status = answer.status_code
        if 200 <= status < 300:
            return
        what = f"answered {status} {answer.reason_phrase}".rstrip()
        if status in RETRIED_STATUSES or status >= 500:
            raise WebhookFailure(what, retry=True, wait_s=_retry_after(answer))
        if 300 <= status < 400:
            what += ": it moved; give its new address"
        raise WebhookFailure(what, retry=False)

    # -- helpers ----------------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> bool:
        loop = self._loop
        if loop is None or loop.is_closed() or len(self._tasks) >= self._max_pending:
            work.close()
            return False
        task = loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def _tell(self, message: str) -> None:
        log.warning("%s", message)
        self._bus.log.emit(LogEvent(LogLevel.WARNING, "webhook", message))


def _reason(exc: BaseException, url: str) -> str:
    """The failure in words, with the secret part of ``url`` and control characters left out."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]  # anyio wraps the socket's own error in a group
    text = (str(exc) or type(exc).__name__).replace(url, webhook_display(url))
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _retry_after(answer: httpx.Response) -> float | None:  # a number of seconds; dates ignored
    value = answer.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
