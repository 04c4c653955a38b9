"""A Fibonacci retracement's level labels read: none over another, none over the swing's
candles, each on a ground of its own; levels too close for a line of text keep only
their lines."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF
from pytestqt.qtbot import QtBot

from app.ui.panels.chart.objects.model import Anchor, ObjectKind, new_object
from app.ui.panels.chart.objects.store import ObjectStore
from app.ui.panels.chart.panel import ChartPanel
from tests.specs import fx_spec
from tests.ui.test_chart_studies import history


def chart_with_fibonacci(
    qtbot: QtBot, tmp_path: Path, width: int, height: int
) -> tuple[ChartPanel, float]:
    """A chart with a retracement over the swing of bars n-60 to n-20, and that swing's
    left end in the price view's pixels."""
    panel = ChartPanel()
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.set_symbol_spec(fx_spec())
    panel.objects.use_store(ObjectStore(tmp_path / "objects"))  # this test's objects only
    panel.set_history(history(600))
    panel.show()
    qtbot.waitExposed(panel)
    candles = panel.candles
    first, last = panel.bar_count - 60, panel.bar_count - 20
    low = float(candles.low[first:last].min())
    high = float(candles.high[first:last].max())
    times = candles.time
    panel.objects.add(
        new_object(
            ObjectKind.FIBONACCI,
            (Anchor(int(times[first]), low), Anchor(int(times[last]), high)),
        )
    )
    panel.plot_widget.grab()  # one paint
    view = panel.plot_widget.getPlotItem().getViewBox()
    left = view.mapViewToDevice(QPointF(first, low)).x()
    return panel, left


def test_level_labels_sit_left_of_the_swing_and_never_on_each_other(
    qtbot: QtBot, tmp_path: Path
) -> None:
    panel, left = chart_with_fibonacci(qtbot, tmp_path, 1000, 700)
    labels = panel.objects.item.level_labels
    assert [text.split()[0] for _, text in labels] == [
        "0.0", "23.6", "38.2", "50.0", "61.8", "78.6", "100.0"
    ]  # fmt: skip
    for box, text in labels:
        assert box.right() <= left, (text, box, left)  # not over the candles it measures
    for i, (box, text) in enumerate(labels):
        for other, other_text in labels[i + 1 :]:
            assert not box.intersects(other), (text, other_text)


def test_in_a_small_tile_close_levels_drop_their_labels_instead_of_overlapping(
    qtbot: QtBot, tmp_path: Path
) -> None:
    panel, _ = chart_with_fibonacci(qtbot, tmp_path, 480, 320)
    labels = panel.objects.item.level_labels
    assert 2 <= len(labels) < 7  # some levels are a few pixels apart here
    for i, (box, text) in enumerate(labels):
        for other, other_text in labels[i + 1 :]:
            assert not box.intersects(other), (text, other_text)
