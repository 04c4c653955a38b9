"""Chart sets (the window's charts, and named profiles) and chart templates, as files.

Plain Python, no Qt. A chart is described by the dict its panel's ``state()``
returns; a *chart set* is a list of them with the arrangement and the active
chart, saved with the window's layout and under a name as a *profile*; a
*template* is one chart's dict without its symbol (and timeframe), applied to
any chart. Every document carries its format and version: one written by a
newer Tradeterm is refused with a message saying so, never half-read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: The version of the chart-set and template documents this Tradeterm writes and reads.
FORMAT_VERSION = 1
PROFILE_FORMAT = "tradeterm-profile"
TEMPLATE_FORMAT = "tradeterm-chart-template"
ARRANGEMENTS = ("tabs", "tile", "cascade", "maximised")
#: What a template never carries: it styles a chart, it does not move it.
NOT_IN_TEMPLATES = ("symbol", "timeframe")
_NAME = re.compile(r"^[\w][\w .,()+-]{0,63}$")

ChartState = dict[str, object]


class DocumentError(ValueError):
    """A chart set or template that cannot be used; the message says why, for the trader."""


@dataclass(frozen=True, slots=True)
class ChartSet:
    """Charts in their order, which one is active and how they are arranged."""

    charts: tuple[ChartState, ...]
    active: int = 0
    arrangement: str = "tabs"

    def to_document(self) -> dict[str, object]:
        return {
            "format": PROFILE_FORMAT,
            "version": FORMAT_VERSION,
            "arrangement": self.arrangement,
            "active": self.active,
            "charts": [dict(c) for c in self.charts],
        }


def _checked(document: object, kind: str, what: str) -> dict[str, object]:
    """The document as a dict of the expected format and a version this code reads."""
    if not isinstance(document, dict):
        raise DocumentError(f"{what} is not a Tradeterm {kind} file")
    if document.get("format") != kind:
        raise DocumentError(f"{what} is not a Tradeterm {kind} file")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DocumentError(f"{what} has no valid version number")
    if version > FORMAT_VERSION:
        raise DocumentError(
            f"{what} was saved by a newer Tradeterm (format {version}; this one reads "
            f"up to {FORMAT_VERSION}): nothing was changed. Update Tradeterm to use it."
        )
    return document


def chart_set_from(document: object, what: str = "The chart set") -> ChartSet:
    """A ``ChartSet`` from a parsed document, or ``DocumentError`` saying what is wrong."""
    doc = _checked(document, PROFILE_FORMAT, what)
    charts = doc.get("charts")
    if not isinstance(charts, list) or not all(isinstance(c, dict) for c in charts):
        raise DocumentError(f"{what} has no list of charts")
    arrangement = doc.get("arrangement", "tabs")
    if arrangement not in ARRANGEMENTS:
        arrangement = "tabs"
    active = doc.get("active", 0)
    if not isinstance(active, int) or not 0 <= active < max(1, len(charts)):
        active = 0
    return ChartSet(tuple(dict(c) for c in charts), active, str(arrangement))


def template_document(state: Mapping[str, object]) -> dict[str, object]:
    """A template of one chart: its state without the symbol and the timeframe."""
    chart = {k: v for k, v in state.items() if k not in NOT_IN_TEMPLATES}
    return {"format": TEMPLATE_FORMAT, "version": FORMAT_VERSION, "chart": chart}


def template_from(document: object, what: str = "The template") -> ChartState:
    """The chart state a template applies, or ``DocumentError`` saying what is wrong."""
    doc = _checked(document, TEMPLATE_FORMAT, what)
    chart = doc.get("chart")
    if not isinstance(chart, dict):
        raise DocumentError(f"{what} holds no chart settings")
    return {k: v for k, v in chart.items() if k not in NOT_IN_TEMPLATES}


def check_name(name: str) -> str:
    """A profile or template name that is safe as a file name, or ``DocumentError``."""
    cleaned = name.strip()
    if not _NAME.match(cleaned):
        raise DocumentError(
            "A name is 1 to 64 letters, digits, spaces or . , ( ) + - _ "
            f"and starts with a letter or digit (not {name!r})"
        )
    return cleaned


class NamedDocuments:
    """A folder of named JSON documents (``<name>.json``): the profiles or the templates."""

    def __init__(self, folder: Path, noun: str) -> None:
        self.folder = folder
        self.noun = noun  # "profile" or "template", for messages

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted((p.stem for p in self.folder.glob("*.json")), key=str.lower)

    def path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.json"

    def save(self, name: str, document: Mapping[str, object]) -> Path:
        """Write ``document`` as ``name`` (replacing it) through a temporary file."""
        path = self.path(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(document, indent=2, sort_keys=True), encoding="utf-8")
        temporary.replace(path)
        return path

    def load(self, name: str) -> object:
        """The parsed document ``name``, or ``DocumentError`` (missing, unreadable, not JSON)."""
        path = self.path(name)
        what = f"The {self.noun} {name!r}"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DocumentError(f"{what} does not exist") from None
        except OSError as error:
            raise DocumentError(f"{what} cannot be read: {error.strerror}") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise DocumentError(f"{what} is damaged (not JSON at line {error.lineno})") from None

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)


def chart_set_json(charts: Sequence[Mapping[str, object]], active: int, arrangement: str) -> str:
    """The chart set as one JSON string (the window's layout file keeps it so)."""
    return json.dumps(ChartSet(tuple(dict(c) for c in charts), active, arrangement).to_document())


def chart_set_from_json(text: str) -> ChartSet:
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise DocumentError("The saved chart set is damaged") from None
    return chart_set_from(document, "The saved chart set")
