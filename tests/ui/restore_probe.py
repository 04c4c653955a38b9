"""Saves the window's layout, or restores a saved one and measures it; prints JSON.

Run in its own process (``test_layout_restore.py``) for each screen, because the
screen's size is fixed when Qt starts: ``save`` on a 1920×1080 screen, then
``restore`` of that file on a 1366×768 one, as a trader who moved to a laptop;
``docks`` restores, prints the docks' sizes and exits (saving again), as a restart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.brokers.sim.broker import DEFAULT_MARKETS
from app.engine.bus import EventBus
from app.ui.main_window import MainWindow
from app.ui.panels.positions import PROFIT
from app.ui.widgets.theme import apply_theme
from tests.ui.layout_probe import settle, visible_in, within


def main() -> None:
    mode, state_file = sys.argv[1], Path(sys.argv[2])
    app = QApplication(sys.argv[:1])
    apply_theme(app, "dark")
    screen = app.primaryScreen().availableGeometry()
    window = MainWindow(
        EventBus(), default_symbol="EURUSD", default_volume=0.1, state_file=state_file
    )
    window.on_symbols(tuple(m.spec for m in DEFAULT_MARKETS.values()))
    window.show()
    settle(app)
    if mode == "save":
        window.close()  # the layout is saved on close, as at every exit
        print(json.dumps({"saved": [window.width(), window.height()]}))
        return
    if mode == "docks":  # one more start and exit: the docks' sizes as they came back
        sizes = {
            key: [dock.width(), dock.height()]
            for key, dock in window.docks.items()
            if dock.isVisible() and not dock.visibleRegion().isEmpty()
        }
        window.close()
        print(json.dumps({"docks": sizes}))
        return
    ticket = window.ticket
    ticket_port = window.docks["ticket"].widget().viewport()  # type: ignore[attr-defined]
    risk_port = window.docks["risk"].widget().viewport()  # type: ignore[attr-defined]
    chart = window.chart.price_pane_rect()
    header = window.positions.horizontalHeader()
    profit_right = header.sectionViewportPosition(PROFIT) + header.sectionSize(PROFIT)
    positions_width = window.positions.viewport().width()
    out = {
        "screen": [screen.width(), screen.height()],
        "window_fits": within(screen, window.frameGeometry()),
        "chart": [chart.width(), chart.height()],
        "buy": visible_in(ticket.buy_button, ticket_port),
        "sell": visible_in(ticket.sell_button, ticket_port),
        "halt_toolbar": visible_in(window.halt_button, window),
        "halt_panel": visible_in(window.risk_panel.kill_button, risk_port),
        "profit_column": window.positions.isVisible() and profit_right <= positions_width,
        "status": window.statusBar().currentMessage(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
