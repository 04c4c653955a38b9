"""A strategy's declared, typed parameters: defaults, ranges and steps.

The same declaration has three readers, as an indicator's does: the Strategies
panel's form is generated from it, the tester's optimiser sweeps its ranges and
steps, and the strategy only ever sees values that passed it. It reuses the
indicator library's parameter machinery (``app/indicators/params.py``), so a
bad value is refused the same way, with one line naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from numbers import Real
from typing import Any, ClassVar, Literal, get_args, get_origin

from pydantic import ConfigDict, Field

from app.domain.strategies import ParamSpec
from app.indicators.params import IndicatorParamError, IndicatorParams, cross_field, param

__all__ = [
    "ChoiceSpec",
    "ParamError",
    "StrategyParams",
    "cross_field",
    "flag",
    "option",
    "param",
    "specs",
]

ParamError = IndicatorParamError
"""Parameters a strategy refuses; ``str()`` is one line naming the parameter."""


class StrategyParams(IndicatorParams):
    """Base of every strategy's parameter model (frozen, typos refused, finite numbers)."""

    # A default is checked like a value given: a class whose default is outside its own
    # bounds is refused when the catalogue loads it, naming the parameter.
    model_config = ConfigDict(validate_default=True)

    indicator: ClassVar[str] = "strategy"  # the name error messages start with

    @classmethod
    def parse(cls, values: Mapping[str, Any] | None = None) -> StrategyParams:
        """Validate ``values``; raises ``ParamError`` in one line."""
        data = dict(values or {})
        flags: dict[str, bool] = {}
        for name, value in data.items():
            field = cls.model_fields.get(name)
            if field is None:
                raise ParamError(cls.indicator, name, "is not one of its parameters")
            if field.annotation is bool:
                if not isinstance(value, bool):
                    raise ParamError(cls.indicator, name, f"must be true or false (got {value!r})")
                flags[name] = value
            elif isinstance(value, bool) or (
                field.annotation in (int, float) and not isinstance(value, Real)
            ):
                # pydantic's lax mode would take "3" for 3: a number given as text is a
                # caller's mistake (a form or a script), refused like True for a period.
                raise ParamError(cls.indicator, name, f"must be a number (got {value!r})")
        try:
            built = cls.build({k: v for k, v in data.items() if k not in flags})
        except ParamError:
            raise
        except Exception as exc:
            # A check in the strategy's own Params raised something other than a
            # ValueError (pydantic passes a TypeError through): that is a bug in the
            # strategy, and it must read as a refusal, never escape as a traceback.
            raise ParamError(
                cls.indicator, None, f"its parameter check failed ({type(exc).__name__}: {exc})"
            ) from exc
        return built.model_copy(update=flags) if flags else built  # type: ignore[return-value]


def flag(default: bool, *, title: str, description: str = "") -> Any:
    """A switch (on/off) parameter."""
    return Field(default=default, title=title, description=description)


def option(default: Any, *, title: str, description: str = "") -> Any:
    """A text parameter, or one of a few values (annotated ``Literal[...]`` or an Enum)."""
    return Field(default=default, title=title, description=description)


@dataclass(frozen=True, slots=True)
class ChoiceSpec(ParamSpec):
    """A parameter that takes one of ``choices`` (kind ``"choice"``): a Literal or an Enum.

    The choices are the values a form sends (an Enum's member values); the model
    turns them back into the Enum.
    """

    choices: tuple[Any, ...] = ()


def choice_for(spec: ParamSpec, text: str) -> tuple[bool, Any]:
    """The choice of ``spec`` written as ``text`` (``"2"`` is the 2 of ``Literal[1, 2]``):
    ``(True, value)``, or ``(False, None)`` when ``spec`` has no such choice (or none)."""
    for choice in getattr(spec, "choices", ()):
        if str(choice) == text:
            return True, choice
    return False, None


def _choices(annotation: Any) -> tuple[Any, ...] | None:
    """The values of a ``Literal[...]`` or an Enum annotation; None for anything else."""
    if get_origin(annotation) is Literal:
        return tuple(get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return tuple(member.value for member in annotation)
    return None


def specs(model: type[StrategyParams]) -> tuple[ParamSpec, ...]:
    """Every parameter with its kind, bounds and step, in declaration order.

    Kinds: ``"bool"``, ``"int"``, ``"float"``, ``"choice"`` (a :class:`ChoiceSpec`,
    from a Literal or an Enum) and ``"str"`` for text and anything else, which a
    form shows as text and the model checks.
    """
    out: list[ParamSpec] = []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        words = field.description or field.title or ""
        if field.annotation is bool:
            out.append(ParamSpec(name, "bool", field.default, description=words))
            continue
        choices = _choices(field.annotation)
        if choices is not None:
            default = field.default.value if isinstance(field.default, Enum) else field.default
            out.append(ChoiceSpec(name, "choice", default, description=words, choices=choices))
            continue
        if field.annotation not in (int, float):
            out.append(ParamSpec(name, "str", field.default, description=words))
            continue
        low = high = None
        for item in field.metadata:
            low = getattr(item, "ge", low)
            high = getattr(item, "le", high)
        step = extra.get("step")
        kind = "int" if field.annotation is int else "float"
        out.append(
            ParamSpec(
                name,
                kind,
                field.default,
                minimum=float(low) if low is not None else None,
                maximum=float(high) if high is not None else None,
                step=float(step) if isinstance(step, int | float) else None,
                description=words,
            )
        )
    return tuple(out)
