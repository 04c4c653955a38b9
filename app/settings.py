"""Typed application settings, loaded from layered TOML files and the environment.

Precedence, lowest to highest:

1. ``config/default.toml`` -- shipped with the app, documents every key;
2. ``settings.toml`` in the per-user config directory (optional);
3. the file given with ``--config PATH`` (optional, but must exist if given);
4. environment variables ``TRADETERM_<SECTION>__<KEY>`` (``__`` nests).

TOML files are deep-merged, so a user file that sets only ``[sim] balance``
keeps every other ``[sim]`` key from the layers below.  Unknown keys are
errors, because a silently ignored typo (``balnce``) in a trading app means the
user believes a limit is in force when it is not.

Bad input never escapes as a traceback: :func:`load_settings` raises
:class:`ConfigError`, whose ``str()`` is a single line naming the source (file
or environment), the dotted key and the problem, e.g.
``settings error in /home/me/.config/Tradeterm/settings.toml: sim.balance:
must be greater than 0 (got -5)``.  To name the right file we record, while
merging, which layer last set every dotted key ("provenance").
"""

from __future__ import annotations

import copy
import os
import re
import reprlib
import tomllib
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from app import paths

__all__ = [
    "ENV_PREFIX",
    "USER_SETTINGS_FILENAME",
    "BrokerSettings",
    "ConfigError",
    "ConfigProblem",
    "EngineSettings",
    "Mt5Settings",
    "Settings",
    "SimSettings",
    "StorageSettings",
    "TelegramSettings",
    "UiSettings",
    "load_settings",
    "user_settings_path",
]

ENV_PREFIX = "TRADETERM_"
"""Prefix of environment variables that override settings (``__`` separates nesting)."""

USER_SETTINGS_FILENAME = "settings.toml"
"""Name of the optional per-user override file inside the user config directory."""

ENV_SOURCE_LABEL = "environment"
"""Provenance label used for values that came from environment variables."""

