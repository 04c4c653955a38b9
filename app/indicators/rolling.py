"""Rolling maximum and minimum in amortised O(1): monotonic deques.

The deque holds ``(bar index, value)`` candidates in decreasing (for the
maximum) order: a new value evicts every candidate it beats, and the front
leaves once it falls out of the window. Each value enters and leaves at most
once, so a bar costs O(1) on average whatever the period, where rescanning the
window would cost O(period).

``peek`` answers for a window that ends with a value not yet committed: the
front candidate unless it is the one about to leave, in which case the second
candidate is the maximum of what stays (that is what the monotonic order
guarantees).
"""

from __future__ import annotations

from collections import deque

__all__ = ["RollingMax", "RollingMin"]


class RollingMax:
    """Maximum of the last ``period`` values pushed."""

    __slots__ = ("_index", "_indices", "_period", "_values")

    def __init__(self, period: int) -> None:
        self._period = period
        self._indices: deque[int] = deque()
        self._values: deque[float] = deque()
        self._index = 0  # index the next value will get

    def push(self, value: float) -> float:
        values = self._values
        indices = self._indices
        while values and values[-1] <= value:
            values.pop()
            indices.pop()
        index = self._index
        values.append(value)
        indices.append(index)
        if indices[0] <= index - self._period:
            indices.popleft()
            values.popleft()
        self._index = index + 1
        return values[0]

    def peek(self, value: float) -> float:
        values = self._values
        if not values:
            return value
        if self._indices[0] <= self._index - self._period:  # the front leaves
            if len(values) == 1:
                return value
            best = values[1]
        else:
            best = values[0]
        return value if value > best else best


class RollingMin:
    """Minimum of the last ``period`` values pushed."""

    __slots__ = ("_index", "_indices", "_period", "_values")

    def __init__(self, period: int) -> None:
        self._period = period
        self._indices: deque[int] = deque()
        self._values: deque[float] = deque()
        self._index = 0

    def push(self, value: float) -> float:
        values = self._values
        indices = self._indices
        while values and values[-1] >= value:
            values.pop()
            indices.pop()
        index = self._index
        values.append(value)
        indices.append(index)
        if indices[0] <= index - self._period:
            indices.popleft()
            values.popleft()
        self._index = index + 1
        return values[0]

    def peek(self, value: float) -> float:
        values = self._values
        if not values:
            return value
        if self._indices[0] <= self._index - self._period:
            if len(values) == 1:
                return value
            best = values[1]
        else:
            best = values[0]
        return value if value < best else best
