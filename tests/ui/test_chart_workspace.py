"""Several charts as a trader uses them: each its own symbol, Ctrl+Tab, profiles, templates."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem
from pytestqt.qtbot import QtBot

from app.domain.commands import Command, RequestHistory, SubmitOrder, WatchBars
from app.domain.timeframes import Timeframe
from app.ui.panels.chart.price_styles import LINE_COLOURS, ChartType
from app.ui.workspace.charts import ChartWindow
from tests.ui.conftest import Terminal


def _loaded(window: ChartWindow, symbol: str, timeframe: Timeframe) -> bool:
    chart = window.chart
    return (
        chart.symbol == symbol
        and chart.timeframe is timeframe
        and chart.bar_count > 0
        and window.pending is None
    )


def _sent(t: Terminal) -> list[Command]:
    commands: list[Command] = []
    t.bus.command.connect(commands.append)
    return commands


def test_each_chart_has_its_own_symbol_and_timeframe_and_its_own_live_bars(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    first = w.workspace.active
    menu = w.market_watch.context_menu("GBPUSD")
    new_chart = next(a for a in menu.actions() if a.text().replace("&", "") == "New chart")
    new_chart.trigger()
    second = w.workspace.active
    assert second is not first and len(w.workspace.windows) == 2
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # M5 on the active one
    qtbot.waitUntil(lambda: _loaded(second, "GBPUSD", Timeframe.M5), timeout=10_000)
    assert _loaded(first, "EURUSD", Timeframe.M1)  # the first chart kept its own
    assert "GBPUSD M5" in w.windowTitle()
    titles = [sub.windowTitle() for sub in w.workspace.subWindowList()]
    assert titles == ["EURUSD, M1", "GBPUSD, M5"]  # the tabs say which chart is which

    # Both charts follow their own symbol live: each newest close is its own quote's bid.
    def live(window: ChartWindow) -> bool:
        quote = w.desk.quotes.get(window.chart.symbol or "")
        bar = window.chart.last_bar()
        return quote is not None and bar is not None and abs(bar[4] - quote.bid) < 1e-9

    gbp_close = second.chart.last_bar()
    qtbot.waitUntil(lambda: live(first) and live(second), timeout=10_000)
    assert gbp_close is not None
    assert abs(second.chart.last_bar()[4] - first.chart.last_bar()[4]) > 0.05  # type: ignore[index]
    # The ticket and the hotkeys trade the active chart's symbol.
    assert w.ticket.symbol.currentText() == "GBPUSD" and w.desk.symbol == "GBPUSD"


def test_ctrl_tab_cycles_the_charts_and_the_ticket_and_hotkeys_follow(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    sent = _sent(t)
    for symbol in ("GBPUSD", "USDJPY"):
        w.new_chart(symbol)
    windows = w.workspace.windows
    assert [c.wanted_symbol for c in windows] == ["EURUSD", "GBPUSD", "USDJPY"]
    assert w.workspace.active is windows[2]
    qtbot.keyClick(w, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert w.workspace.active is windows[0]  # round to the first
    assert w.ticket.symbol.currentText() == "EURUSD" and w.chart_symbol.currentText() == "EURUSD"
    qtbot.keyClick(w, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert w.workspace.active is windows[1] and w.ticket.symbol.currentText() == "GBPUSD"
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(w, Qt.Key.Key_Backtab, shift_ctrl)
    assert w.workspace.active is windows[0]
    qtbot.keyClick(w, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    # Ctrl+B buys on the active chart's symbol (the confirmation says so), the ticket too.
    qtbot.keyClick(w, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    orders = [c for c in sent if isinstance(c, SubmitOrder)]
    assert [o.request.symbol for o in orders] == ["GBPUSD"]
    assert "GBPUSD" in t.confirmations[-1]
    qtbot.waitUntil(lambda: w.positions_model.rowCount() == 1, timeout=5000)
    assert w.positions_model.position_at(0).symbol == "GBPUSD"
    # The active chart draws the position's entry line; the others have none.
    qtbot.waitUntil(lambda: any(k[0] == "entry" for k in windows[1].trading.lines), timeout=5000)
    assert not windows[0].trading.lines and not windows[2].trading.lines


def test_closing_a_chart_stops_its_bars_and_the_last_chart_stays(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    sent = _sent(t)
    second = w.new_chart("USDJPY")
    qtbot.waitUntil(lambda: _loaded(second, "USDJPY", Timeframe.M1), timeout=10_000)
    watcher = second.watcher
    assert any(isinstance(c, RequestHistory) and c.watcher == watcher for c in sent)
    qtbot.keyClick(w, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)  # Ctrl+W
    assert len(w.workspace.windows) == 1 and WatchBars(watcher, ()) in sent
    assert w.desk.symbol == "EURUSD" and w.chart.symbol == "EURUSD"
    assert not w.workspace.close_chart()  # the last one stays, and the trader is told why
    assert "last chart" in w.statusBar().currentMessage()
    assert len(w.workspace.windows) == 1


def test_the_charts_come_back_after_a_restart(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    state = tmp_path / "layout.ini"
    first = make_terminal(state_file=state).window
    gbp = first.new_chart("GBPUSD")
    first.show_timeframe(Timeframe.M5)
    first.set_chart_type(ChartType.BARS)
    jpy = first.new_chart("USDJPY")
    first.show_timeframe(Timeframe.H1)
    first.set_chart_type(ChartType.LINE)
    jpy.chart.set_chart_shift(True)
    jpy.chart.set_auto_scroll(False)
    qtbot.waitUntil(lambda: _loaded(jpy, "USDJPY", Timeframe.H1), timeout=10_000)
    first.workspace.arrange("tile")
    first.workspace.activate(gbp)
    first.close()

    second = make_terminal(state_file=state).window
    windows = second.workspace.windows
    assert [c.wanted_symbol for c in windows] == ["EURUSD", "GBPUSD", "USDJPY"]
    qtbot.waitUntil(
        lambda: (
            _loaded(windows[0], "EURUSD", Timeframe.M1)
            and _loaded(windows[1], "GBPUSD", Timeframe.M5)
            and _loaded(windows[2], "USDJPY", Timeframe.H1)
        ),
        timeout=10_000,
    )
    assert [c.chart.chart_type for c in windows] == [
        ChartType.CANDLES,
        ChartType.BARS,
        ChartType.LINE,
    ]
    assert windows[2].chart.chart_shift and not windows[2].chart.auto_scroll
    assert second.workspace.arrangement == "tile"
    assert second.workspace.active is windows[1]
    assert second.desk.symbol == "GBPUSD" and second.ticket.symbol.currentText() == "GBPUSD"
    assert second.chart_type_actions[ChartType.BARS].isChecked()
    assert second.timeframe_actions[Timeframe.M5].isChecked()
    # Tiled: every chart is on screen side by side, none hidden behind another.
    rects = [second.workspace.subWindowList()[i].geometry() for i in range(3)]
    assert all(r.width() > 50 and r.height() > 50 for r in rects)
    area = second.workspace.viewport().rect()
    assert all(area.contains(r) for r in rects), (area, rects)  # none cut at the edge
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])


def test_profiles_are_saved_listed_and_loaded(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    t = make_terminal()
    w = t.window
    w.new_chart("XAUUSD")
    w.show_timeframe(Timeframe.H4)
    assert w.save_profile("Gold and euro")
    saved = json.loads((tmp_path / "profiles" / "Gold and euro.json").read_text())
    assert saved["version"] == 1 and [c["symbol"] for c in saved["charts"]] == [
        "EURUSD",
        "XAUUSD",
    ]
    w.workspace.close_chart()
    w.new_chart("AUDUSD")
    w.new_chart("USDCHF")
    assert len(w.workspace.windows) == 3

    w._fill_named_menu("profile")  # what the menu shows when it opens
    items = [a.text() for a in w.profiles_menu.actions()]
    assert "Gold and euro" in items
    next(a for a in w.profiles_menu.actions() if a.text() == "Gold and euro").trigger()
    windows = w.workspace.windows
    assert [c.wanted_symbol for c in windows] == ["EURUSD", "XAUUSD"]
    assert w.workspace.active is windows[1]
    qtbot.waitUntil(lambda: _loaded(windows[1], "XAUUSD", Timeframe.H4), timeout=10_000)
    assert w.desk.symbol == "XAUUSD"

    assert not w.save_profile("../outside")  # a name that is no file name is refused
    assert "A name is" in w.statusBar().currentMessage()
    assert not (tmp_path / "outside.json").exists()
    assert not w.load_profile("missing")
    assert "does not exist" in w.statusBar().currentMessage()


def test_a_template_styles_any_chart_and_one_from_a_newer_version_is_refused(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    t = make_terminal()
    w = t.window
    w.set_chart_type(ChartType.LINE)
    w.chart.set_chart_shift(True)
    w.chart.set_volume_visible(False)
    assert w.save_template("clean line")
    document = json.loads((tmp_path / "templates" / "clean line.json").read_text())
    assert "symbol" not in document["chart"] and "timeframe" not in document["chart"]

    other = w.new_chart("USDJPY")
    qtbot.waitUntil(lambda: _loaded(other, "USDJPY", Timeframe.M1), timeout=10_000)
    assert other.chart.chart_type is ChartType.CANDLES
    assert w.apply_template("clean line")
    assert other.chart.chart_type is ChartType.LINE and other.chart.chart_shift
    assert not other.chart.volume_visible and not w.volume_action.isChecked()
    assert other.chart.symbol == "USDJPY"  # styles, not the symbol
    assert w.chart_type_actions[ChartType.LINE].isChecked()

    future = {"format": "tradeterm-chart-template", "version": 99, "chart": {"chart_type": "bars"}}
    (tmp_path / "templates" / "future.json").write_text(json.dumps(future))
    (tmp_path / "templates" / "broken.json").write_text("{not json")
    assert not w.apply_template("future")
    message = w.statusBar().currentMessage()
    assert "newer Tradeterm" in message and "nothing was changed" in message
    assert other.chart.chart_type is ChartType.LINE  # nothing changed
    assert any("newer Tradeterm" in m for m in w.log_model.messages())
    assert not w.apply_template("broken")
    assert "damaged" in w.statusBar().currentMessage()


def _pixels(window: ChartWindow) -> np.ndarray:
    image = window.chart.plot_widget.grab().toImage()
    width, height = image.width(), image.height()
    bits = image.convertToFormat(image.Format.Format_RGB32).constBits()
    return np.frombuffer(bits, dtype=np.uint32, count=width * height) & 0xFFFFFF


def _colour_pixels(window: ChartWindow, colour: str) -> int:
    return int(np.count_nonzero(_pixels(window) == (QColor(colour).rgb() & 0xFFFFFF)))


def _drawn_by(window: ChartWindow, item: QGraphicsItem) -> int:
    """Pixels ``item`` paints: the chart grabbed with it and without it (its exact
    colour is a poor count for an antialiased line: how many pixels keep it depends on
    the slopes and on the platform's rasteriser)."""
    shown = _pixels(window).copy()
    item.setVisible(False)
    try:
        hidden = _pixels(window)
    finally:
        item.setVisible(True)
    return int(np.count_nonzero(shown != hidden))


def test_candles_bars_and_line_from_the_keyboard(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    window = w.workspace.active
    chart = window.chart
    # History first (under Wine the engine can take seconds to start), then the styles.
    qtbot.waitUntil(lambda: _loaded(window, "EURUSD", chart.timeframe), timeout=10_000)
    assert chart.chart_type is ChartType.CANDLES
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)  # Alt+3: line
    assert chart.chart_type is ChartType.LINE and chart.price_item.isVisible()
    assert not chart.candles.isVisible()
    line_colour = LINE_COLOURS[chart.palette_colours.name]
    qtbot.waitUntil(lambda: _drawn_by(window, chart.price_item) > 100, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)  # Alt+1: bars
    assert chart.chart_type is ChartType.BARS
    qtbot.waitUntil(lambda: _colour_pixels(window, line_colour) == 0, timeout=5000)
    assert _drawn_by(window, chart.price_item) > 100  # the bars are what is drawn now
    # Bars redraw live: the chart keeps painting new frames in this style.
    painted: list[int] = []
    chart.frame_painted.connect(lambda: painted.append(1))
    qtbot.waitUntil(lambda: len(painted) > 3, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert chart.chart_type is ChartType.CANDLES and chart.candles.isVisible()


def test_chart_shift_auto_scroll_and_a_fixed_price_scale(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    chart = w.chart
    x0, x1 = chart.x_range()
    assert x1 - (chart.bar_count - 1) < 5  # a few empty bars right of the newest
    w.chart_shift_action.trigger()
    x0, x1 = chart.x_range()
    assert (x1 - (chart.bar_count - 1)) / (x1 - x0) > 0.1  # the shift: a share of the width
    assert chart.state()["chart_shift"] is True

    w.fixed_scale_action.trigger()
    fixed = chart.y_range()
    assert chart.fixed_price_scale == fixed
    qtbot.keyClick(chart, Qt.Key.Key_Minus)  # zoom out: more bars, the scale stays
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert chart.y_range() == fixed
    assert chart.set_fixed_price_scale((2.0, 1.0)) is not None  # low above high: refused
    assert chart.y_range() == fixed
    w.fixed_scale_action.trigger()
    assert chart.fixed_price_scale is None
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert chart.y_range() != fixed  # automatic again: fitted to what is visible

    w.auto_scroll_action.trigger()  # off: new bars do not move the view
    assert not chart.auto_scroll
    assert chart.restore({"chart_type": "spiral", "auto_scroll": "yes"}) == [
        "unknown chart type 'spiral'",
        "auto_scroll must be true or false",
    ]
    assert chart.chart_type is ChartType.CANDLES and not chart.auto_scroll


def test_the_layout_is_saved_while_the_window_is_open_so_a_crash_keeps_the_charts(
    qtbot: QtBot, make_terminal: Callable[..., Terminal], tmp_path: Path
) -> None:
    state = tmp_path / "layout.ini"
    first = make_terminal(state_file=state).window
    assert first.layout_autosave.isActive()
    first.new_chart("GBPUSD")
    first.layout_autosave.setInterval(50)  # a minute in the app
    qtbot.waitUntil(
        lambda: state.exists() and "GBPUSD" in state.read_text(errors="replace"), timeout=5_000
    )
    # The terminal dies here without quitting; the next start finds the charts.
    first.layout_autosave.stop()
    second = make_terminal(state_file=state).window
    assert [c.wanted_symbol for c in second.workspace.windows] == ["EURUSD", "GBPUSD"]
