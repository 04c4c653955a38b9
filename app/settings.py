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
import difflib
import os
import re
import reprlib
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
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
from app.domain.risk_limits import (
    WEEKDAYS,
    RiskLimits,
    SymbolLimits,
    TradingHours,
    parse_window,
)

__all__ = [
    "ENV_PREFIX",
    "MAX_SETTINGS_FILE_BYTES",
    "NON_SETTING_ENV_VARS",
    "USER_SETTINGS_FILENAME",
    "BrokerSettings",
    "ConfigError",
    "ConfigProblem",
    "EngineSettings",
    "Mt5Settings",
    "RiskSettings",
    "Settings",
    "SimSettings",
    "StorageSettings",
    "TelegramAlerts",
    "TelegramSettings",
    "UiSettings",
    "load_settings",
    "settings_from_dict",
    "user_settings_path",
]

ENV_PREFIX = "TRADETERM_"
"""Prefix of environment variables that override settings (``__`` separates nesting)."""

USER_SETTINGS_FILENAME = "settings.toml"
"""Name of the optional per-user override file inside the user config directory."""

ENV_SOURCE_LABEL = "environment"
"""Provenance label used for values that came from environment variables."""

NON_SETTING_ENV_VARS = frozenset(
    {
        "TRADETERM_HOME",  # app/paths.py: moves every per-user folder (tests, portable use)
        "TRADETERM_MT5_MODULE",  # app/brokers/mt5/kind.py: the MetaTrader5 module to import
        "TRADETERM_MT5_PASSWORD",  # app/brokers/mt5/password.py: the MT5 password (a secret)
        "TRADETERM_TELEGRAM_TOKEN",  # app/notify/secret.py: the bot token (a secret)
        "TRADETERM_TEST_PG_URL",  # the test suite: a PostgreSQL server to test the journal on
        "TRADETERM_CRASH_AT",  # the crash tests: where the child process kills itself
        "TRADETERM_CRASH_AFTER_S",  # the crash tests: kill the child after so many seconds
        "TRADETERM_ONEFILE",  # pyinstaller.spec: build one file instead of a folder
        "TRADETERM_BUNDLE",  # tests/packaging: the built bundle whose contents are checked
        "TRADETERM_CI_CACHE",  # .ci/windows.sh: where downloads and the Windows venv are kept
    }
)
"""``TRADETERM_*`` variables that are read elsewhere and are not settings.

Every other ``TRADETERM_*`` variable must name a setting: one that does not
(``TRADETERM_RISKS__MAX_ORDER_VOLUME``, ``TRADETERM_RISK_MAX_ORDER_VOLUME``)
would otherwise be ignored while the trader believes the limit is in force."""

MAX_SETTINGS_FILE_BYTES = 1024 * 1024
"""A settings file is a few kilobytes; anything over 1 MiB is not one (and is not read)."""

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


def _kind_problem(annotation: Any, value: Any) -> str | None:
    """Why ``value`` is the wrong kind for ``annotation``: a boolean for a number or back.

    pydantic's lax mode reads ``true`` as 1 and ``1`` as true; in a settings file
    that is always a mistake (``refresh_hz = true``), so it is refused in words.
    Strings stay lax: the environment spells every value as text.
    """
    if typing.get_origin(annotation) is list and isinstance(value, list):
        (item,) = typing.get_args(annotation) or (Any,)
        for index, element in enumerate(value):
            problem = _kind_problem(item, element)
            if problem is not None:
                return f"item {index + 1} {problem}"
        return None
    options = set(typing.get_args(annotation)) if _is_union(annotation) else {annotation}
    wants_number = bool(options & {int, float})
    if isinstance(value, bool):
        return (
            "must be a number, not true or false" if wants_number and bool not in options else None
        )
    if isinstance(value, int | float) and bool in options and not wants_number:
        return f"must be true or false, not the number {value!r}"
    return None


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


