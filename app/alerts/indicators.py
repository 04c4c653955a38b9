"""An alert's indicator, built from its reference: the library's class, checked parameters, an output."""

from __future__ import annotations

from app.domain.alerts import IndicatorRef
from app.indicators import Indicator, IndicatorParamError, UnknownIndicatorError, create


class IndicatorProblem(ValueError):
    """Why an alert's indicator cannot be built, in one line."""


def build_indicator(ref: IndicatorRef) -> tuple[Indicator, int]:
    """The indicator ``ref`` names, and the index of the output it reads."""
    try:
        indicator = create(ref.name, dict(ref.params))
    except UnknownIndicatorError as exc:
        raise IndicatorProblem(str(exc).capitalize()) from None
    except IndicatorParamError as exc:
        raise IndicatorProblem(str(exc)) from None
    if not ref.output:
        return indicator, 0
    try:
        return indicator, indicator.outputs.index(ref.output)
    except ValueError:
        outputs = ", ".join(indicator.outputs)
        raise IndicatorProblem(
            f"{indicator.label()} has no output '{ref.output}' (it has {outputs})"
        ) from None


def indicator_problem(ref: IndicatorRef | None) -> str | None:
    if ref is None:
        return None
    try:
        build_indicator(ref)
    except IndicatorProblem as exc:
        return str(exc)
    return None


def resolve_indicator(ref: IndicatorRef) -> IndicatorRef:
    """``ref`` with positional parameters (``rsi(14)`` → ``{"1": 14}``) named as the library does.

    The command line cannot know parameter names (the domain does not import the
    indicator library); what is stored always has names, in the library's order.
    """
    if not any(key.isdigit() for key in ref.params):
        return ref
    from app.indicators import describe, indicator_class

    try:
        order = [info.name for info in describe(indicator_class(ref.name).Params)]
    except UnknownIndicatorError as exc:
        raise IndicatorProblem(str(exc).capitalize()) from None
    named: dict[str, float] = {}
    for key, value in ref.params.items():
        if key.isdigit():
            position = int(key) - 1
            if position >= len(order):
                raise IndicatorProblem(
                    f"{ref.name.upper()} takes {len(order)} parameter(s) ({', '.join(order)}), "
                    f"not {key}"
                )
            named[order[position]] = value
        else:
            named[key] = value
    return IndicatorRef(ref.name, ref.timeframe, named, ref.output)
