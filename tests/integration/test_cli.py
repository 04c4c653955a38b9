"""The command line as a user meets it: wrong settings give one line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.platforms import POSIX_DEVICES


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


# -- bad input that used to be accepted, or hung ---------------------------------------


def _home_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A private TRADETERM_HOME, so the paper account and journal are this test's own."""
    return {"TRADETERM_HOME": str(tmp_path / "home"), **extra}


def test_an_environment_variable_that_names_no_setting(tmp_path: Path) -> None:
    result = _run(env=_home_env(tmp_path, TRADETERM_RISKS__MAX_ORDER_VOLUME="1"))
    _assert_one_line_error(
        result, "environment", "TRADETERM_RISKS__MAX_ORDER_VOLUME", "TRADETERM_RISK__"
    )


@pytest.mark.skipif(not POSIX_DEVICES, reason="device files are POSIX")
def test_a_device_as_the_config_file_is_refused_before_reading_it(tmp_path: Path) -> None:
    result = _run("--config", "/dev/zero", env=_home_env(tmp_path))
    _assert_one_line_error(result, "/dev/zero", "character device")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_as_the_config_file_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "settings.toml"
    os.mkfifo(fifo)
    result = _run("--config", str(fifo), env=_home_env(tmp_path))
    _assert_one_line_error(result, str(fifo), "named pipe")


def test_a_directory_as_the_journal_path_says_it_is_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "journal-folder"
    folder.mkdir()
    result = _run(env=_home_env(tmp_path, TRADETERM_STORAGE__PATH=str(folder)))
    _assert_one_line_error(result, str(folder), "is a directory, not a journal file")
    assert "--fresh-journal" not in result.stderr  # it would not help


def test_fresh_journal_never_moves_a_directory_aside(tmp_path: Path) -> None:
    folder = tmp_path / "journal-folder"
    (folder / "keep").mkdir(parents=True)
    env = _home_env(tmp_path, TRADETERM_STORAGE__PATH=str(folder))
    result = _run("--fresh-journal", env=env)
    _assert_one_line_error(result, str(folder), "is a directory", "only a journal file")
    assert (folder / "keep").is_dir()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("journal-folder")] == [
        "journal-folder"
    ]


@pytest.mark.skipif(not POSIX_DEVICES, reason="device files are POSIX")
def test_a_device_as_the_journal_path_says_it_is_a_device(tmp_path: Path) -> None:
    result = _run(env=_home_env(tmp_path, TRADETERM_STORAGE__PATH="/dev/null"))
    _assert_one_line_error(result, "/dev/null", "is a character device, not a journal file")
    result = _run("--fresh-journal", env=_home_env(tmp_path, TRADETERM_STORAGE__PATH="/dev/null"))
    _assert_one_line_error(result, "/dev/null", "only a journal file")
    assert Path("/dev/null").exists()


def test_a_default_volume_off_the_paper_brokers_volume_step(tmp_path: Path) -> None:
    config = tmp_path / "volume.toml"
    config.write_text("[ui]\ndefault_volume = 0.015\n")
    result = _run("--config", str(config), env=_home_env(tmp_path))
    _assert_one_line_error(result, "ui.default_volume", "0.015", "step 0.01")


def _damaged_paper_account(tmp_path: Path) -> Path:
    path = tmp_path / "home" / "data" / "paper-account.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "balance": ')  # cut off mid-write by a crash
    return path


def test_a_damaged_paper_account_stops_the_start_with_the_way_out(tmp_path: Path) -> None:
    path = _damaged_paper_account(tmp_path)
    result = _run(env=_home_env(tmp_path))
    _assert_one_line_error(result, str(path), "damaged", "tradeterm --fresh-paper-account")
    assert path.read_text() == '{"version": 1, "balance": '  # untouched


def test_the_smoke_test_does_not_hang_on_a_damaged_paper_account(tmp_path: Path) -> None:
    path = _damaged_paper_account(tmp_path)
    result = _run("--smoke-test", env=_home_env(tmp_path))
    _assert_one_line_error(result, str(path), "damaged")


def test_fresh_paper_account_moves_the_damaged_file_aside_and_trades(tmp_path: Path) -> None:
    path = _damaged_paper_account(tmp_path)
    result = _run("--fresh-paper-account", "--smoke-test", env=_home_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "smoke test ok" in result.stdout
    [backup] = path.parent.glob("paper-account.json.*.bak")
    assert backup.read_text() == '{"version": 1, "balance": '  # kept, never deleted
    assert f"the old one is kept as {backup}" in result.stderr
