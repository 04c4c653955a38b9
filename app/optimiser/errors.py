"""The optimiser's one error: input it cannot optimise, in one line, before anything runs."""

from __future__ import annotations


class OptimiserError(Exception):
    """An optimisation that cannot start as asked (an unknown parameter, an empty range,
    a space too large for the search, an unreachable cluster). ``str()`` is one line the
    trader can act on; nothing was started."""
