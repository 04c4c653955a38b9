"""Paint a frame's changes to several graphics views in one window repaint, not one each.

A ``QGraphicsScene`` gathers its items' changes and processes them later, in a
queued call; right after marking its views dirty there, Qt's graphics view
*sends* the window's pending ``UpdateRequest`` at once (to keep one view's
animation smooth). With many views in one window that backfires: each scene's
queued call repaints the window for its own view alone. Eight charts (a price
and a volume pane each) made sixteen window repaints per market frame, one
after the other, and the frame's acknowledgement (and so the next frame) waited
behind all of them.

``flush_in_one_repaint(window, scenes)`` processes the scenes' queued changes
now, while the window's ``UpdateRequest`` is held back, then asks for a single
repaint: Qt paints every dirty widget of the window in that one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from weakref import WeakKeyDictionary

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QGraphicsScene, QWidget


class _HeldRepaints(QObject):
    """An event filter on one top-level window that can hold its repaint requests."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.holding = False
        self.held = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.holding and watched is self._window and event.type() == QEvent.Type.UpdateRequest:
            self.held = True
            return True
        return False

    def release(self) -> None:
        """Stop holding; ask once for the repaint that was held, if any."""
        self.holding = False
        if self.held:
            self.held = False
            # Posted as Qt posts its own: low priority, so it runs after the other events
            # queued now (and before anything queued behind it at the same priority).
            QCoreApplication.postEvent(
                self._window,
                QEvent(QEvent.Type.UpdateRequest),
                Qt.EventPriority.LowEventPriority.value,
            )


_filters: WeakKeyDictionary[QWidget, _HeldRepaints] = WeakKeyDictionary()


def flush_in_one_repaint(window: QWidget, scenes: Iterable[QGraphicsScene]) -> None:
    """Process the ``scenes``' pending changes now; ``window`` repaints them in one pass."""
    held = _filters.get(window)
    if held is None:
        held = _filters[window] = _HeldRepaints(window)
    held.holding = True
    try:
        for scene in scenes:
            QCoreApplication.sendPostedEvents(scene, QEvent.Type.MetaCall)
    finally:
        held.release()
