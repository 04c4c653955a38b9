"""The Optimisation tab on a real run: the table streams in and sorts on numbers, the
heat map holds each pass's objective at its parameters, "Run this pass" says which."""

from __future__ import annotations

import math
import re

import numpy as np
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.optimiser import State
from app.optimiser.local import InProcessWorkers
from app.ui.tester.optimisation import OptimisationTab
from app.ui.widgets.table_model import SORT_ROLE
from tests.optimiser.conftest import hill_run
from tests.optimiser.strategies import BEST

ENTRIES = tuple(range(0, 61, 5))
HOLDS = tuple(range(10, 81, 10))


def _tab(qtbot: QtBot, **options: object) -> OptimisationTab:
    run = hill_run(**options)  # type: ignore[arg-type]
    tab = OptimisationTab(run)
    qtbot.addWidget(tab)
    tab.resize(1600, 900)
    tab.show()
    tab.start(InProcessWorkers())
    qtbot.waitUntil(lambda: run.state is State.FINISHED, timeout=120_000)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 100, timeout=5_000)
    return tab


def _column(tab: OptimisationTab, title: str) -> list[object]:
    c = tab.model.column(title)
    return [tab.proxy.index(r, c).data(SORT_ROLE) for r in range(tab.proxy.rowCount())]


def test_the_table_fills_with_every_pass_and_sorts_by_any_figure(qtbot: QtBot) -> None:
    tab = _tab(qtbot, forward="0.3")
    assert "Finished: 100 passes, 4 skipped" in tab.status.text()
    headers = tab.model.HEADERS
    assert headers[:4] == ("Pass", "entry", "hold", "Objective")
    assert "Objective (out)" in headers and "Net profit (out)" in headers
    first = (
        tab.proxy.index(0, tab.model.column("entry")).data(),
        tab.proxy.index(0, tab.model.column("hold")).data(),
    )
    assert first == (str(BEST["entry"]), str(BEST["hold"]))  # sorted by the objective, best first
    tab.table.sortByColumn(tab.model.column("entry"), Qt.SortOrder.AscendingOrder)
    entries = _column(tab, "entry")
    assert entries == sorted(entries)  # as numbers: 5 before 10
    assert entries[0] == 0.0 and entries[-1] == 60.0
    tab.table.sortByColumn(tab.model.column("Trades"), Qt.SortOrder.DescendingOrder)
    trades = _column(tab, "Trades")
    assert trades == sorted(trades, reverse=True)
    # money and objectives always show their cents, counts and parameters never do
    for r in range(tab.proxy.rowCount()):
        for title in ("Objective", "Net profit", "Objective (out)", "Net profit (out)"):
            text = tab.proxy.index(r, tab.model.column(title)).data()
            assert text == "-" or re.fullmatch(r"-?[\d,]+\.\d\d", text), (title, text)
        assert re.fullmatch(r"\d+", tab.proxy.index(r, tab.model.column("Trades")).data())
        assert re.fullmatch(r"\d+", tab.proxy.index(r, tab.model.column("entry")).data())


def test_the_heat_map_holds_each_pass_at_its_two_parameters(qtbot: QtBot) -> None:
    tab = _tab(qtbot)
    heat = tab.heat_map
    assert (heat.x_box.currentText(), heat.y_box.currentText()) == ("entry", "hold")
    assert heat.matrix.shape == (len(ENTRIES), len(HOLDS))
    rows = {(r.params["entry"], r.params["hold"]): r.score for r in tab.run.results.rows()}
    for i, entry in enumerate(ENTRIES):
        for j, hold in enumerate(HOLDS):
            if entry + hold > 125:  # refused by the strategy: never run, no colour
                assert math.isnan(heat.matrix[i, j])
            else:
                assert heat.matrix[i, j] == rows[(entry, hold)]
    best = np.unravel_index(np.nanargmax(heat.matrix), heat.matrix.shape)
    assert (ENTRIES[best[0]], HOLDS[best[1]]) == (BEST["entry"], BEST["hold"])
    assert heat.image.image is not None and heat.image.image.shape == heat.matrix.shape
    heat.x_box.setCurrentText("hold")
    heat.y_box.setCurrentText("entry")
    assert heat.matrix.shape == (len(HOLDS), len(ENTRIES))
    assert heat.matrix[HOLDS.index(50), ENTRIES.index(30)] == rows[(30, 50)]
    assert len(tab.curves.shown) == 4 and tab.curves.shown[0] == tab.run.results.best(1)[0].index


def test_run_this_pass_emits_the_selected_pass_parameters(qtbot: QtBot) -> None:
    tab = _tab(qtbot)
    tab.table.selectRow(3)
    expected = tab.model.rows[tab.proxy.mapToSource(tab.proxy.index(3, 0)).row()].params
    with qtbot.waitSignal(tab.run_pass_requested, timeout=2_000) as signal:
        qtbot.mouseClick(tab.run_button, Qt.MouseButton.LeftButton)
    assert signal.args == [dict(expected)]
    assert set(expected) == {"entry", "hold"}
