"""A label for text that changes many times a second, without re-laying out the window.

``QLabel.setText`` always asks its layout to recompute, and that request climbs
to the main window: with a quote in the order ticket changing every frame, the
whole dock layout was recomputed and its separators repainted each frame. Qt
skips the request for a widget whose minimum and maximum sizes are equal, so
this label keeps a fixed size that only ever grows to fit a longer text.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

#: Extra pixels reserved when the label grows, so a slightly longer text fits too.
_SLACK = 8


class SteadyLabel(QLabel):
    """Plain-text label of fixed size; ``setText`` re-lays out only when it must grow."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(text)

    def setText(self, text: str) -> None:
        margins = self.contentsMargins()
        needed = self.fontMetrics().size(0, text)  # several lines too
        width = needed.width() + margins.left() + margins.right()
        height = needed.height() + margins.top() + margins.bottom()
        if width > self.minimumWidth() or height > self.minimumHeight():
            self.setFixedSize(
                max(width + _SLACK, self.minimumWidth()), max(height, self.minimumHeight())
            )
        super().setText(text)
