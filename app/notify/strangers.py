"""Updates from chats that may not command the bot: ignored, counted, and told at a bounded rate.

Every stranger's update used to cost a log line and an event-log row, so anyone
who found the bot could flood the trader's on-screen log (10,000 rows) and push
the real entries out of it. Now the first stranger's update is told at once and
later ones are counted per chat and told together, at most once per
``interval_s``; nothing is lost from the count, and the memory is bounded
however many chats write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

REPORT_INTERVAL_S = 60.0
"""At most one report about strangers per this many seconds."""

MAX_CHATS_NAMED = 5
"""A report names the chats that wrote most; the rest are counted together."""

MAX_CHATS_COUNTED = 1000
"""Chats counted by id between two reports; beyond this they are counted as "others"."""


class StrangerLog:
    """Counts ignored updates per chat; ``record`` and ``due`` return what to report, if anything."""

    def __init__(
        self, clock: Callable[[], float], *, interval_s: float = REPORT_INTERVAL_S
    ) -> None:
        self._clock = clock
        self.interval_s = interval_s
        self._counts: Counter[int] = Counter()
        self._others = 0  # updates from chats beyond MAX_CHATS_COUNTED
        self._next_report = -float("inf")
        self.total = 0  # every ignored update since the start

    @property
    def pending(self) -> int:
        """Updates counted and not reported yet."""
        return sum(self._counts.values()) + self._others

    def seconds_to_report(self) -> float:
        """How long until a report of what is pending may be made."""
        return max(0.0, self._next_report - self._clock())

    def record(self, chat_id: int, user_id: int | None) -> str | None:
        """One update from ``chat_id`` was ignored; returns the report to make now, if any."""
        self.total += 1
        if self._clock() >= self._next_report and not self.pending:
            self._next_report = self._clock() + self.interval_s
            who = f"chat {chat_id}" + (
                f" (user {user_id})" if user_id not in (None, chat_id) else ""
            )
            return (
                f"Ignored a message from unauthorised Telegram {who}; further ones are "
                f"counted and reported at most every {self.interval_s:g} s"
            )
        if chat_id in self._counts or len(self._counts) < MAX_CHATS_COUNTED:
            self._counts[chat_id] += 1
        else:
            self._others += 1
        return self.due()

    def due(self) -> str | None:
        """The report of what is pending, if one may be made now."""
        if not self.pending or self._clock() < self._next_report:
            return None
        return self.flush()

    def flush(self) -> str | None:
        """Report what is pending now, whatever the rate (at shutdown); None if nothing is."""
        count = self.pending
        if not count:
            return None
        named = self._counts.most_common(MAX_CHATS_NAMED)
        rest = count - sum(n for _chat, n in named)
        parts = [f"{chat} ({n})" for chat, n in named]
        if rest:
            parts.append(f"other chats ({rest})")
        self._counts.clear()
        self._others = 0
        self._next_report = self._clock() + self.interval_s
        noun = "message" if count == 1 else "messages"
        return f"Ignored {count} more {noun} from unauthorised Telegram chats: {', '.join(parts)}"
