"""What a pass is judged by: one figure or an expression over figures, and constraints.

The objective is maximised: ``net_profit``, ``profit_factor``, ``sharpe_ratio``,
``recovery_factor`` or any figure below, or an expression such as
``net_profit / (1 + max_drawdown_pct)`` or ``-max_drawdown`` (to minimise).
Constraints are comparisons: ``trades>=30``, ``max_drawdown_pct<20``. A pass
that breaks one is kept in the table but ranked below every pass that keeps them.

Expressions are evaluated by ``simpleeval`` (a kept library that walks Python's
own AST with a whitelist): arithmetic, comparisons, ``and``/``or``/``not``,
``if``/``else`` and the functions in ``FUNCTIONS``, over the figure names only.
No attribute, no import, no call outside the whitelist: never ``eval()``.

A figure without a value (the profit factor of a pass without a losing trade,
the Sharpe ratio of one trade) is NaN in an expression: the objective has no
value (the pass ranks last) and a constraint on it fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpleeval

from app.optimiser.errors import OptimiserError
from app.reporting import Figures

FIGURES: dict[str, str] = {
    "net_profit": "Net profit",
    "profit_factor": "Profit factor",
    "sharpe_ratio": "Sharpe ratio",
    "recovery_factor": "Recovery factor",
    "expected_payoff": "Expected payoff",
    "trades": "Trades",
    "win_rate": "Won %",
    "max_drawdown": "Max equity drawdown",
    "max_drawdown_pct": "Max equity drawdown %",
    "balance_drawdown_pct": "Max balance drawdown %",
    "gross_profit": "Gross profit",
    "gross_loss": "Gross loss",
    "largest_loss": "Largest loss",
    "final_balance": "Final balance",
}
"""Every figure an objective or constraint may name, with its column title."""

FUNCTIONS = {
    "abs": abs,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log": math.log,
}

_ALIASES = {"profit": "net_profit", "pf": "profit_factor", "sharpe": "sharpe_ratio"}


def figures_of(figures: Figures) -> dict[str, float | None]:
    """The report's figures by the names expressions use."""
    won_pct = round(figures.won / figures.trades * 100, 2) if figures.trades else None
    return {
        "net_profit": figures.net_profit,
        "profit_factor": figures.profit_factor,
        "sharpe_ratio": figures.sharpe_ratio,
        "recovery_factor": figures.recovery_factor,
        "expected_payoff": figures.expected_payoff,
        "trades": float(figures.trades),
        "win_rate": won_pct,
        "max_drawdown": figures.equity_drawdown.maximal,
        "max_drawdown_pct": figures.equity_drawdown.maximal_pct,
        "balance_drawdown_pct": figures.balance_drawdown.maximal_pct,
        "gross_profit": figures.gross_profit,
        "gross_loss": figures.gross_loss,
        "largest_loss": figures.largest_loss,
        "final_balance": figures.final_balance,
    }


@dataclass(frozen=True)
class Expression:
    """An expression over figures, parsed once and checked before anything runs."""

    text: str
    _tree: Any = field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str, what: str) -> Expression:
        cleaned = text.strip()
        for alias, name in _ALIASES.items():
            if cleaned == alias:
                cleaned = name
        if not cleaned:
            raise OptimiserError(f"the {what} is empty")
        try:
            tree = simpleeval.SimpleEval.parse(cleaned)
        except SyntaxError:
            raise OptimiserError(f"the {what} {text!r} is not a valid expression") from None
        made = cls(cleaned, tree)
        try:  # every name and function must be known: try it on sample figures
            made._evaluate(dict.fromkeys(FIGURES, 1.0))
        except simpleeval.NameNotDefined as exc:
            raise OptimiserError(
                f"the {what} {text!r} names {exc.name!r}, which is not a figure "
                f"(figures: {', '.join(FIGURES)})"
            ) from None
        except simpleeval.InvalidExpression as exc:
            raise OptimiserError(f"the {what} {text!r} cannot be used: {exc}") from None
        except (ArithmeticError, ValueError, TypeError):
            pass  # 1/(trades-1) divides by zero on the sample; fine on real figures
        return made

    def _evaluate(self, figures: Mapping[str, float | None]) -> Any:
        names = {k: (math.nan if v is None else float(v)) for k, v in figures.items()}
        evaluator = simpleeval.SimpleEval(names=names, functions=FUNCTIONS)
        return evaluator.eval(self.text, previously_parsed=self._tree)

    def value(self, figures: Mapping[str, float | None]) -> float | None:
        """The number, or None where it has none (NaN, infinity, a division by zero)."""
        try:
            result = self._evaluate(figures)
        except (ArithmeticError, ValueError, TypeError, simpleeval.InvalidExpression):
            return None
        if isinstance(result, bool):
            return float(result)
        if not isinstance(result, int | float) or not math.isfinite(result):
            return None
        return float(result)

    def holds(self, figures: Mapping[str, float | None]) -> bool:
        try:
            return bool(self._evaluate(figures))
        except (ArithmeticError, ValueError, TypeError, simpleeval.InvalidExpression):
            return False


@dataclass(frozen=True)
class Goal:
    """The objective (maximised) and the constraints a pass must keep."""

    objective: Expression
    constraints: tuple[Expression, ...] = ()

    @classmethod
    def parse(cls, objective: str = "net_profit", constraints: Sequence[str] = ()) -> Goal:
        parsed = []
        for text in constraints:
            made = Expression.parse(text, "constraint")
            if not any(op in made.text for op in ("<", ">", "==", "!=")):
                raise OptimiserError(
                    f"the constraint {text!r} compares nothing; write it like trades>=30"
                )
            parsed.append(made)
        return cls(Expression.parse(objective, "objective"), tuple(parsed))

    def score(self, figures: Mapping[str, float | None]) -> float | None:
        return self.objective.value(figures)

    def feasible(self, figures: Mapping[str, float | None]) -> bool:
        return all(c.holds(figures) for c in self.constraints)

    def describe(self) -> str:
        text = f"maximise {self.objective.text}"
        if self.constraints:
            text += " with " + ", ".join(c.text for c in self.constraints)
        return text
