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
from typing import Any


def shape_problem(command: object) -> str | None:
    """Why ``command`` (a dataclass, its nested dataclasses too) has a field of the
    wrong type, or ``None`` when every field holds its declared type."""
    cls = type(command)
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    if not plan:
        return None
    for name, accepted, no_bools, may_nest in plan:
        value = getattr(command, name)
        if accepted is not None and (
            not isinstance(value, accepted) or (no_bools and isinstance(value, bool))
        ):
            hint = typing.get_type_hints(cls).get(name, Any)  # the refusal's words only
            return f"{name} must be {_describe(hint)}, not {value!r}"
        if may_nest and is_dataclass(value) and not isinstance(value, type):
            nested = shape_problem(value)
            if nested is not None:
                return nested
    return None


#: One field's check: its name, the types a value may have (``None``: any), whether a
#: bool is refused although an int is accepted (``True`` is not 1 lot), and whether the
#: value may be a dataclass whose own fields are checked too.
_Check = tuple[str, tuple[type, ...] | None, bool, bool]


_PLANS: dict[type, tuple[_Check, ...]] = {}


def _plan(cls: type) -> tuple[_Check, ...]:
    """The checks of ``cls``'s fields (none when it is not a dataclass), worked out once
    per class: a strategy's order passes here on its way to the broker."""
    if not is_dataclass(cls):
        return ()
    hints = typing.get_type_hints(cls)
    plan = []
    for field in fields(cls):
        hint = hints.get(field.name, Any)
        accepted = _accepted(hint)
        members = set(typing.get_args(hint)) if _is_union(hint) else {hint}
        no_bools = accepted is not None and int in accepted and bool not in members
        may_nest = accepted is None or any(is_dataclass(t) for t in accepted)
        plan.append((field.name, accepted, no_bools, may_nest))
    return tuple(plan)


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _accepted(hint: Any) -> tuple[type, ...] | None:
    """The types a value of ``hint`` may have; ``None`` when anything goes."""
    if hint is Any:
        return None
    if hint is type(None):
        return (type(None),)
    if _is_union(hint):
        found: list[type] = []
        for arg in typing.get_args(hint):
            more = _accepted(arg)
            if more is None:
                return None
            found.extend(more)
        return tuple(found)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return None
    if origin is not None:  # tuple[...], Sequence[...]: the container, not its items
        return (origin,) if isinstance(origin, type) else None
    if hint is float:  # an int is a number of lots too; a bool is not
        return (int, float)
    if isinstance(hint, type):
        return (hint,)
    return None


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
