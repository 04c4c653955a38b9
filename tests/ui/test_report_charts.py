"""The report's bar charts at a laptop's width: every month drawn, titles whole, labels apart."""

from __future__ import annotations

import itertools

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter
from pytestqt.qtbot import QtBot

from app.domain.timeframes import Timeframe
from app.reporting import Report
from app.tester import Model, TesterSettings, run_test
from app.ui.tester.report_charts import ReportPlot
from app.ui.tester.report_view import ReportView
from tests.tester.conftest import bars, catalog, market


@pytest.fixture(scope="module")
def report() -> Report:
    """ma_cross on EURUSD H1 from 2024-01-01 to late April: four months."""
    rng = np.random.default_rng(11)
    opens = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.002, 2760))), 5).tolist()
    settings = TesterSettings("ma_cross", "EURUSD", Timeframe.H1, Model.OPEN)
    return run_test(settings, market({Timeframe.H1: bars(opens)}), catalog()).report


def _view(qtbot: QtBot, report: Report, width: int, height: int) -> ReportView:
    view = ReportView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    view.set_report(report)
    qtbot.waitExposed(view)
    qtbot.wait(50)  # the layouts settle
    return view


def _bar_centres_on_screen(plot: ReportPlot) -> list[bool]:
    """For each bar drawn, whether its centre lies inside the widget's visible area."""
    item = plot.getPlotItem()
    (graph,) = [i for i in item.items if isinstance(i, pg.BarGraphItem)]
    box = item.getViewBox()
    visible = QRectF(plot.rect())
    inside = []
    for x in graph.opts["x"]:
        scene = box.mapViewToScene(QPointF(float(x), 0.0))
        inside.append(visible.contains(QPointF(plot.mapFromScene(scene))))
    return inside


def _drawn_labels(plot: ReportPlot) -> list[tuple[QRectF, str]]:
    """The tick texts pyqtgraph paints under the bars, with their rectangles."""
    axis = plot.getPlotItem().getAxis("bottom")
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _flags, text in texts]


@pytest.mark.parametrize(
    ("width", "height", "whole_titles"),
    [(1920, 880, True), (1366, 568, True), (1100, 568, False)],  # 1100: about 140 px a chart
)
def test_every_month_is_drawn_and_the_titles_and_labels_fit(
    qtbot: QtBot, report: Report, width: int, height: int, whole_titles: bool
) -> None:
    assert [(m.year, m.month) for m in report.months] == [(2024, m) for m in (1, 2, 3, 4)]
    view = _view(qtbot, report, width, height)
    months = view.months_plot
    assert _bar_centres_on_screen(months) == [True] * len(report.months)
    for plot, title in (
        (view.months_plot, "Monthly returns, %"),
        (view.hours_plot, "Profit by hour"),
        (view.weekdays_plot, "Profit by weekday"),
    ):
        item = plot.getPlotItem()
        if whole_titles:
            assert item.titleLabel.text == title  # whole, not cut by the plot's edge
        else:  # shortened with an ellipsis, never cut mid-letter; the tooltip has it all
            shown = item.titleLabel.text
            assert shown.endswith("…") and title.startswith(shown[:-1]), shown
            assert title in plot.toolTip()
        assert item.titleLabel.boundingRect().width() <= plot.width()
        assert item.getViewBox().sceneBoundingRect().right() <= plot.width()
        drawn = _drawn_labels(plot)
        assert len(drawn) >= (2 if whole_titles else 1)  # fewer when narrow, never none
        rects = [rect for rect, _text in drawn]
        rects.sort(key=lambda r: r.left())
        for left, right in itertools.pairwise(rects):
            assert left.right() < right.left(), [t for _r, t in drawn]
    assert _drawn_labels(view.months_plot)[0][1] == "Jan 2024"


def test_the_month_chart_says_its_span_in_the_tooltip(qtbot: QtBot, report: Report) -> None:
    view = _view(qtbot, report, 1366, 568)
    assert view.months_plot.toolTip() == "Monthly returns, % (Jan 2024 – Apr 2024)"
