"""Whether a command's fields hold what their types declare.

The ticket builds its commands from parsed text, so their numbers are numbers.
A strategy or another engine client builds them in its own code, where
``buy("0.1")`` or ``sl=None`` in the wrong place is one typo away; such a value
would fail deep in the order road (``math.isfinite("0.1")``) as the engine's
error, not the client's. The seam checks the shape first and refuses the one
command in words. Values are checked, not converted: ``"0.1"`` is refused, not
read as 0.1, so what is sent is exactly what the client wrote.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields, is_dataclass
from functools import cache
from typing import Any


def shape_problem(command: object) -> str | None:
    """Why ``command`` (a dataclass, its nested dataclasses too) has a field of the
    wrong type, or ``None`` when every field holds its declared type."""
    cls = type(command)
    if not is_dataclass(cls):
        return None
    hints = _hints(cls)
    for field in fields(cls):
        value = getattr(command, field.name)
        hint = hints.get(field.name, Any)
        if not _fits(value, hint):
            return f"{field.name} must be {_describe(hint)}, not {value!r}"
        if is_dataclass(value) and not isinstance(value, type):
            nested = shape_problem(value)
            if nested is not None:
                return nested
    return None


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _fits(value: object, hint: Any) -> bool:
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if origin is not None:  # tuple[...], Sequence[...]: the container, not its items
        return isinstance(value, origin)
    if hint is float:  # an int is a number of lots too; a bool is not
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return "None"
    if hint is float:
        return "a number"
    if hint is int:
        return "a whole number"
    if hint is str:
        return "text"
    return getattr(hint, "__name__", str(hint))
