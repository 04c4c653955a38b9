"""A left click in any pane of the chart (price, volume, RSI, MACD) leaves the terminal running.

The click runs in a process of its own (``pane_click_probe.py``): the fault it guards
against killed the process with a segfault, which would end the whole test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QPainterPath
from pytestqt.qtbot import QtBot

from app.ui.panels.chart.panel import ChartPanel
from app.ui.panels.chart.studies.spec import validated
from tests.specs import fx_spec
from tests.ui.test_chart_studies import history

ROOT = Path(__file__).resolve().parents[2]


def test_clicking_in_every_pane_with_oscillators_on_the_chart_does_not_kill_the_terminal(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TRADETERM_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
        "PYTHONFAULTHANDLER": "1",  # a crash names its Python frame in the failure
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ui" / "pane_click_probe.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["studies"] == 3
    # Every pane was clicked, the oscillators' panes among them, and the process lived on.
    assert sorted(seen["clicked"]) == ["macd", "price", "rsi", "volume"], seen


def test_every_indicator_item_answers_the_scenes_shape_query(qtbot: QtBot) -> None:
    """pyqtgraph asks each item under a click for ``shape()``; an attribute hiding it broke that."""
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.set_symbol_spec(fx_spec())
    chart.set_history(history(200))
    for name in ("sma", "rsi", "macd", "sar"):
        chart.studies.add(validated(name, {}))
    items = [item for study in chart.studies.studies for item in study.items]
    assert len(items) >= 6
    for item in items:
        assert isinstance(item.shape(), QPainterPath)
