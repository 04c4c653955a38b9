"""The chart's colours in the dark and the light theme.

Candle, bid and ask colours read the same in both themes; what changes is the
ground they are drawn on and everything drawn in the ground's contrast colour
(axes, grid, crosshair, readout, the entry line of a position).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor

UP_COLOR = "#26a69a"
DOWN_COLOR = "#ef5350"
BID_COLOR = "#5b9bd5"
ASK_COLOR = "#e0605e"
#: Share of the candle colour mixed into the background for the volume columns.
VOLUME_SHADE = 0.35


def muted(colour: str, background: str, share: float = VOLUME_SHADE) -> QColor:
    """``colour`` mixed into ``background``: opaque, so painting it costs no blending."""
    top, bottom = QColor(colour), QColor(background)
    return QColor(
        round(bottom.red() + (top.red() - bottom.red()) * share),
        round(bottom.green() + (top.green() - bottom.green()) * share),
        round(bottom.blue() + (top.blue() - bottom.blue()) * share),
    )


@dataclass(frozen=True, slots=True)
class ChartPalette:
    name: str
    background: str
    foreground: str
    grid: str  # opaque: the foreground at about 12 % over the background
    crosshair: str
    tag_background: str  # the crosshair's price and time tags on the axes
    tag_text: str
    entry: str  # a position's entry line and label

    @property
    def volume_up(self) -> QColor:
        return muted(UP_COLOR, self.background)

    @property
    def volume_down(self) -> QColor:
        return muted(DOWN_COLOR, self.background)


DARK = ChartPalette(
    name="dark",
    background="#131722",
    foreground="#b2b5be",
    grid="#262a35",
    crosshair="#787b86",
    tag_background="#363a45",
    tag_text="#ffffff",
    entry="#d1d4dc",
)
LIGHT = ChartPalette(
    name="light",
    background="#ffffff",
    foreground="#434651",
    grid="#eceef2",
    crosshair="#9598a1",
    tag_background="#131722",
    tag_text="#ffffff",
    entry="#434651",
)
PALETTES = {p.name: p for p in (DARK, LIGHT)}


def palette(theme: str) -> ChartPalette:
    """The palette of a theme name ('dark', 'light'); anything else is dark."""
    return PALETTES.get(theme, DARK)
