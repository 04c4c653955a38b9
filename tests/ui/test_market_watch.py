"""The market watch: live quotes per symbol, in place, with a fading flash on change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from app.domain.market import Bar, Tick
from app.domain.symbols import SymbolSpec
from app.domain.timeframes import Timeframe
from app.ui.desk.model import DeskModel
from app.ui.panels.market_watch import (
    ASK,
    BID,
    CHANGE,
    FLASH_MS,
    SPREAD,
    SYMBOL,
    MarketWatchModel,
    MarketWatchView,
)
from app.ui.widgets.theme import LOSS, PROFIT
from tests.specs import fx_spec as spec
from tests.ui.conftest import Terminal

DAY_MS = 86_400_000
T0_MS = 1_700_006_400_000  # a UTC midnight


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def watching(specs: list[SymbolSpec], clock: Callable[[], float] | None = None) -> MarketWatchModel:
    """A market watch over a desk model that knows ``specs``."""
    desk = DeskModel()
    desk.set_symbols(specs)
    m = MarketWatchModel(desk, clock=clock) if clock else MarketWatchModel(desk)
    m.set_symbols()
    return m


@pytest.fixture
def model(qtbot: QtBot, clock: FakeClock) -> MarketWatchModel:
    return watching([spec("EURUSD"), spec("USDJPY", 3), spec("GBPUSD")], clock)


def double_click(qtbot: QtBot, view: MarketWatchView, pos: QPoint) -> None:
    """A real double click: press and release, then the double-click event."""
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def text(model: MarketWatchModel, row: int, column: int) -> str:
    return str(model.data(model.index(row, column)))


def background(model: MarketWatchModel, row: int, column: int) -> QColor | None:
    value = model.data(model.index(row, column), Qt.ItemDataRole.BackgroundRole)
    return value if isinstance(value, QColor) else None


def test_rows_show_bid_ask_spread_in_points_and_change_in_symbol_digits(
    model: MarketWatchModel,
) -> None:
    model.apply(
        {"USDJPY": Tick("USDJPY", T0_MS + 5_000, 150.1234, 150.1357)},
        [Bar("USDJPY", Timeframe.D1, T0_MS // 1000, 150.0, 150.2, 149.9, 150.1, 10)],
    )
    row = model.row_of("USDJPY")
    assert row == 1
    assert text(model, row, SYMBOL) == "USDJPY"
    assert text(model, row, BID) == "150.123"
    assert text(model, row, ASK) == "150.136"
    assert text(model, row, SPREAD) == "12"  # 0.0123 at 0.001 a point
    assert text(model, row, CHANGE) == "+0.08%"  # bid vs the D1 open of 150.000
    assert text(model, 0, BID) == "—"  # no quote yet for EURUSD


def test_without_a_d1_bar_the_change_is_against_the_days_first_price(
    model: MarketWatchModel,
) -> None:
    model.apply({"EURUSD": Tick("EURUSD", T0_MS + 1_000, 1.10000, 1.10010)})
    model.apply({"EURUSD": Tick("EURUSD", T0_MS + 2_000, 1.09890, 1.09900)})
    assert text(model, 0, CHANGE) == "-0.10%"
    next_day = T0_MS + DAY_MS + 1_000
    model.apply({"EURUSD": Tick("EURUSD", next_day, 1.20000, 1.20010)})
    assert text(model, 0, CHANGE) == "+0.00%"  # a new day starts from its own first price
    fg = model.data(model.index(0, CHANGE), Qt.ItemDataRole.ForegroundRole)
    assert fg is None


def test_a_frame_repaints_only_the_changed_rows_in_contiguous_runs(qtbot: QtBot) -> None:
    """200 symbols: one dataChanged per run of changed rows, no reset, no re-sorting."""
    names = [f"SYM{i:03d}" for i in range(200)]
    model = watching([spec(n) for n in names])
    model.apply({n: Tick(n, T0_MS, 1.0, 1.0001) for n in names})
    changes: list[tuple[int, int]] = []
    resets: list[str] = []

    def on_changed(top: QModelIndex, bottom: QModelIndex, roles: list[int]) -> None:
        if not roles:  # a value change (the fading flash sends background-only updates)
            changes.append((top.row(), bottom.row()))

    model.dataChanged.connect(on_changed)
    model.modelReset.connect(lambda: resets.append("reset"))
    model.layoutChanged.connect(lambda *_: resets.append("layout"))
    changed = [*names[10:20], names[50], *names[198:]]
    model.apply({n: Tick(n, T0_MS + 1, 1.001, 1.0011) for n in changed[:5]})
    assert changes == [(10, 14)]
    model.apply({n: Tick(n, T0_MS + 2, 1.002, 1.0021) for n in changed[5:]})
    # One repaint request per contiguous run of changed rows, per frame.
    assert changes == [(10, 14), (15, 19), (50, 50), (198, 199)]
    assert resets == []
    assert model.symbols == names  # rows stay where they were


def test_a_frame_repaints_only_the_cells_whose_text_changed(model: MarketWatchModel) -> None:
    """A quote usually moves the bid and ask only: the spread and change cells stay as drawn."""
    model.apply(
        {"EURUSD": Tick("EURUSD", T0_MS, 1.1, 1.1001), "GBPUSD": Tick("GBPUSD", T0_MS, 1.3, 1.3001)}
    )
    model.apply({"EURUSD": Tick("EURUSD", T0_MS, 1.10001, 1.10011)})  # now up on the day
    spans: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda top, bottom, roles: (
            None
            if roles
            else spans.append((top.row(), bottom.row(), top.column(), bottom.column()))
        )
    )
    # One point up on both sides: same spread, same "+0.00%".
    model.apply({"EURUSD": Tick("EURUSD", T0_MS + 1, 1.10002, 1.10012)})
    assert spans == [(0, 0, BID, ASK)]
    # The ask moves on GBPUSD and widens its spread: a run of its own.
    spans.clear()
    model.apply(
        {
            "EURUSD": Tick("EURUSD", T0_MS + 2, 1.10003, 1.10013),
            "GBPUSD": Tick("GBPUSD", T0_MS + 2, 1.3, 1.3003),
        }
    )
    # GBPUSD: the ask and spread changed; the bid repaints too, under the highlight.
    assert spans == [(0, 0, BID, ASK), (2, 2, BID, SPREAD)]
    assert text(model, 2, SPREAD) == "30"
    # EURUSD gains a hundredth of a percent on the day: its change cell repaints too.
    spans.clear()
    model.apply({"EURUSD": Tick("EURUSD", T0_MS + 3, 1.10011, 1.10021)})
    assert spans == [(0, 0, BID, CHANGE)]
    assert text(model, 0, CHANGE) == "+0.01%"


def test_a_change_flashes_and_fades_with_one_timer(
    qtbot: QtBot, model: MarketWatchModel, clock: FakeClock
) -> None:
    model.apply({"EURUSD": Tick("EURUSD", T0_MS, 1.1, 1.1001)})
    assert background(model, 0, BID) is None  # the first quote is not a change
    model.apply({"EURUSD": Tick("EURUSD", T0_MS + 1, 1.1002, 1.1003)})
    up = background(model, 0, BID)
    assert up is not None and up.rgb() == PROFIT.rgb()
    fresh = up.alpha()
    assert model.fading
    clock.now += FLASH_MS / 2000
    half = background(model, 0, ASK)
    assert half is not None and 0 < half.alpha() < fresh
    model.apply({"GBPUSD": Tick("GBPUSD", T0_MS, 1.3, 1.3001)})
    model.apply({"GBPUSD": Tick("GBPUSD", T0_MS + 1, 1.2999, 1.3)})
    down = background(model, 2, BID)
    assert down is not None and down.rgb() == LOSS.rgb()
    fg = model.data(model.index(2, BID), Qt.ItemDataRole.ForegroundRole)
    assert fg == LOSS
    clock.now += FLASH_MS / 1000 + 0.1
    qtbot.waitUntil(lambda: not model.fading, timeout=2000)  # the one timer stops itself
    assert background(model, 0, BID) is None and background(model, 2, BID) is None


def test_the_fade_leaves_alone_a_row_its_frame_just_repainted(
    qtbot: QtBot, model: MarketWatchModel, clock: FakeClock
) -> None:
    """In a fast market every frame repaints its rows: the fade must not add paints."""
    model.apply({"EURUSD": Tick("EURUSD", T0_MS, 1.1, 1.1001)})
    model.apply({"EURUSD": Tick("EURUSD", T0_MS + 1, 1.1002, 1.1003)})
    fades: list[int] = []
    model.dataChanged.connect(lambda top, _, roles: fades.append(top.row()) if roles else None)
    qtbot.wait(150)  # several fade steps; the clock says the change is brand new
    assert fades == [] and model.fading
    clock.now += 0.05  # older than a fade step now
    qtbot.waitUntil(lambda: bool(fades), timeout=1000)
    assert fades[0] == 0


def _ink(image: QImage, rect: QRect, background: QColor) -> int:
    """Pixels in ``rect`` that differ from ``background``: how much is drawn there."""
    return sum(
        image.pixelColor(x, y).rgb() != background.rgb()
        for x in range(rect.left(), rect.right() + 1)
        for y in range(rect.top(), rect.bottom() + 1)
    )


def test_the_view_paints_prices_the_change_highlight_and_the_selection(
    qtbot: QtBot, model: MarketWatchModel
) -> None:
    """What the trader sees: the view paints rows itself, so check the pixels."""
    view = MarketWatchView(model)
    qtbot.addWidget(view)
    view.resize(560, 200)
    view.show()
    qtbot.waitExposed(view)
    model.apply({"EURUSD": Tick("EURUSD", T0_MS, 1.1, 1.1001)})
    model.apply({"EURUSD": Tick("EURUSD", T0_MS + 1, 1.1002, 1.1003)})  # up: green highlight
    view.selectRow(2)
    image = view.viewport().grab().toImage()
    palette = view.palette()

    def cell(row: int, column: int) -> QRect:
        return view.visualRect(model.index(row, column))

    # The highlight fills the bid and ask cells (sampled at the left, away from the
    # right-aligned text) with green over the row's base colour; the symbol cell is plain.
    bid, plain = image.pixelColor(cell(0, BID).topLeft() + QPoint(2, 2)), palette.base().color()
    assert image.pixelColor(cell(0, SYMBOL).topRight() + QPoint(-2, 2)) == plain
    assert bid != plain and bid.green() > bid.red()
    # Every cell of the selected row sits on the highlight colour.
    for column in (SYMBOL, BID, SPREAD, CHANGE):
        corner = image.pixelColor(cell(2, column).topLeft() + QPoint(1, 1))
        assert corner == palette.highlight().color()
    # The price is drawn: its cell has far more ink than the "—" of a symbol with no quote.
    priced = _ink(image, cell(0, BID), bid)
    no_quote_background = image.pixelColor(cell(1, BID).topLeft() + QPoint(2, 2))
    assert priced > 3 * max(1, _ink(image, cell(1, BID), no_quote_background))


def test_a_header_click_sorts_once_and_ticks_do_not_reorder(
    qtbot: QtBot, model: MarketWatchModel
) -> None:
    view = MarketWatchView(model)
    qtbot.addWidget(view)
    model.apply(
        {
            "EURUSD": Tick("EURUSD", T0_MS, 1.1, 1.1001),
            "USDJPY": Tick("USDJPY", T0_MS, 150.0, 150.01),
            "GBPUSD": Tick("GBPUSD", T0_MS, 1.3, 1.3001),
        }
    )
    view.horizontalHeader().setSortIndicator(BID, Qt.SortOrder.AscendingOrder)  # a header click
    order = [view.symbol_at_view_row(r) for r in range(3)]
    assert order == ["EURUSD", "GBPUSD", "USDJPY"]
    model.apply({"EURUSD": Tick("EURUSD", T0_MS + 1, 999.0, 999.1)})
    assert [view.symbol_at_view_row(r) for r in range(3)] == order


def test_double_click_or_enter_activates_the_symbol(qtbot: QtBot, model: MarketWatchModel) -> None:
    view = MarketWatchView(model)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    activated: list[str] = []
    view.symbol_activated.connect(activated.append)
    index = view.model().index(1, SYMBOL)
    rect = view.visualRect(index)
    double_click(qtbot, view, rect.center())
    view.setCurrentIndex(view.model().index(2, SYMBOL))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert activated == ["USDJPY", "GBPUSD"]
    view.setCurrentIndex(QModelIndex())
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert activated == ["USDJPY", "GBPUSD"]


# -- in the main window, on a real engine ---------------------------------------------


def test_market_watch_lists_every_symbol_live_and_double_click_opens_it(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    model = w.market_watch_model
    assert model.symbols == list(w.desk.specs)
    qtbot.waitUntil(lambda: all(text(model, r, BID) != "—" for r in range(model.rowCount())))
    # The daily change comes from the engine's D1 bars, watched for every symbol.
    qtbot.waitUntil(lambda: all(text(model, r, CHANGE).endswith("%") for r in range(3)))
    view = w.market_watch
    row = view.view_row_of("USDJPY")
    assert row is not None
    rect = view.visualRect(view.model().index(row, SYMBOL))
    double_click(qtbot, view, rect.center())
    assert w.chart.symbol == "USDJPY"
    assert w.ticket.symbol.currentText() == "USDJPY"
    qtbot.waitUntil(lambda: w.chart.bar_count > 0, timeout=5000)
    bar = w.chart.last_bar()
    assert bar is not None and bar[4] > 50  # yen prices: the USDJPY history arrived
