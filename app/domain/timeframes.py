"""Chart timeframes and the arithmetic of bar open times."""

from __future__ import annotations

from enum import Enum


class Timeframe(Enum):
    """A bar period; the value is its length in seconds."""

    M1 = 60
    M5 = 300
    M15 = 900
    M30 = 1800
    H1 = 3600
    H4 = 14400
    D1 = 86400

    @property
    def seconds(self) -> int:
        return int(self.value)

    def bar_open(self, epoch_seconds: float) -> int:
        """Open time (epoch seconds, UTC) of the bar that contains ``epoch_seconds``."""
        return int(epoch_seconds) // self.seconds * self.seconds

    @classmethod
    def parse(cls, text: str) -> Timeframe:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(tf.name for tf in cls)
            raise ValueError(f"unknown timeframe {text!r}; use one of {names}") from None
