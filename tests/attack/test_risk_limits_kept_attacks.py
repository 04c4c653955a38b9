"""Hostile tests: Risk limits kept across restarts, and who a Close By is logged under.

The risk-limit tests drive ``Preferences.keep_risk_limits`` (what ``MainWindow`` calls
once the engine's snapshot shows the dialog's limits) with the limits the engine
applied, then read the settings back the way the next start does (``load_settings``).
A money-relevant failure is a restart that is looser than what the trader last saw
applied, or a save that raises instead of telling the trader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from app.domain.commands import CloseBy, SubmitOrder
from app.domain.enums import Side, TradingState
from app.domain.risk_limits import SymbolLimits
from app.domain.trading import OrderRequest
from app.settings import Settings, load_settings
from app.ui.dialogs.risk_limits import RiskLimitsDialog
from app.ui.first_run import Preferences
from tests.strategies.test_strategies import (  # noqa: F401 - the fixture resets Probe
    Desk,
    Probe,
    _no_actions,
)
from tests.ui.conftest import Terminal, make_terminal  # noqa: F401 - the fixture

SAVED = "they hold after a restart"


def _preferences(
    qtbot: QtBot,
    settings: Settings,
    user_file: Path,
    next_start: Callable[[], Settings] | None = None,
) -> Preferences:
    """The app's Preferences on a stand-in window (it only needs the menu action);
    ``next_start`` reads the settings as the app's next start would."""
    window = SimpleNamespace(preferences_action=QAction(), keep_risk_limits=None)
    return Preferences(window, settings, user_file, next_start=next_start)  # type: ignore[arg-type]


def _start(config: Path, environ: dict[str, str] | None = None) -> Settings:
    return load_settings(environ=environ or {}, user_config_dir=config)


# ------------------------------------------------------------------ per-symbol overrides


def test_editing_a_per_symbol_override_in_risk_limits_does_not_halt_trading(
    qtbot: QtBot,
    make_terminal: Callable[..., Terminal],  # noqa: F811 - the fixture
) -> None:
    """Settings → Risk limits…, Symbols and hours tab: the trader tightens gold to half a
    lot per order ("XAUUSD max_order_volume=0.5", the dialog's own format) and presses
    OK. The engine must apply it (and the new code then saves it). Instead the audit
    line's ``RiskLimits.changes`` formats the override's unset fields with ``:g`` and
    raises TypeError: "Engine error: see the event log", trading HALTED, limit not set."""
    terminal = make_terminal()
    window = terminal.window
    qtbot.waitUntil(lambda: window.desk.risk is not None, timeout=5000)
    window.risk_limits_action.trigger()
    dialog = window.risk_dialog
    assert dialog is not None
    dialog.overrides.setPlainText("XAUUSD max_order_volume=0.5")
    dialog.accept()
    assert not dialog.isVisible(), dialog.error.text()
    qtbot.waitUntil(
        lambda: any(
            "Risk limits" in m or "Internal error" in m for m in window.log_model.messages()
        ),
        timeout=5000,
    )
    qtbot.wait(200)
    messages = window.log_model.messages()
    assert not any("Internal error" in m for m in messages), [
        m for m in messages if "Internal error" in m
    ]
    assert window.desk.state is not TradingState.HALTED
    assert window.desk.risk is not None
    assert window.desk.risk.limits.for_symbol("XAUUSD", "max_order_volume") == 0.5


