"""What the trader chose for one indicator on a chart, as plain data that saves to JSON.

A :class:`StudySpec` is the indicator's registry name, its validated parameters
and its style (one colour per output, a line width). It knows nothing about
bars or drawing: templates, the saved layout and the indicator dialog all pass
these around, and :func:`specs_from_state` refuses anything it cannot trust in
one line (an unknown indicator, a parameter out of range, a newer format).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.indicators import INDICATORS, Indicator, Placement, create
from app.indicators.params import IndicatorParamError
from app.indicators.registry import UnknownIndicatorError, indicator_class

#: Version of the ``studies_state()`` dictionary; a newer one is refused in words.
STATE_VERSION = 1

#: Colours given to an indicator's outputs in turn (readable on both grounds).
OUTPUT_COLOURS = ("#f0b90b", "#2962ff", "#e040fb", "#00bcd4", "#ff7043", "#8bc34a")
#: The first colour of each indicator, so two on one chart differ at a glance.
FIRST_COLOURS: dict[str, tuple[str, ...]] = {
    "sma": ("#f0b90b",),
    "ema": ("#2962ff",),
    "wma": ("#e040fb",),
    "bollinger": ("#00bcd4", "#787b86", "#00bcd4"),
    "sar": ("#e040fb",),
    "donchian": ("#4caf50", "#787b86", "#4caf50"),
    "rsi": ("#b388ff",),
    "macd": ("#2962ff", "#ff7043", "#787b86"),
    "stochastic": ("#2962ff", "#ff7043"),
    "atr": ("#ff7043",),
    "adx": ("#f0b90b", "#26a69a", "#ef5350"),
    "cci": ("#00bcd4",),
}
MIN_WIDTH, MAX_WIDTH = 1, 4


class StudyStateError(ValueError):
    """A saved set of indicators that cannot be restored; ``str()`` says why in one line."""


@dataclass(frozen=True, slots=True)
class StudyStyle:
    """How an indicator is drawn: a colour per output (``#rrggbb``) and a pen width in pixels."""

    colours: tuple[str, ...]
    width: int = 1


@dataclass(frozen=True, slots=True)
class StudySpec:
    """One indicator as the trader configured it."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    style: StudyStyle | None = None

    @property
    def cls(self) -> type[Indicator]:
        return indicator_class(self.name)

    @property
    def placement(self) -> Placement:
        return self.cls.placement

    def build(self) -> Indicator:
        """A fresh indicator with these parameters (refused with ``IndicatorParamError``)."""
        return create(self.name, dict(self.params))

    def resolved_style(self) -> StudyStyle:
        """The style, with a colour for every output (defaults where none was chosen)."""
        outputs = self.cls.outputs
        defaults = default_style(self.name).colours
        chosen = self.style.colours if self.style is not None else ()
        colours = tuple(chosen[i] if i < len(chosen) else defaults[i] for i in range(len(outputs)))
        width = self.style.width if self.style is not None else 1
        return StudyStyle(colours, min(max(width, MIN_WIDTH), MAX_WIDTH))

    def to_json(self) -> dict[str, Any]:
        style = self.resolved_style()
        return {
            "name": self.name,
            "params": dict(self.params),
            "style": {"colours": list(style.colours), "width": style.width},
        }


def default_style(name: str) -> StudyStyle:
    outputs = indicator_class(name).outputs
    first = FIRST_COLOURS.get(name, ())
    colours = tuple(
        first[i] if i < len(first) else OUTPUT_COLOURS[i % len(OUTPUT_COLOURS)]
        for i in range(len(outputs))
    )
    return StudyStyle(colours)


def distinct_style(spec: StudySpec, taken: set[str]) -> StudyStyle | None:
    """``spec``'s default style, or (when its first colour is already on the chart, in
    ``taken``) the same with the first colour of ``OUTPUT_COLOURS`` not taken; ``None``
    keeps the defaults."""
    style = spec.resolved_style()
    if style.colours[0] not in taken:
        return spec.style
    free = next((c for c in OUTPUT_COLOURS if c not in taken and c not in style.colours), None)
    if free is None:
        return spec.style
    return StudyStyle((free, *style.colours[1:]), style.width)


def validated(name: str, params: Mapping[str, Any], style: StudyStyle | None = None) -> StudySpec:
    """A spec whose parameters passed the indicator's model (values as the model made them)."""
    indicator = create(name, dict(params))  # raises IndicatorParamError / UnknownIndicatorError
    return StudySpec(indicator.name, indicator.params.model_dump(), style)


def state_of(specs: Sequence[StudySpec]) -> dict[str, Any]:
    """A JSON-able dictionary of ``specs``: what ``studies_state()`` returns."""
    return {"version": STATE_VERSION, "studies": [spec.to_json() for spec in specs]}


def specs_from_state(state: object) -> list[StudySpec]:
    """The specs a ``studies_state()`` dictionary describes, each validated.

    Raises :class:`StudyStateError` with one line on anything it cannot use;
    nothing is half-restored.
    """
    if not isinstance(state, Mapping):
        raise StudyStateError("indicator settings: not a dictionary")
    version = state.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise StudyStateError("indicator settings: no version number")
    if version > STATE_VERSION:
        raise StudyStateError(
            f"indicator settings are from a newer Tradeterm (format {version}; "
            f"this version reads up to {STATE_VERSION})"
        )
    items = state.get("studies", [])
    if not isinstance(items, list):
        raise StudyStateError("indicator settings: 'studies' is not a list")
    specs = []
    for number, item in enumerate(items, start=1):
        specs.append(_spec_from_json(item, number))
    return specs


def _spec_from_json(item: object, number: int) -> StudySpec:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        raise StudyStateError(f"indicator {number}: no indicator name")
    params = item.get("params", {})
    if not isinstance(params, Mapping):
        raise StudyStateError(f"indicator {number}: parameters are not a dictionary")
    style = _style_from_json(item.get("style"), number)
    try:
        return validated(item["name"], params, style)
    except (IndicatorParamError, UnknownIndicatorError) as exc:
        raise StudyStateError(f"indicator {number}: {exc}") from None


def _style_from_json(raw: object, number: int) -> StudyStyle | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise StudyStateError(f"indicator {number}: style is not a dictionary")
    colours = raw.get("colours", [])
    width = raw.get("width", 1)
    if not isinstance(colours, list) or not all(_is_colour(c) for c in colours):
        raise StudyStateError(f"indicator {number}: colours must be #rrggbb")
    if not isinstance(width, int) or isinstance(width, bool) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise StudyStateError(
            f"indicator {number}: line width must be {MIN_WIDTH} to {MAX_WIDTH} (got {width!r})"
        )
    return StudyStyle(tuple(colours), width)


def _is_colour(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 7 or not value.startswith("#"):
        return False
    try:
        int(value[1:], 16)
    except ValueError:
        return False
    return True


__all__ = [
    "INDICATORS",
    "STATE_VERSION",
    "StudySpec",
    "StudyStateError",
    "StudyStyle",
    "default_style",
    "specs_from_state",
    "state_of",
    "validated",
]