_SYMBOL_RE = re.compile(r"[A-Z0-9._#-]{2,32}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_CROSS_FIELD_ERROR = "tradeterm_cross_field"


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration.

    ``source`` is a file path, ``"environment"``, or None when unknown;
    ``key`` is the dotted setting name (``sim.balance``) or None when the
    problem concerns a whole file (e.g. a TOML syntax error).
    """

    source: str | None
    key: str | None
    message: str

    def __str__(self) -> str:
        head = f"settings error in {self.source}" if self.source else "settings error"
        body = f"{self.key}: {self.message}" if self.key else self.message
        return _one_line(f"{head}: {body}")


class ConfigError(Exception):
    """The configuration is unusable; ``str()`` is one line fit for a dialog or stderr.

    All problems found are kept in :attr:`problems` (a settings dialog may list
    them); the message names the first and counts the rest, because a single
    line is what survives log files, message boxes and terminal output intact.
    """

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems: tuple[ConfigProblem, ...] = tuple(problems)
        super().__init__(self.problems)

    @classmethod
    def single(
        cls, message: str, *, source: str | None = None, key: str | None = None
    ) -> ConfigError:
        """Build an error describing exactly one problem."""
        return cls([ConfigProblem(source=source, key=key, message=message)])

    def __str__(self) -> str:
        text = str(self.problems[0])
        if len(self.problems) > 1:
            text += f" (and {len(self.problems) - 1} more)"
        return text


def _one_line(text: str) -> str:
    """Collapse every kind of line break so messages stay on one line."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip()) or text.strip()


# --------------------------------------------------------------------------- model


def _lowercase(value: Any) -> Any:
    """Let ``SIM`` / ``Dark`` from env vars or hand-edited TOML match the literals."""
    return value.strip().lower() if isinstance(value, str) else value


class _Section(BaseModel):
    """Base for settings sections: typos are errors and floats must be finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class BrokerSettings(_Section):
    """Which broker backend the engine talks to."""

    kind: Annotated[Literal["sim", "mt5"], BeforeValidator(_lowercase)] = Field(
        default="sim", description="'sim' = built-in paper broker, 'mt5' = MetaTrader 5 terminal."
    )


class SimSettings(_Section):
    """Parameters of the built-in paper broker and its synthetic price feed."""

    seed: int = Field(
        default=7, description="Random seed of the synthetic price feed (reproducible runs)."
    )
    balance: float = Field(default=10000.0, gt=0, description="Starting account balance.")
    currency: str = Field(default="USD", description="Account currency, three letters (ISO 4217).")
    leverage: int = Field(default=100, ge=1, le=1000, description="Account leverage, 1..1000.")
    ticks_per_second: float = Field(
        default=4.0, gt=0, le=10000, description="Synthetic ticks per second per symbol."
    )
    history_bars: int = Field(
        default=3000,
        ge=0,
        le=2_000_000,
        description="Bars of synthetic history generated at start.",
    )

    @field_validator("currency")
    @classmethod
    def _check_currency(cls, value: str) -> str:
        """Accept ``usd`` but store ``USD``; anything else than 3 letters is a typo."""
        code = value.strip().upper()
        if not _CURRENCY_RE.fullmatch(code):
            raise ValueError("must be three letters such as USD or EUR")
        return code


class Mt5Settings(_Section):
    """How to reach a MetaTrader 5 terminal.

    There is deliberately no password field: secrets never live in TOML files;
    the password comes from the OS keyring or an environment variable.
    """

    terminal_path: str = Field(
        default="", description="Path to terminal64.exe; empty lets MetaTrader5 find the terminal."
    )
    login: int = Field(
        default=0, ge=0, description="Account number; 0 uses the terminal's current login."
    )
    server: str = Field(
        default="", description="Trade server name; empty uses the terminal's current one."
    )
    timeout_ms: int = Field(
        default=60000, ge=1, le=600_000, description="Connection timeout in milliseconds."
    )
    portable: bool = Field(default=False, description="Start the terminal in portable mode.")
    deviation_points: int = Field(
        default=10,
        ge=0,
        le=100_000,
        description="Maximum accepted price deviation (slippage) in points.",
    )
    magic: int = Field(
        default=20261122,
        ge=0,
        le=2**63 - 1,
        description="Magic number stamped on this app's orders.",
    )


class UiSettings(_Section):
    """User-interface preferences."""

    refresh_hz: int = Field(
        default=60, ge=1, le=240, description="Maximum repaints per second, 1..240."
    )
    default_symbol: str = Field(
        default="",
        description="Symbol selected at start; empty means the first entry of `symbols`. "
        "After validation this always holds a configured symbol.",
    )
    default_volume: float = Field(
        default=0.10, gt=0, description="Pre-filled order volume in lots."
    )
    one_click_trading: bool = Field(
        default=False, description="Send orders without a confirmation."
    )
    theme: Annotated[Literal["system", "dark", "light"], BeforeValidator(_lowercase)] = Field(
        default="system", description="Colour theme: 'system', 'dark' or 'light'."
    )

    @field_validator("default_symbol")
    @classmethod
    def _normalise_default_symbol(cls, value: str) -> str:
        """Compare symbols the same way the `symbols` list is normalised."""
        return value.strip().upper()


class EngineSettings(_Section):
    """Trading engine timing."""

    poll_interval_ms: int = Field(
        default=20, ge=1, le=1000, description="How often the engine polls the broker, 1..1000 ms."
    )


class StorageSettings(_Section):
    """Where the trade journal (SQLite) is kept."""

    path: str = Field(
        default="",
        description="Journal file; empty = <user data dir>/journal.sqlite, "
        "relative paths are relative to the user data dir, '~' is expanded.",
    )

    def resolved_path(self) -> Path:
        """Return the journal path to open.

        Resolved at call time (not at load time) so that ``TRADETERM_HOME`` set
        by tests or smoke runs is honoured and the real journal is never touched.
        """
        if not self.path:
            return paths.user_data_dir() / "journal.sqlite"
        candidate = Path(self.path).expanduser()
        return candidate if candidate.is_absolute() else paths.user_data_dir() / candidate


class TelegramSettings(_Section):
    """Telegram notifications. The bot token is a secret and is not configured here."""

    enabled: bool = Field(default=False, description="Send notifications to Telegram.")
    chat_ids: list[int] = Field(
        default_factory=list, description="Chat ids that receive notifications."
    )


class Settings(BaseSettings):
    """All application settings.

    Use :func:`load_settings` to get the layered configuration.  Constructing
    ``Settings()`` directly yields the built-in defaults plus any keyword
    overrides and deliberately ignores files and the process environment, so
    tests elsewhere get deterministic settings whatever the developer's shell
    exports.  Treat instances as read-only.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
        allow_inf_nan=False,
        validate_default=True,
    )

    broker: BrokerSettings = Field(default_factory=BrokerSettings, description="[broker]")
    sim: SimSettings = Field(default_factory=SimSettings, description="[sim] paper broker")
    mt5: Mt5Settings = Field(default_factory=Mt5Settings, description="[mt5] MetaTrader 5")
    symbols: list[str] = Field(
        default_factory=lambda: ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"],
        description="Watch-list symbols; uppercased, unique, 2-32 chars of A-Z 0-9 . _ # -.",
    )
    ui: UiSettings = Field(default_factory=UiSettings, description="[ui]")
    engine: EngineSettings = Field(default_factory=EngineSettings, description="[engine]")
    storage: StorageSettings = Field(default_factory=StorageSettings, description="[storage]")
    telegram: TelegramSettings = Field(default_factory=TelegramSettings, description="[telegram]")

    @field_validator("symbols")
    @classmethod
    def _normalise_symbols(cls, value: list[str]) -> list[str]:
        """Uppercase and strip, then reject empty lists, bad names and duplicates.

        Brokers name symbols case-insensitively but the UI and journal key on the
        exact string, so one canonical spelling avoids "EURUSD" != "eurusd" bugs.
        """
        cleaned = [item.strip().upper() for item in value]
        if not cleaned:
            raise ValueError("must list at least one symbol")
        seen: set[str] = set()
        for symbol in cleaned:
            if not _SYMBOL_RE.fullmatch(symbol):
                raise ValueError(
                    f"{symbol!r} is not a valid symbol name (2-32 characters from A-Z 0-9 . _ # -)"
                )
            if symbol in seen:
                raise ValueError(f"duplicate symbol {symbol!r}")
            seen.add(symbol)
        return cleaned

    @model_validator(mode="after")
    def _resolve_default_symbol(self) -> Settings:
        """Fill an empty ``ui.default_symbol`` and insist a set one is on the watch-list."""
        if not self.ui.default_symbol:
            self.ui = self.ui.model_copy(update={"default_symbol": self.symbols[0]})
        elif self.ui.default_symbol not in self.symbols:
            raise PydanticCustomError(
                _CROSS_FIELD_ERROR,
                "{problem}",
                {
                    "key": "ui.default_symbol",
                    "problem": f"must be one of the configured symbols "
                    f"{', '.join(self.symbols)} (got {self.ui.default_symbol!r})",
                },
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order the sources: keyword args > environment > merged TOML files.

        The file data and the environment of the current :func:`load_settings`
        call travel in a ContextVar because pydantic-settings calls this hook
        as a classmethod with no way to pass per-call arguments.  A ContextVar is
        private to each thread and asyncio task, so concurrent loads (e.g. tests
        run in parallel threads) cannot see each other's data.
        """
        context = _LOAD_CONTEXT.get()
        if context is None:
            return (init_settings,)
        return (
            init_settings,
            _MappingEnvSource(settings_cls, context.environ, context.provenance),
            _MergedTomlSource(settings_cls, context.toml_data),
        )


# --------------------------------------------------------------------------- sources


@dataclass
class _LoadContext:
    """Per-call inputs for the settings sources (see ``settings_customise_sources``)."""

    toml_data: dict[str, Any]
    environ: Mapping[str, str]
    provenance: dict[str, str] = field(default_factory=dict)


_LOAD_CONTEXT: ContextVar[_LoadContext | None] = ContextVar("tradeterm_settings_load", default=None)


class _MergedTomlSource(PydanticBaseSettingsSource):
    """Hands pydantic-settings the already deep-merged TOML layers.

    Files are read and merged by :func:`load_settings` before validation so
    that file-level problems (missing file, syntax errors) are reported with
    the file name, and so that per-key provenance is known.
    """

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)


class _MappingEnvSource(EnvSettingsSource):
    """The standard env source, but reading an explicit mapping instead of ``os.environ``.

    ``EnvSettingsSource`` snapshots ``os.environ`` into its public ``env_vars``
    attribute when constructed; replacing that snapshot with the given mapping
    (keys lower-cased, as the source expects when ``case_sensitive=False``)
    lets tests pass an environment without mutating process-global state.
    It also records which dotted keys the environment supplied, so validation
    errors can say "in environment".
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        environ: Mapping[str, str],
        provenance: dict[str, str],
    ) -> None:
        super().__init__(settings_cls)
        self.env_vars = {
            (key if self.case_sensitive else key.lower()): value for key, value in environ.items()
        }
        self._provenance = provenance

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        _record_provenance(data, ENV_SOURCE_LABEL, self._provenance, prefix="")
        return data


