"""The engine's history jobs: recording live ticks, downloading the broker's history.

Commands the trader (or the History window) sends, and the facts the engine
publishes about them. Times are epoch seconds on the broker's clock, as the
history store keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.enums import OrderSource

TICKS_SERIES = "ticks"
"""The series name of ticks, beside bar series named by timeframe (``"H1"``)."""


@dataclass(frozen=True, slots=True)
class StartTickRecording:
    """Record every live tick of ``symbols`` (empty: every symbol) into the history store."""

    symbols: tuple[str, ...] = ()
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class StopTickRecording:
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class RecordingState:
    """Whether ticks are being recorded, and how many have reached the store (a fact)."""

    recording: bool
    symbols: tuple[str, ...]  # empty: every symbol
    stored: int  # ticks written to the store since recording started
    waiting: int  # ticks taken but not written yet
    error: str = ""  # why recording stopped on its own, if it did


@dataclass(frozen=True, slots=True)
class DownloadHistory:
    """Fetch ``series`` ("M1" ... "D1" or "ticks") of ``symbol`` from the broker over
    ``[start, end]`` (epoch seconds, both included) into the history store."""

    symbol: str
    series: str
    start: int
    end: int
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class CancelDownload:
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """How far a download has come (a fact, after every chunk and at its end)."""

    symbol: str
    series: str
    start: int
    end: int
    done_until: int  # everything up to here (epoch s) has been asked of the broker
    received: int  # rows the broker gave
    stored: int  # rows written to the store
    finished: bool = False
    cancelled: bool = False
    error: str = ""

    @property
    def share(self) -> float:
        span = max(1, self.end - self.start)
        return min(1.0, max(0.0, (self.done_until - self.start) / span))
