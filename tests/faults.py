"""Stand-ins for a broker's or the engine's method whose first call goes wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Arg = TypeVar("Arg")
Result = TypeVar("Result")


def wrong_first_time(
    real: Callable[[Arg], Result], first: Callable[[Arg], Result]
) -> tuple[Callable[[Arg], Result], list[Arg]]:
    """``first`` answers (or raises) in place of the first call, ``real`` every later
    one: how a refusal or a dropped link once, then a working broker, reaches the code
    under test. The list holds every call's argument, so a test sees the retries."""
    calls: list[Arg] = []

    def call(arg: Arg) -> Result:
        calls.append(arg)
        return first(arg) if len(calls) == 1 else real(arg)

    return call, calls
