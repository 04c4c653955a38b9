"""Alert and reply texts for Telegram, in plain Python (no Qt, no network).

Messages use Telegram's HTML parse mode: it needs only ``& < >`` escaped, so a
symbol like ``BTCUSD#`` or a broker reason with ``*`` or ``_`` in it can never
break the markup the way MarkdownV2's many reserved characters would. Every
piece of outside text goes through :func:`esc`; tags are only ever added here.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import datetime

from app.domain.alert_facts import AlertFired, AlertReply, AlertStatus
from app.domain.alerts import AlertState
from app.domain.enums import ConnectionStatus
from app.domain.notices import ConnectionState, LogEvent
from app.domain.strategies import StrategyStatus
from app.domain.symbols import SymbolSpec
from app.domain.trading import AccountState, Fill, OrderUpdate, Position, WorkingOrder

MAX_MESSAGE_CHARS = 4096
"""Telegram rejects longer texts (counted after entity parsing; we count raw)."""

STOP_REASONS = frozenset({"stop loss", "take profit", "sl", "tp"})

HELP_TEXT = "\n".join(
    [
        "<b>Tradeterm commands</b>",
        "/status – connection, trading state, balance, equity, day P&amp;L",
        "/positions – open positions",
        "/orders – working orders",
        "/pnl – floating and day P&amp;L",
        "/strategies – strategy instances, their state and P&amp;L today",
        "/stop NAME – stop a strategy instance (asks for a confirmation)",
        "/alerts – the price alerts and their state",
        "/alert eurusd &gt; 1.1 – a new alert (the terminal's alert grammar: cross, &gt;, &lt;, "
        "enter, exit, rise, fall, at; once, every 5m…)",
        "/alert del|on|off|ack N – delete, switch on or off, acknowledge alert N",
        "/halt – kill switch: stop all new trading",
        "/resume – leave HALTED and trade again",
        "/flatten – close every position (asks for a confirmation)",
        "/help – this list",
    ]
)


def esc(value: object) -> str:
    """Escape outside text for HTML parse mode."""
    return html.escape(str(value), quote=False)


def money(value: float, currency: str = "") -> str:
    text = f"{value:+,.2f}" if value else "0.00"
    return f"{text} {esc(currency)}".strip()


def amount(value: float, currency: str = "") -> str:
    return f"{value:,.2f} {esc(currency)}".strip()


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` characters, at line breaks.

    Our tags never span lines, so cutting between lines keeps the markup valid.
    A single line longer than the limit (a huge broker message) is cut hard; its
    escaped entities are kept whole so Telegram can still parse each part.
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = limit
            amp = line.rfind("&", max(0, cut - 8), cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp  # do not split "&amp;" in two
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


class Formatter:
    """Builds messages; knows symbol digits so prices read like in the terminal."""

    def __init__(self, specs: Mapping[str, SymbolSpec] | None = None) -> None:
        self.specs: dict[str, SymbolSpec] = dict(specs or {})

    # -- numbers --------------------------------------------------------------------
    def price(self, symbol: str, value: float | None) -> str:
        if value is None:
            return "market"
        spec = self.specs.get(symbol)
        return spec.format_price(value) if spec else f"{value:g}"

    def volume(self, symbol: str, value: float) -> str:
        spec = self.specs.get(symbol)
        return spec.format_volume(value) if spec else f"{value:g}"

    # -- alerts ---------------------------------------------------------------------
    def fill(self, fill: Fill, currency: str = "") -> str:
        sym, vol = esc(fill.symbol), self.volume(fill.symbol, fill.volume)
        price = self.price(fill.symbol, fill.price)
        if fill.closes_position:
            if is_stop(fill):
                head = f"🛑 <b>{esc(fill.reason.upper())} hit</b>"
            else:
                head = "✅ <b>Closed</b>"
            return (
                f"{head} {sym} {vol} @ {price} · position #{fill.position_ticket} · "
                f"P&amp;L <b>{money(fill.realized_pnl, currency)}</b>"
            )
        return (
            f"🟢 <b>Filled</b> {esc(fill.side.upper())} {vol} {sym} @ {price} "
            f"· position #{fill.position_ticket}"
        )

    def rejection(self, update: OrderUpdate) -> str:
        vol = self.volume(update.symbol, update.volume)
        reason = esc(update.reason or "no reason given")
        return (
            f"⛔ <b>Rejected</b> {esc(update.side.upper())} {vol} {esc(update.symbol)} "
            f"({esc(update.order_type)}, from {esc(update.source)}): {reason}"
        )

    @staticmethod
    def strategies(statuses: list[StrategyStatus], currency: str) -> str:
        if not statuses:
            return "No strategy is attached."
        lines = ["<b>Strategies</b>"]
        for s in statuses:
            why = f" — {esc(s.reason)}" if s.reason else ""
            lines.append(
                f"{esc(s.name)} {esc(s.config.symbol)} {esc(s.config.timeframe.name)}: "
                f"<b>{esc(s.state)}</b>, today {s.day_pnl:+,.2f} {esc(currency)}, "
                f"{s.open_positions} open, {s.trades} trades{why}"
            )
        return "\n".join(lines)

    @staticmethod
    def alert_fired(fired: AlertFired) -> str:
        head = "🔁" if fired.repeat else "🔔"
        text = f"{head} <b>Alert {fired.number}</b>: {esc(fired.text)}"
        if fired.order_client_id and not fired.repeat:
            text += f"\n🧾 order sent to the risk gate ({esc(fired.order_client_id)})"
        if fired.repeat or fired.spec.actions.repeat_until_ack:
            text += f"\nAcknowledge: /alert ack {fired.number}"
        return text

    @staticmethod
    def alerts(statuses: list[AlertStatus]) -> str:
        if not statuses:
            return "No alerts. Create one with /alert, e.g. /alert eurusd &gt; 1.1"
        icons = {
            AlertState.ACTIVE: "🟢",
            AlertState.DISABLED: "⏸",
            AlertState.DONE: "✔️",
            AlertState.EXPIRED: "⌛",
        }
        lines = [f"<b>Alerts ({len(statuses)})</b>"]
        for s in statuses:
            fired = f" · fired {s.count}×" if s.count else ""
            new = " · <b>not acknowledged</b>" if s.unacknowledged else ""
            lines.append(
                f"{icons.get(s.state, '')} {s.number}: {esc(s.text)} "
                f"<i>({esc(s.state)})</i>{fired}{new}"
            )
        return "\n".join(lines)

    @staticmethod
    def alert_reply(reply: AlertReply) -> str:
        return f"{'✅' if reply.ok else '⛔'} {esc(reply.text)}"

    @staticmethod
    def strategy_change(status: StrategyStatus) -> str:
        icons = {
            "running": "▶️",
            "reducing": "⚠️",
            "stopped": "⏹",
            "halted": "🛑",
            "failed": "💥",
        }
        why = f": {esc(status.reason)}" if status.reason else ""
        return (
            f"{icons.get(str(status.state), 'ℹ️')} Strategy <b>{esc(status.name)}</b> "
            f"{esc(status.state)}{why}"
        )

    def unknown(self, update: OrderUpdate) -> str:
        vol = self.volume(update.symbol, update.volume)
        return (
            f"❓ <b>Outcome unknown</b> {esc(update.side.upper())} {vol} {esc(update.symbol)} "
            f"(from {esc(update.source)}): {esc(update.reason)}. Not resent; it is checked "
            "with the broker as soon as it answers"
        )

    @staticmethod
    def connection(state: ConnectionState) -> str:
        if state.status is ConnectionStatus.CONNECTED:
            where = f" ({esc(state.detail)})" if state.detail else ""
            return f"🔌 <b>Connection restored</b>: {esc(state.broker)}{where}"
        detail = f": {esc(state.detail)}" if state.detail else ""
        return f"⚠️ <b>Connection lost</b>{detail}"

    @staticmethod
    def error(event: LogEvent) -> str:
        return f"❗ <b>Error</b> ({esc(event.source)}): {esc(event.message)}"

    @staticmethod
    def trading_state(state: str, reason: str = "", source: str = "") -> str:
        label = state.upper()
        icon = {"HALTED": "🛑", "REDUCING": "⚠️", "ACTIVE": "▶️"}.get(label, "ℹ️")
        head = "Trading resumed (ACTIVE)" if label == "ACTIVE" else f"Trading {esc(label)}"
        why = f": {esc(reason)}" if reason else ""
        by = f" (by {esc(source)})" if source else ""
        return f"{icon} <b>{head}</b>{why}{by}"

    @staticmethod
    def risk(message: str, rule: str = "") -> str:
        name = f" {esc(rule)}" if rule else ""
        return f"⚠️ <b>Risk{name}</b>: {esc(message)}"

    @staticmethod
    def notice(text: str) -> str:
        return f"ℹ️ {esc(text)}"

    # -- replies --------------------------------------------------------------------
    @staticmethod
    def status(
        connection: ConnectionState | None,
        trading_state: str | None,
        account: AccountState | None,
    ) -> str:
        if connection is None:
            conn = "unknown"
        else:
            conn = esc(connection.status.value)
            if connection.broker and connection.status is ConnectionStatus.CONNECTED:
                conn += f" to {esc(connection.broker)}"
        lines = [
            "<b>Status</b>",
            f"Connection: {conn}",
            f"Trading: {esc((trading_state or 'active').upper())}",
        ]
        if account is None:
            lines.append("Account: not known yet")
        else:
            cur = account.currency
            lines += [
                f"Balance: {amount(account.balance, cur)}",
                f"Equity: {amount(account.equity, cur)}",
                f"Day P&amp;L: {money(account.day_pnl, cur)}",
            ]
        return "\n".join(lines)

    def positions(self, positions: Iterable[Position], currency: str = "") -> str:
        rows = [
            f"#{p.ticket} {esc(p.side.upper())} {self.volume(p.symbol, p.volume)} "
            f"{esc(p.symbol)} @ {self.price(p.symbol, p.price_open)} → "
            f"{self.price(p.symbol, p.price_current)} · {money(p.profit, currency)}"
            for p in positions
        ]
        if not rows:
            return "No open positions."
        return "\n".join([f"<b>Positions ({len(rows)})</b>", *rows])

    def orders(self, orders: Iterable[WorkingOrder]) -> str:
        rows = [
            f"#{o.ticket} {esc(o.side.upper())} {esc(o.order_type)} "
            f"{self.volume(o.symbol, o.volume)} {esc(o.symbol)} @ {self.price(o.symbol, o.price)}"
            + (f" sl {self.price(o.symbol, o.sl)}" if o.sl is not None else "")
            + (f" tp {self.price(o.symbol, o.tp)}" if o.tp is not None else "")
            for o in orders
        ]
        if not rows:
            return "No working orders."
        return "\n".join([f"<b>Working orders ({len(rows)})</b>", *rows])

    @staticmethod
    def pnl(account: AccountState | None, realized_today: float, trades_today: int) -> str:
        if account is None:
            return "P&amp;L not known yet: the account has not been reported."
        cur = account.currency
        return "\n".join(
            [
                "<b>P&amp;L</b>",
                f"Floating: {money(account.floating_pnl, cur)}",
                f"Realised today: {money(realized_today, cur)}",
                f"Day: {money(account.day_pnl, cur)}",
                f"Trades today: {trades_today}",
            ]
        )

    @staticmethod
    def daily_summary(when: datetime, account: AccountState | None, trades_today: int) -> str:
        head = f"📊 <b>Daily summary</b> {when:%Y-%m-%d %H:%M %Z}".rstrip()
        if account is None:
            return f"{head}\nAccount not known yet; trades today: {trades_today}"
        cur = account.currency
        return "\n".join(
            [
                head,
                f"Balance: {amount(account.balance, cur)}",
                f"Equity: {amount(account.equity, cur)}",
                f"Day P&amp;L: {money(account.day_pnl, cur)}",
                f"Trades today: {trades_today}",
            ]
        )


def is_stop(fill: Fill) -> bool:
    """A close caused by the position's own stop loss or take profit."""
    return fill.closes_position and fill.reason.strip().lower() in STOP_REASONS
