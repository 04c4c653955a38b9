"""What every indicator is: one declaration, two ways to compute, the same numbers.

An indicator is a small stateful object built from validated parameters. It
computes in two ways that must agree to 1e-9 on every output, warm-up NaNs
included (the tests hold them to it):

* **batch** over whole arrays (history, the chart's first paint, the tester):
  :meth:`Indicator.batch`, done by TA-Lib (:mod:`app.indicators.talib_batch`);
* **incremental**, O(1) per bar on live data: :meth:`push` commits a *closed*
  bar and returns its values; :meth:`peek` returns what ``push`` would return
  for the *forming* bar without changing any state, so the chart can call it on
  every tick and strategies, which see closed bars only, never pay for it.

The incremental forms are plain Python, written to TA-Lib's conventions (seeds,
lookbacks, Wilder smoothing, tie rules), because a call into C that releases
the interpreter lock per bar lets another busy thread take the lock for up to
the switch interval: ``docs/indicators.md`` has the measurements.

``push``/``peek`` take floats and return a float (one output) or a tuple of
floats (several, in :attr:`outputs` order): no objects per bar. The generic
``update``/``preview``/``compute``/``warm_from`` take anything with ``high``,
``low`` and ``close`` attributes (a domain ``Bar``/``BarHistory``) and always
return tuples/dicts, for callers that handle any indicator by name.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray

from app.indicators.params import IndicatorParams

__all__ = ["NAN", "FloatArray", "Indicator", "Placement"]

NAN = math.nan
FloatArray = NDArray[np.float64]

DECAY_E_FOLDS = 37.0
"""How far a recursive indicator's tail replay reaches back, in e-folds of its
smoothing: the seed's weight after the replay is e**-37 ≈ 1e-16, below one ulp."""


class Placement(StrEnum):
    """Where the chart draws an indicator."""

    OVERLAY = "overlay"  # on the price plot, in price units
    PANE = "pane"  # in its own pane under the price


class Indicator:
    """Base of every indicator. Subclasses declare the class attributes below."""

    __slots__ = ("params",)

    name: ClassVar[str]
    """Registry key, lower case: ``"rsi"``."""
    title: ClassVar[str]
    """Display name: ``"Relative Strength Index"``."""
    short: ClassVar[str]
    """Legend prefix: ``"RSI"``."""
    inputs: ClassVar[tuple[str, ...]]
    """Bar fields ``push``/``peek``/``batch`` take, in order: ``("close",)`` or ``("high", "low", "close")``."""
    outputs: ClassVar[tuple[str, ...]]
    """Names of the values, in the order ``push`` and ``batch`` return them."""
    placement: ClassVar[Placement]
    Params: ClassVar[type[IndicatorParams]]
    levels: ClassVar[tuple[float, ...]] = ()
    """Reference lines a pane draws (RSI 30/70), empty for none."""
    value_range: ClassVar[tuple[float, float] | None] = None
    """Fixed scale of a bounded oscillator (RSI 0..100), ``None`` to autoscale."""

    # Declared here so generic code may call them; each subclass defines them with
    # its own positional float arguments (its ``inputs``).
    push: Callable[..., Any]
    peek: Callable[..., Any]

    def __init__(
        self, params: IndicatorParams | Mapping[str, Any] | None = None, /, **values: Any
    ) -> None:
        if isinstance(params, self.Params) and not values:
            self.params = params
        elif isinstance(params, IndicatorParams):
            self.params = self.Params.build(params.model_dump(), **values)
        else:
            self.params = self.Params.build(params, **values)
        self._configure()
        self.reset()

    # ------------------------------------------------------------------ subclass API

    def _configure(self) -> None:
        """Copy what the hot path needs from ``self.params`` into slots."""

    def reset(self) -> None:
        """Forget every bar: the next ``push`` is the first one."""
        raise NotImplementedError

    @property
    def lookbacks(self) -> tuple[int, ...]:
        """Per output, the index of its first value that is not NaN (TA-Lib's lookback)."""
        raise NotImplementedError

    def batch(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        """Every output over whole input arrays (in :attr:`inputs` order), NaN in warm-up."""
        raise NotImplementedError

    def warm_bars(self) -> int | None:
        """How many trailing bars :meth:`warm` replays to rebuild the state; ``None`` = all."""
        return max(self.lookbacks) + 1

    # ------------------------------------------------------------------ shared

    @property
    def lookback(self) -> int:
        """Bars before the first bar on which every output has a value."""
        return max(self.lookbacks)

    def warm(self, *arrays: FloatArray) -> None:
        """Make the state what pushing every bar of ``arrays`` would have made it.

        Replays only the tail that matters (:meth:`warm_bars`), so a chart with a
        million bars gets a live indicator in a few milliseconds. Windowed
        indicators replay exactly their window; recursive ones replay enough bars
        for the seed to weigh less than one ulp.
        """
        self.reset()
        columns = [np.asarray(a, dtype=np.float64) for a in arrays]
        size = len(columns[0]) if columns else 0
        tail = self.warm_bars()
        start = 0 if tail is None else max(0, size - tail)
        push = self.push
        for values in zip(*(c[start:].tolist() for c in columns), strict=True):
            push(*values)

    def compute(self, bars: object) -> dict[str, FloatArray]:
        """Batch over anything with the input columns as attributes (a ``BarHistory``)."""
        arrays = [np.asarray(getattr(bars, name), dtype=np.float64) for name in self.inputs]
        return dict(zip(self.outputs, self.batch(*arrays), strict=True))

    def warm_from(self, bars: object) -> None:
        """:meth:`warm` from anything with the input columns as attributes."""
        self.warm(*(np.asarray(getattr(bars, name), dtype=np.float64) for name in self.inputs))

    def update(self, bar: object) -> tuple[float, ...]:
        """``push`` a closed bar given as an object (a domain ``Bar``); always a tuple."""
        inputs = self.inputs  # one input is the common case: no generator per bar
        if len(inputs) == 1:
            result = self.push(getattr(bar, inputs[0]))
        else:
            result = self.push(*[getattr(bar, name) for name in inputs])
        return result if isinstance(result, tuple) else (result,)

    def preview(self, bar: object) -> tuple[float, ...]:
        """``peek`` at a forming bar given as an object; always a tuple."""
        inputs = self.inputs
        if len(inputs) == 1:
            result = self.peek(getattr(bar, inputs[0]))
        else:
            result = self.peek(*[getattr(bar, name) for name in inputs])
        return result if isinstance(result, tuple) else (result,)

    def copy(self) -> Self:
        """An independent indicator in the same state (e.g. to try a what-if)."""
        return copy.deepcopy(self)

    def label(self) -> str:
        """Legend text: ``RSI(14)``."""
        return f"{self.short}({self.params.label()})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label()}>"


def recursive_tail(lookback: int, *alphas: float) -> int:
    """Bars a tail replay needs so each smoothing's seed weighs below one ulp."""
    reach = sum(DECAY_E_FOLDS / -math.log1p(-alpha) for alpha in alphas if alpha < 1.0)
    return lookback + 1 + math.ceil(reach)


def as_f64(array: object) -> FloatArray:
    """A contiguous float64 view or copy, as TA-Lib's C functions need."""
    return np.ascontiguousarray(array, dtype=np.float64)
