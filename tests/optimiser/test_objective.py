"""Objectives and constraints: figures by name, expressions without eval."""

from __future__ import annotations

import pytest

from app.optimiser import Goal, OptimiserError

FIGS = {
    "net_profit": 1200.0,
    "profit_factor": 1.5,
    "sharpe_ratio": None,
    "recovery_factor": 3.0,
    "trades": 40.0,
    "max_drawdown_pct": 12.5,
}


def test_a_figure_an_expression_and_constraints() -> None:
    assert Goal.parse("net_profit").score(FIGS) == 1200.0
    assert Goal.parse("pf").score(FIGS) == 1.5  # a short name
    assert Goal.parse("net_profit / (1 + max_drawdown_pct)").score(FIGS) == pytest.approx(
        1200 / 13.5
    )
    assert Goal.parse("-max_drawdown_pct").score(FIGS) == -12.5
    assert Goal.parse("sqrt(trades) * profit_factor").score(FIGS) == pytest.approx(40**0.5 * 1.5)
    goal = Goal.parse("net_profit", ["trades>=30", "max_drawdown_pct<20"])
    assert goal.feasible(FIGS)
    assert not Goal.parse("net_profit", ["trades>=50"]).feasible(FIGS)


def test_a_figure_without_a_value_has_no_objective_and_fails_its_constraint() -> None:
    assert Goal.parse("sharpe_ratio").score(FIGS) is None
    assert Goal.parse("net_profit * sharpe_ratio").score(FIGS) is None
    assert not Goal.parse("net_profit", ["sharpe_ratio>0.5"]).feasible(FIGS)
    assert Goal.parse("net_profit / (trades - 40)").score(FIGS) is None  # a division by zero


@pytest.mark.parametrize(
    ("objective", "constraints", "message"),
    [
        ("profit_facter", (), "names 'profit_facter', which is not a figure"),
        ("__import__('os').system('echo hi')", (), "cannot be used"),
        ("net_profit.__class__", (), "cannot be used"),
        ("open('x')", (), "cannot be used"),
        ("net_profit +", (), "is not a valid expression"),
        ("", (), "the objective is empty"),
        ("net_profit", ("trades",), "compares nothing; write it like trades>=30"),
        ("net_profit", ("tardes>=30",), "names 'tardes'"),
    ],
)
def test_bad_expressions_are_refused_before_anything_runs(
    objective: str, constraints: tuple[str, ...], message: str
) -> None:
    with pytest.raises(OptimiserError) as caught:
        Goal.parse(objective, constraints)
    assert message in str(caught.value)
