"""Tests for layered settings loading (app.settings) and path resolution (app.paths).

Every test uses real TOML files under ``tmp_path`` and an explicit environment
(or a monkeypatched ``TRADETERM_HOME``) so nothing reads or writes the real
user's configuration.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from app import paths
from app.settings import (
    ConfigError,
    ConfigProblem,
    Settings,
    load_settings,
    user_settings_path,
)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Strip TRADETERM_* from the process env and point TRADETERM_HOME at tmp_path."""
    for name in list(os.environ):
        if name.upper().startswith("TRADETERM_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("TRADETERM_HOME", str(home))
    yield home


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "user-config"
    directory.mkdir()
    return directory


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(
    user_dir: Path,
    config: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    return load_settings(config, environ=environ or {}, user_config_dir=user_dir)


def error_of(
    user_dir: Path, config: Path | None = None, environ: dict[str, str] | None = None
) -> tuple[ConfigError, str]:
    with pytest.raises(ConfigError) as info:
        load(user_dir, config, environ)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return info.value, message


# --------------------------------------------------------------------------- defaults


def test_defaults_load(user_dir: Path) -> None:
    s = load(user_dir)
    assert s.broker.kind == "sim"
    assert s.symbols == ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"]
    assert s.ui.refresh_hz == 60
    assert s.ui.default_symbol == "EURUSD"  # empty in the file -> first symbol
    assert s.sim.balance == 10000
    assert s.sim.currency == "USD"
    assert s.engine.poll_interval_ms == 20
    assert s.telegram.chat_ids == []


def test_default_toml_matches_model_defaults(user_dir: Path) -> None:
    """The shipped file and the code defaults must not drift apart."""
    assert load(user_dir) == Settings()


def _model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _model_keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


# Tables whose keys are free-form (a dict field in the model, e.g. per-symbol risk
# overrides under [risk.symbols.XAUUSD]) count as one key, as in _model_keys.
_FREE_FORM_TABLES = {"risk.symbols"}


def _toml_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in data.items():
        if isinstance(value, dict) and f"{prefix}{name}" not in _FREE_FORM_TABLES:
            keys |= _toml_keys(value, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def test_default_toml_lists_every_key_with_a_comment() -> None:
    path = paths.default_config_path()
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    assert _toml_keys(tomllib.loads(text)) == _model_keys(Settings)
    assert "password" not in tomllib.loads(text)["mt5"]
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            above = lines[index - 1].lstrip()
            assert above.startswith("#"), f"key without a comment above it: {line!r}"


def test_example_user_file_is_valid(user_dir: Path) -> None:
    example = paths.resource_root() / "config" / "example-user.toml"
    s = load(user_dir, config=example)
    assert s.ui.theme == "dark"
    assert s.sim.leverage == 100  # untouched key kept from defaults


# --------------------------------------------------------------------------- layering


def test_user_file_deep_merges_over_defaults(user_dir: Path) -> None:
    write(user_dir / "settings.toml", "[sim]\nbalance = 2500\n")
    s = load(user_dir)
    assert s.sim.balance == 2500
    assert s.sim.seed == 7
    assert s.sim.leverage == 100
    assert s.sim.currency == "USD"
    assert s.ui.refresh_hz == 60


def test_config_file_overrides_user_file(user_dir: Path, tmp_path: Path) -> None:
    write(user_dir / "settings.toml", "[sim]\nbalance = 2500\nleverage = 50\n")
    config = write(tmp_path / "explicit.toml", "[sim]\nbalance = 999\n")
    s = load(user_dir, config=config)
    assert s.sim.balance == 999
    assert s.sim.leverage == 50  # from the user file, not replaced by --config


def test_env_overrides_files(user_dir: Path, tmp_path: Path) -> None:
    write(user_dir / "settings.toml", "[sim]\nbalance = 2500\nleverage = 50\n")
    config = write(tmp_path / "explicit.toml", "[broker]\nkind = 'sim'\n[ui]\nrefresh_hz = 30\n")
    s = load(
        user_dir,
        config=config,
        environ={
            "TRADETERM_SIM__BALANCE": "123.5",
            "tradeterm_ui__refresh_hz": "120",  # names are case-insensitive
            "TRADETERM_BROKER__KIND": "MT5",
            "TRADETERM_SYMBOLS": '["audusd", "EURUSD"]',
            "TRADETERM_TELEGRAM__CHAT_IDS": "[1, -1002]",
        },
    )
    assert s.sim.balance == 123.5
    assert s.sim.leverage == 50  # nested env var keeps sibling keys from the files
    assert s.ui.refresh_hz == 120
    assert s.broker.kind == "mt5"
    assert s.symbols == ["AUDUSD", "EURUSD"]
    assert s.telegram.chat_ids == [1, -1002]


def test_process_environment_and_home_used_by_default(
    monkeypatch: pytest.MonkeyPatch, _isolated_env: Path
) -> None:
    write(_isolated_env / "config" / "settings.toml", "[ui]\ntheme = 'light'\n")
    monkeypatch.setenv("TRADETERM_SIM__SEED", "42")
    s = load_settings()
    assert s.ui.theme == "light"
    assert s.sim.seed == 42
    assert user_settings_path() == _isolated_env / "config" / "settings.toml"


def test_settings_constructed_directly_ignore_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRADETERM_SIM__SEED", "42")
    assert Settings().sim.seed == 7


def test_explicit_environ_does_not_touch_os_environ(user_dir: Path) -> None:
    load(user_dir, environ={"TRADETERM_SIM__SEED": "3"})
    assert "TRADETERM_SIM__SEED" not in os.environ


# --------------------------------------------------------------------------- errors


def test_bad_value_names_key_and_file(user_dir: Path) -> None:
    user_file = write(user_dir / "settings.toml", "[sim]\nbalance = -5\n")
    error, message = error_of(user_dir)
    assert message == (
        f"settings error in {user_file}: sim.balance: must be greater than 0 (got -5)"
    )
    assert error.problems == (
        ConfigProblem(str(user_file), "sim.balance", "must be greater than 0 (got -5)"),
    )


def test_bad_value_blamed_on_the_layer_that_set_it(user_dir: Path, tmp_path: Path) -> None:
    write(user_dir / "settings.toml", "[sim]\nbalance = 100\n[ui]\nrefresh_hz = 30\n")
    config = write(tmp_path / "cli.toml", "[ui]\nrefresh_hz = 0\n")
    _, message = error_of(user_dir, config=config)
    assert message.startswith(f"settings error in {config}: ui.refresh_hz: ")
    assert "greater than or equal to 1" in message


def test_env_error_names_environment(user_dir: Path) -> None:
    _, message = error_of(user_dir, environ={"TRADETERM_SIM__BALANCE": "-5"})
    expected = "settings error in environment: sim.balance: must be greater than 0 (got '-5')"
    assert message == expected


def test_env_unparseable_json_names_variable(user_dir: Path) -> None:
    _, message = error_of(user_dir, environ={"TRADETERM_TELEGRAM__CHAT_IDS": "1,2"})
    assert message.startswith(
        "settings error in environment: telegram.chat_ids: "
        "cannot parse TRADETERM_TELEGRAM__CHAT_IDS: "
    )


def test_unknown_key_is_named(user_dir: Path) -> None:
    user_file = write(user_dir / "settings.toml", "[sim]\nbalnce = 10\n")
    _, message = error_of(user_dir)
    assert message == f"settings error in {user_file}: sim.balnce: unknown setting"


def test_unknown_section_and_env_key_are_named(user_dir: Path) -> None:
    user_file = write(user_dir / "settings.toml", "[simm]\nbalance = 10\n")
    _, message = error_of(user_dir)
    assert message == f"settings error in {user_file}: simm: unknown setting"
    write(user_dir / "settings.toml", "")
    _, message = error_of(user_dir, environ={"TRADETERM_SIM__BALNCE": "1"})
    assert message == "settings error in environment: sim.balnce: unknown setting"


def test_section_given_as_value(user_dir: Path) -> None:
    user_file = write(user_dir / "settings.toml", "sim = 5\n")
    _, message = error_of(user_dir)
    assert message.startswith(f"settings error in {user_file}: sim: must be a table")


def test_toml_syntax_error_names_file(user_dir: Path, tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.toml", "[sim\nbalance = \n")
    _, message = error_of(user_dir, config=broken)
    assert message.startswith(f"settings error in {broken}: invalid TOML: ")


def test_non_utf8_file(user_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"[sim]\ncurrency = '\xe9'\n")
    _, message = error_of(user_dir, config=bad)
    assert message.startswith(f"settings error in {bad}: invalid TOML: ")


def test_missing_config_file(user_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    _, message = error_of(user_dir, config=missing)
    assert message == f"settings error: config file not found: {missing}"


def test_config_path_is_a_directory(user_dir: Path, tmp_path: Path) -> None:
    _, message = error_of(user_dir, config=tmp_path)
    assert message == f"settings error in {tmp_path}: is a directory, not a settings file"


def test_several_problems_are_counted(user_dir: Path) -> None:
    user_file = write(
        user_dir / "settings.toml",
        "[sim]\nbalance = -1\nleverage = 0\n[ui]\nrefresh_hz = 1000\n",
    )
    error, message = error_of(user_dir)
    assert message.startswith(f"settings error in {user_file}: sim.balance: ")
    assert message.endswith("(and 2 more)")
    assert [p.key for p in error.problems] == ["sim.balance", "sim.leverage", "ui.refresh_hz"]


def test_non_finite_float_rejected(user_dir: Path) -> None:
    write(user_dir / "settings.toml", "[sim]\nbalance = inf\n")
    _, message = error_of(user_dir)
    assert "sim.balance: must be a finite number" in message


def test_config_error_pickles() -> None:
    error = ConfigError.single("boom", source="x.toml", key="sim.seed")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


# --------------------------------------------------------------------------- symbols


def test_symbols_are_normalised(user_dir: Path) -> None:
    write(user_dir / "settings.toml", 'symbols = [" eurusd ", "btcusd#", "us500.cash"]\n')
    assert load(user_dir).symbols == ["EURUSD", "BTCUSD#", "US500.CASH"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("[]", "must list at least one symbol"),
        ('["EURUSD", "eurusd"]', "duplicate symbol 'EURUSD'"),
        ('["EUR USD"]', "'EUR USD' is not a valid symbol name"),
        ('["E"]', "'E' is not a valid symbol name"),
        ('["EURUSD", "A" ]', "'A' is not a valid symbol name"),
        ('["EUR/USD"]', "'EUR/USD' is not a valid symbol name"),
        ('["' + "X" * 33 + '"]', "is not a valid symbol name"),
        ("[1, 2]", "must be a valid string"),
    ],
)
def test_bad_symbol_lists(user_dir: Path, value: str, fragment: str) -> None:
    user_file = write(user_dir / "settings.toml", f"symbols = {value}\n")
    _, message = error_of(user_dir)
    assert message.startswith(f"settings error in {user_file}: symbols")
    assert fragment in message


def test_default_symbol_must_be_a_configured_symbol(user_dir: Path) -> None:
    user_file = write(user_dir / "settings.toml", "[ui]\ndefault_symbol = 'AUDUSD'\n")
    _, message = error_of(user_dir)
    assert message.startswith(f"settings error in {user_file}: ui.default_symbol: ")
    assert "'AUDUSD'" in message


def test_default_symbol_case_insensitive(user_dir: Path) -> None:
    write(user_dir / "settings.toml", "[ui]\ndefault_symbol = 'xauusd'\n")
    assert load(user_dir).ui.default_symbol == "XAUUSD"


def test_currency_validation(user_dir: Path) -> None:
    write(user_dir / "settings.toml", "[sim]\ncurrency = 'eur'\n")
    assert load(user_dir).sim.currency == "EUR"
    write(user_dir / "settings.toml", "[sim]\ncurrency = 'EURO'\n")
    _, message = error_of(user_dir)
    assert "sim.currency: must be three letters" in message


# --------------------------------------------------------------------------- paths


def test_storage_path_honours_tradeterm_home(user_dir: Path, _isolated_env: Path) -> None:
    s = load(user_dir)
    assert s.storage.resolved_path() == _isolated_env / "data" / "journal.sqlite"


def test_storage_path_relative_and_absolute(user_dir: Path, tmp_path: Path) -> None:
    write(user_dir / "settings.toml", "[storage]\npath = 'sub/j.sqlite'\n")
    s = load(user_dir)
    assert s.storage.resolved_path() == paths.user_data_dir() / "sub" / "j.sqlite"
    absolute = tmp_path / "abs.sqlite"
    s = load(user_dir, environ={"TRADETERM_STORAGE__PATH": str(absolute)})
    assert s.storage.resolved_path() == absolute


def test_user_dirs_under_tradeterm_home(_isolated_env: Path) -> None:
    assert paths.user_config_dir() == _isolated_env / "config"
    assert paths.user_data_dir() == _isolated_env / "data"
    assert paths.user_log_dir() == _isolated_env / "logs"
    assert paths.user_config_dir({"TRADETERM_HOME": "/x"}) == Path("/x/config")


def test_user_dirs_without_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADETERM_HOME")
    for directory in (paths.user_config_dir(), paths.user_data_dir(), paths.user_log_dir()):
        assert "Tradeterm" in directory.parts


def test_resource_root_from_source_and_frozen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = paths.resource_root()
    assert (root / "app" / "paths.py").is_file()
    assert paths.default_config_path() == root / "config" / "default.toml"
    assert paths.resource_path("icons", "a.png") == root / "resources" / "icons" / "a.png"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resource_root() == tmp_path
    assert paths.default_config_path() == tmp_path / "config" / "default.toml"


# --------------------------------------------------------------------------- properties

_KEYS = [
    "seed",
    "balance",
    "currency",
    "leverage",
    "kind",
    "refresh_hz",
    "default_symbol",
    "symbols",
    "chat_ids",
    "path",
    "balnce",
]
_SECTIONS = ["[sim]", "[ui]", "[broker]", "[mt5]", "[telegram]", "[storage]", "[engine]", "[x]"]
_VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
    st.sampled_from(["true", "false", "[]", '["EURUSD"]', "[1, 2]", "{}", "{a = 1}", "1979-05-27"]),
)
_LINES = st.one_of(
    st.sampled_from(_SECTIONS),
    st.tuples(st.sampled_from(_KEYS), _VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.text(max_size=20),
)
_TOMLISH = st.lists(_LINES, max_size=8).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(text=st.one_of(st.text(), _TOMLISH))
def test_any_file_yields_settings_or_one_line_config_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        config = base / "arbitrary.toml"
        config.write_text(text, encoding="utf-8")
        try:
            result = load_settings(config, environ={}, user_config_dir=base / "none")
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith("settings error")
            assert len(message.splitlines()) == 1
            assert "\n" not in message and "\r" not in message
        else:
            assert isinstance(result, Settings)
