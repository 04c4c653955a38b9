"""Drawing objects: drawn with the mouse and the keyboard, snapped, selected, moved, edited,
deleted, listed, kept per symbol in real files, shown on every chart of the symbol, and
kept on the chart when dragged off the data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.market import BarHistory
from app.domain.timeframes import Timeframe
from app.ui.panels.chart.objects import store as store_module
from app.ui.panels.chart.objects.dialog import ObjectsDialog, format_time, parse_time
from app.ui.panels.chart.objects.layer import FUTURE_BARS
from app.ui.panels.chart.objects.model import Anchor, ObjectKind, new_object
from app.ui.panels.chart.objects.store import FILE_VERSION, ObjectStore
from app.ui.panels.chart.panel import ChartPanel
from tests.specs import fx_spec as spec
from tests.ui.conftest import Terminal

TF = Timeframe.M5
START = TF.bar_open(1_700_000_000)
BARS = 400
CTRL = Qt.KeyboardModifier.ControlModifier
NO = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


def history(
    n: int = BARS, timeframe: Timeframe = TF, seed: int = 3, symbol: str = "EURUSD"
) -> BarHistory:
    rng = np.random.default_rng(seed)
    close = 1.08 + np.cumsum(rng.normal(0, 3e-4, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + rng.random(n) * 3e-4
    low = np.minimum(open_, close) - rng.random(n) * 3e-4
    times = timeframe.bar_open(START) + np.arange(n, dtype=np.int64) * timeframe.seconds
    return BarHistory(symbol, timeframe, times, open_, high, low, close, np.ones(n))


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(tmp_path / "objects")


@pytest.fixture
def make_panel(qtbot: QtBot, store: ObjectStore) -> Callable[..., ChartPanel]:
    def make(timeframe: Timeframe = TF, objects: ObjectStore | None = None) -> ChartPanel:
        chart = ChartPanel()
        qtbot.addWidget(chart)
        chart.resize(1000, 600)
        chart.set_symbol_spec(spec())
        chart.set_timeframe(timeframe)
        chart.objects.use_store(objects or store)
        chart.set_history(history(timeframe=timeframe))
        chart.show()
        qtbot.waitExposed(chart)
        chart.scroll_to_latest(100)
        QApplication.processEvents()
        return chart

    return make


@pytest.fixture
def panel(make_panel: Callable[..., ChartPanel]) -> ChartPanel:
    return make_panel()


def at(panel: ChartPanel, x: float, price: float) -> QPoint:
    """The viewport pixel of bar position ``x`` and ``price`` on the price pane."""
    view = panel.plot_widget.getPlotItem().getViewBox()
    scene = view.mapViewToScene(QPointF(x, price))
    return panel.plot_widget.mapFromScene(scene)


def pixel_price(panel: ChartPanel) -> float:
    """How much price one pixel is, for tolerances."""
    y0, y1 = panel.y_range()
    return (y1 - y0) / panel.plot_widget.getPlotItem().getViewBox().height()


def drag(
    qtbot: QtBot, panel: ChartPanel, a: QPoint, b: QPoint, modifier: Qt.KeyboardModifier = NO
) -> None:
    viewport = panel.plot_widget.viewport()
    qtbot.mousePress(viewport, LEFT, modifier, a)
    qtbot.mouseMove(viewport, QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2))
    qtbot.mouseMove(viewport, b)
    qtbot.mouseRelease(viewport, LEFT, modifier, b)


def mid_price(panel: ChartPanel) -> float:
    y0, y1 = panel.y_range()
    return (y0 + y1) / 2


def bar_time(panel: ChartPanel, index: int) -> int:
    return int(panel.candles.time[index])


# ------------------------------------------------------------------ drawing with the mouse


@pytest.mark.parametrize(
    "kind", [ObjectKind.TREND, ObjectKind.RAY, ObjectKind.RECTANGLE, ObjectKind.FIBONACCI]
)
def test_a_two_point_object_is_drawn_by_press_drag_release(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore, kind: ObjectKind
) -> None:
    n = panel.bar_count
    y0, y1 = panel.y_range()
    low, high = y0 + (y1 - y0) * 0.3, y0 + (y1 - y0) * 0.7
    panel.objects.start(kind)
    drag(qtbot, panel, at(panel, n - 60, low), at(panel, n - 20, high))
    [obj] = store.objects("EURUSD")
    assert obj.kind is kind
    assert [a.time for a in obj.anchors] == [bar_time(panel, n - 60), bar_time(panel, n - 20)]
    tolerance = 2 * pixel_price(panel)
    assert obj.anchors[0].price == pytest.approx(low, abs=tolerance)
    assert obj.anchors[1].price == pytest.approx(high, abs=tolerance)
    assert panel.objects.tool is None and panel.objects.selected == obj


def test_a_two_point_object_can_be_drawn_with_two_clicks_too(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    viewport = panel.plot_widget.viewport()
    panel.objects.start(ObjectKind.TREND)
    first, second = at(panel, n - 50, mid_price(panel)), at(panel, n - 10, mid_price(panel))
    qtbot.mouseClick(viewport, LEFT, NO, first)
    assert store.objects("EURUSD") == []  # waiting for the second point
    qtbot.mouseMove(viewport, second)
    assert panel.objects.item.preview is not None  # drawn while moving
    qtbot.mouseClick(viewport, LEFT, NO, second)
    [obj] = store.objects("EURUSD")
    assert [a.time for a in obj.anchors] == [bar_time(panel, n - 50), bar_time(panel, n - 10)]


def test_one_point_objects_are_drawn_with_one_click_and_text_asks_for_its_words(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    viewport = panel.plot_widget.viewport()
    price = mid_price(panel)
    panel.objects.start(ObjectKind.HLINE)
    qtbot.mouseClick(viewport, LEFT, NO, at(panel, n - 30, price))
    panel.objects.start(ObjectKind.VLINE)
    qtbot.mouseClick(viewport, LEFT, NO, at(panel, n - 30, price))
    panel.objects.start(ObjectKind.TEXT)
    qtbot.mouseClick(viewport, LEFT, NO, at(panel, n - 40, price))
    editor = panel.objects.editor
    assert editor is not None and editor.isVisible()
    editor.accept()  # no words yet: refused
    assert editor.isVisible() and "the text is empty" in editor.error.text()
    editor.text_field.setText("Breakout")
    editor.accept()
    kinds = [(o.kind, o.text) for o in store.objects("EURUSD")]
    assert kinds == [(ObjectKind.HLINE, ""), (ObjectKind.VLINE, ""), (ObjectKind.TEXT, "Breakout")]
    hline = store.objects("EURUSD")[0]
    assert hline.anchors[0].price == pytest.approx(price, abs=2 * pixel_price(panel))


def test_ctrl_snaps_the_point_to_the_nearest_open_high_low_or_close(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    i, j = n - 40, n - 15
    above_high = float(panel.candles.high[i]) + 3 * pixel_price(panel)
    below_low = float(panel.candles.low[j]) - 3 * pixel_price(panel)
    panel.objects.start(ObjectKind.TREND)
    drag(qtbot, panel, at(panel, i, above_high), at(panel, j, below_low), CTRL)
    [obj] = store.objects("EURUSD")
    assert obj.anchors[0].price == panel.candles.high[i]  # exactly, not within a pixel
    assert obj.anchors[1].price == panel.candles.low[j]


# ------------------------------------------------------------------ select, move, delete


def test_click_selects_drag_moves_the_object_and_a_handle_moves_one_point(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    price = mid_price(panel)
    step = 10 * pixel_price(panel)
    line = panel.objects.add(
        new_object(
            ObjectKind.TREND,
            (Anchor(bar_time(panel, n - 60), price), Anchor(bar_time(panel, n - 20), price + step)),
        )
    )
    panel.objects.select(None)
    viewport = panel.plot_widget.viewport()
    qtbot.mouseClick(viewport, LEFT, NO, at(panel, n - 40, price + step / 2))
    assert panel.objects.selected is not None and panel.objects.selected.id == line.id
    # Drag the body 10 bars right and down: both points move, nothing else does.
    x_before = panel.x_range()
    drag(qtbot, panel, at(panel, n - 40, price + step / 2), at(panel, n - 30, price - step))
    [moved] = store.objects("EURUSD")
    assert [a.time for a in moved.anchors] == [bar_time(panel, n - 50), bar_time(panel, n - 10)]
    shift = moved.anchors[0].price - price
    assert shift == pytest.approx(-1.5 * step, abs=2 * pixel_price(panel))
    assert moved.anchors[1].price - moved.anchors[0].price == pytest.approx(step)
    assert panel.x_range() == pytest.approx(x_before)  # the chart did not pan
    # Drag the second handle: only that point moves.
    drag(
        qtbot, panel, at(panel, n - 10, moved.anchors[1].price), at(panel, n - 5, price + 3 * step)
    )
    [reshaped] = store.objects("EURUSD")
    assert reshaped.anchors[0] == moved.anchors[0]
    assert reshaped.anchors[1].time == bar_time(panel, n - 5)
    # Delete removes the selected object.
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Delete)
    assert store.objects("EURUSD") == []


def test_a_press_beside_every_object_pans_the_chart_as_before(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    y0, y1 = panel.y_range()
    panel.objects.add(
        new_object(ObjectKind.HLINE, (Anchor(bar_time(panel, n - 1), y1 - (y1 - y0) * 0.1),))
    )
    before = panel.x_range()
    drag(
        qtbot,
        panel,
        at(panel, n - 50, y0 + (y1 - y0) * 0.3),
        at(panel, n - 20, y0 + (y1 - y0) * 0.3),
    )
    assert panel.x_range()[0] < before[0] - 10  # dragged right: older bars came into view
    [line] = store.objects("EURUSD")
    assert line.anchors[0].price == pytest.approx(y1 - (y1 - y0) * 0.1)  # untouched


def test_an_object_dragged_off_the_data_stays_on_the_chart_and_says_so(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    panel.scroll_to_latest(panel.bar_count + 20.0)  # everything in view
    QApplication.processEvents()
    price = mid_price(panel)
    box = panel.objects.add(
        new_object(
            ObjectKind.RECTANGLE,
            (Anchor(bar_time(panel, 20), price), Anchor(bar_time(panel, 60), price * 1.0005)),
        )
    )
    drag(qtbot, panel, at(panel, 40, price * 1.00025), at(panel, -300, price * 1.00025))
    [moved] = store.objects("EURUSD")
    assert moved.id == box.id
    assert moved.anchors[0].time == bar_time(panel, 0)  # stopped at the first bar, shape kept
    assert moved.anchors[1].time == bar_time(panel, 40)
    assert "Objects stay on the chart" in panel.objects.notice
    # A point typed past the data is refused in words.
    editor = panel.objects.edit(moved.id)
    assert editor is not None
    late = bar_time(panel, panel.bar_count - 1) + (FUTURE_BARS + 5) * TF.seconds
    assert editor.times[0] is not None
    editor.times[0].setText(parse_time_text(late))
    editor.accept()
    assert editor.isVisible()
    assert editor.error.text() == f"Point 1 time: more than {FUTURE_BARS} bars after the newest bar"
    assert store.objects("EURUSD") == [moved]


def parse_time_text(stamp: int) -> str:
    return format_time(stamp)


# ------------------------------------------------------------------ editing


def test_the_edit_dialog_changes_points_text_and_style_and_refuses_bad_values(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    note = panel.objects.add(
        new_object(ObjectKind.TEXT, (Anchor(bar_time(panel, n - 10), mid_price(panel)),), text="hi")
    )
    viewport = panel.plot_widget.viewport()
    qtbot.mouseDClick(viewport, LEFT, NO, at(panel, n - 10, mid_price(panel)) + QPoint(8, -6))
    editor = panel.objects.editor
    assert editor is not None and editor.isVisible()
    price_field = editor.prices[0]
    assert price_field is not None
    price_field.setText("-1")
    editor.accept()
    assert editor.error.text() == "Point 1 price: must be above 0 (got -1)"
    price_field.setText("abc")
    editor.accept()
    assert editor.error.text() == "Point 1 price: not a number ('abc')"
    assert editor.times[0] is not None
    editor.times[0].setText("yesterday")
    editor.accept()
    assert editor.error.text().startswith("Point 1 time: not a time like 2026-12-02 14:30")
    assert store.objects("EURUSD") == [note]  # nothing changed while refused
    editor.times[0].setText(parse_time_text(bar_time(panel, n - 30)))
    price_field.setText("1,0850")  # a decimal comma is read as a point
    editor.text_field.setText("Support")
    editor.colour_field.setText("#00ff00")
    editor.width_field.setValue(2)
    editor.accept()
    [edited] = store.objects("EURUSD")
    assert edited.id == note.id and edited.text == "Support"
    assert edited.anchors[0] == Anchor(bar_time(panel, n - 30), 1.085)
    assert edited.colour == "#00ff00" and edited.width == 2


def test_a_rectangle_is_an_outline_until_filled_in_its_dialog_and_the_fill_is_kept(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore, tmp_path: Path
) -> None:
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_B)
    [box] = store.objects("EURUSD")
    assert not box.fill
    editor = panel.objects.edit(box.id)
    assert editor is not None and editor.fill_field.isVisibleTo(editor)
    editor.fill_field.setChecked(True)
    editor.accept()
    [filled] = store.objects("EURUSD")
    assert filled.fill and filled.id == box.id
    assert ObjectStore(store.folder).objects("EURUSD") == [filled]  # read back from the file


def test_parse_time_reads_the_charts_format_in_utc() -> None:
    assert parse_time("2023-11-14 22:15") == 1_700_000_100
    assert parse_time(" 2023-11-14   22:15:30 ") == 1_700_000_130
    with pytest.raises(ValueError, match="not a time"):
        parse_time("14/11/2023")


# ------------------------------------------------------------------ keyboard


def test_the_keyboard_places_moves_edits_and_deletes_objects(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_H)  # no crosshair: at the newest close
    [line] = store.objects("EURUSD")
    assert line.kind is ObjectKind.HLINE and line.anchors[0].price == panel.candles.close[-1]
    qtbot.keyClick(panel, Qt.Key.Key_T)
    trend = store.objects("EURUSD")[1]
    assert trend.kind is ObjectKind.TREND and panel.objects.selected == trend
    assert [a.time for a in trend.anchors] == [bar_time(panel, n - 21), bar_time(panel, n - 1)]
    qtbot.keyClick(panel, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(panel, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    moved = store.objects("EURUSD")[1]
    assert [a.time for a in moved.anchors] == [bar_time(panel, n - 23), bar_time(panel, n - 3)]
    qtbot.keyClick(panel, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert store.objects("EURUSD")[1].anchors[0].price > moved.anchors[0].price
    qtbot.keyClick(panel, Qt.Key.Key_Return)
    editor = panel.objects.editor
    assert editor is not None and editor.isVisible()
    field = editor.prices[1]
    assert field is not None
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "1.09")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert not editor.isVisible()
    assert store.objects("EURUSD")[1].anchors[1].price == 1.09
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Delete)
    assert [o.kind for o in store.objects("EURUSD")] == [ObjectKind.HLINE]
    qtbot.keyClick(panel, Qt.Key.Key_Escape)  # nothing selected any more, nothing drawn
    assert panel.objects.selected is None
    # N asks for a note's words, then places it at the newest bar.
    qtbot.keyClick(panel, Qt.Key.Key_N)
    editor = panel.objects.editor
    assert editor is not None and editor.isVisible()
    qtbot.keyClicks(editor.text_field, "Watch")
    qtbot.keyClick(editor.text_field, Qt.Key.Key_Return)
    note = store.objects("EURUSD")[-1]
    assert note.kind is ObjectKind.TEXT and note.text == "Watch"
    assert note.anchors[0].time == bar_time(panel, n - 1)


def test_the_objects_list_shows_edits_and_deletes_from_the_keyboard(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    for kind, key in ((ObjectKind.HLINE, Qt.Key.Key_H), (ObjectKind.FIBONACCI, Qt.Key.Key_F)):
        panel.setFocus()
        qtbot.keyClick(panel, key)
        assert store.objects("EURUSD")[-1].kind is kind
    dialog = ObjectsDialog(lambda: panel.objects)
    qtbot.addWidget(dialog)
    dialog.show()
    table = dialog.table
    assert table.rowCount() == 2
    assert [table.item(r, 0).text() for r in range(2)] == [
        "Horizontal line",
        "Fibonacci retracement",
    ]
    assert "EURUSD: 2 object(s)" in dialog.heading.text()
    table.setFocus()
    table.setCurrentCell(0, 0)
    assert panel.objects.selected == store.objects("EURUSD")[0]  # picked on the chart too
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = panel.objects.editor
    assert editor is not None and editor.isVisible() and editor.windowTitle() == "Horizontal line"
    editor.reject()
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert [o.kind for o in store.objects("EURUSD")] == [ObjectKind.FIBONACCI]
    assert table.rowCount() == 1
    assert n == panel.bar_count
    dialog.close()  # closed, it no longer follows the chart's changes
    panel.objects.remove_all()
    assert table.rowCount() == 1


# ------------------------------------------------------------------ per symbol, every chart


def test_objects_show_on_every_chart_of_the_symbol_on_any_timeframe(
    make_panel: Callable[..., ChartPanel], store: ObjectStore
) -> None:
    m5 = make_panel(TF)
    m15 = make_panel(Timeframe.M15)
    stamp = bar_time(m5, m5.bar_count - 7)  # an M5 bar time, inside an M15 bar
    m5.objects.add(new_object(ObjectKind.VLINE, (Anchor(stamp, 1.0),)))
    [shown] = m15.objects.objects
    assert shown.anchors[0].time == stamp
    x = m15.objects.item.x_of(stamp)
    i = int(np.floor(x))
    assert m15.candles.time[i] <= stamp < m15.candles.time[i + 1]  # inside its M15 bar
    assert x - i == pytest.approx((stamp - m15.candles.time[i]) / Timeframe.M15.seconds)
    m15.objects.remove(shown.id)
    assert m5.objects.objects == []


def test_a_closed_chart_no_longer_hears_the_store(qtbot: QtBot, store: ObjectStore) -> None:
    chart = ChartPanel()
    chart.set_symbol_spec(spec())
    chart.objects.use_store(store)
    chart.set_history(history())
    chart.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(chart))
    other = new_object(ObjectKind.HLINE, (Anchor(START, 1.08),))
    store.put("EURUSD", other)  # no call into the deleted chart, no error
    assert store.objects("EURUSD") == [other]


def test_objects_are_kept_per_symbol_in_versioned_json_files_across_restarts(
    qtbot: QtBot, make_panel: Callable[..., ChartPanel], tmp_path: Path
) -> None:
    folder = tmp_path / "restart"
    first = make_panel(objects=ObjectStore(folder))
    first.setFocus()
    qtbot.keyClick(first, Qt.Key.Key_B)
    qtbot.keyClick(first, Qt.Key.Key_H)
    saved = first.objects.objects
    data = json.loads((folder / "EURUSD.json").read_text(encoding="utf-8"))
    assert data["version"] == FILE_VERSION and data["symbol"] == "EURUSD"
    assert [o["kind"] for o in data["objects"]] == ["rectangle", "hline"]
    first.close()
    second = make_panel(objects=ObjectStore(folder))  # a new store reads the file again
    assert second.objects.objects == saved
    # Another symbol has its own objects (and file), back again on returning.
    second.set_symbol_spec(spec("GBPUSD"))
    second.set_history(history(symbol="GBPUSD"))
    assert second.objects.symbol == "GBPUSD" and second.objects.objects == []
    second.set_symbol_spec(spec("EURUSD"))
    second.set_history(history())
    assert second.objects.objects == saved


def test_a_file_from_a_newer_version_is_refused_in_words_and_never_overwritten(
    qtbot: QtBot, make_panel: Callable[..., ChartPanel], tmp_path: Path
) -> None:
    folder = tmp_path / "newer"
    folder.mkdir()
    newer = json.dumps({"version": FILE_VERSION + 1, "symbol": "EURUSD", "objects": [{"x": 1}]})
    (folder / "EURUSD.json").write_text(newer, encoding="utf-8")
    panel = make_panel(objects=ObjectStore(folder))
    assert panel.objects.objects == []
    assert "EURUSD.json is from a newer Tradeterm (format 2" in panel.objects.notice
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_H)
    assert "not saved while its file is refused" in panel.objects.notice
    assert (folder / "EURUSD.json").read_text(encoding="utf-8") == newer
    assert panel.objects.objects == []


def test_a_damaged_file_is_refused_in_words(
    make_panel: Callable[..., ChartPanel], tmp_path: Path
) -> None:
    folder = tmp_path / "damaged"
    folder.mkdir()
    bad = {"version": 1, "objects": [{"id": "a", "kind": "trend", "points": [[1, 1.1]]}]}
    (folder / "EURUSD.json").write_text(json.dumps(bad), encoding="utf-8")
    panel = make_panel(objects=ObjectStore(folder))
    assert panel.objects.objects == []
    assert "object 1: needs 2 point(s), has 1" in panel.objects.notice


def test_objects_drawn_in_the_window_are_there_after_a_restart(
    qtbot: QtBot,
    make_terminal: Callable[..., Terminal],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRADETERM_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(store_module, "_SHARED", {})
    state = tmp_path / "layout.ini"
    first = make_terminal(state_file=state).window
    first.chart.setFocus()
    qtbot.keyClick(first.chart, Qt.Key.Key_H)
    qtbot.keyClick(first.chart, Qt.Key.Key_T)
    drawn = first.chart.objects.objects
    assert len(drawn) == 2
    first.close()
    assert (tmp_path / "home" / "data" / "chart_objects" / "EURUSD.json").exists()
    monkeypatch.setattr(store_module, "_SHARED", {})  # a new process reads the file
    second = make_terminal(state_file=state).window
    assert second.chart.objects.objects == drawn
    # The Insert menu's list opens with Ctrl+L and the notes reach the status bar.
    qtbot.keyClick(second, Qt.Key.Key_L, CTRL)
    dialog = second.chart_tools.objects_menu.dialog
    assert dialog is not None and dialog.table.rowCount() == 2
    dialog.close()
    second.chart_tools.objects_menu.draw(ObjectKind.RAY)
    assert "Ray: press, drag and release" in second.statusBar().currentMessage()


# ------------------------------------------------------------------ drawing cost


def test_only_objects_in_view_are_drawn(
    qtbot: QtBot, panel: ChartPanel, store: ObjectStore
) -> None:
    n = panel.bar_count
    price = mid_price(panel)
    objects = [
        new_object(
            ObjectKind.TREND,
            (Anchor(bar_time(panel, i), price), Anchor(bar_time(panel, i + 3), price * 1.0001)),
        )
        for i in range(0, n - 3, 2)
    ]
    store.set_all("EURUSD", objects)
    image = QImage(1000, 600, QImage.Format.Format_ARGB32)
    panel.scroll_to_latest(40)
    QApplication.processEvents()
    panel.render(image)
    near = panel.objects.item.drawn
    assert 15 <= near <= 60  # about the 20 in view and those whose text margin reaches in
    panel.scroll_to_latest(float(n + 10))
    QApplication.processEvents()
    panel.render(image)
    assert panel.objects.item.drawn == len(objects)
