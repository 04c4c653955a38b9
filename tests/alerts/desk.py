"""A replay market with the alert host on its core, and ways to read what it said."""

from __future__ import annotations

from typing import Any

from app.alerts.host import AlertHost
from app.domain.alert_facts import (
    AlertFired,
    AlertHistory,
    AlertList,
    AlertReply,
    AlertStatus,
    CreateAlert,
    WebhookCheck,
)
from app.domain.alerts import AlertSpec, Condition, Watch
from app.domain.risk_limits import RiskLimits
from app.storage.journal import Journal
from tests.replay_market import START, Clock, Market


class AlertDesk:
    """``Market`` (the real core over the replay broker) with an ``AlertHost``."""

    def __init__(
        self,
        journal: Journal | None = None,
        *,
        symbols: tuple[str, ...] = ("EURUSD", "GBPUSD"),
        limits: RiskLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.market = Market(limits, journal, symbols=symbols, clock=clock or Clock(START))
        self.core = self.market.core
        self.host = AlertHost(self.core)
        self.now = self.market.clock.now
        self._ids = 0

    def connect(self, bid: float = 1.1000) -> None:
        self.market.bid = bid
        self.market.connect()

    def tick(self, bid: float, *, seconds: float = 1.0, symbol: str = "EURUSD") -> None:
        """One quote ``seconds`` after the previous one, polled at once."""
        self.now = max(self.now, self.market.clock.now) + seconds
        self.market.tick(self.now, bid, poll=True, symbol=symbol)

    def create(self, spec: AlertSpec | None = None, **kw: Any) -> AlertReply:
        if spec is None:
            kw.setdefault("symbol", "EURUSD")
            kw.setdefault("watch", Watch.BID)
            kw.setdefault("condition", Condition.CROSSES_UP)
            spec = AlertSpec(**kw)
        return self.send(CreateAlert(spec, self.request_id()))

    def send(self, command: Any) -> AlertReply:
        """Run an alert command; the engine's answer to it."""
        self.core.handle(command)
        request_id = getattr(command, "request_id", "")
        answers = [r for r in self.replies() if r.request_id == request_id]
        assert answers, f"no answer to {command!r}"
        return answers[-1]

    def request_id(self) -> str:
        self._ids += 1
        return f"req-{self._ids}"

    # -- what was published -------------------------------------------------------------
    def facts(self, kind: type) -> list[Any]:
        return [f for f in self.market.out.other if isinstance(f, kind)]

    def fired(self) -> list[AlertFired]:
        return self.facts(AlertFired)

    def replies(self) -> list[AlertReply]:
        return self.facts(AlertReply)

    def checks(self) -> list[WebhookCheck]:
        return self.facts(WebhookCheck)

    def status(self, number: int) -> AlertStatus:
        statuses = [s for s in self.facts(AlertStatus) if s.number == number]
        assert statuses, f"no status of alert {number}"
        return statuses[-1]

    def last_list(self) -> AlertList:
        return self.facts(AlertList)[-1]

    def history(self) -> AlertHistory:
        return self.facts(AlertHistory)[-1]

    def lines(self, source: str = "alerts") -> list[str]:
        return [e.message for e in self.market.out.logs if not source or e.source == source]
