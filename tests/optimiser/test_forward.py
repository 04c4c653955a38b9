"""Forward testing: every pass in sample and out of sample, the same figures a test gives."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from app.domain.timeframes import Timeframe
from app.optimiser import OptimiserError, plan_windows
from app.optimiser.local import InProcessWorkers
from app.optimiser.objective import figures_of
from app.tester import TesterSettings, run_test
from tests.optimiser.conftest import hill_run
from tests.optimiser.strategies import BARS, hill_catalog, hill_market
from tests.tester.conftest import DAY0

HOUR = 3600
SETTINGS = TesterSettings("hill", "EURUSD", Timeframe.H1)


def test_a_fraction_leaves_the_last_part_out_of_sample_on_whole_bars() -> None:
    (window,) = plan_windows(SETTINGS, hill_market(), forward="0.3")
    assert window.start == DAY0
    assert window.out_end == DAY0 + BARS * HOUR - 1
    assert window.out_start == DAY0 + 98 * HOUR  # 140 bars * 0.7 = 98 in sample
    assert window.end == window.out_start - 1
    (dated,) = plan_windows(SETTINGS, hill_market(), forward="2024-01-05")
    assert dated.out_start == DAY0 + 4 * 86_400


def test_every_pass_shows_the_figures_a_test_of_each_part_gives() -> None:
    run = hill_run(("entry=0:40:10", "hold=10:30:10"), forward="0.3")
    run.execute(InProcessWorkers())
    (window,) = run.optimisation.windows
    market, catalog = hill_market(), hill_catalog()
    assert len(run.results) == 15
    for row in run.results.rows():
        settings = SETTINGS.with_params(row.params)
        ins = run_test(replace(settings, start=window.start, end=window.end), market, catalog)
        out = run_test(
            replace(settings, start=window.out_start, end=window.out_end), market, catalog
        )
        assert row.figures == figures_of(ins.report.figures)
        assert row.figures_out == figures_of(out.report.figures)
        assert row.score == ins.report.figures.net_profit
        assert row.score_out == out.report.figures.net_profit
    # in sample the hill rises to bar 81 (out of sample it only falls): overfitting shows
    best = run.results.best(1)[0]
    assert best.score is not None and best.score > 0
    assert best.score_out is not None and best.score_out < 0


def test_walk_forward_windows_tile_the_end_and_each_keeps_its_objective() -> None:
    windows = plan_windows(SETTINGS, hill_market(), forward="0.25", walk_forward=4)
    assert len(windows) == 4
    for before, after in itertools.pairwise(windows):
        assert after.out_start == before.out_end + 1  # the out-of-sample parts tile
    assert windows[-1].out_end == DAY0 + BARS * HOUR - 1
    for w in windows:
        assert w.end == w.out_start - 1 and w.start < w.end
        assert (w.start - DAY0) % HOUR == 0 and (w.out_start - DAY0) % HOUR == 0  # whole bars
    run = hill_run(("entry=0:20:10", "hold=10:20:10"), forward="0.25", walk_forward=4)
    run.execute(InProcessWorkers())
    row = run.results.rows()[0]
    assert len(row.windows_in) == len(row.windows_out) == 4


@pytest.mark.parametrize(
    ("forward", "walk", "message"),
    [
        ("1.5", 0, "a fraction must be between 0 and 1"),
        ("soon", 0, "neither a fraction like 0.3 nor a date like 2024-06-01"),
        ("2030-01-01", 0, "leaves no in-sample or no out-of-sample bars"),
        ("2023-01-01", 0, "leaves no in-sample or no out-of-sample bars"),
        ("0.25", 1, "--walk-forward takes 2 to 50 windows"),
        ("2024-01-03", 3, "needs --forward as a fraction"),
        ("0.9", 50, "leave less than one bar each"),
    ],
)
def test_a_split_that_leaves_nothing_is_refused(forward: str, walk: int, message: str) -> None:
    with pytest.raises(OptimiserError) as caught:
        plan_windows(SETTINGS, hill_market(), forward=forward, walk_forward=walk)
    assert message in str(caught.value)
