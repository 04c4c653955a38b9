"""How a benchmark script reports its figures, alone or under ``run_all.py``.

Each ``bench_*.py`` builds a list of :class:`Row` and calls :func:`emit`. Run
alone it prints a markdown table; with ``--json`` (as ``run_all.py`` runs it)
it prints one line ``BENCH-JSON {...}`` that the runner merges with vn.py's
figures into the single comparison table. Any ``bench_*.py`` may adopt this;
those that do not are run too and their own output is shown after the table.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass

JSON_PREFIX = "BENCH-JSON "


@dataclass(frozen=True)
class Row:
    """One figure. ``vnpy_key`` names the vn.py driver's matching figure, if any."""

    metric: str
    value: float | None
    unit: str  # "/s", "ms", "ns" or "" (then ``text`` is shown)
    vnpy_key: str | None = None
    higher: bool = False  # True when a larger value is better (throughput)
    target: str = ""
    note: str = ""
    text: str = ""
    key: str = ""  # names a figure other tables pick up (run_all's backtest engines)


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "ms":
        if value >= 1000:
            return f"{value / 1000:,.2f} s"
        return f"{value:.3f} ms" if value < 1 else f"{value:,.1f} ms"
    if unit == "ns":
        return f"{value:,.0f} ns"
    return f"{value:g}"


def emit(section: str, rows: list[Row]) -> None:
    if "--json" in sys.argv:
        print(JSON_PREFIX + json.dumps({"section": section, "rows": [asdict(r) for r in rows]}))
        return
    print(f"| {section} | Tradeterm | target |")
    print("|---|---:|---|")
    for row in rows:
        print(f"| {row.metric} | {row.text or fmt(row.value, row.unit)} | {row.target} |")
