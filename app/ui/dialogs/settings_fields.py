"""What the Settings dialog shows for each setting: a human label, a unit, a line of help.

Plain data, page by page, in the order a trader looks for them. Technical
settings (timings, seeds, the journal's address, rate limits) are on the
"Advanced" page. Settings not listed here (trading hours, per-symbol risk
overrides, the Telegram token) are edited in the settings file, the Risk limits
dialog or the Telegram dialog; the dialog says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "int", "float", "bool", "choice", "symbols", "broker", "path", "ids"]


@dataclass(frozen=True, slots=True)
class SettingField:
    key: str  # the dotted settings key, e.g. "sim.balance"
    label: str
    help: str = ""
    kind: Kind = "text"
    unit: str = ""  # shown after a number
    minimum: float = 0
    maximum: float = 1e12
    decimals: int = 2
    choices: tuple[tuple[str, str], ...] = ()  # (shown, stored)
    off_at_zero: bool = False  # 0 switches the rule off: the spin box says "off"


BROKERS: tuple[tuple[str, str, str], ...] = (
    (
        "sim",
        "Paper trading",
        "A built-in simulated broker with live-moving demo prices and a practice account. "
        "Nothing touches real money; works on any computer.",
    ),
    (
        "mt5",
        "MetaTrader 5",
        "Your MetaTrader 5 terminal and its account (Windows only). Fill in the terminal "
        "below; the password goes in the OS keyring, never in a file.",
    ),
)

PAGES: tuple[tuple[str, tuple[SettingField, ...]], ...] = (
    (
        "Trading",
        (
            SettingField(
                "symbols", "Symbols", "The symbols in the market watch, in order.", "symbols"
            ),
            SettingField(
                "ui.default_symbol",
                "Symbol at start",
                "Shown in the chart and the ticket when the terminal starts.",
                "choice",
            ),
            SettingField(
                "ui.default_volume",
                "Default volume",
                "What Ctrl+B, Ctrl+S and a bare 'buy' trade.",
                "float",
                unit="lots",
                minimum=0.01,
                maximum=1000,
            ),
            SettingField(
                "ui.one_click_trading",
                "One-click trading",
                "Send single orders without asking first. Closing everything always asks.",
                "bool",
            ),
            SettingField(
                "ui.theme",
                "Colours",
                "",
                "choice",
                choices=(("Follow the system", "system"), ("Dark", "dark"), ("Light", "light")),
            ),
        ),
    ),
    (
        "Broker",
        (
            SettingField("broker.kind", "Broker", "Applies at the next start.", "broker"),
            SettingField(
                "mt5.terminal_path",
                "MetaTrader 5 terminal",
                "terminal64.exe; leave empty to use the terminal that is installed.",
                "path",
            ),
            SettingField(
                "mt5.login", "Account number", "0 uses the account the terminal is logged in to."
            ),
            SettingField(
                "mt5.server",
                "Trade server",
                "e.g. MetaQuotes-Demo; empty uses the terminal's server.",
            ),
        ),
    ),
    (
        "Paper account",
        (
            SettingField(
                "sim.balance",
                "Starting balance",
                "The practice account's money when it is first created.",
                "float",
                minimum=1,
                maximum=1e9,
            ),
            SettingField("sim.currency", "Account currency", "Three letters, e.g. USD or EUR."),
            SettingField(
                "sim.leverage",
                "Leverage",
                "1:100 means 1,000 of margin holds 100,000 of a position.",
                "int",
                unit="(1:N)",
                minimum=1,
                maximum=1000,
            ),
        ),
    ),
    (
        "Risk limits",
        (
            SettingField(
                "risk.max_order_volume",
                "Max volume per order",
                "",
                "float",
                unit="lots",
                off_at_zero=True,
            ),
            SettingField(
                "risk.max_net_volume",
                "Max net position per symbol",
                "",
                "float",
                unit="lots",
                off_at_zero=True,
            ),
            SettingField(
                "risk.max_daily_loss",
                "Max daily loss",
                "Losing this much since the day began halts trading.",
                "float",
                unit="(account currency)",
                off_at_zero=True,
            ),
            SettingField(
                "risk.max_drawdown_pct",
                "Max drawdown",
                "Falling this far from the equity peak halts trading.",
                "float",
                unit="%",
                maximum=100,
                off_at_zero=True,
            ),
            SettingField(
                "risk.min_margin_level_pct",
                "Min margin level",
                "An order may not push the margin level below this.",
                "float",
                unit="%",
                maximum=100_000,
                off_at_zero=True,
            ),
            SettingField(
                "risk.max_open_positions", "Max open positions", "", "int", off_at_zero=True
            ),
            SettingField(
                "risk.max_working_orders", "Max pending orders", "", "int", off_at_zero=True
            ),
            SettingField(
                "risk.max_order_notional",
                "Max notional per order",
                "",
                "float",
                unit="(account currency)",
                off_at_zero=True,
            ),
            SettingField(
                "risk.max_total_exposure",
                "Max total exposure",
                "The sum of every symbol's net position, valued.",
                "float",
                unit="(account currency)",
                off_at_zero=True,
            ),
        ),
    ),
    (
        "Telegram",
        (
            SettingField(
                "telegram.enabled",
                "Telegram alerts",
                "Start the bot with the terminal (set the token in Settings → Telegram…).",
                "bool",
            ),
            SettingField(
                "telegram.chat_ids",
                "Chat ids",
                "Who gets alerts and may send commands, e.g. 123456789.",
                "ids",
            ),
            SettingField(
                "telegram.daily_summary_time", "Daily summary at", "24-hour time, e.g. 22:00."
            ),
            SettingField("telegram.time_zone", "Time zone", "e.g. UTC or Europe/London."),
        ),
    ),
    (
        "Advanced",
        (
            SettingField(
                "engine.poll_interval_ms",
                "Broker poll interval",
                "How often the engine asks the broker for news.",
                "int",
                unit="ms",
                minimum=1,
                maximum=1000,
            ),
            SettingField(
                "ui.refresh_hz",
                "Screen refresh backstop",
                "Frames already follow each poll; this re-offers one if the window missed it.",
                "int",
                unit="per second",
                minimum=1,
                maximum=240,
            ),
            SettingField(
                "storage.path",
                "Journal file",
                "Empty: journal.sqlite in the data folder (Help → Open the data folder).",
                "path",
            ),
            SettingField(
                "storage.url",
                "Journal database address",
                "A SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db, to share a journal.",
            ),
            SettingField(
                "mt5.timeout_ms",
                "MetaTrader 5 connect timeout",
                "",
                "int",
                unit="ms",
                minimum=1,
                maximum=600_000,
            ),
            SettingField("mt5.portable", "Start the terminal portable", "", "bool"),
            SettingField(
                "mt5.deviation_points",
                "Max slippage",
                "Market orders fill within this many points of the price sent.",
                "int",
                unit="points",
                maximum=100_000,
            ),
            SettingField(
                "mt5.magic",
                "Magic number",
                "Stamped on this terminal's orders, to tell them from others.",
            ),
            SettingField(
                "sim.seed",
                "Paper prices seed",
                "The same seed replays the same demo prices.",
                "int",
                minimum=-(2**31),
                maximum=2**31 - 1,
            ),
            SettingField(
                "sim.ticks_per_second",
                "Paper ticks",
                "",
                "float",
                unit="per second and symbol",
                minimum=0.01,
                maximum=10_000,
            ),
            SettingField(
                "sim.history_bars",
                "Paper minute history",
                "Minutes of M1 bars made at start; longer timeframes always get 500 bars.",
                "int",
                unit="minutes",
                maximum=2_000_000,
            ),
            SettingField(
                "risk.max_orders_per_second", "Max orders per second", "", "int", off_at_zero=True
            ),
            SettingField(
                "risk.max_orders_per_minute", "Max orders per minute", "", "int", off_at_zero=True
            ),
            SettingField(
                "risk.max_price_distance_pct",
                "Price collar",
                "A pending order this far from the market is refused.",
                "float",
                unit="% from market",
                off_at_zero=True,
            ),
            SettingField(
                "risk.max_spread_multiple",
                "Spread collar",
                "A market order is refused while the spread is this many times the usual.",
                "float",
                unit="× typical",
                off_at_zero=True,
            ),
            SettingField(
                "risk.stale_quote_seconds",
                "Stale quote guard",
                "A market order needs a price at most this old.",
                "float",
                unit="s",
                off_at_zero=True,
            ),
            SettingField(
                "risk.warning_fraction",
                "Warn at",
                "Share of a loss limit that raises a warning, e.g. 0.8.",
                "float",
                minimum=0.01,
                maximum=1,
            ),
            SettingField(
                "risk.reduce_on_warning",
                "Reduce on a warning",
                "A loss warning moves trading to REDUCING.",
                "bool",
            ),
            SettingField(
                "risk.daily_reset_time", "Trading day starts at", "24-hour time, e.g. 00:00."
            ),
            SettingField("risk.daily_reset_timezone", "…in time zone", "e.g. UTC."),
            SettingField(
                "telegram.per_chat_interval_s",
                "Telegram: seconds between messages",
                "",
                "float",
                unit="s",
                minimum=0.05,
                maximum=60,
            ),
            SettingField(
                "telegram.queue_limit",
                "Telegram: alerts kept while offline",
                "",
                "int",
                unit="per chat",
                minimum=10,
                maximum=100_000,
            ),
        ),
    ),
)