# --------------------------------------------------------------------------- merging


def _forget(provenance: dict[str, str], dotted: str) -> None:
    """Drop provenance for ``dotted`` and everything below it (it was replaced)."""
    for key in [k for k in provenance if k == dotted or k.startswith(dotted + ".")]:
        del provenance[key]


def _record_provenance(
    data: Mapping[str, Any], label: str, provenance: dict[str, str], prefix: str
) -> None:
    """Mark every key (tables and leaves) in ``data`` as coming from ``label``."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        provenance[dotted] = label
        if isinstance(value, Mapping):
            _record_provenance(value, label, provenance, prefix=dotted + ".")


def _deep_merge(
    base: dict[str, Any],
    override: Mapping[str, Any],
    label: str,
    provenance: dict[str, str],
    prefix: str = "",
) -> None:
    """Merge ``override`` into ``base`` in place: tables merge, anything else replaces."""
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        current = base.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            provenance[dotted] = label
            _deep_merge(current, value, label, provenance, prefix=dotted + ".")
        else:
            _forget(provenance, dotted)
            base[key] = copy.deepcopy(value)
            provenance[dotted] = label
            if isinstance(value, Mapping):
                _record_provenance(value, label, provenance, prefix=dotted + ".")


def _read_toml(path: Path, *, missing_message: str | None) -> dict[str, Any] | None:
    """Parse one TOML file.

    ``missing_message`` is the problem to report if the file does not exist;
    None means the file is optional and a missing file yields None.
    """
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if missing_message is None:
            return None
        raise ConfigError.single(f"{missing_message}: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError.single(f"invalid TOML: {exc}", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError.single(
            f"invalid TOML: not UTF-8 text ({exc.reason} at byte {exc.start})", source=str(path)
        ) from None
    except RecursionError:
        raise ConfigError.single("invalid TOML: nested too deeply", source=str(path)) from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigError.single(f"cannot read file: {reason}", source=str(path)) from None


# --------------------------------------------------------------------------- error translation

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = 6
_SHORT.maxdict = 4
_SHORT.maxlevel = 2

_JSON_HINT = "lists and tables must be given as JSON"
_NO_GOT_TYPES = frozenset({"extra_forbidden", "missing", _CROSS_FIELD_ERROR})
_SHOULD_RE = re.compile(r"^(?:Input|String|Value|List|Dictionary|Tuple|Object) should ")


def _format_loc(loc: Sequence[int | str]) -> str:
    """``('symbols', 1)`` -> ``symbols[1]``; ``('sim', 'balance')`` -> ``sim.balance``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _source_of(loc: Sequence[int | str], provenance: Mapping[str, str]) -> str | None:
    """Find who set the deepest recorded ancestor of ``loc`` (lists are leaves)."""
    parts = [str(part) for part in loc]
    for length in range(len(parts), 0, -1):
        label = provenance.get(".".join(parts[:length]))
        if label is not None:
            return label
    return None


