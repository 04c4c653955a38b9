"""A drawing object as plain data: its kind, its anchor points (time, price) and its style.

No Qt here: the store saves these to JSON, the chart draws them, the dialogs
edit them. :func:`object_from_json` refuses anything it cannot trust with one
line naming the object and the field.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class ObjectKind(StrEnum):
    HLINE = "hline"
    VLINE = "vline"
    TREND = "trend"
    RAY = "ray"
    RECTANGLE = "rectangle"
    FIBONACCI = "fibonacci"
    TEXT = "text"


TITLES: dict[ObjectKind, str] = {
    ObjectKind.HLINE: "Horizontal line",
    ObjectKind.VLINE: "Vertical line",
    ObjectKind.TREND: "Trend line",
    ObjectKind.RAY: "Ray",
    ObjectKind.RECTANGLE: "Rectangle",
    ObjectKind.FIBONACCI: "Fibonacci retracement",
    ObjectKind.TEXT: "Text",
}

#: Anchor points each kind is drawn from (a horizontal line uses only the price,
#: a vertical line only the time of its one point).
ANCHORS: dict[ObjectKind, int] = {
    ObjectKind.HLINE: 1,
    ObjectKind.VLINE: 1,
    ObjectKind.TREND: 2,
    ObjectKind.RAY: 2,
    ObjectKind.RECTANGLE: 2,
    ObjectKind.FIBONACCI: 2,
    ObjectKind.TEXT: 1,
}

#: Retracement levels, as fractions of the move from the first point to the second.
FIB_LEVELS = (0.0, 0.236, 0.382, 0.5, 0.618, 0.786, 1.0)

DEFAULT_COLOURS: dict[ObjectKind, str] = {
    ObjectKind.HLINE: "#f0b90b",
    ObjectKind.VLINE: "#f0b90b",
    ObjectKind.TREND: "#2962ff",
    ObjectKind.RAY: "#2962ff",
    ObjectKind.RECTANGLE: "#9c27b0",
    ObjectKind.FIBONACCI: "#ff9800",
    ObjectKind.TEXT: "#d1d4dc",
}
MAX_TEXT = 200
MIN_WIDTH, MAX_WIDTH = 1, 4


class ObjectError(ValueError):
    """An object that cannot be used as given; ``str()`` is one line saying why."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """A point of an object: a bar open time (UTC epoch seconds) and a price."""

    time: int
    price: float


@dataclass(frozen=True, slots=True)
class DrawingObject:
    id: str
    kind: ObjectKind
    anchors: tuple[Anchor, ...]
    colour: str = ""
    width: int = 1
    text: str = ""
    fill: bool = False  # a rectangle's inside, translucent

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def shown_colour(self) -> str:
        return self.colour or DEFAULT_COLOURS[self.kind]

    def with_anchor(self, index: int, anchor: Anchor) -> DrawingObject:
        anchors = list(self.anchors)
        anchors[index] = anchor
        return replace(self, anchors=tuple(anchors))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "points": [[a.time, a.price] for a in self.anchors],
            "width": self.width,
        }
        if self.colour:
            data["colour"] = self.colour
        if self.text:
            data["text"] = self.text
        if self.fill:
            data["fill"] = True
        return data


def new_object(
    kind: ObjectKind,
    anchors: tuple[Anchor, ...],
    *,
    text: str = "",
    colour: str = "",
    width: int = 1,
    fill: bool = False,
) -> DrawingObject:
    """A new object with a fresh id, checked like a loaded one."""
    made = DrawingObject(uuid.uuid4().hex, kind, anchors, colour, width, text, fill)
    check(made)
    return made


def check(item: DrawingObject, where: str = "") -> None:
    """Raise :class:`ObjectError` if ``item`` could not be drawn or saved."""
    where = where or item.title
    if len(item.anchors) != ANCHORS[item.kind]:
        raise ObjectError(f"{where}: needs {ANCHORS[item.kind]} point(s), has {len(item.anchors)}")
    for number, anchor in enumerate(item.anchors, start=1):
        if not math.isfinite(anchor.price) or anchor.price <= 0:
            raise ObjectError(
                f"{where} point {number}: the price must be above 0 (got {anchor.price!r})"
            )
    if item.kind is ObjectKind.TEXT and not item.text.strip():
        raise ObjectError(f"{where}: the text is empty")
    if len(item.text) > MAX_TEXT:
        raise ObjectError(f"{where}: the text is longer than {MAX_TEXT} characters")
    if item.colour and not _is_colour(item.colour):
        raise ObjectError(f"{where}: colour must be #rrggbb (got {item.colour!r})")
    if not MIN_WIDTH <= item.width <= MAX_WIDTH:
        raise ObjectError(
            f"{where}: line width must be {MIN_WIDTH} to {MAX_WIDTH} (got {item.width})"
        )


def object_from_json(raw: object, number: int) -> DrawingObject:
    where = f"object {number}"
    if not isinstance(raw, Mapping):
        raise ObjectError(f"{where}: not a dictionary")
    try:
        kind = ObjectKind(str(raw.get("kind")))
    except ValueError:
        raise ObjectError(f"{where}: unknown kind {raw.get('kind')!r}") from None
    points = raw.get("points")
    if not isinstance(points, list):
        raise ObjectError(f"{where}: 'points' is not a list")
    anchors = []
    for point in points:
        if (
            not isinstance(point, list)
            or len(point) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
        ):
            raise ObjectError(f"{where}: a point must be [time, price]")
        anchors.append(Anchor(int(point[0]), float(point[1])))
    ident = raw.get("id")
    width = raw.get("width", 1)
    colour = raw.get("colour", "")
    text = raw.get("text", "")
    if not isinstance(ident, str) or not ident:
        raise ObjectError(f"{where}: no id")
    if not isinstance(width, int) or isinstance(width, bool):
        raise ObjectError(f"{where}: line width must be a whole number")
    fill = raw.get("fill", False)
    if not isinstance(colour, str) or not isinstance(text, str):
        raise ObjectError(f"{where}: colour and text must be text")
    if not isinstance(fill, bool):
        raise ObjectError(f"{where}: fill must be true or false")
    item = DrawingObject(ident, kind, tuple(anchors), colour, width, text, fill)
    check(item, where)
    return item


def _is_colour(value: str) -> bool:
    if len(value) != 7 or not value.startswith("#"):
        return False
    try:
        int(value[1:], 16)
    except ValueError:
        return False
    return True
