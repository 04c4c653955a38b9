"""The parameter space: which values of which parameters an optimisation tries.

Every axis comes from the strategy's parameter model (``app/strategies/params.py``):
its kind, bounds and step. A ``--param`` word narrows or fixes it:

* ``fast=5:50:5`` sweeps 5, 10, ... 50 (``fast=5:50`` takes the declared step);
* ``fast`` alone sweeps the declared range with the declared step;
* ``ma=sma,ema`` or ``atr_stop=true,false`` lists the values;
* ``volume=0.2`` fixes a value for every pass.

A point of the space is one index per axis; the grid order is the flat index in
mixed radix (the last axis changes fastest), so every search names a pass by
the same number and results are the same wherever they were computed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.strategies import ParamSpec
from app.optimiser.errors import OptimiserError

MAX_AXIS_VALUES = 100_000
"""More values than this on one axis is a typo (a step of 0.0001 over 1..1000)."""


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept parameter and the values it takes, in order."""

    name: str
    values: tuple[Any, ...]

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Space:
    """The swept axes and the fixed parameters every pass shares."""

    axes: tuple[Axis, ...]
    fixed: Mapping[str, Any]

    @property
    def size(self) -> int:
        return math.prod(len(axis) for axis in self.axes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(axis.name for axis in self.axes)

    def point(self, index: int) -> tuple[int, ...]:
        """The per-axis indexes of grid pass ``index`` (the last axis fastest)."""
        out = []
        for axis in reversed(self.axes):
            index, at = divmod(index, len(axis))
            out.append(at)
        return tuple(reversed(out))

    def index(self, point: Sequence[int]) -> int:
        flat = 0
        for axis, at in zip(self.axes, point, strict=True):
            flat = flat * len(axis) + at
        return flat

    def params(self, index: int) -> dict[str, Any]:
        """Every parameter of pass ``index``: the fixed ones and this point's values."""
        chosen = {
            axis.name: axis.values[at]
            for axis, at in zip(self.axes, self.point(index), strict=True)
        }
        return {**self.fixed, **chosen}

    def indexes(self) -> Iterator[int]:
        return iter(range(self.size))


def build_space(words: Sequence[str], declared: Sequence[ParamSpec]) -> Space:
    """The space the ``--param`` words ask for; ``OptimiserError`` names the first bad one."""
    specs = {spec.name: spec for spec in declared}
    axes: list[Axis] = []
    fixed: dict[str, Any] = {}
    seen: set[str] = set()
    for word in words:
        name, sep, text = (part.strip() for part in word.partition("="))
        if not name:
            raise OptimiserError(f"--param {word!r} must be NAME, NAME=FROM:TO:STEP or NAME=VALUE")
        spec = specs.get(name)
        if spec is None:
            known = ", ".join(specs) or "none"
            raise OptimiserError(f"{name} is not a parameter of this strategy (it has: {known})")
        if name in seen:
            raise OptimiserError(f"--param {name} is given twice")
        seen.add(name)
        if sep and not text:
            raise OptimiserError(f"--param {word!r} has no value after '='")
        values = _values(spec, text if sep else None)
        if sep and len(values) == 1 and ":" not in text and "," not in text:
            fixed[name] = values[0]
        else:
            axes.append(Axis(name, values))
    if not axes:
        raise OptimiserError(
            "nothing to optimise: give at least one range, e.g. --param fast=5:50:5 "
            "(or --param fast for its declared range)"
        )
    return Space(tuple(axes), fixed)


def _values(spec: ParamSpec, text: str | None) -> tuple[Any, ...]:
    if spec.kind == "bool":
        if text is None:
            return (False, True)
        return tuple(_bool(spec.name, item) for item in _items(text))
    if spec.kind not in ("int", "float"):
        if text is None:
            raise OptimiserError(f"{spec.name} has no declared range; list its values")
        return tuple(dict.fromkeys(_items(text)))
    if text is None:
        if spec.minimum is None or spec.maximum is None or spec.step is None:
            raise OptimiserError(
                f"{spec.name} has no declared range; give one, e.g. {spec.name}=1:10:1"
            )
        low, high, step = (
            _decimal(spec.name, repr(v)) for v in (spec.minimum, spec.maximum, spec.step)
        )
    elif ":" in text:
        parts = [p.strip() for p in text.split(":")]
        if len(parts) not in (2, 3) or not all(parts):
            raise OptimiserError(f"{spec.name}={text} must be FROM:TO or FROM:TO:STEP")
        low, high = _decimal(spec.name, parts[0]), _decimal(spec.name, parts[1])
        if len(parts) == 3:
            step = _decimal(spec.name, parts[2])
        elif spec.step is not None:
            step = _decimal(spec.name, repr(spec.step))
        else:
            raise OptimiserError(f"{spec.name} has no declared step; give one: {text}:STEP")
    else:
        values = tuple(_number(spec, _decimal(spec.name, item)) for item in _items(text))
        return tuple(dict.fromkeys(values))
    if step <= 0:
        raise OptimiserError(f"{spec.name}: the step must be more than 0 (got {step})")
    if high < low:
        raise OptimiserError(f"{spec.name}: the range {low}:{high} is empty (TO is below FROM)")
    count = int((high - low) / step) + 1
    if count > MAX_AXIS_VALUES:
        raise OptimiserError(
            f"{spec.name}: {count:,} values from {low} to {high} by {step}; at most "
            f"{MAX_AXIS_VALUES:,} on one parameter"
        )
    out = tuple(dict.fromkeys(_number(spec, low + step * i) for i in range(count)))
    _check_bounds(spec, out)
    return out


def _check_bounds(spec: ParamSpec, values: Sequence[Any]) -> None:
    low, high = min(values), max(values)
    if spec.minimum is not None and low < spec.minimum:
        raise OptimiserError(f"{spec.name}: {low} is below its minimum {_plain(spec.minimum)}")
    if spec.maximum is not None and high > spec.maximum:
        raise OptimiserError(f"{spec.name}: {high} is above its maximum {_plain(spec.maximum)}")


def _number(spec: ParamSpec, value: Decimal) -> int | float:
    if spec.kind == "int":
        if value != value.to_integral_value():
            raise OptimiserError(f"{spec.name} takes whole numbers (got {value})")
        return int(value)
    return float(value)


def _decimal(name: str, text: str) -> Decimal:
    """Decimal steps: 0.1 + 0.1 + 0.1 is 0.3, so a range ends where the trader typed."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise OptimiserError(f"{name}: {text!r} is not a number") from None
    if not value.is_finite():
        raise OptimiserError(f"{name}: {text!r} is not a number")
    return value


def _items(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise OptimiserError(f"{text!r} has an empty value in its list")
    return items


def _bool(name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise OptimiserError(f"{name} must be true or false (got {text!r})")


def _plain(value: float) -> str:
    return f"{value:g}"
