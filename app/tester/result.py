"""What a pass gives back: the deals, the report, and how the run went.

Plain values (picklable for a worker process): the optimiser keeps the report's
figures of every pass and the curves of the best ones; ``as_json`` is the file
``tradeterm test --json`` writes.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.trading import Fill
from app.reporting import Report
from app.tester.settings import TesterSettings

RESULT_FORMAT = 1


@dataclass(frozen=True)
class TesterResult:
    __test__ = False  # not a pytest test class, whatever its name says

    settings: TesterSettings
    instance: str  # the strategy instance that ran, e.g. "ma_cross#1"
    params: dict[str, Any]  # every parameter as validated (defaults filled in)
    deals: tuple[Fill, ...]
    report: Report
    ticks: int  # prices the model offered
    bars: int  # bars of the tested timeframe those prices cover
    polls: int  # engine polls (turns) they were replayed in
    seconds: float  # wall time of the replay, loading excluded
    first_msc: int
    last_msc: int
    # why the risk gate or the broker refused orders, in words, each with how many times
    refused: tuple[tuple[str, int], ...] = ()
    stopped: str = ""  # why the strategy stopped before the end, if it did
    closed_at_end: int = 0  # positions the tester closed at the last price

    @property
    def trades(self) -> int:
        return self.report.figures.trades

    def refusals_in_words(self) -> str:
        """``3 refused orders: no such open position (2), market closed (1)``, or ""."""
        total = sum(count for _reason, count in self.refused)
        if not total:
            return ""
        kinds = ", ".join(f"{reason} ({count:,})" for reason, count in self.refused)
        return f"{total:,} refused order{'s' if total != 1 else ''}: {kinds}"

    def as_json(self) -> dict[str, Any]:
        """The settings, every report figure and every trade."""
        return {
            "format": RESULT_FORMAT,
            "settings": {**self.settings.as_dict(), "params": self.params},
            "instance": self.instance,
            "run": {
                "ticks": self.ticks,
                "bars": self.bars,
                "polls": self.polls,
                "seconds": round(self.seconds, 3),
                "first_time_msc": self.first_msc,
                "last_time_msc": self.last_msc,
                "closed_at_end": self.closed_at_end,
                "refused": [{"reason": r, "count": n} for r, n in self.refused],
                "stopped": self.stopped,
            },
            "report": self.report.as_dict(),
            "trades": [t.as_dict() for t in self.report.trades],
            "curve": self.report.curve.as_dict(),
        }

    def write_json(self, path: Path) -> None:
        """The result file, written beside ``path`` and moved into place whole."""
        path = Path(path)
        temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(self.as_json(), handle, indent=1, allow_nan=False)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