def test_a_per_symbol_override_removed_in_the_dialog_does_not_come_back_at_restart(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The user's settings.toml lets EURUSD take 10 lots per order. The trader deletes
    that override line in Risk limits (EURUSD falls back to the 5-lot limit: tighter)
    and the engine applies it. ``_merge`` only adds and updates keys, never removes a
    table, so [risk.symbols.EURUSD] stays in the file: after a restart EURUSD takes
    10-lot orders again, while the status bar said the limits hold after a restart.
    (Through the dialog this is masked today by the TypeError above.)"""
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.toml").write_text(
        "[risk.symbols.EURUSD]\nmax_order_volume = 10.0\n", encoding="utf-8"
    )
    settings = _start(config)
    running = settings.risk.to_limits()
    assert running.for_symbol("EURUSD", "max_order_volume") == 10.0
    applied = replace(running, symbols={s: v for s, v in running.symbols.items() if s != "EURUSD"})
    said = _preferences(qtbot, settings, config / "settings.toml").keep_risk_limits(applied)
    assert SAVED in said
    again = _start(config).risk.to_limits()
    assert again.for_symbol("EURUSD", "max_order_volume") == 5.0, (
        f"applied: EURUSD at most 5 lots per order; after a restart "
        f"{again.for_symbol('EURUSD', 'max_order_volume'):g} lots"
    )
    assert again == applied


def test_a_per_symbol_value_cleared_in_the_dialog_is_saved_not_raised(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The file has "EURUSD max_order_volume=10 max_net_volume=3"; the trader edits the
    line to "EURUSD max_net_volume=3" (EURUSD's per-order volume back to the 5-lot
    account limit) and the engine applies it. Saving puts ``None`` into the TOML
    document: tomlkit's ConvertError (not an OSError) escapes ``keep_risk_limits``, no
    word in the status bar, and the file keeps 10 lots for the next start."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.toml").write_text(
        "[risk.symbols.EURUSD]\nmax_order_volume = 10.0\nmax_net_volume = 3.0\n",
        encoding="utf-8",
    )
    settings = _start(config)
    running = settings.risk.to_limits()
    applied = replace(
        running, symbols={**running.symbols, "EURUSD": SymbolLimits(max_net_volume=3.0)}
    )
    preferences = _preferences(qtbot, settings, config / "settings.toml")
    try:
        said = preferences.keep_risk_limits(applied)
    except Exception as exc:  # what the main window's frame handler would get
        pytest.fail(f"saving the applied limits raised {type(exc).__name__}: {exc}")
    assert SAVED in said
    again = _start(config).risk.to_limits()
    assert again.for_symbol("EURUSD", "max_order_volume") == 5.0
    assert again == applied


# ------------------------------------------------------------------ other layers


def test_a_tightened_limit_said_to_hold_after_a_restart_is_not_undone_by_the_environment(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The terminal runs with TRADETERM_RISK__MAX_ORDER_VOLUME=2 (set once, in the
    shortcut or the shell profile). The trader tightens Max volume per order to 1 lot;
    the status bar says "Risk limits saved to …: they hold after a restart". The next
    start reads the file (1) and then the environment (2): 2-lot orders pass again.
    Either the restart keeps 1 lot, or the status bar must not promise it does (the
    same holds for a ``--config`` file, which is read after the user's file)."""
    config = tmp_path / "config"
    environ = {"TRADETERM_RISK__MAX_ORDER_VOLUME": "2"}
    settings = _start(config, environ)
    assert settings.risk.max_order_volume == 2.0
    applied = replace(settings.risk.to_limits(), max_order_volume=1.0)
    preferences = _preferences(
        qtbot, settings, config / "settings.toml", lambda: _start(config, environ)
    )
    said = preferences.keep_risk_limits(applied)
    again = _start(config, environ).risk.to_limits()
    assert again.max_order_volume == 1.0 or SAVED not in said, (
        f"status bar: {said!r}; after the restart max volume per order is "
        f"{again.max_order_volume:g} lots, not the 1 lot applied"
    )


# ------------------------------------------------------------------ values the file refuses


def test_a_daily_reset_time_the_dialog_and_engine_accept_is_saved(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Risk limits → Daily reset "7:00": the dialog accepts it and so does the engine
    (``RiskLimits.problems`` reads it as 07:00), so the change is applied. Saving it
    builds ``RiskSettings`` whose validator wants two-digit hours: a pydantic
    ValidationError escapes ``keep_risk_limits`` (the main window's frame handler), the
    trader gets no word, and the next start resets the day at the old time."""
    config = tmp_path / "config"
    settings = _start(config)
    dialog = RiskLimitsDialog(settings.risk.to_limits())
    qtbot.addWidget(dialog)
    dialog.reset_time.setText("7:00")
    applied, problems = dialog.build()
    assert applied is not None, problems
    assert applied.problems() == []  # the engine applies it
    try:
        said = _preferences(qtbot, settings, config / "settings.toml").keep_risk_limits(applied)
    except Exception as exc:
        pytest.fail(f"saving the applied limits raised {type(exc).__name__}: {exc}")
    assert SAVED in said, said
    assert _start(config).risk.daily_reset_time in ("7:00", "07:00")


def test_a_settings_file_broken_while_the_terminal_runs_gets_a_word_not_an_exception(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The terminal started with a good settings.toml; the trader then edits it by hand
    and leaves a typo (``[risk`` without its bracket). Changing Risk limits must say it
    could not be saved (as a read-only folder does); tomlkit's ParseError (a
    ValueError, not an OSError) escapes ``keep_risk_limits`` instead."""
    config = tmp_path / "config"
    config.mkdir()
    user_file = config / "settings.toml"
    user_file.write_text("[risk]\nmax_order_volume = 3.0\n", encoding="utf-8")
    settings = _start(config)
    user_file.write_text("[risk\nmax_order_volume = 3.0\n", encoding="utf-8")
    applied = replace(settings.risk.to_limits(), max_order_volume=1.0)
    try:
        said = _preferences(qtbot, settings, user_file).keep_risk_limits(applied)
    except Exception as exc:
        pytest.fail(f"saving the applied limits raised {type(exc).__name__}: {exc}")
    assert SAVED not in said
    assert "could not" in said


# ------------------------------------------------------------------ event-log attribution


def test_the_trader_s_close_by_of_a_strategy_s_position_is_logged_under_the_trader() -> None:
    """Hedging paper account: probe#1 holds a 0.1 buy; the trader sells 0.1 by hand and
    closes the two with Close By (a command of the trader's, its client id the
    trader's). The paper broker gives the deals the reason "close by", which
    ``publish_fill`` counts as broker-initiated, so the line for the strategy's
    position is logged under probe#1 (and, starting with "Closed", comes back among
    its last lines after a restart) as if the strategy had closed it."""
    desk = Desk()
    desk.connect()

    def buy_once(strategy: Probe, _bar: object) -> None:
        if not strategy.positions() and not strategy.state.get("bought"):
            strategy.state["bought"] = True
            strategy.buy(0.1)

    Probe.actions = [buy_once]
    name = desk.attach()
    desk.minutes([1.1001, 1.1002])
    Probe.actions = []
    desk.core.handle(SubmitOrder(OrderRequest("trader-sell", "EURUSD", Side.SELL, 0.1)))
    positions = desk.core.positions()
    theirs = next(p for p in positions if p.owner > 0)
    mine = next(p for p in positions if p.owner <= 0)
    before = len(desk.market.out.logs)
    desk.core.handle(CloseBy(theirs.ticket, mine.ticket, client_id="trader-close-by"))
    assert desk.core.positions() == ()
    closed = [e for e in desk.market.out.logs[before:] if e.message.startswith("Closed")]
    assert closed, "no line for the close by"
    assert all(e.source != name for e in closed), [(e.source, e.message) for e in closed]
