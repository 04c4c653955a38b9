"""Trading from the chart: drag an SL line with the mouse, right-click for pending orders."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.domain.enums import OrderSource, OrderType, Side
from app.domain.trading import OrderRequest
from tests.ui.trading_desk import Desk, desk_fixture  # noqa: F401  (the desk fixture)


def visible_below_bid(qtbot: QtBot, d: Desk) -> tuple[float, float]:
    """The lowest visible price and the bid, once the chart has fitted its candles."""
    view = d.window.chart.plot_widget.getPlotItem().getViewBox()

    def fitted() -> bool:
        (_x0, _x1), (y0, y1) = view.viewRange()
        return d.window.chart.bar_count > 0 and y0 < d.bid_ask()[0] < y1 and y1 - y0 < 0.05

    qtbot.waitUntil(fitted, timeout=5000)
    (_x0, _x1), (y0, _y1) = view.viewRange()
    bid, _ask = d.bid_ask()
    assert bid - y0 > 0.0005, "the seeded history should leave room below the bid"
    return y0, bid


def open_long_with_sl(qtbot: QtBot, d: Desk) -> tuple[int, float]:
    """A buy whose stop loss is halfway between the bottom of the chart and the bid."""
    low, bid = visible_below_bid(qtbot, d)
    sl = d.spec().format_price(low + (bid - low) / 2)
    d.window.order_desk.submit(f"buy 0.1 eurusd sl {sl}", OrderSource.TICKET)
    qtbot.waitUntil(lambda: bool(d.positions()) and d.positions()[0].sl is not None, timeout=5000)
    position = d.positions()[0]
    assert position.sl is not None
    qtbot.waitUntil(lambda: ("sl", position.ticket) in d.window.chart_trading.lines, timeout=5000)
    return position.ticket, position.sl


def widget_point(d: Desk, price: float) -> QPoint:
    """Where ``price`` is drawn, in the chart view's viewport, a third of the way across."""
    plot = d.window.chart.plot_widget
    view = plot.getPlotItem().getViewBox()
    (x0, x1), _ = view.viewRange()
    scene = view.mapViewToScene(QPointF(x0 + (x1 - x0) / 3, price))
    return plot.mapFromScene(scene)


