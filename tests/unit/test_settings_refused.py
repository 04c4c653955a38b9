"""Settings that used to be accepted silently: each is now one line naming what is wrong.

A trading app that ignores a setting lets the trader believe a limit is in force
when it is not. Real TOML files under ``tmp_path`` and an explicit environment,
so the developer's own configuration is never read.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.settings import (
    MAX_SETTINGS_FILE_BYTES,
    NON_SETTING_ENV_VARS,
    ConfigError,
    Settings,
    load_settings,
    settings_from_dict,
)
from tests.platforms import POSIX_DEVICES

REPO = Path(__file__).resolve().parents[2]
DELIBERATE_TYPOS = frozenset(
    {"TRADETERM_RISKS__MAX_ORDER_VOLUME", "TRADETERM_RISK_MAX_ORDER_VOLUME"}
)  # spelt wrong on purpose by the tests that show they are refused


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "user-config"
    directory.mkdir()
    return directory


def refused(
    user_dir: Path, config: Path | None = None, environ: dict[str, str] | None = None
) -> str:
    """The one-line message of the ConfigError the load must raise."""
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ=environ or {}, user_config_dir=user_dir)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings-under-test.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- environment


def test_an_environment_variable_for_a_section_that_does_not_exist_is_refused(
    user_dir: Path,
) -> None:
    message = refused(user_dir, environ={"TRADETERM_RISKS__MAX_ORDER_VOLUME": "1"})
    assert message.startswith("settings error in environment: TRADETERM_RISKS__MAX_ORDER_VOLUME")
    assert "no setting" in message
    assert "TRADETERM_RISK__MAX_ORDER_VOLUME" in message  # the likely intent


def test_a_single_underscore_between_section_and_key_is_refused_with_the_fix(
    user_dir: Path,
) -> None:
    message = refused(user_dir, environ={"TRADETERM_RISK_MAX_ORDER_VOLUME": "1"})
    assert "TRADETERM_RISK_MAX_ORDER_VOLUME" in message
    assert "two underscores" in message and "TRADETERM_RISK__MAX_ORDER_VOLUME" in message


def test_lower_case_variable_names_are_checked_too(user_dir: Path) -> None:
    assert "tradeterm_uii__theme" in refused(user_dir, environ={"tradeterm_uii__theme": "dark"})


def test_the_documented_variables_that_are_not_settings_are_left_alone(user_dir: Path) -> None:
    environ = {name: "x" for name in NON_SETTING_ENV_VARS}
    environ["TRADETERM_HOME"] = str(user_dir.parent / "home")
    environ["TRADETERM_RISK__MAX_ORDER_VOLUME"] = "2"  # and a real setting still works
    loaded = load_settings(environ=environ, user_config_dir=user_dir)
    assert loaded.risk.max_order_volume == 2


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the files")
def test_every_tradeterm_variable_named_in_the_repository_is_a_setting_or_documented() -> None:
    """A variable newly read somewhere must be listed here, or the start refuses it."""
    text_files = subprocess.run(
        ["git", "ls-files", "*.py", "*.md", "*.toml", "*.yml", "*.spec", ".ci/*"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    names: set[str] = set()
    for name in text_files:
        names |= set(
            re.findall(r"\bTRADETERM_[A-Z0-9_]*[A-Z0-9]", (REPO / name).read_text("utf-8"))
        )
    assert "TRADETERM_HOME" in names and "TRADETERM_TELEGRAM_TOKEN" in names
    sections = set(Settings.model_fields)
    unexplained = {
        name
        for name in names
        if name not in NON_SETTING_ENV_VARS | DELIBERATE_TYPOS
        and name.removeprefix("TRADETERM_").split("__")[0].lower() not in sections
    }
    assert unexplained == set()


# --------------------------------------------------------------------------- symbols


def test_a_risk_override_for_a_symbol_that_is_not_configured_is_refused(
    tmp_path: Path, user_dir: Path
) -> None:
    path = config_file(tmp_path, "[risk.symbols.GBPUSDD]\nmax_order_volume = 1\n")
    message = refused(user_dir, path)
    assert "risk.symbols.GBPUSDD" in message and str(path) in message
    assert "not one of the configured symbols" in message and "GBPUSD" in message


def test_the_shipped_gold_override_does_not_force_gold_onto_the_watch_list(
    tmp_path: Path, user_dir: Path
) -> None:
    path = config_file(tmp_path, 'symbols = ["EURUSD", "USDJPY"]\n')
    loaded = load_settings(path, environ={}, user_config_dir=user_dir)
    assert loaded.symbols == ["EURUSD", "USDJPY"]


def test_the_override_check_also_guards_the_settings_dialog() -> None:
    data = Settings().model_dump()
    data["risk"]["symbols"]["EURUSDD"] = {"max_order_volume": 1.0}
    with pytest.raises(ConfigError) as info:
        settings_from_dict(data)
    assert info.value.problems[0].key == "risk.symbols.EURUSDD"


def test_allowed_symbols_naming_a_symbol_that_is_not_configured_are_refused(
    tmp_path: Path, user_dir: Path
) -> None:
    path = config_file(tmp_path, '[risk]\nallowed_symbols = ["EURUSD", "DOGEUSD"]\n')
    message = refused(user_dir, path)
    assert "risk.allowed_symbols" in message and "DOGEUSD" in message
    assert "not one of the configured symbols" in message


# --------------------------------------------------------------------------- values


def test_a_negative_seed_is_refused(tmp_path: Path, user_dir: Path) -> None:
    message = refused(user_dir, config_file(tmp_path, "[sim]\nseed = -1\n"))
    assert "sim.seed" in message and "0" in message


def test_the_default_file_says_what_a_seed_may_be() -> None:
    text = (REPO / "config" / "default.toml").read_text("utf-8")
    assert "Any integer" not in text
    assert "An integer 0 or more" in text


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[ui]\nrefresh_hz = true\n", "ui.refresh_hz"),
        ("[sim]\nbalance = false\n", "sim.balance"),
        ("[risk]\nmax_order_volume = true\n", "risk.max_order_volume"),
        ("[risk.symbols.XAUUSD]\nmax_net_volume = true\n", "risk.symbols.XAUUSD.max_net_volume"),
        ("[telegram]\nchat_ids = [1, true]\n", "telegram.chat_ids: item 2"),
    ],
)
def test_a_boolean_is_not_taken_for_a_number(
    tmp_path: Path, user_dir: Path, toml: str, key: str
) -> None:
    message = refused(user_dir, config_file(tmp_path, toml))
    assert key in message and "must be a number, not true or false" in message


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[mt5]\nportable = 1\n", "mt5.portable"),
        ("[ui]\none_click_trading = 0\n", "ui.one_click_trading"),
    ],
)
def test_a_number_is_not_taken_for_a_boolean(
    tmp_path: Path, user_dir: Path, toml: str, key: str
) -> None:
    message = refused(user_dir, config_file(tmp_path, toml))
    assert key in message and "must be true or false" in message


def test_booleans_from_the_environment_still_read_as_words(user_dir: Path) -> None:
    loaded = load_settings(environ={"TRADETERM_MT5__PORTABLE": "true"}, user_config_dir=user_dir)
    assert loaded.mt5.portable is True


def test_an_absurd_default_volume_is_refused_by_the_risk_limit(
    tmp_path: Path, user_dir: Path
) -> None:
    message = refused(user_dir, config_file(tmp_path, "[ui]\ndefault_volume = 1e9\n"))
    assert "ui.default_volume" in message
    assert "risk.max_order_volume" in message and "5 lots" in message


def test_the_default_volume_is_held_to_the_default_symbols_override(
    tmp_path: Path, user_dir: Path
) -> None:
    path = config_file(tmp_path, '[ui]\ndefault_symbol = "XAUUSD"\ndefault_volume = 2\n')
    message = refused(user_dir, path)
    assert "ui.default_volume" in message and "risk.symbols.XAUUSD.max_order_volume" in message


# --------------------------------------------------------------------------- the files themselves


def test_a_settings_file_larger_than_the_limit_is_refused_without_reading_it(
    tmp_path: Path, user_dir: Path
) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(b"# " + b"x" * MAX_SETTINGS_FILE_BYTES + b"\n")
    message = refused(user_dir, path)
    assert str(path) in message and "larger than" in message


def test_a_directory_given_as_the_config_file_is_refused(tmp_path: Path, user_dir: Path) -> None:
    message = refused(user_dir, tmp_path)
    assert str(tmp_path) in message and "is a directory, not a settings file" in message


@pytest.mark.skipif(not POSIX_DEVICES, reason="device files are POSIX")
def test_a_device_given_as_the_config_file_is_refused(user_dir: Path) -> None:
    message = refused(user_dir, Path("/dev/zero"))
    assert "/dev/zero" in message and "is a character device, not a settings file" in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_given_as_the_config_file_is_refused_without_waiting(
    tmp_path: Path, user_dir: Path
) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    message = refused(user_dir, fifo)
    assert "is a named pipe (FIFO), not a settings file" in message


def test_a_user_settings_file_that_is_a_directory_is_refused(user_dir: Path) -> None:
    (user_dir / "settings.toml").mkdir()
    assert "is a directory, not a settings file" in refused(user_dir)
