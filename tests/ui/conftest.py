"""A real main window on a real engine thread with the paper broker."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.brokers.sim.broker import SimBroker
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.strategies.setup import install_strategies
from app.ui.main_window import MainWindow


@dataclass
class Terminal:
    window: MainWindow
    bus: EventBus
    host: EngineHost
    confirmations: list[str]


@pytest.fixture
def make_terminal(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    started: list[Terminal] = []

    def make(
        *,
        confirm_answer: bool = True,
        state_file: Path | None = None,
        one_click: bool = False,
        strategy_files: dict[str, str] | None = None,
    ) -> Terminal:
        """``strategy_files``: name → source of files in the user's strategies folder;
        given, the engine gets the strategy host, as the app's does."""
        bus = EventBus()
        engine = Engine(bus, lambda: SimBroker(seed=5, ticks_per_second=30, history_bars=800))
        if strategy_files is not None:
            folder = tmp_path / "strategies"
            folder.mkdir(exist_ok=True)
            for name, source in strategy_files.items():
                (folder / name).write_text(textwrap.dedent(source), encoding="utf-8")
            install_strategies(engine.core, tmp_path)
        host = EngineHost(engine, bus)
        asked: list[str] = []

        def confirm(title: str, text: str) -> bool:
            asked.append(text)
            return confirm_answer

        window = MainWindow(
            bus,
            default_symbol="EURUSD",
            default_volume=0.1,
            one_click_trading=one_click,
            state_file=state_file or tmp_path / "window.ini",
            confirm=confirm,
        )
        window.closing.connect(host.stop)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        host.start()
        terminal = Terminal(window, bus, host, asked)
        started.append(terminal)
        qtbot.waitUntil(lambda: window.chart.bar_count > 0, timeout=10_000)
        qtbot.waitUntil(lambda: window.ticket.quote.text() != "—", timeout=10_000)
        return terminal

    yield make
    for terminal in started:
        terminal.host.stop()
