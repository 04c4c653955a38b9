"""The Owner column of the Positions and Orders panels: whose each position and order is.

"Manual" for the trader's own, "External" for another program's (an MT5 Expert
Advisor), else the strategy instance's name as the Strategies panel shows it;
"Strategy #N" until (or unless) the instance is known. Driven on the desk model
with real table views, and on a real main window with the paper broker and a
strategy instance trading on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from app.domain.commands import SubmitOrder, new_client_id
from app.domain.enums import OrderType, Side
from app.domain.frame import MarketFrame
from app.domain.owners import owner_label
from app.domain.strategies import StrategyConfig, StrategyState, StrategyStatus
from app.domain.timeframes import Timeframe
from app.domain.trading import EXTERNAL, MANUAL, OrderRequest, Position, WorkingOrder
from app.ui.desk.model import DeskModel
from app.ui.panels.orders import OrdersModel, OrdersView
from app.ui.panels.positions import COLUMN_CHARS, COLUMNS, OWNER, PositionsModel, PositionsView
from app.ui.runtime.window_state import restore_header, save_header
from app.ui.widgets.table_model import SORT_ROLE
from tests.ui.conftest import Terminal
from tests.ui.strategy_desk import OWNER_PROBE, start_from_panel

T0 = 1_700_000_000_000


def _status(number: int, strategy: str = "ma_cross", *, detached: bool = False) -> StrategyStatus:
    config = StrategyConfig(number, strategy, "EURUSD", Timeframe.M1)
    return StrategyStatus(config, StrategyState.RUNNING, detached=detached)


def _position(ticket: int, owner: int) -> Position:
    return Position(ticket, "EURUSD", Side.BUY, 0.1, 1.085, 1.0851, 1.0, T0 + ticket, owner=owner)


def _order(ticket: int, owner: int) -> WorkingOrder:
    return WorkingOrder(
        ticket, f"c{ticket}", "EURUSD", Side.BUY, OrderType.LIMIT, 0.1, 1.08, T0, owner=owner
    )


def _frame(positions: tuple[Position, ...], orders: tuple[WorkingOrder, ...]) -> MarketFrame:
    return MarketFrame(1, {}, {}, 0, positions=positions, orders=orders)


def _owners(view: PositionsView | OrdersView, column: int) -> list[str]:
    """The Owner cells as the table shows them, top to bottom."""
    proxy = view.model()
    return [str(proxy.index(row, column).data()) for row in range(proxy.rowCount())]


# --------------------------------------------------------------------------- the words


def test_the_owner_label_names_manual_external_an_instance_or_its_number() -> None:
    names = {3: "ma_cross#3"}
    assert owner_label(MANUAL, names) == "Manual"
    assert owner_label(EXTERNAL, names) == "External"
    assert owner_label(3, names) == "ma_cross#3"
    assert owner_label(7, names) == "Strategy #7"  # detached before this start


# --------------------------------------------------------------------------- desk model


@pytest.fixture
def views(qtbot: QtBot) -> tuple[DeskModel, PositionsView, OrdersView]:
    desk = DeskModel()
    positions = PositionsView(PositionsModel(desk))
    orders = OrdersView(OrdersModel(desk))
    for view in (positions, orders):
        qtbot.addWidget(view)
        view.resize(1000, 200)
        view.show()
    return desk, positions, orders


def test_positions_and_orders_show_their_owner_and_the_name_once_it_is_known(
    views: tuple[DeskModel, PositionsView, OrdersView],
) -> None:
    desk, positions, orders = views
    # The positions arrive before the engine told the strategies: numbers for now.
    desk.apply_frame(
        _frame(
            (_position(1, MANUAL), _position(2, EXTERNAL), _position(3, 3), _position(4, 7)),
            (_order(11, MANUAL), _order(12, 3)),
        )
    )
    column = OrdersModel.OWNER_COLUMN
    assert _owners(positions, OWNER) == ["Manual", "External", "Strategy #3", "Strategy #7"]
    assert _owners(orders, column) == ["Manual", "Strategy #3"]
    # The instance's status arrives later; no new positions frame is needed.
    desk.apply_strategy(_status(3))
    assert _owners(positions, OWNER) == ["Manual", "External", "ma_cross#3", "Strategy #7"]
    assert _owners(orders, column) == ["Manual", "ma_cross#3"]
    # A later frame of the same positions (prices moved) keeps the names.
    moved = tuple(replace(p, price_current=1.09, profit=5.0) for p in desk.positions)
    desk.apply_frame(MarketFrame(2, {}, {}, 0, positions=moved))
    assert _owners(positions, OWNER) == ["Manual", "External", "ma_cross#3", "Strategy #7"]
    # Hovering says what it means, for a trader who has not met the word yet.
    proxy = positions.model()
    tips = [str(proxy.index(r, OWNER).data(Qt.ItemDataRole.ToolTipRole)) for r in range(4)]
    assert "by hand" in tips[0] and "Expert Advisor" in tips[1]
    assert "ma_cross#3" in tips[2] and "not attached now" in tips[3]
    header_tip = proxy.headerData(OWNER, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "Manual" in str(header_tip)


def test_a_detached_instance_keeps_its_name_and_its_tooltip_says_so(
    views: tuple[DeskModel, PositionsView, OrdersView],
) -> None:
    desk, positions, _orders = views
    desk.apply_frame(_frame((_position(1, 5),), ()))
    desk.apply_strategy(_status(5, "breakout"))
    desk.apply_strategy(_status(5, "breakout", detached=True))
    assert _owners(positions, OWNER) == ["breakout#5"]
    tip = positions.model().index(0, OWNER).data(Qt.ItemDataRole.ToolTipRole)
    assert "detached" in str(tip)


def test_only_a_new_name_repaints_not_every_status_of_a_running_instance(
    views: tuple[DeskModel, PositionsView, OrdersView],
) -> None:
    desk, _positions, _orders = views
    changes: list[object] = []
    desk.subscribe(lambda change: changes.append(change) if change.strategies else None)
    desk.apply_strategy(_status(3))
    desk.apply_strategy(_status(3))  # its P&L moved: same name
    desk.apply_strategy(object())  # a catalogue or reply: not about owners
    assert len(changes) == 1


def test_sorting_by_owner_groups_them_and_the_actions_still_act_on_the_right_row(
    qtbot: QtBot, views: tuple[DeskModel, PositionsView, OrdersView]
) -> None:
    desk, positions, _orders = views
    desk.apply_strategy(_status(3))
    desk.apply_frame(_frame((_position(1, 3), _position(2, MANUAL), _position(3, EXTERNAL)), ()))
    positions.sortByColumn(OWNER, Qt.SortOrder.AscendingOrder)
    assert _owners(positions, OWNER) == ["External", "Manual", "ma_cross#3"]
    assert positions.model().index(0, OWNER).data(SORT_ROLE) == "External"
    positions.selectRow(2)  # the strategy's position, first in the model
    closed: list[list[Position]] = []
    positions.close_requested.connect(closed.append)
    positions.activateWindow()
    qtbot.waitUntil(positions.isActiveWindow, timeout=5_000)
    positions.setFocus()
    qtbot.keyClick(positions, Qt.Key.Key_Delete)
    assert [p.ticket for p in closed[0]] == [1]


def test_the_owner_column_is_narrow_keeps_the_number_and_profit_stays_where_it_was(
    views: tuple[DeskModel, PositionsView, OrdersView],
) -> None:
    _desk, positions, orders = views
    assert COLUMNS[OWNER - 1] == "Profit" and COLUMNS[OWNER + 1] == "Open time"
    assert COLUMN_CHARS[OWNER] <= 13
    digit = positions.fontMetrics().horizontalAdvance("0")
    assert positions.horizontalHeader().sectionSize(OWNER) <= digit * 13 + 14 + 20
    owner_width = orders.horizontalHeader().sectionSize(OrdersModel.OWNER_COLUMN)
    assert owner_width <= orders.horizontalHeader().sectionSize(OrdersModel.MARKET_COLUMN) * 2
    # A name too long for it is cut in the middle: the instance number stays in view.
    for view in (positions, orders):
        assert view.textElideMode() is Qt.TextElideMode.ElideMiddle


# --------------------------------------------------------------------------- saved layouts


def test_a_table_layout_saved_before_a_column_was_added_is_not_misapplied(
    qtbot: QtBot, tmp_path: Path
) -> None:
    old = QTableView()
    qtbot.addWidget(old)
    old.setModel(QStandardItemModel(0, 12))  # the Positions panel before Owner
    old.setSortingEnabled(True)
    old.sortByColumn(9, Qt.SortOrder.AscendingOrder)  # Open time, then
    old.horizontalHeader().resizeSection(9, 160)
    store = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    save_header(store, "positions_table", old.horizontalHeader())
    view = PositionsView(PositionsModel(DeskModel()))
    qtbot.addWidget(view)
    width = view.horizontalHeader().sectionSize(OWNER)
    restore_header(store, "positions_table", view.horizontalHeader())
    assert view.horizontalHeader().sectionSize(OWNER) == width  # not Open time's 160
    assert view.horizontalHeader().sortIndicatorSection() != OWNER
    # A state saved before column counts were: dropped too (it may be the old 12).
    store.remove("table_columns/positions_table")
    restore_header(store, "positions_table", view.horizontalHeader())
    assert view.horizontalHeader().sectionSize(OWNER) == width
    # A layout saved with today's columns is restored as before.
    view.horizontalHeader().resizeSection(OWNER, 123)
    save_header(store, "positions_table", view.horizontalHeader())
    again = PositionsView(PositionsModel(DeskModel()))
    qtbot.addWidget(again)
    restore_header(store, "positions_table", again.horizontalHeader())
    assert again.horizontalHeader().sectionSize(OWNER) == 123


# --------------------------------------------------------------------------- real session


def test_a_paper_session_shows_manual_and_the_strategy_instance_by_name(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    window = make_terminal(strategy_files=OWNER_PROBE).window
    bid = window.desk.quotes["EURUSD"].bid
    window.send(SubmitOrder(OrderRequest(new_client_id(), "EURUSD", Side.BUY, 0.1)))
    window.send(
        SubmitOrder(
            OrderRequest(
                new_client_id(),
                "EURUSD",
                Side.BUY,
                0.1,
                OrderType.LIMIT,
                price=round(bid * 0.98, 5),
            )
        )
    )
    start_from_panel(qtbot, window, "owner_probe")
    name = "owner_probe#1"
    positions, orders = window.positions, window.orders
    column = OrdersModel.OWNER_COLUMN
    qtbot.waitUntil(lambda: sorted(_owners(positions, OWNER)) == ["Manual", name], timeout=20_000)
    qtbot.waitUntil(lambda: sorted(_owners(orders, column)) == ["Manual", name], timeout=20_000)
    # The strategy's own rows are the ones its number owns.
    model = window.positions_model
    owned = [p for p in model.positions if p.owner != MANUAL]
    assert [window.desk.owner_label(p.owner) for p in owned] == [name]
    # The chart's lines say whose they are: the instance's, and nothing for the trader's.
    trading = window.chart_trading
    [mine] = [p for p in model.positions if p.owner == MANUAL]
    [theirs] = owned
    order = next(o for o in window.desk.orders if o.owner == theirs.owner)
    # (The whole text: a narrow chart elides the end of what it shows, the name first.)
    qtbot.waitUntil(lambda: bool(trading.shown_label(("entry", theirs.ticket))), timeout=5000)
    entry = trading.label_text(("entry", theirs.ticket), theirs.price_open)
    assert entry.startswith(f"#{theirs.ticket} BUY 0.1 · ") and entry.endswith(f" · {name}")
    placed = trading.label_text(("order", order.ticket), order.price)
    assert placed.startswith(f"#{order.ticket} BUY LIMIT 0.1 @ ") and placed.endswith(f" · {name}")
    own = trading.label_text(("entry", mine.ticket), mine.price_open)
    assert own.startswith(f"#{mine.ticket} BUY 0.1 · ") and name not in own
    assert trading.shown_label(("entry", theirs.ticket)).startswith(f"#{theirs.ticket} BUY")
