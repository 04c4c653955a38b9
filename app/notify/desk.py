"""What the bot knows about the desk: the latest facts and state from the bus.

Plain Python. ``MarketFrame`` carries positions, orders and the account only
when they changed (``None`` otherwise), so the last snapshot of each is kept
here; the bot answers /status and /positions from it without asking the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.alert_facts import AlertList, AlertStatus
from app.domain.enums import ConnectionStatus
from app.domain.frame import MarketFrame
from app.domain.market import Tick
from app.domain.notices import ConnectionState
from app.domain.strategies import StrategyStatus
from app.domain.trading import AccountState, Fill, Position, WorkingOrder


class DeskState:
    def __init__(
        self, zone: ZoneInfo, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.zone = zone
        self._now = now
        self.connection: ConnectionState | None = None
        self.trading_state: str | None = None
        self.account: AccountState | None = None
        self.positions: tuple[Position, ...] = ()
        self.orders: tuple[WorkingOrder, ...] = ()
        self.strategies: dict[str, StrategyStatus] = {}  # by instance name
        self.alerts: dict[int, AlertStatus] = {}  # by number
        self.quotes: dict[str, Tick] = {}  # the newest quote of each symbol
        self._day: date = self.today()
        self._trades = 0
        self._realized = 0.0
        self.lost_connection = False

    def today(self) -> date:
        return self._now().astimezone(self.zone).date()

    def now(self) -> datetime:
        """Now, in the bot's time zone (where "at 14:30" from the phone is read)."""
        return self._now().astimezone(self.zone)

    def on_frame(self, frame: MarketFrame) -> None:
        if frame.quotes:
            self.quotes.update(frame.quotes)
        if frame.account is not None:
            self.account = frame.account
        if frame.positions is not None:
            self.positions = frame.positions
        if frame.orders is not None:
            self.orders = frame.orders
        if frame.risk is not None:
            self.trading_state = str(frame.risk.state)

    def on_strategy(self, status: StrategyStatus) -> StrategyStatus | None:
        """Keep the instance's latest status; returns the one it replaces (``None`` if new)."""
        before = self.strategies.get(status.name)
        if status.detached:
            self.strategies.pop(status.name, None)
        else:
            self.strategies[status.name] = status
        return before

    def on_alerts(self, fact: AlertStatus | AlertList) -> None:
        if isinstance(fact, AlertList):
            self.alerts = {status.number: status for status in fact.alerts}
        elif fact.deleted:
            self.alerts.pop(fact.number, None)
        else:
            self.alerts[fact.number] = fact

    def on_fill(self, fill: Fill) -> None:
        self._roll()
        self._trades += 1
        if fill.closes_position:
            self._realized += fill.realized_pnl

    def on_connection(self, state: ConnectionState) -> bool:
        """Record ``state``; True when it is news for the trader (lost, or restored)."""
        self.connection = state
        if state.status is ConnectionStatus.DISCONNECTED:
            if state.detail == "stopped":  # the app itself is closing the connection
                return False
            news = not self.lost_connection
            self.lost_connection = True
            return news
        if state.status is ConnectionStatus.CONNECTED and self.lost_connection:
            self.lost_connection = False
            return True
        return False

    @property
    def trades_today(self) -> int:
        self._roll()
        return self._trades

    @property
    def realized_today(self) -> float:
        self._roll()
        return self._realized

    def _roll(self) -> None:
        today = self.today()
        if today != self._day:
            self._day, self._trades, self._realized = today, 0, 0.0


def next_summary_at(now: datetime, at: str, zone: ZoneInfo) -> datetime:
    """The next moment (aware, in ``zone``) the clock shows ``at`` ("HH:MM") after ``now``."""
    hour, minute = (int(part) for part in at.split(":"))
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hour, minute), tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(
            local.date() + timedelta(days=1), time(hour, minute), tzinfo=zone
        )
    return candidate