def _describe(error: ErrorDetails) -> str:
    """Turn pydantic's wording into short "must ..." phrases users can act on."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown setting"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        message = "must be a table (a [section] in TOML), not a single value"
    else:
        message = error["msg"]
        if kind == "value_error":
            message = message.removeprefix("Value error, ")
        message = _SHOULD_RE.sub("must ", message)
    if kind not in _NO_GOT_TYPES and "input" in error:
        message += f" (got {_SHORT.repr(error['input'])})"
    return message


def _problems_from_validation(
    exc: ValidationError, provenance: Mapping[str, str]
) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        ctx = error.get("ctx") or {}
        if error["type"] == _CROSS_FIELD_ERROR and isinstance(ctx.get("key"), str):
            loc = tuple(ctx["key"].split("."))
        key = _format_loc(loc) or None
        problems.append(
            ConfigProblem(source=_source_of(loc, provenance), key=key, message=_describe(error))
        )
    return problems


def _problem_from_settings_error(exc: SettingsError, environ: Mapping[str, str]) -> ConfigProblem:
    """Explain a SettingsError, which pydantic-settings raises when an env var
    holding a list or table is not valid JSON.

    Its message names only the top-level field, so we look up which
    ``TRADETERM_<FIELD>`` / ``TRADETERM_<FIELD>__*`` variables are set and, when
    there is exactly one, name that variable and its dotted key.
    """
    match = re.search(r'field "([^"]+)"', str(exc))
    if match is None:
        return ConfigProblem(
            source=ENV_SOURCE_LABEL,
            key=None,
            message=f"cannot parse a {ENV_PREFIX}* variable: {_JSON_HINT}",
        )
    field_name = match.group(1)
    stem = f"{ENV_PREFIX}{field_name}".upper()
    candidates = sorted(
        name for name in environ if name.upper() == stem or name.upper().startswith(stem + "__")
    )
    key = field_name
    if len(candidates) == 1:
        variable = candidates[0]
        key = variable.upper().removeprefix(ENV_PREFIX).lower().replace("__", ".")
    else:
        variable = " or ".join(candidates) or stem
    return ConfigProblem(
        source=ENV_SOURCE_LABEL,
        key=key,
        message=f"cannot parse {variable}: {_JSON_HINT}",
    )


# --------------------------------------------------------------------------- public API


def user_settings_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return where the optional per-user ``settings.toml`` is looked for."""
    return paths.user_config_dir(environ) / USER_SETTINGS_FILENAME


