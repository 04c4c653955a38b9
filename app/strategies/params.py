"""A strategy's declared, typed parameters: defaults, ranges and steps.

The same declaration has three readers, as an indicator's does: the Strategies
panel's form is generated from it, the tester's optimiser sweeps its ranges and
steps, and the strategy only ever sees values that passed it. It reuses the
indicator library's parameter machinery (``app/indicators/params.py``), so a
bad value is refused the same way, with one line naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import Any, ClassVar

from pydantic import Field

from app.domain.strategies import ParamSpec
from app.indicators.params import IndicatorParamError, IndicatorParams, cross_field, param

__all__ = ["ParamError", "StrategyParams", "cross_field", "flag", "param", "specs"]

ParamError = IndicatorParamError
"""Parameters a strategy refuses; ``str()`` is one line naming the parameter."""


class StrategyParams(IndicatorParams):
    """Base of every strategy's parameter model (frozen, typos refused, finite numbers)."""

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


def specs(model: type[StrategyParams]) -> tuple[ParamSpec, ...]:
    """Every parameter with its kind, bounds and step, in declaration order."""
    out = []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if field.annotation is bool:
            words = field.description or field.title or ""
            out.append(ParamSpec(name, "bool", field.default, description=words))
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
                description=field.description or field.title or "",
            )
        )
    return tuple(out)
