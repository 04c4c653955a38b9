"""Clicks once in every pane of a chart with RSI, MACD and an SMA on it; prints JSON.

Run in its own process (``test_chart_pane_clicks.py``): a Python error raised inside
pyqtgraph's scene while Qt delivers a mouse release does not come back as an
exception, it kills the process (PySide's printing of the error segfaults). In a
process of its own, such a crash fails that one test with its exit code instead of
ending the whole test run.
"""

from __future__ import annotations

import json
import sys

import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.studies.pane import StudyPane
from app.ui.panels.chart.studies.spec import validated
from tests.specs import fx_spec
from tests.ui.test_chart_studies import history

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


def click(widget: QWidget, at: QPoint) -> None:
    """Press and release the left button at ``at``, as a trader's single click."""
    QTest.mousePress(widget, LEFT, NONE, at)
    QTest.mouseRelease(widget, LEFT, NONE, at, 50)
    QTest.qWait(20)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    chart = ChartPanel()
    chart.resize(1000, 700)
    chart.set_symbol_spec(fx_spec())
    chart.set_history(history(600))
    chart.show()
    for name in ("sma", "rsi", "macd"):
        chart.studies.add(validated(name, {}))
    QTest.qWait(50)
    app.processEvents()
    clicked: list[str] = []
    panes = [chart.splitter.widget(i) for i in range(chart.splitter.count())]
    for pane in panes:
        assert isinstance(pane, pg.PlotWidget), pane
        viewport = pane.viewport()
        rect = viewport.rect()
        # The middle (on the lines), near the left edge and on the pane's last bars.
        for at in (rect.center(), QPoint(20, rect.height() // 2), QPoint(rect.width() - 90, 20)):
            click(viewport, at)
        names = {id(chart.plot_widget): "price", id(chart.volume_widget): "volume"}
        clicked.append(pane.series.spec.name if isinstance(pane, StudyPane) else names[id(pane)])
    print(json.dumps({"clicked": clicked, "studies": len(chart.studies.studies)}))


if __name__ == "__main__":
    main()