def load_settings(
    config_path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    user_config_dir: Path | None = None,
) -> Settings:
    """Load settings from default.toml, the user file, ``--config`` and the environment.

    Args:
        config_path: the ``--config`` file; it must exist when given.
        environ: the environment to read ``TRADETERM_*`` variables from (and
            ``TRADETERM_HOME``, which moves the user config dir). Defaults to
            ``os.environ``. Passing a mapping lets tests avoid touching
            process-global state: it is handed to the env source directly
            rather than by patching ``os.environ``.
        user_config_dir: directory holding the optional ``settings.toml``;
            defaults to :func:`app.paths.user_config_dir` for ``environ``.

    Raises:
        ConfigError: for any problem with the files or values (one-line message).
    """
    env: Mapping[str, str] = dict(os.environ) if environ is None else dict(environ)
    config_dir = user_config_dir if user_config_dir is not None else paths.user_config_dir(env)

    layers: list[tuple[Path, str | None]] = [
        (paths.default_config_path(), "default config file not found"),
        (config_dir / USER_SETTINGS_FILENAME, None),
    ]
    if config_path is not None:
        layers.append((Path(config_path).expanduser(), "config file not found"))

    merged: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for path, missing_message in layers:
        data = _read_toml(path, missing_message=missing_message)
        if data is not None:
            _deep_merge(merged, data, str(path), provenance)

    token = _LOAD_CONTEXT.set(_LoadContext(toml_data=merged, environ=env, provenance=provenance))
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_problems_from_validation(exc, provenance)) from exc
    except SettingsError as exc:
        raise ConfigError([_problem_from_settings_error(exc, env)]) from exc
    finally:
        _LOAD_CONTEXT.reset(token)
