"""A label for text that changes many times a second, without re-laying out the window.

``QLabel.setText`` always asks its layout to recompute, and that request climbs
to the main window: with a quote in the order ticket changing every frame, the
whole dock layout was recomputed and its separators repainted each frame. Qt
skips the request for a widget whose minimum and maximum sizes are equal, so
this label keeps a fixed size that only ever grows to fit a longer text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

Piece = tuple[str, str | None]
"""A run of text and its colour (``None``: the label's own)."""

#: Extra pixels reserved when the label grows, so a slightly longer text fits too.
_SLACK = 8


class SteadyLabel(QLabel):
    """Plain-text label of fixed size; ``setText`` re-lays out only when it must grow."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._plain = text
        self.setText(text)

    def plain_text(self) -> str:
        """What the label reads, without the colours of :meth:`set_pieces`."""
        return self._plain

    def set_pieces(self, lines: Sequence[Sequence[Piece]]) -> None:
        """Lines of coloured runs (a key to which line on the chart is which).

        Plain text while no run has a colour of its own: rich text is laid out
        by a text document, several times the cost of a plain label's text.
        """
        plain = "\n".join("".join(text for text, _ in line) for line in lines)
        if not any(colour for line in lines for _, colour in line):
            self.setTextFormat(Qt.TextFormat.PlainText)
            self.setText(plain)
            return
        rows = [
            "".join(
                f'<span style="color:{colour}">{html.escape(text)}</span>'
                if colour
                else html.escape(text)
                for text, colour in line
            )
            for line in lines
        ]
        self.setTextFormat(Qt.TextFormat.RichText)
        self._fit(plain)  # the same glyphs as the plain text, in the same monospace font
        self._plain = plain
        super().setText(f'<div style="white-space:pre">{"<br>".join(rows)}</div>')

    def setText(self, text: str) -> None:
        self._plain = text
        self._fit(text)
        super().setText(text)

    def _fit(self, text: str) -> None:
        margins = self.contentsMargins()
        needed = self.fontMetrics().size(0, text)  # several lines too
        width = needed.width() + margins.left() + margins.right()
        height = needed.height() + margins.top() + margins.bottom()
        if width > self.minimumWidth() or height > self.minimumHeight():
            self.setFixedSize(
                max(width + _SLACK, self.minimumWidth()), max(height, self.minimumHeight())
            )
