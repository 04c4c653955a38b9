"""Acknowledge each market frame only after the window has painted it.

The engine sends the next frame as soon as the last one is acknowledged (one
frame in flight). Acknowledging as soon as a frame was applied made the engine
build the next frame at once; that frame then waited in the GUI's queue for
the whole repaint of the previous one, and the ticks arriving meanwhile waited
for the frame after it: a tick reached the screen up to three repaints late.

Qt asks for a window repaint with a *low-priority* posted ``UpdateRequest``
when a widget calls ``update()``. Posting the acknowledgement as a low-priority
event right after applying a frame therefore delivers it after that repaint
(events of one priority keep their order), or at once when the frame changed
nothing on screen. The engine then builds the next frame just when the GUI can
show it, so a tick is on screen within about two repaints however fast the
market runs, and the GUI never paints more often than it can.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt

_ACKNOWLEDGE = QEvent.Type(QEvent.registerEventType())


class PaintedAcknowledger(QObject):
    """Calls ``acknowledge(seq)`` for the last applied frame once the GUI has painted."""

    def __init__(self, acknowledge: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._acknowledge = acknowledge
        self._pending: int | None = None

    def frame_applied(self, seq: int) -> None:
        """Queue the acknowledgement of frame ``seq`` behind the repaint it caused."""
        already_queued = self._pending is not None
        self._pending = seq
        if not already_queued:
            QCoreApplication.postEvent(
                self, QEvent(_ACKNOWLEDGE), Qt.EventPriority.LowEventPriority.value
            )

    def event(self, event: QEvent) -> bool:
        if event.type() == _ACKNOWLEDGE:
            seq, self._pending = self._pending, None
            if seq is not None:
                self._acknowledge(seq)
            return True
        return super().event(event)
