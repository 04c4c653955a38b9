"""Optimising from the Strategy Tester window, as a trader does it, on real worker processes.

The window's settings (strategy, symbol, timeframe, dates, costs) and the
Optimisation group's ranges go to the optimiser; its passes run in spawned
worker processes over a small stored history (3,000 H1 bars), the Optimisation
tab fills with every pass, and "Run this pass" runs that pass through the
window's own single-test worker and opens its report.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.optimiser import State
from app.optimiser.local import default_workers
from app.optimiser.objective import figures_of
from app.ui.tester.window import StrategyTesterWindow
from tests.ui import test_tester_window as single
from tests.ui.test_tester_window import RUN_TIMEOUT_MS, _choose, _dates

history = single.history  # the fixtures of the single-test window's tests
make_window = single.make_window

FASTS = (5, 7, 9)
SLOWS = (20, 30, 40)


def _ready(window: StrategyTesterWindow, *, workers: int = 1) -> None:
    """ma_cross on EURUSD H1, costs set, fast and slow ticked with small ranges."""
    _choose(window)
    _dates(window, "2024-01-05", "2024-03-31")
    window.settings_form.commission.setValue(7)
    window.settings_form.deposit.setValue(5000)
    form = window.optimise_form
    form.choose("fast", "5", "9", "2")
    form.choose("slow", "20", "40", "10")
    form.workers.setValue(workers)
    form.cluster.setText("")


def _wait_ended(qtbot: QtBot, window: StrategyTesterWindow) -> None:
    qtbot.waitUntil(lambda: not window.optimising, timeout=RUN_TIMEOUT_MS)
    tab = window.optimisation_tab
    assert tab is not None and tab._thread is not None
    qtbot.waitUntil(lambda: not tab._thread.is_alive(), timeout=30_000)  # type: ignore[union-attr]


def _workers_alive(window: StrategyTesterWindow) -> list[object]:
    """Child processes other than the single-test runner's own (its spare stays ready)."""
    mine = {window.runner.spare, window.runner.process}
    return [
        p
        for p in multiprocessing.active_children()
        if p not in mine and p.name != "tradeterm-tester"
    ]


def test_an_optimisation_fills_the_table_and_its_pass_runs_as_a_single_test(
    qtbot: QtBot, make_window: Callable[..., StrategyTesterWindow]
) -> None:
    window = make_window()
    assert window.optimise_form.workers.value() == default_workers()  # every core by default
    _ready(window)
    qtbot.mouseClick(window.optimise_button, Qt.MouseButton.LeftButton)
    assert window.optimising
    assert not window.start_button.isEnabled() and not window.optimise_button.isEnabled()
    assert window.cancel_button.isEnabled()
    _wait_ended(qtbot, window)

    tab = window.optimisation_tab
    assert tab is not None
    assert window.tabs.currentWidget() is tab
    assert window.tabs.tabText(window.tabs.indexOf(tab)) == "Optimisation"
    run = tab.run
    assert run.state is State.FINISHED, run.error
    assert run.where == "1 local worker process"
    assert window.message.text().startswith("Optimisation finished: 9 passes on 1 local worker")
    assert tab.model.rowCount() == len(FASTS) * len(SLOWS)
    seen = {(r.params["fast"], r.params["slow"]) for r in tab.model.rows}
    assert seen == {(f, s) for f in FASTS for s in SLOWS}
    # The passes kept every setting of the window but the two swept parameters.
    settings = run.optimisation.settings
    assert (settings.strategy, settings.symbol, settings.timeframe.name) == (
        "ma_cross",
        "EURUSD",
        "H1",
    )
    assert settings.commission_per_lot == 7 and settings.deposit == 5000
    assert all(r.params["volume"] == 0.1 and r.params["atr_stop"] is False for r in tab.model.rows)
    assert all(not r.error for r in tab.model.rows)
    assert _workers_alive(window) == []  # the pool is gone with the run

    heat = tab.heat_map
    assert heat.matrix.shape == (len(FASTS), len(SLOWS))
    scores = {(r.params["fast"], r.params["slow"]): r.score for r in tab.model.rows}
    for i, fast in enumerate(FASTS):
        for j, slow in enumerate(SLOWS):
            assert heat.matrix[i, j] == scores[(fast, slow)]
    assert np.isfinite(heat.matrix).all()

    # The best pass (the table is sorted by the objective) runs in full.
    tab.table.selectRow(0)
    row = tab.selected_row()
    assert row is not None and row.score == max(s for s in scores.values() if s is not None)
    qtbot.mouseClick(tab.run_button, Qt.MouseButton.LeftButton)
    assert window.runner.running
    qtbot.waitUntil(lambda: not window.runner.running, timeout=RUN_TIMEOUT_MS)
    assert window.result is not None, window.message.text()
    assert window.tabs.currentWidget() is window.report_view
    figures = window.result.result.report.figures
    assert figures_of(figures) == row.figures
    assert window.result.result.settings.params == row.params
    assert window.report_view.figure("Total trades") == f"{int(row.figures['trades'] or 0):,}"
    assert f"fast={row.params['fast']}" in window.report_view.settings_line.text()
    assert window.params_form.raw()["fast"] == row.params["fast"]
    assert _workers_alive(window) == []