def test_dragging_the_sl_line_shows_money_then_sends_the_modify(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    ticket, sl = open_long_with_sl(qtbot, d)
    line = d.window.chart_trading.lines[("sl", ticket)]
    low, _bid = visible_below_bid(qtbot, d)
    viewport = d.window.chart.plot_widget.viewport()
    start = widget_point(d, sl)
    target_price = low + (sl - low) / 3
    end = widget_point(d, target_price)
    shown = d.window.chart_trading.shown_label(("sl", ticket))
    assert "SL " in shown and "USD" in shown

    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    steps = 8
    for i in range(1, steps + 1):
        y = start.y() + (end.y() - start.y()) * i // steps
        QTest.mouseMove(viewport, QPoint(start.x(), y))
        qtbot.wait(5)
    # While dragging, the label follows with the money at the line's price.
    dragged_to = d.spec().round_price(line.value())
    assert dragged_to < sl
    label = d.window.chart_trading.shown_label(("sl", ticket))
    assert label.startswith(f"SL {d.spec().format_price(dragged_to)}") and "USD" in label
    assert "-" in label  # a buy's stop loss below its entry loses money
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    # Read at once: until the broker's answer arrives, a position update may put the
    # line back at the old stop for a moment (seen on a slow Windows run).
    let_go_at = d.spec().round_price(line.value())

    # The same confirmation rule as every order, then the modify reaches the broker.
    assert len(d.confirmations) == 2 and f"Modify #{ticket}" in d.confirmations[-1]
    qtbot.waitUntil(lambda: bool(d.broker.of("modify_position")), timeout=5000)
    ((sent_ticket, new_sl, tp),) = d.broker.of("modify_position")  # type: ignore[misc]
    assert (sent_ticket, tp) == (ticket, None)
    # What was sent is where the line was let go (the live chart may rescale meanwhile).
    assert new_sl == let_go_at
    assert new_sl == pytest.approx(dragged_to, abs=(sl - low) / 5)
    assert new_sl == pytest.approx(target_price, abs=(sl - low) / 5)
    qtbot.waitUntil(lambda: d.positions()[0].sl == new_sl, timeout=5000)


def test_a_declined_drag_puts_the_line_back(qtbot: QtBot, desk: Callable[..., Desk]) -> None:
    d = desk()
    ticket, sl = open_long_with_sl(qtbot, d)
    line = d.window.chart_trading.lines[("sl", ticket)]
    d.answer[0] = False
    line.setValue(sl - 0.0010)  # as a drag would leave it
    line.sigPositionChangeFinished.emit(line)
    assert f"Modify #{ticket}" in d.confirmations[-1]
    assert line.value() == pytest.approx(sl)
    qtbot.wait(200)
    assert d.broker.of("modify_position") == []


def test_a_drag_to_the_wrong_side_is_refused_in_words(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk()
    ticket, sl = open_long_with_sl(qtbot, d)
    line = d.window.chart_trading.lines[("sl", ticket)]
    _bid, ask = d.bid_ask()
    line.setValue(ask + 0.0020)  # a buy's stop loss above the market
    line.sigPositionChangeFinished.emit(line)
    assert "must be below the bid" in d.window.statusBar().currentMessage()
    assert line.value() == pytest.approx(sl)
    assert len(d.confirmations) == 1  # only the opening order was asked


def test_right_click_offers_pending_orders_at_that_price(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    d = desk(one_click=True)
    low, bid = visible_below_bid(qtbot, d)
    price = low + (bid - low) / 2
    viewport = d.window.chart.plot_widget.viewport()
    QTest.mouseClick(
        viewport,
        Qt.MouseButton.RightButton,
        Qt.KeyboardModifier.NoModifier,
        widget_point(d, price),
    )
    menu = d.window.chart_trading.last_menu
    assert menu is not None
    labels = [a.text() for a in menu.actions()]
    assert labels[0].startswith("Buy limit 0.10 EURUSD at ")
    assert labels[1].startswith("Sell stop 0.10 EURUSD at ")
    menu.actions()[0].trigger()
    menu.close()
    qtbot.waitUntil(lambda: d.window.orders_model.rowCount() == 1, timeout=5000)
    (request,) = d.broker.of("submit")
    assert isinstance(request, OrderRequest)
    assert (request.side, request.order_type, request.source) == (
        Side.BUY,
        OrderType.LIMIT,
        OrderSource.CHART,
    )
    assert request.price == pytest.approx(price, abs=(bid - low) / 10)
    assert labels[0].endswith(d.spec().format_price(request.price))
    # The pending order now has its own draggable line on the chart.
    order = d.window.orders_model.order_at(0)
    qtbot.waitUntil(lambda: ("order", order.ticket) in d.window.chart_trading.lines, timeout=5000)


def test_stop_loss_far_from_the_candles_is_brought_into_view(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    """A stop far below the recent candles would be off-screen; the chart shows it."""
    d = desk()
    low, bid = visible_below_bid(qtbot, d)
    far = d.spec().round_price(low - (bid - low) * 3)  # well below the lowest visible price
    d.window.order_desk.submit(
        f"buy 0.1 eurusd sl {d.spec().format_price(far)}", OrderSource.TICKET
    )
    qtbot.waitUntil(lambda: bool(d.positions()) and d.positions()[0].sl == far, timeout=5000)
    view = d.window.chart.plot_widget.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: view.viewRange()[1][0] < far < view.viewRange()[1][1], timeout=5000)


def test_labels_of_close_levels_never_overlap_each_other_or_the_header(
    qtbot: QtBot, desk: Callable[..., Desk]
) -> None:
    """Positions, stops and orders a few points apart, and one near the top of the chart."""
    d = desk(one_click=True)
    low, bid = visible_below_bid(qtbot, d)
    point = d.spec().point
    fmt = d.spec().format_price
    for k in range(4):
        d.window.order_desk.submit(
            f"buy 0.1 eurusd sl {fmt(low + (bid - low) / 2 + k * 3 * point)}", OrderSource.TICKET
        )
    view = d.window.chart.plot_widget.getPlotItem().getViewBox()
    top = view.viewRange()[1][1]
    d.window.order_desk.submit(f"sell 0.1 eurusd limit {fmt(top - 2 * point)}", OrderSource.TICKET)
    trading = d.window.chart_trading
    qtbot.waitUntil(lambda: len(trading.lines) == 9, timeout=10_000)
    qtbot.waitUntil(lambda: len(trading.labels.placed) >= 2, timeout=5000)
    placed = trading.labels.placed
    header = d.window.chart.readout_rect()
    rects = [p.rect for p in placed]
    assert all(not a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    assert all(not r.intersects(header) for r in rects)
    pane = view.sceneBoundingRect()
    assert all(pane.contains(r) for r in rects)
    # Every line is named by a label, alone or counted in a merged one.
    assert {key for p in placed for key in p.keys} == set(trading.lines)
