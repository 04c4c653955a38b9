"""Indicators on the chart: added, edited and removed by mouse and keyboard, equal to the
library's batch at every bar (live ticks included), in the readout and the Data Window,
and back after a restart."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.domain.market import Bar, BarHistory
from app.domain.timeframes import Timeframe
from app.indicators import INDICATORS, create
from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.studies.data_window import DataWindow
from app.ui.panels.chart.studies.dialog import StudiesDialog, StudyDialog
from app.ui.panels.chart.studies.menu import StudiesMenu
from app.ui.panels.chart.studies.pane import StudyPane
from app.ui.panels.chart.studies.spec import StudySpec, StudyStateError, StudyStyle, validated
from tests.specs import fx_spec as spec
from tests.ui.conftest import Terminal

TF = Timeframe.M5
START = TF.bar_open(1_700_000_000)


def history(n: int, seed: int = 3) -> BarHistory:
    rng = np.random.default_rng(seed)
    close = 1.08 + np.cumsum(rng.normal(0, 3e-4, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + rng.random(n) * 3e-4
    low = np.minimum(open_, close) - rng.random(n) * 3e-4
    times = START + np.arange(n, dtype=np.int64) * TF.seconds
    volume = rng.integers(1, 100, n).astype(np.float64)
    return BarHistory("EURUSD", TF, times, open_, high, low, close, volume)


@pytest.fixture
def panel(qtbot: QtBot) -> ChartPanel:
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.resize(1000, 700)
    chart.set_symbol_spec(spec())
    chart.set_history(history(600))
    window = DataWindow()
    qtbot.addWidget(window)
    chart.studies.attach_data_window(window)
    return chart


def panes(panel: ChartPanel) -> list[StudyPane]:
    splitter = panel.splitter
    found = [splitter.widget(i) for i in range(splitter.count())]
    return [w for w in found if isinstance(w, StudyPane)]


def assert_equals_batch(panel: ChartPanel) -> None:
    """Every output of every indicator on the chart equals the library's batch over the
    chart's own bars, at every bar, NaN where the batch has NaN."""
    candles = panel.candles
    for study in panel.studies.studies:
        indicator = create(study.spec.name, dict(study.spec.params))
        columns = [np.asarray(getattr(candles, name)) for name in indicator.inputs]
        expected = indicator.batch(*columns)
        assert len(study.series) == panel.bar_count
        for k, want in enumerate(expected):
            got = study.series.output(k)
            assert np.array_equal(np.isnan(got), np.isnan(want)), (study.label, k)
            ok = ~np.isnan(want)
            assert np.max(np.abs(got[ok] - want[ok]), initial=0.0) <= 1e-9, (study.label, k)


def live_ticks(panel: ChartPanel, ticks: int = 30, new_bars: int = 12, seed: int = 9) -> None:
    """Ticks on the forming bar, then new bars each with a few ticks, as the engine sends them."""
    rng = np.random.default_rng(seed)
    last = panel.last_bar()
    assert last is not None
    time, o, h, low, c, v = last
    for _ in range(ticks):
        c += rng.normal(0, 1e-4)
        h, low, v = max(h, c), min(low, c), v + 1
        panel.update_bar(Bar("EURUSD", TF, time, o, h, low, c, v))
    for _ in range(new_bars):
        time += TF.seconds
        o = h = low = c
        for _ in range(4):
            c += rng.normal(0, 2e-4)
            h, low = max(h, c), min(low, c)
            panel.update_bar(Bar("EURUSD", TF, time, o, h, low, c, 5.0))


# ------------------------------------------------------------------ values


@pytest.mark.parametrize("name", list(INDICATORS))
def test_every_indicator_equals_the_library_batch_at_every_bar_after_load_and_live_ticks(
    panel: ChartPanel, name: str
) -> None:
    panel.studies.add(validated(name, {}))
    assert_equals_batch(panel)
    live_ticks(panel)
    assert panel.bar_count == 612
    assert_equals_batch(panel)


