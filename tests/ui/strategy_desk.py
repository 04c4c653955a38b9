"""Strategies in a real main window: a small strategy file and the panel's attach-and-start.

``owner_probe`` buys at its first live tick and rests a buy limit 2 % below the
market, so a test sees a strategy's position and order beside the trader's.
Give ``OWNER_PROBE`` to ``make_terminal(strategy_files=...)``.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.ui.main_window import MainWindow

OWNER_PROBE = {
    "owner_probe.py": '''
from app.domain.market import Tick
from app.strategies.base import Strategy
from app.strategies.params import StrategyParams, param


class OwnerProbe(Strategy):
    """At its first live tick: buys, and rests a buy limit 2 % below the market."""

    key = "owner_probe"
    title = "Owner probe"

    class Params(StrategyParams):
        indicator = "Owner probe"
        volume: float = param(0.1, ge=0.01, le=5, step=0.01, title="Lots")

    def on_tick(self, tick: Tick) -> None:
        if not self.state.get("done"):
            self.state["done"] = True
            self.buy(self.params.volume)
            self.buy(self.params.volume, limit=round(tick.bid * 0.98, 5))
'''
}


def start_from_panel(qtbot: QtBot, window: MainWindow, key: str) -> None:
    """Attach the strategy ``key`` from the Strategies panel's form, with Start it now."""
    panel = window.strategies
    listed = panel.available

    def row() -> int | None:
        texts = [listed.item(i).text() for i in range(listed.count())]
        return next((i for i, t in enumerate(texts) if f"({key})" in t), None)

    qtbot.waitUntil(lambda: row() is not None, timeout=15_000)
    panel.available.setCurrentRow(row())
    form = panel.attach()
    assert form is not None
    form.start_now.setChecked(True)
    form.submit()
