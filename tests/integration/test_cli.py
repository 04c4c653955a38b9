"""The command line as a user meets it: wrong settings give one line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=Path(__file__).resolve().parents[2],
    )


def _assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_bad_value_in_config_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[sim]\nbalance = -5\n")
    _assert_one_line_error(_run("--config", str(config)), "sim.balance", str(config))


def test_unknown_key_in_config_file(tmp_path: Path) -> None:
    config = tmp_path / "typo.toml"
    config.write_text("[ui]\nrefresh_hx = 30\n")
    _assert_one_line_error(_run("--config", str(config)), "ui.refresh_hx", "unknown setting")


def test_broken_toml(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[sim\nbalance = 1\n")
    _assert_one_line_error(_run("--config", str(config)), "invalid TOML", str(config))


def test_missing_config_file(tmp_path: Path) -> None:
    _assert_one_line_error(_run("--config", str(tmp_path / "nope.toml")), "not found")


def test_bad_environment_variable() -> None:
    result = _run(env={"TRADETERM_UI__REFRESH_HZ": "fast"})
    _assert_one_line_error(result, "environment", "ui.refresh_hz")


def test_paper_broker_with_an_unknown_symbol(tmp_path: Path) -> None:
    config = tmp_path / "symbols.toml"
    config.write_text('symbols = ["EURUSD", "DOGEUSD"]\n')
    _assert_one_line_error(_run("--config", str(config)), "DOGEUSD", "paper broker")


@pytest.mark.skipif(sys.platform == "win32", reason="the MetaTrader5 package exists on Windows")
def test_mt5_broker_where_metatrader_cannot_run() -> None:
    result = _run(env={"TRADETERM_BROKER__KIND": "mt5", "TRADETERM_MT5_MODULE": ""})
    _assert_one_line_error(result, "MetaTrader 5 runs on Windows", '"sim"')


def test_smoke_test_trades_once_on_paper_and_exits_zero() -> None:
    result = _run("--smoke-test", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "smoke test ok" in result.stdout
    assert "paper order opened and closed" in result.stdout


def test_without_a_console_the_problem_is_shown_in_a_dialog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A windowed Windows build has no stderr: a bad setting must still reach the user."""
    import app.ui.dialogs.startup_problem as startup_problem
    from app.cli import tell_user

    shown: list[str] = []
    monkeypatch.setattr(startup_problem, "show_startup_problem", shown.append)
    monkeypatch.setattr(sys, "stderr", None)
    assert tell_user("settings error: sim.balance: must be greater than 0") == 2
    assert shown == ["settings error: sim.balance: must be greater than 0"]


def test_the_startup_dialog_shows_the_message(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from app.ui.dialogs.startup_problem import show_startup_problem

    seen: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: seen.append(box.text()) or 0)
    show_startup_problem("journal error: The trade journal /x/journal.sqlite is damaged")
    assert seen == ["journal error: The trade journal /x/journal.sqlite is damaged"]
