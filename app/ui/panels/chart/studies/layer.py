"""The indicators of one chart: their values, their items on the price, their panes.

:class:`ChartStudies` is owned by the chart panel, which tells it what happened
to the bars (a load, a tick on the forming bar, a new bar) and where the
crosshair is; everything else (the items, the panes in the chart's splitter,
the readout's indicator lines, the data window) is done here, so the panel
only carries a few one-line hooks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QTimer

from app.indicators import Placement
from app.ui.panels.chart.palette import ChartPalette
from app.ui.panels.chart.studies.data_window import DataWindow
from app.ui.panels.chart.studies.items import StudyItem
from app.ui.panels.chart.studies.pane import StudyPane
from app.ui.panels.chart.studies.series import StudySeries
from app.ui.panels.chart.studies.spec import (
    StudySpec,
    distinct_style,
    specs_from_state,
    state_of,
)
from app.ui.widgets.steady_label import Piece

if TYPE_CHECKING:
    from app.ui.panels.chart.panel import ChartPanel

#: Share of the chart's height a new oscillator pane takes from the price pane.
PANE_SHARE = 0.2
#: Decimals of bounded oscillators and CCI (they are not in price units).
OSCILLATOR_DIGITS = 2
#: Mouse moves per second that move the crosshair from a pane.
CROSSHAIR_RATE_LIMIT = 60


@dataclass
class Study:
    """One indicator on the chart and what draws it."""

    spec: StudySpec
    series: StudySeries
    items: list[StudyItem] = field(default_factory=list)
    pane: StudyPane | None = None

    @property
    def label(self) -> str:
        return self.series.indicator.label()


class ChartStudies:
    """Adds, edits and removes a chart's indicators and keeps them live."""

    def __init__(self, panel: ChartPanel, digits: Callable[[], int]) -> None:
        self._panel = panel
        self._digits = digits
        self._candles = panel.candles
        self._price_plot = panel.plot_widget.getPlotItem()
        self.studies: list[Study] = []
        self._proxies: dict[int, pg.SignalProxy] = {}
        self._label_widths: dict[int, int] = {}
        self._colours = panel.palette_colours
        self._listeners: list[Callable[[], None]] = []
        self.data_window: DataWindow | None = None
        self._price_plot.getViewBox().sigXRangeChanged.connect(self._fit_panes_later)
        self._fit_timer = QTimer(panel)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.timeout.connect(self._fit_panes)
        self._following = False  # the x range moves because the chart follows a new bar
        panel.on_palette(self._apply_palette)

    # --------------------------------------------------------------- the trader's edits

    def add(self, spec: StudySpec) -> Study:
        """Put an indicator on the chart (its parameters were validated into ``spec``).

        Without a style of its own, it takes colours no other indicator on the chart
        shows first (two SMAs, fast and slow, must be told apart at a glance).
        """
        if spec.style is None:
            taken = {s.spec.resolved_style().colours[0] for s in self.studies}
            spec = replace(spec, style=distinct_style(spec, taken))
        study = Study(spec, StudySeries(spec, self._candles))
        self.studies.append(study)
        self._show(study)
        self._changed()
        return study

    def edit(self, index: int, spec: StudySpec) -> Study:
        """New parameters or style for the indicator at ``index`` (recomputed from the bars)."""
        old = self.studies[index]
        study = Study(spec, StudySeries(spec, self._candles))  # refused before anything changes
        splitter = self._panel.splitter
        place = None
        if old.pane is not None:
            at = splitter.indexOf(old.pane)
            place = (at, splitter.sizes()[at])
        self._hide(old)
        self.studies[index] = study
        self._show(study, place=place)
        self._changed()
        return study

    def remove(self, index: int) -> None:
        self._hide(self.studies.pop(index))
        self._changed()

    def clear(self) -> None:
        while self.studies:
            self._hide(self.studies.pop())
        self._changed()

    def attach_data_window(self, window: DataWindow | None) -> None:
        """Show the hovered bar's values in ``window`` (the window's one Data Window)."""
        self.data_window = window
        if window is not None:
            window.set_studies([(s.label, s.series.outputs) for s in self.studies])
            self._panel.refresh_readout()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every add, edit or removal (menus, the data window)."""
        self._listeners.append(listener)

    def state(self) -> dict[str, Any]:
        """A JSON-able dictionary of every indicator, its parameters and style."""
        return state_of([study.spec for study in self.studies])

    def restore(self, state: Mapping[str, Any]) -> None:
        """Replace the indicators with those of a ``state()`` dictionary.

        Anything wrong in it raises ``StudyStateError`` (one line) before a
        single indicator changes.
        """
        specs = specs_from_state(state)
        self.clear()
        for spec in specs:
            self.add(spec)

    # --------------------------------------------------------------- hooks of the panel

    def bars_replaced(self) -> None:
        """A new history (or none): every value again, by the library's batch."""
        for study in self.studies:
            study.series.recompute()
            for item in study.items:
                item.values_changed()
            if study.pane is not None:
                study.pane.fit_y()
        self._measure_labels()
        self._sync_axis_width()

    def forming_changed(self) -> None:
        """A tick changed the newest bar: one ``peek`` per indicator."""
        for study in self.studies:
            study.series.forming_changed()
            if study.pane is not None:
                study.pane.live_changed()
            else:
                for item in study.items:
                    item.live_changed()

    def bar_appended(self) -> None:
        """A new bar opened: ``push`` the closed one, ``peek`` the new one."""
        for study in self.studies:
            study.series.bar_appended()
            for item in study.items:
                item.update()
        if self.panes():
            # The panes' y is fitted once the chart has followed the new bar (after this
            # event, so a burst of bars in one turn fits once), keeping its range if it can.
            self._following = True
            self._fit_timer.start(0)

    def hovered(self, index: int | None) -> None:
        """The crosshair is on bar ``index`` (``None``: hidden) — follow it in every pane."""
        for study in self.studies:
            if study.pane is None:
                continue
            line = study.pane.crosshair
            if index is None:
                line.setVisible(False)
            else:
                line.setValue(index)
                line.setVisible(True)

    def readout_lines(self, index: int | None) -> list[list[Piece]]:
        """The overlays' values at bar ``index`` (the newest if ``None``) for the chart's readout.

        Each name and value in its line's colour: the key to which line is which.
        Also refreshes the panes' legends and the data window, at the readout's pace.
        """
        n = len(self._candles)
        at = n - 1 if index is None else index
        lines = []
        for study in self.studies:
            pieces = self._pieces(study, at)
            if study.pane is None:
                lines.append(pieces)
            else:
                study.pane.legend.set_pieces([pieces])
        if self.data_window is not None:
            bar = self._candles.bar_at(at)
            self.data_window.show_bar(bar, self._rows_at(at), self._price_text)
        return lines

    def _pieces(self, study: Study, index: int) -> list[Piece]:
        """``NAME  v1 v2 …``, the name in the first line's colour, each value in its own."""
        colours = [item.colour for item in study.items]
        first = colours[0] if colours else None
        values = study.series.value_at(index)
        if values is None:
            return [(study.label, first)]
        fmt = self._value_format(study)
        pieces: list[Piece] = [(study.label, first)]
        for k, value in enumerate(values):
            gap = "  " if k == 0 else " "
            pieces.append((gap, None))
            pieces.append((fmt(value), colours[k] if k < len(colours) else first))
        return pieces

    def volume_toggled(self) -> None:
        """The volume pane was shown or hidden: the time axis goes under the lowest pane."""
        self._arrange_time_axis()

    # --------------------------------------------------------------- internals

    def _show(self, study: Study, place: tuple[int, int] | None = None) -> None:
        style = study.spec.resolved_style()
        study.items = [
            StudyItem(self._candles, study.series, k, colour, style.width)
            for k, colour in enumerate(style.colours)
        ]
        if study.spec.placement is Placement.OVERLAY:
            for item in study.items:
                self._price_plot.addItem(item, ignoreBounds=True)
            return
        pane = StudyPane(
            study.series,
            self._candles,
            self._price_plot,
            self._pane_digits(study),
            self._colours,
            self._new_time_axis(),
        )
        pane.set_items(study.items)
        study.pane = pane
        self._insert_pane(pane, place)
        self._proxies[id(pane)] = pg.SignalProxy(
            pane.scene().sigMouseMoved,
            rateLimit=CROSSHAIR_RATE_LIMIT,
            slot=lambda args, p=pane: self._panel.on_mouse_moved(args[0], p),
        )
        self._measure_labels()
        self._sync_axis_width()
        self._arrange_time_axis()

    def _hide(self, study: Study) -> None:
        if study.pane is None:
            for item in study.items:
                self._price_plot.removeItem(item)
            return
        pane = study.pane
        proxy = self._proxies.pop(id(pane), None)
        if proxy is not None:
            proxy.disconnect()
        pane.hide()
        pane.setParent(None)
        pane.deleteLater()
        study.pane = None
        self._label_widths.pop(id(pane), None)
        self._panel.fit_axis_width()  # narrower again without its labels
        self._sync_axis_width()
        self._arrange_time_axis()

    def _insert_pane(self, pane: StudyPane, place: tuple[int, int] | None) -> None:
        """Into the splitter under the price (and the other panes), or where an edited one was."""
        splitter = self._panel.splitter
        sizes = splitter.sizes()
        if place is not None:
            at, size = place
            splitter.insertWidget(at, pane)
            sizes.insert(at, size)
            splitter.setSizes(sizes)
            return
        at = 1 + sum(1 for s in self.studies if s.pane is not None and s.pane is not pane)
        splitter.insertWidget(at, pane)
        splitter.setStretchFactor(at, 1)  # the price keeps its 4 when the chart grows
        if not self._panel.isVisible():  # not laid out yet: the stretch factors share it out
            return
        total = sum(sizes)
        share = max(round(total * PANE_SHARE), pane.minimumHeight())
        sizes.insert(at, share)
        sizes[0] = max(sizes[0] - share, 80)
        splitter.setSizes(sizes)

    def _new_time_axis(self) -> pg.AxisItem:
        from app.ui.panels.chart.panel import BarTimeAxis  # the panel module imports this one

        timeframe = self._panel
        return BarTimeAxis(
            lambda: self._candles.time,
            lambda: timeframe.timeframe.seconds if timeframe.timeframe is not None else 60,
        )

    def panes(self) -> list[StudyPane]:
        """The panes of the oscillators shown under the price."""
        return [s.pane for s in self.studies if s.pane is not None]

    def _arrange_time_axis(self) -> None:
        """Time labels under the lowest pane shown: the volume pane, else the last oscillator."""
        panes = self.panes()
        volume = self._panel.volume_visible
        for pane in panes:
            pane.getPlotItem().hideAxis("bottom")
        price = self._price_plot
        if volume:
            return
        if panes:
            price.hideAxis("bottom")
            panes[-1].getPlotItem().showAxis("bottom")
        else:
            price.showAxis("bottom")

    def label_width(self) -> int:
        """Pixels the widest label of any pane needs (0 without panes); measured when
        the values change, not on every pan, so the axes keep still while scrolling."""
        return max(self._label_widths.values(), default=0)

    def _measure_labels(self) -> None:
        self._label_widths = {id(pane): pane.label_width() for pane in self.panes()}

    def _sync_axis_width(self) -> None:
        """Panes' value axes as wide as the price axis, so every pane's bars line up;
        the price axis widens first if a pane's labels need more room."""
        axis = self._price_plot.getAxis("right")
        width = axis.fixedWidth or axis.width()  # the width set, before the layout applies it
        if self.label_width() > width:
            self._panel.fit_axis_width()
            width = axis.fixedWidth or axis.width()
        for pane in self.panes():
            if pane.value_axis.fixedWidth != width:
                pane.value_axis.setWidth(width)

    def _pane_digits(self, study: Study) -> Callable[[], int]:
        cls = type(study.series.indicator)
        if cls.value_range is not None or cls.name == "cci":
            return lambda: OSCILLATOR_DIGITS
        return lambda: self._digits() + 1

    def _fit_panes_later(self, *_: object) -> None:
        if self.panes() and not self._fit_timer.isActive():
            self._fit_timer.start(0)  # after the x link has moved every pane

    def _fit_panes(self) -> None:
        strict = not self._following  # the trader moved the view: fit it; a new bar: keep it
        self._following = False
        for pane in self.panes():
            pane.fit_y(strict=strict)
        self._sync_axis_width()

    def _apply_palette(self, colours: ChartPalette) -> None:
        self._colours = colours
        for pane in self.panes():
            pane.apply_palette(colours)

    def _changed(self) -> None:
        if self.data_window is not None:
            self.data_window.set_studies([(s.label, s.series.outputs) for s in self.studies])
        self._panel.refresh_readout()
        for listener in self._listeners:
            listener()

    def _value_format(self, study: Study) -> Callable[[float], str]:
        if study.pane is None:
            return self._price_text
        digits = self._pane_digits(study)()
        return lambda v: "—" if not math.isfinite(v) else f"{v:.{digits}f}"

    def _price_text(self, value: float) -> str:
        if not math.isfinite(value):
            return "—"
        return f"{value:.{self._digits()}f}"

    def _rows_at(self, index: int) -> list[list[str]]:
        rows = []
        for study in self.studies:
            values = study.series.value_at(index)
            fmt = self._value_format(study)
            rows.append([fmt(v) for v in values] if values is not None else [])
        return rows
