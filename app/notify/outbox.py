"""The outgoing queue: Telegram's rate limits, merging of bursts, retries.

Alerts are put in from Qt slots without waiting; one asyncio task sends them.
Per chat the queue is FIFO and bounded. Telegram allows about one message per
second per chat and thirty per second overall, so a burst (200 fills in a
second) is not sent as 200 messages: everything waiting for a chat when its
turn comes is joined into one message of at most 4096 characters. Nothing is
lost that way; only when Telegram is unreachable for long enough that a chat's
queue overflows are the oldest alerts dropped, counted, and mentioned in the
next message that gets through.

Network failures keep the message at the head of its queue and retry with
exponential backoff (1 s, 2 s, 4 s … 30 s); a 429 answer (``RetryAfter``) waits
exactly as long as Telegram asks. A timed-out send may have arrived anyway, so
delivery is at least once: a rare duplicate beats a lost stop-loss alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from app.notify.formatting import MAX_MESSAGE_CHARS, split_message

log = logging.getLogger(__name__)

BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0
_TAG_RE = re.compile(r"</?[a-z]+[^>]*>")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as it will be sent. ``markup`` (a keyboard) is never merged."""

    chat_id: int
    text: str
    markup: object | None = None
    html: bool = True


@dataclass
class _Entry:
    text: str
    markup: object | None = None
    html: bool = True
    count: int = 1  # how many alerts this entry already carries

    @property
    def mergeable(self) -> bool:
        return self.markup is None and self.html


@dataclass
class _Chat:
    pending: deque[_Entry] = field(default_factory=deque)
    next_at: float = 0.0  # earliest monotonic time the next message may go
    dropped_since_notice: int = 0


Sender = Callable[[Outgoing], Awaitable[None]]
HealthListener = Callable[[bool, str], None]


