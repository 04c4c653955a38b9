"""Every oscillator pane's value labels fit their axis, and all panes' axes stay one width
(so their bars line up), whatever the symbol's price and digits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.market import BarHistory
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.studies.pane import StudyPane
from app.ui.panels.chart.studies.spec import validated
from tests.specs import fx_spec
from tests.ui.test_chart_studies import history


def panes(panel: ChartPanel) -> list[StudyPane]:
    found = [panel.splitter.widget(i) for i in range(panel.splitter.count())]
    return [w for w in found if isinstance(w, StudyPane)]


def widest_label(pane: StudyPane) -> float:
    """The widest label the pane's axis draws over its whole history, as rendered."""
    axis = pane.value_axis
    metrics = QFontMetricsF(axis.style.get("tickFont") or QApplication.font())
    values = pane.series.visible_range(0, len(pane.series)) or (0.0, 0.0)
    y0, y1 = pane.view.viewRange()[1]
    ticks = axis.tickValues(y0, y1, pane.view.height())
    shown = [v for _, level in ticks for v in level]
    texts = axis.tickStrings([*values, *shown], 1.0, 1.0)
    return max(metrics.horizontalAdvance(text) for text in texts)


@pytest.mark.parametrize(
    "name,digits,scale",
    # EURUSD; a share at about 0.54 with 2 digits and one with 1 (RSI's 100.00 is wider
    # than any of their prices)
    [("EURUSD", 5, 1.0), ("PENNY", 2, 0.5), ("ROUGH", 1, 0.5)],
)
def test_the_value_labels_of_rsi_and_macd_fit_a_small_tiles_axis(
    qtbot: QtBot, name: str, digits: int, scale: float
) -> None:
    panel = ChartPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 300)
    panel.set_symbol_spec(fx_spec(name, digits))
    bars = history(600)
    o, h, low, c = (np.asarray(col) * scale for col in (bars.open, bars.high, bars.low, bars.close))
    panel.set_history(BarHistory(name, bars.timeframe, bars.time, o, h, low, c, bars.volume))
    panel.show()
    qtbot.waitExposed(panel)
    for indicator in ("rsi", "macd"):
        panel.studies.add(validated(indicator, {}))
    QApplication.processEvents()
    price_axis = panel.plot_widget.getPlotItem().getAxis("right")
    width = price_axis.fixedWidth
    assert width is not None
    for pane in panes(panel):
        assert pane.value_axis.fixedWidth == width  # the bars of every pane line up
        style = pane.value_axis.style  # the label starts past the tick and its offset
        room = width - style["tickLength"] - style["tickTextOffset"][0]
        assert math.ceil(widest_label(pane)) <= room, (pane.series.spec.name, width)
