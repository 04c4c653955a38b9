"""Measures the default window and every dialog on one screen size; prints JSON.

Run in its own process (``test_layout.py``), because the screen's size and scale
are fixed when Qt starts: ``QT_QPA_PLATFORM=offscreen:configfile=<json>`` gives
the offscreen platform a 1366×768 or 1920×1080 screen at 100 % or 150 %.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QWidget

from app.brokers.sim.broker import DEFAULT_MARKETS
from app.domain.enums import Side
from app.domain.frame import MarketFrame
from app.domain.market import Tick
from app.domain.risk_limits import RiskLimits
from app.domain.trading import AccountState, Position
from app.engine.bus import EventBus
from app.engine.risk_gate import Book, RiskContext, RiskGate
from app.settings import Settings, TelegramSettings
from app.ui.dialogs.risk_limits import RiskLimitsDialog
from app.ui.dialogs.settings import SettingsDialog
from app.ui.dialogs.shortcuts import ShortcutsDialog
from app.ui.dialogs.symbol_spec import SymbolSpecDialog
from app.ui.dialogs.telegram import TelegramSettingsDialog
from app.ui.dialogs.trade import ChoosePositionDialog, CloseVolumeDialog, LevelsDialog
from app.ui.dialogs.trade_history import HistoryWindow
from app.ui.dialogs.welcome import WelcomeDialog
from app.ui.main_window import MainWindow
from app.ui.panels.positions import PROFIT
from app.ui.widgets.theme import apply_theme

T0 = 1_767_225_600_000


class NoTelegram:
    def current_settings(self) -> TelegramSettings:
        return TelegramSettings()

    def token_present(self) -> bool:
        return False

    def save(self, settings: TelegramSettings, token: str) -> str:
        return "saved"

    async def send_test(self, settings: TelegramSettings, token: str) -> str:
        return "sent"


def settle(app: QApplication) -> None:
    for _ in range(30):
        app.processEvents()


def within(outer: QRect, inner: QRect) -> bool:
    return outer.contains(inner)


def visible_in(widget: QWidget, viewport: QWidget) -> bool:
    """Whether all of ``widget`` is on screen inside ``viewport`` (not scrolled away)."""
    top_left = widget.mapTo(viewport.window(), QPoint(0, 0))
    port = QRect(viewport.mapTo(viewport.window(), QPoint(0, 0)), viewport.size())
    return widget.isVisible() and port.contains(QRect(top_left, widget.size()))


def main() -> None:
    app = QApplication(sys.argv[:1])
    apply_theme(app, "dark")
    screen = app.primaryScreen().availableGeometry()
    window = MainWindow(EventBus(), default_symbol="EURUSD", default_volume=0.1)
    specs = [m.spec for m in DEFAULT_MARKETS.values()]
    window.on_symbols(tuple(specs))
    position = Position(1001, "EURUSD", Side.BUY, 0.8, 1.085, 1.0851, -1.25, T0)
    quotes = {s.name: Tick(s.name, T0, 1.08500, 1.08510) for s in specs}
    account = AccountState("USD", 10_000, 9_998.75, 868.0, 9_130, -1.25, -1.25, 100)
    # The risk panel as it reads with a position open: its longest figures.
    ctx = RiskContext(
        {s.name: s for s in specs}, quotes, "USD", 100, account, Book.build([position], [])
    )
    risk = RiskGate(RiskLimits(), clock=lambda: T0 / 1000).snapshot(ctx)
    window.desk.apply_frame(
        MarketFrame(1, quotes, {}, 1, positions=(position,), account=account, risk=risk)
    )
    window.show()
    settle(app)
    ticket = window.ticket
    ticket_port = window.docks["ticket"].widget().viewport()  # type: ignore[attr-defined]
    risk_port = window.docks["risk"].widget().viewport()  # type: ignore[attr-defined]
    header = window.positions.horizontalHeader()
    profit_right = header.sectionViewportPosition(PROFIT) + header.sectionSize(PROFIT)
    market = window.market_watch.horizontalHeader()
    market_width = sum(market.sectionSize(c) for c in range(market.count()))
    log_header = window.log_view.horizontalHeader()
    time_text = window.log_view.fontMetrics().horizontalAdvance("23:59:59.999")
    chart = window.chart.price_pane_rect()
    out: dict[str, object] = {
        "screen": [screen.width(), screen.height()],
        "window_fits": within(screen, window.frameGeometry()),
        "window_fills": window.width() >= 0.9 * screen.width(),
        "chart": [chart.width(), chart.height()],
        "ticket_command": visible_in(ticket.command, ticket_port),
        "ticket_buttons": visible_in(ticket.buy_button, ticket_port)
        and visible_in(ticket.sell_button, ticket_port),
        "ticket_stops": visible_in(ticket.sl, ticket_port) and visible_in(ticket.tp, ticket_port),
        "halt_toolbar": hasattr(window, "halt_button") and visible_in(window.halt_button, window),
        "halt_panel": visible_in(window.risk_panel.kill_button, risk_port),
        "resume_panel": visible_in(window.risk_panel.resume_button, risk_port),
        "risk_no_side_scroll": not window.docks["risk"].widget().horizontalScrollBar().isVisible(),  # type: ignore[attr-defined]
        "profit_visible": profit_right <= window.positions.viewport().width(),
        "market_watch_fits": market_width <= window.market_watch.viewport().width(),
        "log_time_fits": log_header.sectionSize(0) >= time_text,
    }
    spec = specs[0]
    dialogs = {
        "risk_limits": RiskLimitsDialog(RiskLimits(), window),
        "settings": SettingsDialog(Settings(), Path("settings.toml"), window),
        "history": HistoryWindow(lambda _c: None, window.desk, parent=window),
        "shortcuts": ShortcutsDialog(window),
        "symbol": SymbolSpecDialog(spec, window),
        "welcome": WelcomeDialog(window),
        "telegram": TelegramSettingsDialog(NoTelegram(), window),
        "close_volume": CloseVolumeDialog(position, spec, window),
        "levels": LevelsDialog("Modify", spec, 1.08, 1.09, 1.085, window),
        "close_by": ChoosePositionDialog("Close by", [position], window),
    }
    fits = {}
    for name, dialog in dialogs.items():
        dialog.show()
        settle(app)
        fits[name] = within(screen, dialog.frameGeometry()) and (
            dialog.minimumSizeHint().height() <= screen.height()
        )
        dialog.close()
    out["dialogs"] = fits
    print(json.dumps(out))


if __name__ == "__main__":
    main()
