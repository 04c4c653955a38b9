"""Several charts' changes in one window repaint: a frame is on screen after one pass, not N."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRectF
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QGridLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.domain.timeframes import Timeframe
from app.ui.runtime.one_repaint import flush_in_one_repaint
from tests.ui.conftest import Terminal


class PassLog(QObject):
    """Which of ``viewports`` each repaint pass of ``window`` painted."""

    def __init__(self, window: QWidget, viewports: list[QWidget]) -> None:
        super().__init__()
        self.passes: list[set[int]] = []
        self._window = window
        self._viewports = viewports
        for widget in (window, *viewports):
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.UpdateRequest:
            self.passes.append(set())
        elif event.type() == QEvent.Type.Paint and watched in self._viewports and self.passes:
            self.passes[-1].add(self._viewports.index(watched))  # type: ignore[arg-type]
        return False

    def painting(self) -> list[set[int]]:
        """The passes that painted at least one of the viewports."""
        return [p for p in self.passes if p]


def _four_views(qtbot: QtBot) -> tuple[QWidget, list[QGraphicsView], list[QGraphicsRectItem]]:
    window = QWidget()
    grid = QGridLayout(window)
    views, items = [], []
    for column in range(4):
        scene = QGraphicsScene(window)
        item = QGraphicsRectItem(0, 0, 10, 10)
        scene.addItem(item)
        view = QGraphicsView(scene)
        grid.addWidget(view, 0, column)
        views.append(view)
        items.append(item)
    qtbot.addWidget(window)
    window.resize(800, 200)
    window.show()
    qtbot.waitExposed(window)
    return window, views, items


def test_four_scenes_changed_together_are_painted_in_one_pass(qtbot: QtBot) -> None:
    window, views, items = _four_views(qtbot)
    qtbot.wait(50)
    log = PassLog(window, [v.viewport() for v in views])
    for step, item in enumerate(items):
        item.setRect(QRectF(0, 0, 20 + step, 12))
    flush_in_one_repaint(window, [v.scene() for v in views])
    qtbot.waitUntil(lambda: bool(log.painting()), timeout=5_000)
    qtbot.wait(50)
    assert log.painting() == [{0, 1, 2, 3}]


def test_the_window_still_repaints_what_changes_afterwards(qtbot: QtBot) -> None:
    """The held request is asked for again: a later change alone reaches the screen too."""
    window, views, items = _four_views(qtbot)
    flush_in_one_repaint(window, [v.scene() for v in views])  # nothing pending: holds nothing
    items[0].setRect(QRectF(0, 0, 30, 30))
    flush_in_one_repaint(window, [v.scene() for v in views])
    qtbot.wait(50)
    log = PassLog(window, [v.viewport() for v in views])
    items[2].setRect(QRectF(0, 0, 40, 5))  # no flush: Qt's own path
    qtbot.waitUntil(lambda: any(2 in p for p in log.painting()), timeout=5_000)


def test_a_frame_paints_every_tiled_chart_in_one_window_repaint(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    for timeframe in (Timeframe.M5, Timeframe.M15, Timeframe.H1):  # each EURUSD tick moves all
        w.new_chart("EURUSD")
        w.show_timeframe(timeframe)
    w.workspace.arrange("tile")
    charts = w.workspace.windows
    qtbot.waitUntil(
        lambda: all(c.chart.bar_count > 0 and c.pending is None for c in charts), timeout=10_000
    )
    assert [c.chart.timeframe for c in charts] == [
        Timeframe.M1,
        Timeframe.M5,
        Timeframe.M15,
        Timeframe.H1,
    ]
    log = PassLog(w, [c.chart.plot_widget.viewport() for c in charts])
    qtbot.waitUntil(lambda: len(log.painting()) >= 12, timeout=15_000)
    passes = log.painting()
    # A pane per pass, four live charts would almost never show a tick together. (A pass
    # for one pane alone is a chart's readout, when no frame came to show it with.)
    together = sum(p == {0, 1, 2, 3} for p in passes)
    assert together >= 0.5 * len(passes), passes


def test_charts_in_a_floating_dock_keep_painting_their_frames(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    """Floated, the Charts dock is a window of its own: its repaints are held and asked for
    there, and the main window's are left alone."""
    t = make_terminal()
    w = t.window
    w.new_chart("EURUSD")
    w.show_timeframe(Timeframe.M5)
    w.workspace.arrange("tile")
    dock = w.docks["chart"]
    dock.setFloating(True)
    qtbot.waitUntil(lambda: dock.isWindow() and dock.isVisible(), timeout=5_000)
    charts = w.workspace.windows
    qtbot.waitUntil(
        lambda: all(c.chart.bar_count > 0 and c.pending is None for c in charts), timeout=10_000
    )
    assert w.workspace.window() is dock
    log = PassLog(dock, [c.chart.plot_widget.viewport() for c in charts])
    qtbot.waitUntil(lambda: sum(p == {0, 1} for p in log.painting()) >= 3, timeout=15_000)
    ticket = PassLog(w, [w.ticket.quote])  # the main window goes on repainting its own
    qtbot.waitUntil(lambda: len(ticket.painting()) >= 3, timeout=15_000)