def test_non_default_parameters_and_a_reload_give_the_batch_values_too(panel: ChartPanel) -> None:
    panel.studies.add(validated("macd", {"fast": 5, "slow": 13, "signal": 4}))
    panel.studies.add(validated("bollinger", {"period": 10, "dev_up": 1.5}))
    live_ticks(panel, ticks=5, new_bars=3)
    assert_equals_batch(panel)
    panel.set_history(history(800, seed=11))  # e.g. a timeframe switch: all new bars
    assert_equals_batch(panel)
    live_ticks(panel, ticks=5, new_bars=3)
    assert_equals_batch(panel)


def test_indicators_on_a_chart_that_starts_without_history_follow_the_first_bars(
    qtbot: QtBot,
) -> None:
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.studies.add(validated("ema", {"period": 3}))
    chart.studies.add(validated("rsi", {"period": 3}))
    for i in range(20):
        price = 1.1 + 0.001 * np.sin(i)
        chart.update_bar(Bar("EURUSD", TF, START + i * TF.seconds, price, price, price, price, 1))
    assert chart.bar_count == 20
    assert_equals_batch(chart)


# ------------------------------------------------------------------ placement and drawing


def test_overlays_go_on_the_price_and_oscillators_in_their_own_panes(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    panel.show()
    qtbot.waitExposed(panel)
    price_items = panel.plot_widget.getPlotItem().items
    sma = panel.studies.add(validated("sma", {"period": 20}))
    boll = panel.studies.add(validated("bollinger", {}))
    rsi = panel.studies.add(validated("rsi", {}))
    macd = panel.studies.add(validated("macd", {}))
    assert all(item in price_items for item in sma.items + boll.items)
    assert len(boll.items) == 3  # upper, middle, lower
    assert [p.series for p in panes(panel)] == [rsi.series, macd.series]
    # Under the price and above the volume pane, in the order they were added.
    splitter = panel.splitter
    assert splitter.indexOf(rsi.pane) == 1 and splitter.indexOf(macd.pane) == 2
    assert splitter.indexOf(panel.volume_widget) == 3
    # The panes show the same bars as the price.
    panel.scroll_to_latest(80)
    QApplication.processEvents()
    for pane in panes(panel):
        assert pane.view.viewRange()[0] == pytest.approx(panel.x_range())


def test_an_oscillator_pane_is_resizable_and_fits_its_values(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    panel.show()
    qtbot.waitExposed(panel)
    macd = panel.studies.add(validated("macd", {}))
    rsi = panel.studies.add(validated("rsi", {}))
    assert macd.pane is not None and rsi.pane is not None
    sizes = panel.splitter.sizes()
    sizes[1] += 60
    sizes[0] -= 60
    panel.splitter.setSizes(sizes)
    assert panel.splitter.sizes()[1] == sizes[1]
    assert rsi.pane.view.viewRange()[1][0] < 0 and rsi.pane.view.viewRange()[1][1] > 100
    x0, x1 = panel.x_range()
    low, high = macd.series.visible_range(int(np.ceil(x0)), int(x1) + 1) or (0.0, 0.0)
    y0, y1 = macd.pane.view.viewRange()[1]
    assert y0 <= low and high <= y1 and (y1 - y0) < 2 * (high - low) + 1e-3


def test_all_bars_visible_draws_per_pixel_not_per_bar(qtbot: QtBot) -> None:
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.resize(800, 600)
    chart.set_symbol_spec(spec())
    chart.set_history(history(50_000))
    sma = chart.studies.add(validated("sma", {}))
    rsi = chart.studies.add(validated("rsi", {}))
    chart.plot_widget.getPlotItem().getViewBox().setXRange(-0.5, 50_000, padding=0)
    QApplication.processEvents()
    image = QImage(800, 600, QImage.Format.Format_ARGB32)
    chart.render(image)
    for item in (*sma.items, *rsi.items):
        assert 100 < item.drawn <= 800  # one line per pixel column, never 50,000
    chart.plot_widget.getPlotItem().getViewBox().setXRange(49_900, 50_000, padding=0)
    QApplication.processEvents()
    chart.render(image)
    assert 80 <= sma.items[0].drawn <= 105  # zoomed in: one segment per bar


# ------------------------------------------------------------------ dialogs


def fill(dialog: StudyDialog, **values: str) -> None:
    for name, text in values.items():
        field = dialog.fields[name] if name in dialog.fields else dialog.colours[name]
        field.setText(text)


def test_the_dialog_refuses_a_parameter_out_of_range_in_words_and_changes_nothing(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    menu = StudiesMenu(panel, lambda: panel)
    dialog = menu.open_add("rsi")
    qtbot.addWidget(dialog)
    fill(dialog, period="1")
    dialog.accept()
    assert dialog.isVisible()
    assert dialog.error.text() == "RSI period: must be at least 2 (got 1)"
    assert panel.studies.studies == []
    fill(dialog, period="abc")
    dialog.accept()
    assert dialog.error.text().startswith("RSI period: must be a whole number")
    fill(dialog, period="9", rsi="not a colour")
    dialog.accept()
    assert "Colour of rsi: not a colour" in dialog.error.text()
    assert panel.studies.studies == []
    fill(dialog, rsi="#ff0000")
    dialog.accept()
    assert not dialog.isVisible()
    [study] = panel.studies.studies
    assert study.label == "RSI(9)" and study.items[0].colour == "#ff0000"


def test_a_cross_parameter_rule_is_refused_too(qtbot: QtBot, panel: ChartPanel) -> None:
    dialog = StudiesMenu(panel, lambda: panel).open_add("macd")
    qtbot.addWidget(dialog)
    fill(dialog, fast="26", slow="12")
    dialog.accept()
    assert dialog.error.text() == "MACD slow: must be greater than fast (26) (got 12)"
    assert panel.studies.studies == []


def test_editing_changes_parameters_and_style_in_place_and_removing_clears_it(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    panel.studies.add(validated("rsi", {}))
    panel.studies.add(validated("sma", {}))
    dialog = StudiesDialog(lambda: panel.studies)
    qtbot.addWidget(dialog)
    dialog.on_chart.setCurrentRow(0)
    editor = dialog.edit_selected()
    assert editor is not None and editor.fields["period"].text() == "14"
    fill(editor, period="21", rsi="#00ff00")
    editor.width_field.setValue(3)
    editor.accept()
    rsi = panel.studies.studies[0]
    assert rsi.label == "RSI(21)" and rsi.items[0].colour == "#00ff00"
    assert rsi.spec.resolved_style().width == 3
    assert panel.splitter.indexOf(rsi.pane) == 1  # still where it was
    assert len(panes(panel)) == 1
    assert_equals_batch(panel)
    assert [dialog.on_chart.item(i).text() for i in range(2)] == ["RSI(21)", "SMA(20)"]
    dialog.on_chart.setCurrentRow(0)
    dialog.remove_selected()
    assert [s.label for s in panel.studies.studies] == ["SMA(20)"]
    assert panes(panel) == []
    sma_items = panel.studies.studies[0].items
    dialog.remove_selected()
    assert panel.studies.studies == []
    assert not any(item in panel.plot_widget.getPlotItem().items for item in sma_items)


def test_the_keyboard_adds_edits_and_removes_indicators(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    panel = w.chart
    qtbot.keyClick(w, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog = w.chart_tools.studies_menu.dialog
    assert dialog is not None and dialog.isVisible()
    names = list(INDICATORS)
    for _ in range(names.index("cci")):
        qtbot.keyClick(dialog.available, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.available, Qt.Key.Key_Return)
    editor = dialog.editor
    assert editor is not None and editor.isVisible()
    field = editor.fields["period"]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "30")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert [s.label for s in panel.studies.studies] == ["CCI(30)"]
    assert dialog.isVisible()  # the list stays for the next change
    dialog.on_chart.setFocus()
    qtbot.keyClick(dialog.on_chart, Qt.Key.Key_F2)
    editor = dialog.editor
    assert editor is not None and editor.isVisible()
    field = editor.fields["period"]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "0")  # out of range: Enter is refused with the reason
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert editor.isVisible() and "at least 2" in editor.error.text()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert [s.label for s in panel.studies.studies] == ["CCI(30)"]
    dialog.on_chart.setFocus()
    qtbot.keyClick(dialog.on_chart, Qt.Key.Key_Delete)
    assert panel.studies.studies == [] and panes(panel) == []


# ------------------------------------------------------------------ readout and Data Window


def _pixels_of(widget: QWidget, colour: str) -> int:
    """Pixels of ``widget`` within a few levels of ``colour`` (text keeps it in its strokes)."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    rgb = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4
    )[:, : image.width(), 2::-1]  # BGRA in memory
    want = np.array(QColor(colour).getRgb()[:3])
    return int(np.sum(np.all(np.abs(rgb.astype(int) - want) <= 24, axis=2)))


def test_the_readout_and_the_legends_name_each_line_in_its_colour(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    """Which line is which: each indicator's name and values read in its lines' colours."""
    panel.show()
    qtbot.waitExposed(panel)
    readout = panel.readout_label
    sma = panel.studies.add(validated("sma", {"period": 10}))
    macd = panel.studies.add(validated("macd", {}))
    colour = sma.items[0].colour
    panel.scroll_to_latest()
    qtbot.waitUntil(lambda: "SMA(10)" in panel.readout_text, timeout=5_000)
    assert _pixels_of(readout, colour) >= 10
    assert macd.pane is not None
    macd_line, signal_line = (item.colour for item in macd.items[:2])
    assert macd_line != signal_line
    for line_colour in (macd_line, signal_line):  # the MACD value, then the signal's
        assert _pixels_of(macd.pane.legend, line_colour) >= 10
    panel.studies.remove(panel.studies.studies.index(sma))
    qtbot.waitUntil(lambda: "SMA(10)" not in panel.readout_text, timeout=5_000)
    assert _pixels_of(readout, colour) == 0  # the bar's own lines are in the chart's ink


def test_the_crosshair_readout_and_data_window_show_the_values_at_the_hovered_bar(
    qtbot: QtBot, panel: ChartPanel
) -> None:
    panel.show()
    qtbot.waitExposed(panel)
    sma = panel.studies.add(validated("sma", {"period": 10}))
    rsi = panel.studies.add(validated("rsi", {}))
    assert rsi.pane is not None
    index = panel.bar_count - 20
    view = panel.plot_widget.getPlotItem().getViewBox()
    y = sum(panel.y_range()) / 2
    panel.on_mouse_moved(view.mapViewToScene(QPointF(index, y)), panel.plot_widget)
    want_sma = f"{sma.series.output(0)[index]:.5f}"
    want_rsi = f"{rsi.series.output(0)[index]:.2f}"
    assert f"SMA(10)  {want_sma}" in panel.readout_text.splitlines()
    assert rsi.pane.legend.plain_text() == f"RSI(14)  {want_rsi}"
    assert rsi.pane.crosshair.isVisible() and rsi.pane.crosshair.value() == index
    window = panel.studies.data_window
    assert window is not None
    assert window.value("SMA(10)") == want_sma
    assert window.value("RSI(14)") == want_rsi
    assert window.value("Close") == f"{panel.candles.close[index]:.5f}"
    # From the pane as well: the same bar, the same values.
    pane_view = rsi.pane.view
    panel.on_mouse_moved(pane_view.mapViewToScene(QPointF(index - 5, 50.0)), rsi.pane)
    assert window.value("RSI(14)") == f"{rsi.series.output(0)[index - 5]:.2f}"


def test_the_data_window_lists_every_output_of_several_line_indicators(panel: ChartPanel) -> None:
    panel.studies.add(validated("macd", {}))
    panel.refresh_readout()
    window = panel.studies.data_window
    assert window is not None
    macd = panel.studies.studies[0].series
    last = panel.bar_count - 1
    for k, output in enumerate(("macd", "signal", "histogram")):
        value = macd.output(k)[last]
        assert window.value(f"MACD(12, 26, 9) {output}") == f"{value:.6f}"


# ------------------------------------------------------------------ state and persistence


def test_studies_state_round_trips_through_json(qtbot: QtBot, panel: ChartPanel) -> None:
    panel.studies.add(validated("ema", {"period": 50}, StudyStyle(("#123456",), 2)))
    panel.studies.add(validated("stochastic", {"k_period": 9}))
    state = json.loads(json.dumps(panel.studies_state()))
    other = ChartPanel()
    qtbot.addWidget(other)
    other.set_symbol_spec(spec())
    other.restore_studies(state)
    other.set_history(history(600))
    assert [s.label for s in other.studies.studies] == ["EMA(50)", "Stoch(9, 3, 3)"]
    assert other.studies.studies[0].items[0].colour == "#123456"
    assert other.studies_state() == state
    assert_equals_batch(other)


@pytest.mark.parametrize(
    "state,message",
    [
        ({"version": 99, "studies": []}, "from a newer Tradeterm (format 99"),
        ({"version": 1, "studies": [{"name": "rsi", "params": {"period": 0}}]}, "at least 2"),
        ({"version": 1, "studies": [{"name": "nope"}]}, "unknown indicator 'nope'"),
        ({"studies": []}, "no version"),
        (
            {"version": 1, "studies": [{"name": "rsi", "style": {"width": 9}}]},
            "line width must be 1 to 4",
        ),
    ],
)
def test_a_state_it_cannot_use_is_refused_in_words_and_nothing_changes(
    panel: ChartPanel, state: dict[str, object], message: str
) -> None:
    panel.studies.add(validated("sma", {}))
    before = panel.studies_state()
    with pytest.raises(StudyStateError, match=message.replace("(", r"\(")):
        panel.restore_studies(state)
    assert panel.studies_state() == before


def test_indicators_are_back_after_a_restart(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    state = tmp_path / "layout.ini"
    first = make_terminal(state_file=state).window
    first.chart.studies.add(validated("bollinger", {"period": 30}))
    first.chart.studies.add(validated("rsi", {"period": 7}, StudyStyle(("#abcdef",))))
    first.close()

    second = make_terminal(state_file=state).window
    studies = second.chart.studies.studies
    assert [s.label for s in studies] == ["BB(30, 2, 2)", "RSI(7)"]
    assert studies[1].items[0].colour == "#abcdef"
    assert studies[1].pane is not None and studies[1].pane.isVisible()
    qtbot.waitUntil(lambda: second.chart.bar_count > 0)
    assert_equals_batch(second.chart)


def test_a_newer_saved_state_is_refused_in_the_status_bar_and_the_window_opens(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    state = tmp_path / "layout.ini"
    first = make_terminal(state_file=state).window
    first.chart.studies.add(validated("sma", {}))
    first.close()
    store = QSettings(str(state), QSettings.Format.IniFormat)
    charts = json.loads(str(store.value("charts/set")))
    charts["charts"][0]["studies"] = {"version": 7, "studies": []}
    store.setValue("charts/set", json.dumps(charts))
    store.sync()
    second = make_terminal(state_file=state).window
    assert second.chart.studies.studies == []
    assert "indicators not restored" in second.statusBar().currentMessage()
    assert "newer Tradeterm" in second.statusBar().currentMessage()


def test_the_window_menu_adds_to_the_chart_and_the_data_window_docks(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    tools = w.chart_tools
    editor = tools.studies_menu.open_add("atr")
    qtbot.addWidget(editor)
    editor.accept()
    assert [s.label for s in w.chart.studies.studies] == ["ATR(14)"]
    dock = tools.data_window_dock
    assert dock is not None and not dock.isVisible()
    dock.toggleViewAction().trigger()
    assert dock.isVisible()
    w.chart.refresh_readout()
    assert tools.data_window.value("ATR(14)") not in ("", "—")


def test_a_spec_with_too_few_colours_gets_the_defaults_for_the_rest() -> None:
    spec_ = StudySpec("bollinger", {}, StudyStyle(("#010203",)))
    style = spec_.resolved_style()
    assert style.colours[0] == "#010203" and len(style.colours) == 3


def test_a_second_sma_gets_another_colour_and_keeps_it_after_a_restore(
    panel: ChartPanel,
) -> None:
    studies = panel.studies
    studies.add(validated("sma", {"period": 10}))
    studies.add(validated("sma", {"period": 30}))
    studies.add(validated("ema", {"period": 20}))
    first = [s.spec.resolved_style().colours[0] for s in studies.studies]
    assert len(set(first)) == 3, first  # two SMAs and an EMA, each its own colour
    saved = studies.state()
    studies.restore(saved)
    assert [s.spec.resolved_style().colours[0] for s in studies.studies] == first
    # A colour the trader chose is kept, even if another indicator shows it.
    chosen = StudySpec("sma", {"period": 50}, StudyStyle((first[0],)))
    assert studies.add(chosen).spec.resolved_style().colours[0] == first[0]