class Outbox:
    """Rate-limited, merging, retrying sender. Runs on one asyncio loop.

    ``clock`` and ``sleep`` can be injected so tests can run on fake time.
    """

    def __init__(
        self,
        send: Sender,
        *,
        per_chat_interval: float = 1.0,
        max_per_second: int = 30,
        queue_limit: int = 500,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        on_health: HealthListener | None = None,
        on_counters: Callable[[int, int], None] | None = None,
    ) -> None:
        self._send = send
        self.per_chat_interval = per_chat_interval
        self.max_per_second = max_per_second
        self.queue_limit = queue_limit
        self._clock = clock
        self._sleep = sleep
        self._on_health = on_health
        self._on_counters = on_counters
        self._chats: dict[int, _Chat] = {}
        self._sent_times: deque[float] = deque()
        self._pause_until = 0.0
        self._backoff = 0.0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.merged = 0
        self.dropped = 0
        self.sent = 0

    # -- producer side (Qt slots, handlers) -----------------------------------------
    def put(
        self, chat_id: int, text: str, *, markup: object | None = None, html: bool = True
    ) -> None:
        """Queue ``text`` for ``chat_id``; never waits, never raises."""
        chat = self._chats.setdefault(chat_id, _Chat())
        parts = split_message(text)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            chat.pending.append(_Entry(part, markup if last else None, html))
        while len(chat.pending) > self.queue_limit:
            chat.pending.popleft()
            chat.dropped_since_notice += 1
            self.dropped += 1
            self._counters_changed()
        self._idle.clear()
        self._wake.set()

    @property
    def pending(self) -> int:
        return sum(len(c.pending) for c in self._chats.values())

    async def wait_idle(self) -> None:
        """Return once every queued message was sent (or dropped)."""
        await self._idle.wait()

    # -- the sending task -----------------------------------------------------------
    async def run(self) -> None:
        """Send forever; cancel the task to stop."""
        while True:
            chat_id, delay = self._next_chat()
            if chat_id is None:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            if delay > 0:
                await self._pause(delay)
                continue
            await self._send_next(chat_id)

    def _next_chat(self) -> tuple[int | None, float]:
        """The chat whose turn is next, and how long until it may send."""
        now = self._clock()
        best: int | None = None
        best_at = 0.0
        for chat_id, chat in self._chats.items():
            if chat.pending and (best is None or chat.next_at < best_at):
                best, best_at = chat_id, chat.next_at
        if best is None:
            return None, 0.0
        at = max(best_at, self._pause_until)
        if len(self._sent_times) >= self.max_per_second:
            at = max(at, self._sent_times[-self.max_per_second] + 1.0)
        return best, max(0.0, at - now)

    async def _pause(self, delay: float) -> None:
        if self._sleep is not None:
            await self._sleep(delay)
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)

    def _take_batch(self, chat: _Chat) -> _Entry:
        """Join the mergeable alerts at the head of the queue into one message."""
        head = chat.pending.popleft()
        if chat.dropped_since_notice and head.mergeable:
            notice = (
                f"ℹ️ {chat.dropped_since_notice} older alert(s) were dropped "
                "while Telegram was unreachable."
            )
            head = _Entry(f"{notice}\n{head.text}", count=head.count)
            chat.dropped_since_notice = 0
        if not head.mergeable:
            return head
        merged_now = 0
        while chat.pending and chat.pending[0].mergeable:
            nxt = chat.pending[0]
            if len(head.text) + 1 + len(nxt.text) > MAX_MESSAGE_CHARS:
                break
            chat.pending.popleft()
            head = _Entry(f"{head.text}\n{nxt.text}", count=head.count + nxt.count)
            merged_now += 1
        if merged_now:
            self.merged += merged_now
            self._counters_changed()
        return head

    async def _send_next(self, chat_id: int) -> None:
        chat = self._chats[chat_id]
        entry = self._take_batch(chat)
        now = self._clock()
        chat.next_at = now + self.per_chat_interval
        self._sent_times.append(now)
        while len(self._sent_times) > self.max_per_second:
            self._sent_times.popleft()
        try:
            await self._send(Outgoing(chat_id, entry.text, entry.markup, entry.html))
        except RetryAfter as exc:
            wait = _retry_after_seconds(exc)
            log.warning("Telegram asked to slow down: waiting %.0f s", wait)
            chat.pending.appendleft(entry)
            self._pause_until = self._clock() + wait
            self._health(False, f"rate limited by Telegram for {wait:.0f} s")
        except BadRequest as exc:
            if entry.html:
                log.warning("Telegram refused a message (%s); resending it as plain text", exc)
                chat.pending.appendleft(_Entry(_plain(entry.text), entry.markup, False))
            else:
                self._drop(entry, f"Telegram refused a message: {exc}")
        except NetworkError as exc:  # includes TimedOut
            chat.pending.appendleft(entry)
            self._backoff = min(BACKOFF_MAX_S, self._backoff * 2 or BACKOFF_START_S)
            self._pause_until = self._clock() + self._backoff
            self._health(False, f"{exc} (retrying in {self._backoff:.0f} s)")
        except TelegramError as exc:  # Forbidden, InvalidToken, ...: retrying will not help
            self._drop(entry, f"Telegram refused a message: {exc}")
            self._health(False, str(exc))
        else:
            self.sent += 1
            self._backoff = 0.0
            self._health(True, "")

    def _drop(self, entry: _Entry, why: str) -> None:
        log.warning("%s; %d alert(s) dropped", why, entry.count)
        self.dropped += entry.count
        self._counters_changed()

    def _health(self, online: bool, detail: str) -> None:
        if self._on_health is not None:
            self._on_health(online, detail)

    def _counters_changed(self) -> None:
        if self._on_counters is not None:
            self._on_counters(self.merged, self.dropped)


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about int vs timedelta on access
        warnings.simplefilter("ignore")
        value = exc.retry_after
    if isinstance(value, timedelta):
        return max(0.0, value.total_seconds())
    return max(0.0, float(value))


def _plain(text: str) -> str:
    """An HTML message as plain text, for a last try after Telegram refused the markup."""
    return html.unescape(_TAG_RE.sub("", text))
