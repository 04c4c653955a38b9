"""A strategy instance's indicators drawn on a chart of its symbol and timeframe.

The engine says which indicators an instance made (``StrategyStatus.indicators``:
the library's names and parameters); the chart computes them from its own bars
with the same library, so what the trader sees is what the instance decides on.
"""

from __future__ import annotations

from app.domain.strategies import StrategyStatus
from app.indicators.params import IndicatorParamError
from app.indicators.registry import UnknownIndicatorError
from app.ui.panels.chart.studies.spec import validated
from app.ui.workspace.charts import ChartWorkspace


def show_strategy_indicators(workspace: ChartWorkspace, status: StrategyStatus) -> str:
    """Add ``status``'s indicators to the chart of its symbol and timeframe (the open
    one, else a new one), each once; returns the word for the trader."""
    config = status.config
    window = workspace.chart_of(config.symbol, config.timeframe)
    studies = window.chart.studies
    shown = [(s.spec.name, dict(s.spec.params)) for s in studies.studies]
    added, refused = [], []
    for indicator in status.indicators:
        try:
            spec = validated(indicator.name, indicator.params)
        except (IndicatorParamError, UnknownIndicatorError) as exc:
            refused.append(f"{indicator.label()}: {exc}")
            continue
        if (spec.name, dict(spec.params)) not in shown:
            added.append(studies.add(spec).label)
            shown.append((spec.name, dict(spec.params)))
    where = f"{config.symbol} {config.timeframe.name}"
    if added:
        text = f"{status.name}'s indicators on the {where} chart: {', '.join(added)}"
    else:
        text = f"{status.name}'s indicators are on the {where} chart already"
    if refused:
        text += f"; not drawn: {'; '.join(refused)}"
    return text
