"""Declared, typed indicator parameters: one pydantic model per indicator.

Why a model and not keyword arguments: the same declaration has three readers.
The chart's indicator dialog and a strategy's parameter form are generated from
it (:func:`describe` gives each field's type, default, bounds and step), the
optimiser will sweep its ranges, and the indicator itself only ever sees values
that passed it. Bad input is refused once, here, with one line that names the
indicator and the parameter (``RSI period: must be at least 2 (got 1)``),
never with a traceback from deep inside a computation.

The bounds are TA-Lib's own where it has them (a period of at least 2, at most
100,000), so a value the dialog accepts is a value the batch path accepts too.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

__all__ = [
    "IndicatorParamError",
    "IndicatorParams",
    "ParamInfo",
    "cross_field",
    "describe",
    "param",
]

MAX_PERIOD = 100_000
"""TA-Lib refuses longer periods; the incremental forms keep this many values at most."""

_CROSS_FIELD = "indicator_cross_field"

_SHORT = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 40


class IndicatorParamError(ValueError):
    """Parameters an indicator refuses. ``str()`` is one line naming the parameter."""

    def __init__(self, indicator: str, parameter: str | None, message: str) -> None:
        self.indicator = indicator
        self.parameter = parameter
        self.message = message
        where = f"{indicator} {parameter}" if parameter else indicator
        super().__init__(f"{where}: {message}")


def param(
    default: float,
    *,
    ge: float,
    le: float,
    step: float,
    title: str,
    description: str = "",
) -> Any:
    """A bounded parameter with the step a spin box or an optimiser moves it by."""
    return Field(
        default=default,
        ge=ge,
        le=le,
        title=title,
        description=description,
        json_schema_extra={"step": step},
    )


@dataclass(frozen=True, slots=True)
class ParamInfo:
    """One parameter as a form or an optimiser needs it."""

    name: str
    title: str
    kind: type  # int or float
    default: float
    minimum: float
    maximum: float
    step: float
    description: str


class IndicatorParams(BaseModel):
    """Base of every indicator's parameter model: frozen, typos refused, finite floats."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    indicator: ClassVar[str] = "indicator"
    """The indicator's display name, used in error messages."""

    @classmethod
    def build(cls, values: Mapping[str, Any] | None = None, /, **more: Any) -> IndicatorParams:
        """Validate ``values`` (and keyword ``more``); raise :class:`IndicatorParamError`."""
        data = {**(values or {}), **more}
        for name, value in data.items():
            # pydantic's lax mode would take True as 1; a period of True is a caller's bug.
            if isinstance(value, bool):
                raise IndicatorParamError(cls.indicator, name, f"must be a number (got {value!r})")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            raise IndicatorParamError(cls.indicator, _name(error), _describe(error)) from None

    def label(self) -> str:
        """Short text for a legend: the values in declaration order, e.g. ``12, 26, 9``."""
        return ", ".join(f"{getattr(self, name):g}" for name in type(self).model_fields)


def describe(model: type[IndicatorParams]) -> tuple[ParamInfo, ...]:
    """Every parameter of ``model`` with its bounds and step, in declaration order."""
    infos = []
    for name, field in model.model_fields.items():
        kind = field.annotation if field.annotation in (int, float) else float
        minimum, maximum = _bounds(field)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        step = extra.get("step", 1)
        infos.append(
            ParamInfo(
                name=name,
                title=field.title or name,
                kind=kind,  # type: ignore[arg-type]
                default=field.default,
                minimum=minimum,
                maximum=maximum,
                step=float(step) if isinstance(step, int | float) else 1.0,
                description=field.description or "",
            )
        )
    return tuple(infos)


def _bounds(field: FieldInfo) -> tuple[float, float]:
    low, high = float("-inf"), float("inf")
    for item in field.metadata:
        if getattr(item, "ge", None) is not None:
            low = item.ge
        if getattr(item, "le", None) is not None:
            high = item.le
    return low, high


def cross_field(parameter: str, message: str) -> PydanticCustomError:
    """The error a model validator raises when two parameters disagree (``slow`` > ``fast``)."""
    return PydanticCustomError(
        _CROSS_FIELD, "{message}", {"parameter": parameter, "message": message}
    )


def _name(error: ErrorDetails) -> str | None:
    ctx = error.get("ctx") or {}
    if error["type"] == _CROSS_FIELD:
        return str(ctx["parameter"])
    loc = [str(part) for part in error["loc"]]
    return ".".join(loc) or None


def _describe(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = f" (got {_SHORT.repr(error.get('input'))})"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}{got}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}{got}"
    if kind == "extra_forbidden":
        return "is not one of its parameters"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number{got}"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind == _CROSS_FIELD:
        return str(ctx["message"])
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]