class _Section(BaseModel):
    """Base for settings sections: typos are errors, floats must be finite, and a
    boolean is never taken for a number (nor a number for a boolean)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_the_wrong_kind(cls, value: Any, info: ValidationInfo) -> Any:
        field_info = cls.model_fields.get(info.field_name or "")
        if field_info is not None:
            problem = _kind_problem(field_info.annotation, value)
            if problem is not None:
                raise ValueError(problem)
        return value


class BrokerSettings(_Section):
    """Which broker backend the engine talks to.

    The kinds are not listed here: each broker package registers itself in
    ``app/brokers/registry.py``, which fills ``KINDS``, so a new broker never
    means an edit of the settings model. Before the registry is imported (some
    tests) any kind passes here; the broker factory still refuses an unknown one.
    """

    #: kind -> one line a trader reads about it (filled by the broker registry)
    KINDS: ClassVar[dict[str, str]] = {}

    kind: Annotated[str, BeforeValidator(_lowercase)] = Field(
        default="sim",
        description="Which broker the engine trades with: the built-in paper broker, or a "
        "MetaTrader 5 terminal.",
        json_schema_extra={"choices": "KINDS"},
    )

    @field_validator("kind")
    @classmethod
    def _registered(cls, value: str) -> str:
        if cls.KINDS and value not in cls.KINDS:
            known = "; ".join(f'"{kind}" ({about})' for kind, about in cls.KINDS.items())
            raise ValueError(f"no broker {value!r}; choose {known}")
        return value


class SimSettings(_Section):
    """Parameters of the built-in paper broker and its synthetic price feed."""

    seed: int = Field(
        default=7,
        ge=0,
        description="Random seed of the synthetic price feed, an integer 0 or more "
        "(the same seed replays the same prices).",
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
        description=(
            "Minutes of synthetic M1 history generated at start (back to a UTC midnight); "
            "every longer timeframe gets at least 500 bars of its own."
        ),
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
        default=60,
        ge=1,
        le=240,
        description="How often per second the engine re-offers the window a frame, 1..240 "
        "(a backstop: frames already follow each broker poll, as fast as the window paints).",
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


class HistorySettings(_Section):
    """The history store: recording live ticks into it."""

    record_ticks: bool = Field(
        default=False,
        description="Record every live tick into the history store (for the tester's "
        "real-ticks model); the Tick recording command switches it on and off too.",
    )
    record_symbols: list[str] = Field(
        default_factory=list,
        description="The symbols to record; empty = every symbol the engine receives.",
    )

    @field_validator("record_symbols")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        cleaned = [item.strip().upper() for item in value]
        for symbol in cleaned:
            if not _SYMBOL_RE.fullmatch(symbol):
                raise ValueError(f"{symbol!r} is not a valid symbol name")
        return cleaned


class OptimiserSettings(_Section):
    """Where ``tradeterm optimise`` runs its passes."""

    cluster: str = Field(
        default="",
        description="A Dask scheduler's address (tcp://HOST:8786) to optimise on; empty = "
        "every core of this machine. --workers or --cluster on the command line win.",
    )


class StorageSettings(_Section):
    """Where the trade journal (SQLite) is kept."""

    path: str = Field(
        default="",
        description="Journal file; empty = <user data dir>/journal.sqlite, "
        "relative paths are relative to the user data dir, '~' is expanded.",
    )
    url: str = Field(
        default="",
        description="Any SQLAlchemy database URL (e.g. PostgreSQL for a desk); "
        "empty = the SQLite file at `path`.",
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        """A URL SQLAlchemy cannot parse is a typo: say so at start, not at the first order."""
        text = value.strip()
        if text and _URL_RE.fullmatch(text) is None:
            raise ValueError(
                "must be a SQLAlchemy database URL such as "
                "postgresql+psycopg://user@host/dbname, or empty for the SQLite file"
            )
        return text

    def resolved_path(self) -> Path:
        """Return the journal path to open.

        Resolved at call time (not at load time) so that ``TRADETERM_HOME`` set
        by tests or smoke runs is honoured and the real journal is never touched.
        """
        if not self.path:
            return paths.user_data_dir() / "journal.sqlite"
        candidate = Path(self.path).expanduser()
        return candidate if candidate.is_absolute() else paths.user_data_dir() / candidate


class TelegramAlerts(_Section):
    """Which alert categories go to Telegram; each one can be switched off on its own."""

    fills: bool = Field(default=True, description="Orders filled (opening or adding).")
    rejections: bool = Field(
        default=True,
        description="Orders rejected, with the reason, and orders whose outcome is unknown.",
    )
    stops: bool = Field(default=True, description="Positions closed by stop loss or take profit.")
    closes: bool = Field(default=True, description="Positions closed otherwise, with P&L.")
    risk: bool = Field(default=True, description="Risk warnings and limit breaches.")
    trading_state: bool = Field(
        default=True, description="Trading state changes: REDUCING, HALTED, resumed."
    )
    connection: bool = Field(default=True, description="Broker connection lost and restored.")
    errors: bool = Field(default=True, description="Engine errors.")
    strategies: bool = Field(
        default=True, description="Strategies started, stopped, failed or halted by their budget."
    )
    daily_summary: bool = Field(default=True, description="The daily summary message.")


_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+_.-]*://.*")
_CLOCK_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class TelegramSettings(_Section):
    """Telegram notifications. The bot token is a secret and is not configured here."""

    enabled: bool = Field(default=False, description="Send notifications to Telegram.")
    chat_ids: list[int] = Field(
        default_factory=list,
        description="Chat ids that receive notifications and may send commands.",
    )
    alerts: TelegramAlerts = Field(default_factory=TelegramAlerts, description="[telegram.alerts]")
    daily_summary_time: str = Field(
        default="22:00", description="Local time of the daily summary, HH:MM (24-hour)."
    )
    time_zone: str = Field(
        default="UTC", description="IANA time zone of the daily summary and the trading day."
    )
    per_chat_interval_s: float = Field(
        default=1.0, ge=0.05, le=60, description="Minimum seconds between messages to one chat."
    )
    max_messages_per_second: int = Field(
        default=30, ge=1, le=30, description="Messages per second across all chats, 1..30."
    )
    queue_limit: int = Field(
        default=500, ge=10, le=100_000, description="Alerts kept per chat while Telegram is down."
    )
    base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API address; the token and method are appended.",
    )

    @field_validator("daily_summary_time")
    @classmethod
    def _check_clock(cls, value: str) -> str:
        """Reject '25:00' or '7pm' at load time rather than silently never sending."""
        text = value.strip()
        if not _CLOCK_RE.fullmatch(text):
            raise ValueError("must be a 24-hour time HH:MM such as 22:00")
        return text

    @field_validator("time_zone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        text = value.strip()
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as UTC or Europe/London") from None
        return text

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        text = value.strip()
        if not text.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a local test server)")
        return text


_RESET_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _hours_field(day: str, default: list[str]) -> Any:
    return Field(
        default_factory=lambda: list(default),
        description=f"UTC windows 'HH:MM-HH:MM' when new orders are allowed on {day}.",
    )


class TradingHoursSettings(_Section):
    """Per-weekday UTC windows when the risk gate lets new orders through."""

    monday: list[str] = _hours_field("Monday", ["00:00-24:00"])
    tuesday: list[str] = _hours_field("Tuesday", ["00:00-24:00"])
    wednesday: list[str] = _hours_field("Wednesday", ["00:00-24:00"])
    thursday: list[str] = _hours_field("Thursday", ["00:00-24:00"])
    friday: list[str] = _hours_field("Friday", ["00:00-24:00"])
    saturday: list[str] = _hours_field("Saturday", ["00:00-24:00"])
    sunday: list[str] = _hours_field("Sunday", ["00:00-24:00"])

    @field_validator("*")
    @classmethod
    def _check_windows(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_window(text)  # its ValueError names the bad window
        return [text.strip() for text in value]


class SymbolRiskSettings(_Section):
    """Per-symbol overrides of the risk limits; a key left out keeps the [risk] value."""

    max_order_volume: float | None = Field(default=None, ge=0, description="Lots per order.")
    max_order_notional: float | None = Field(
        default=None, ge=0, description="Notional per order, account currency."
    )
    max_net_volume: float | None = Field(default=None, ge=0, description="Net lots.")
    max_spread_points: float | None = Field(
        default=None, ge=0, description="Absolute spread cap for market orders, in points."
    )


def _across(key: str, problem: str) -> PydanticCustomError:
    """A problem found by comparing sections, reported under the dotted ``key``."""
    return PydanticCustomError(_CROSS_FIELD_ERROR, "{problem}", {"key": key, "problem": problem})


def _default_symbol_risk() -> dict[str, SymbolRiskSettings]:
    return {"XAUUSD": SymbolRiskSettings(max_order_volume=1.0, max_net_volume=2.0)}


class RiskSettings(_Section):
    """Limits of the risk gate (see config/default.toml). 0 switches a rule off."""

    max_order_volume: float = Field(default=5.0, ge=0, description="Lots per order.")
    max_order_notional: float = Field(
        default=500_000.0, ge=0, description="Notional per order, account currency."
    )
    max_net_volume: float = Field(default=10.0, ge=0, description="Net lots per symbol.")
    max_total_exposure: float = Field(
        default=1_000_000.0, ge=0, description="Sum of net notionals, account currency."
    )
    max_open_positions: int = Field(default=20, ge=0, description="Open positions.")
    max_working_orders: int = Field(default=20, ge=0, description="Pending orders.")
    max_orders_per_second: int = Field(default=5, ge=0, description="Orders per second.")
    max_orders_per_minute: int = Field(default=60, ge=0, description="Orders per minute.")
    max_price_distance_pct: float = Field(
        default=5.0, ge=0, description="Pending price distance from market, percent."
    )
    max_spread_multiple: float = Field(
        default=5.0, ge=0, description="Market orders: spread vs typical spread."
    )
    spread_window: int = Field(
        default=100, ge=5, le=100_000, description="Ticks in the typical-spread median."
    )
    stale_quote_seconds: float = Field(
        default=15.0, ge=0, description="Market orders need a tick at most this old."
    )
    max_daily_loss: float = Field(
        default=500.0, ge=0, description="Loss from start-of-day equity that halts trading."
    )
    max_drawdown_pct: float = Field(
        default=10.0, ge=0, le=100, description="Drawdown from the equity peak that halts."
    )
    min_margin_level_pct: float = Field(
        default=200.0, ge=0, description="Margin level an order may not push below, percent."
    )
    allowed_symbols: list[str] = Field(
        default_factory=list, description="Symbols that may be traded; empty means all."
    )
    trading_hours: TradingHoursSettings = Field(
        default_factory=TradingHoursSettings, description="[risk.trading_hours]"
    )
    daily_reset_time: str = Field(default="00:00", description="Start of the trading day, HH:MM.")
    daily_reset_timezone: str = Field(
        default="UTC", description="IANA time zone of daily_reset_time."
    )
    warning_fraction: float = Field(
        default=0.8, gt=0, le=1, description="Usage that raises a warning, 0..1."
    )
    reduce_on_warning: bool = Field(
        default=False, description="A loss warning also moves trading to REDUCING."
    )
    symbols: dict[str, SymbolRiskSettings] = Field(
        default_factory=_default_symbol_risk, description="[risk.symbols.<SYMBOL>] overrides."
    )

    @field_validator("allowed_symbols")
    @classmethod
    def _upper_symbols(cls, value: list[str]) -> list[str]:
        return [item.strip().upper() for item in value]

    @field_validator("symbols")
    @classmethod
    def _upper_keys(cls, value: dict[str, SymbolRiskSettings]) -> dict[str, SymbolRiskSettings]:
        return {key.strip().upper(): item for key, item in value.items()}

    @field_validator("daily_reset_time")
    @classmethod
    def _check_reset(cls, value: str) -> str:
        text = value.strip()
        if len(text) == 4 and text[0].isdigit():  # "7:00", as the engine reads it: 07:00
            text = f"0{text}"
        if not _RESET_RE.fullmatch(text):
            raise ValueError("must be a 24-hour time HH:MM such as 00:00 or 17:00")
        return text

    @field_validator("daily_reset_timezone")
    @classmethod
    def _check_reset_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        text = value.strip()
        if text.upper() == "UTC":
            return "UTC"  # needs no time-zone database (Windows without tzdata)
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "must be an IANA time zone such as UTC or America/New_York "
                "(on Windows install the tzdata package)"
            ) from None
        return text

    @classmethod
    def from_limits(cls, limits: RiskLimits) -> RiskSettings:
        """The settings that give ``limits``: what the Risk limits dialog's change saves."""
        nested = ("allowed_symbols", "trading_hours", "symbols")
        plain = {f.name: getattr(limits, f.name) for f in fields(limits) if f.name not in nested}
        hours = {}
        for index, day in enumerate(WEEKDAYS):
            spans = limits.trading_hours.describe(index)
            hours[day] = [] if spans == "closed" else [s.strip() for s in spans.split(",")]
        return cls(
            **plain,
            allowed_symbols=list(limits.allowed_symbols),
            trading_hours=TradingHoursSettings(**hours),
            symbols={name: SymbolRiskSettings(**asdict(s)) for name, s in limits.symbols.items()},
        )

    def to_limits(self) -> RiskLimits:
        """The engine's plain value type for these settings."""
        data = self.model_dump(exclude={"trading_hours", "symbols", "allowed_symbols"})
        return RiskLimits(
            **data,
            allowed_symbols=tuple(self.allowed_symbols),
            trading_hours=TradingHours.parse(self.trading_hours.model_dump()),
            symbols={
                name: SymbolLimits(**item.model_dump()) for name, item in self.symbols.items()
            },
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
    history: HistorySettings = Field(default_factory=HistorySettings, description="[history]")
    optimiser: OptimiserSettings = Field(
        default_factory=OptimiserSettings, description="[optimiser] where optimisations run"
    )
    telegram: TelegramSettings = Field(default_factory=TelegramSettings, description="[telegram]")
    risk: RiskSettings = Field(default_factory=RiskSettings, description="[risk] limits")

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
    def _check_across_sections(self) -> Settings:
        """Settings that name symbols must name configured ones; the default volume must
        be one the risk gate lets through.

        Fills an empty ``ui.default_symbol`` with the first symbol. A risk override
        or an allowed symbol that is not on the watch-list is a typo (``GBPUSDD``):
        the override would silently never apply, the allowed list would block the
        symbol meant. The shipped gold override is the one exception: it applies
        only when XAUUSD is watched and does not force gold onto the list.
        """
        if not self.ui.default_symbol:
            self.ui = self.ui.model_copy(update={"default_symbol": self.symbols[0]})
        elif self.ui.default_symbol not in self.symbols:
            raise _across(
                "ui.default_symbol", f"must be {self._one_of()} (got {self.ui.default_symbol!r})"
            )
        shipped = _default_symbol_risk()
        for name, override in self.risk.symbols.items():
            if name not in self.symbols and shipped.get(name) != override:
                raise _across(
                    f"risk.symbols.{name}",
                    f"{name} is not {self._one_of()}, so this override would never apply",
                )
        for name in self.risk.allowed_symbols:
            if name not in self.symbols:
                raise _across(
                    "risk.allowed_symbols",
                    f"{name} is not {self._one_of()}, so it can never be traded",
                )
        self._check_default_volume()
        return self

    def _one_of(self) -> str:
        return f"one of the configured symbols {', '.join(self.symbols)}"

    def _check_default_volume(self) -> None:
        """A default volume over the per-order limit is refused by the gate on every order."""
        symbol, volume = self.ui.default_symbol, self.ui.default_volume
        override = self.risk.symbols.get(symbol)
        if override is not None and override.max_order_volume is not None:
            cap, where = override.max_order_volume, f"risk.symbols.{symbol}.max_order_volume"
        else:
            cap, where = self.risk.max_order_volume, "risk.max_order_volume"
        if cap > 0 and volume > cap * (1 + 1e-9):
            raise _across(
                "ui.default_volume",
                f"{volume:g} lots is more than the {cap:g} lots per order the risk gate "
                f"allows for {symbol} ({where}): every order of the default volume would be "
                "refused",
            )

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
    None means the file is optional and a missing file yields None. Only a
    regular file of at most ``MAX_SETTINGS_FILE_BYTES`` is read: ``--config
    /dev/zero`` would otherwise fill the memory, and a named pipe would wait for
    a writer forever. What is there instead is named in the message.
    """
    kind = paths.not_a_file(path)
    if kind is not None:
        raise ConfigError.single(f"is {kind}, not a settings file", source=str(path))
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SETTINGS_FILE_BYTES + 1)
        if len(raw) > MAX_SETTINGS_FILE_BYTES:
            raise ConfigError.single(
                f"is larger than {MAX_SETTINGS_FILE_BYTES // 1024} KiB, "
                "which no settings file is; not read",
                source=str(path),
            )
        return tomllib.loads(raw.decode("utf-8"))
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


def _environment_problems(environ: Mapping[str, str]) -> list[ConfigProblem]:
    """Every ``TRADETERM_*`` variable that names no setting (and is not a known other one).

    pydantic-settings ignores a variable whose first part is not a field, so
    ``TRADETERM_RISKS__MAX_ORDER_VOLUME=1`` would leave the limit at its default
    while the trader believes it is 1. A typo in a key of a real section is
    already an "unknown setting" from the model (sections forbid extra keys).
    """
    sections = list(Settings.model_fields)
    problems = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NON_SETTING_ENV_VARS:
            continue
        head, _, tail = upper.removeprefix(ENV_PREFIX).partition("__")
        if head.lower() in sections:
            continue
        problems.append(
            ConfigProblem(ENV_SOURCE_LABEL, name, _no_such_variable(head, tail, sections))
        )
    return problems


def _no_such_variable(head: str, tail: str, sections: Sequence[str]) -> str:
    """Why a variable names no setting, with the likely intended name."""
    for section in sections:
        stem = section.upper() + "_"
        if head.startswith(stem) and len(head) > len(stem):
            key = head.removeprefix(stem) + (f"__{tail}" if tail else "")
            return (
                f"names no setting; put two underscores between the section and the key: "
                f"{ENV_PREFIX}{section.upper()}__{key}"
            )
    close = difflib.get_close_matches(head.lower(), sections, n=1)
    if close:
        suggestion = ENV_PREFIX + close[0].upper() + (f"__{tail}" if tail else "")
        return (
            f"names no setting (there is no [{head.lower()}] section); did you mean {suggestion}?"
        )
    return (
        f"names no setting (there is no [{head.lower()}] section; the sections are "
        f"{', '.join(sections)})"
    )


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


def validation_problems(exc: ValidationError) -> list[str]:
    """``"key: must …"`` for each of ``exc``'s errors, in the settings files' words."""
    out = []
    for error in exc.errors(include_url=False):
        where = _format_loc(error["loc"])
        out.append(f"{where}: {_describe(error)}" if where else _describe(error))
    return out


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


def settings_from_dict(data: Mapping[str, Any]) -> Settings:
    """Validate a complete settings mapping (e.g. from the settings dialog), nothing else.

    Files and environment are not read. Raises ConfigError whose ``problems``
    name each offending dotted key, so a form can show every error by its field.
    """
    try:
        return Settings.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(_problems_from_validation(exc, {})) from exc


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

    unknown_variables = _environment_problems(env)
    if unknown_variables:
        raise ConfigError(unknown_variables)

    token = _LOAD_CONTEXT.set(_LoadContext(toml_data=merged, environ=env, provenance=provenance))
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_problems_from_validation(exc, provenance)) from exc
    except SettingsError as exc:
        raise ConfigError([_problem_from_settings_error(exc, env)]) from exc
    finally:
        _LOAD_CONTEXT.reset(token)
