"""Python's cyclic garbage collector, run on the GUI thread only.

CPython collects cycles in whichever thread happens to allocate past a threshold.
If that is the engine thread (the journal's migrations allocate a lot), it can
destroy a Qt widget left in a reference cycle from the wrong thread, and the
process crashes inside Qt. So automatic collection is switched off and this
timer runs the same generational collection, with gc's own thresholds, from
the GUI thread. Reference counting still frees everything that is not a cycle
at once; only cycles wait for the timer. A side benefit: GC pauses no longer
land on the engine thread, where ticks and orders are handled.

Once the window is up, ``settle()`` moves everything alive into gc's permanent
generation (``gc.freeze``): modules, the window and its widgets live as long as
the app, yet a full collection walked all ~150,000 of them each time, a pause of
50 ms or more in the GUI thread. After it, collections walk only what was made since.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


def collect_due_generation() -> int | None:
    """Collect the oldest generation whose count is past gc's threshold; returns it."""
    thresholds = gc.get_threshold()
    counts = gc.get_count()
    due = None
    for generation in range(3):
        if counts[generation] > thresholds[generation]:
            due = generation
    if due is not None:
        gc.collect(due)
    return due


class GuiThreadGarbageCollector(QObject):
    """Create on the GUI thread; keep it alive for the life of the application."""

    def __init__(self, interval_ms: int = 250, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(collect_due_generation)
        self._timer.start(interval_ms)

    def settle(self) -> None:
        """Exempt every object alive now from later collections.

        Call it when start-up is over: what exists then (modules, settings, the
        main window) lives until exit, so walking it again can only cost time.
        It does not collect first: that full walk would pause the window for
        over 100 ms just after its first frame, to free the ~2,000 objects of
        start-up's leftover cycles, which now stay (frozen) until ``stop``, as
        does any cycle among the frozen objects that dies later.
        """
        gc.freeze()

    def stop(self) -> None:
        self._timer.stop()
        gc.unfreeze()
        gc.collect()
        if self._was_enabled:
            gc.enable()