def test_bad_input_is_one_line_and_nothing_starts(
    qtbot: QtBot, make_window: Callable[..., StrategyTesterWindow]
) -> None:
    window = make_window()
    _ready(window)
    form = window.optimise_form
    children = set(multiprocessing.active_children())

    def refused(expected: str) -> None:
        assert not window.optimise()
        assert expected in window.message.text(), window.message.text()
        assert "\n" not in window.message.text()
        assert window.message.property("error")
        assert not window.optimising and window.optimisation_tab is None
        assert window.optimise_button.isEnabled()

    form.choose("fast", "9", "5", "1")
    refused("fast: the range 9:5 is empty (TO is below FROM)")
    form.choose("fast", "5", "9", "2")
    form.objective.setCurrentText("profit_facto")
    refused("profit_facto")
    form.objective.setCurrentText("net_profit")
    form.constraints.setText("trades")
    refused("compares nothing")
    form.constraints.setText("")
    for name in ("fast", "slow", "atr_period"):  # every declared value of three parameters
        row = form.rows[name]
        row.optimised.setChecked(True)
        spec = row.spec
        row.start.setText(f"{spec.minimum:g}")
        row.stop.setText(f"{spec.maximum:g}")
        row.step.setText(f"{spec.step:g}")
    refused("more than 1,000,000")
    for row in form.rows.values():
        row.optimised.setChecked(False)
    refused("nothing to optimise")
    assert set(multiprocessing.active_children()) == children  # no worker was started

    # A split that leaves no out-of-sample bars is found once the history is read.
    _ready(window)
    form.forward.setText("2030-01-01")
    assert window.optimise()
    qtbot.waitUntil(lambda: not window.optimising, timeout=60_000)
    assert "leaves no in-sample or no out-of-sample bars" in window.message.text()
    assert window.message.property("error") and window.optimisation_tab is None
    assert set(multiprocessing.active_children()) == children

    # A cluster that does not answer: one line, and the local machine runs nothing.
    form.forward.setText("")
    form.cluster.setText("tcp://127.0.0.1:9")
    assert window.optimise()
    qtbot.waitUntil(lambda: not window.optimising, timeout=60_000)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in window.message.text()
    assert window.optimisation_tab is None
    assert set(multiprocessing.active_children()) == children


def test_cancel_stops_every_worker_and_keeps_the_passes_that_finished(
    qtbot: QtBot, make_window: Callable[..., StrategyTesterWindow]
) -> None:
    window = make_window()
    _ready(window)
    window.optimise_form.choose("fast", "2", "30", "1")
    window.optimise_form.choose("slow", "31", "60", "1")  # 870 passes: far longer than we wait
    assert window.optimise()
    qtbot.waitUntil(
        lambda: (
            window.optimisation_tab is not None and window.optimisation_tab.model.rowCount() > 0
        ),
        timeout=RUN_TIMEOUT_MS,
    )
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert window.message.text() == "Cancelling the optimisation…"
    _wait_ended(qtbot, window)
    tab = window.optimisation_tab
    assert tab is not None and tab.run.state is State.CANCELLED
    done = tab.run.progress.done
    assert 0 < done < 870
    assert window.message.text().startswith(f"Optimisation cancelled after {done:,} of 870")
    assert tab.model.rowCount() == len(tab.run.results.rows())
    assert _workers_alive(window) == []
    assert window.optimise_button.isEnabled() and window.start_button.isEnabled()
    assert window.settings_tab.isEnabled()


def test_closing_the_window_stops_the_optimisation(
    qtbot: QtBot, make_window: Callable[..., StrategyTesterWindow]
) -> None:
    window = make_window()
    _ready(window)
    window.optimise_form.choose("fast", "2", "30", "1")
    window.optimise_form.choose("slow", "31", "60", "1")
    assert window.optimise()
    qtbot.waitUntil(lambda: window.optimisation_tab is not None, timeout=RUN_TIMEOUT_MS)
    window.close()
    _wait_ended(qtbot, window)
    tab = window.optimisation_tab
    assert tab is not None and tab.run.state is State.CANCELLED
    assert tab.run.progress.done < 870
    assert _workers_alive(window) == []
