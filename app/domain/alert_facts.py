"""What the engine says about alerts, and the commands that change them.

The alert host in the engine owns the alerts: every change is a command here
(create, edit, enable or disable, delete, acknowledge, list), run on the engine
thread like an order, and every outcome is a fact on the bus. ``AlertFired`` is
the one that matters most: the engine publishes it the moment an alert fires,
and the slow actions (Telegram, the webhook, a sound) are done from it outside
the engine thread, so a slow network never delays a tick.

A command may carry a ``request_id``; the engine answers it with an
``AlertReply`` of the same id (Telegram uses it to answer the chat that asked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from app import __version__
from app.domain.alerts import AlertSpec, AlertState
from app.domain.enums import OrderSource

# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True)
class AlertStatus:
    """One alert as the list shows it; published whenever it changes (a fact)."""

    number: int
    spec: AlertSpec
    state: AlertState
    text: str  # the definition in words
    count: int = 0  # firings since it was created or last edited
    last_fired_msc: int | None = None
    unacknowledged: bool = False  # fired, and the trader has not acknowledged it yet
    deleted: bool = False  # gone: lists drop it


@dataclass(frozen=True, slots=True)
class AlertList:
    """Every alert (not deleted), oldest first: at start and when asked."""

    alerts: tuple[AlertStatus, ...]


@dataclass(frozen=True, slots=True)
class AlertFired:
    """An alert fired; ``repeat`` marks a reminder of a firing not yet acknowledged.

    ``time_msc`` is the tick's time for price alerts, the engine's time otherwise.
    ``order_client_id`` is the client id of the order it sent ("" if none); the
    order's own facts follow under that id.
    """

    number: int
    spec: AlertSpec
    text: str
    value: float | None
    time_msc: int
    count: int
    repeat: bool = False
    order_client_id: str = ""

    @property
    def delivery_id(self) -> str:
        """The same for every delivery of one firing (its repeats and retries too)."""
        return f"alert-{self.number}-{self.count}-{self.time_msc}"


@dataclass(frozen=True, slots=True)
class AlertFiring:
    """One firing, as the journal keeps it (the history of an alert)."""

    number: int
    time_msc: int
    count: int
    value: float | None
    text: str
    order_client_id: str = ""


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """An alert as the journal gives it back at start."""

    number: int
    spec: AlertSpec
    enabled: bool
    generation: int  # edits so far, from 1
    acknowledged: int  # firings of this generation the trader acknowledged
    count: int  # firings of this generation
    last: AlertFiring | None  # the newest of them


@dataclass(frozen=True, slots=True)
class AlertHistory:
    """The answer to ``RequestAlertHistory``: firings, newest first."""

    number: int | None
    firings: tuple[AlertFiring, ...]
    error: str = ""


@dataclass(frozen=True, slots=True)
class AlertReply:
    """The engine's answer to one alert command that carried a ``request_id``."""

    request_id: str
    ok: bool
    text: str
    number: int | None = None


@dataclass(frozen=True, slots=True)
class WebhookCheck:
    """The engine asks the notifier to try ``url`` before an alert with it is stored.

    Nothing is stored until ``WebhookChecked`` with the same ``check_id`` comes back
    without a problem (the engine never waits on the network itself).
    """

    check_id: str
    url: str


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class CreateAlert:
    spec: AlertSpec
    request_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class EditAlert:
    """Replace an alert's definition; it starts again (count and acknowledgement reset)."""

    number: int
    spec: AlertSpec
    request_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class EnableAlert:
    """Switch an alert on or off; switching on an alert that is done starts it again."""

    number: int
    enabled: bool = True
    request_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class DeleteAlert:
    number: int
    request_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class AcknowledgeAlert:
    """Acknowledge an alert's firings (``None``: every alert's): its repeats stop."""

    number: int | None = None
    request_id: str = ""
    source: OrderSource = OrderSource.TICKET


@dataclass(frozen=True, slots=True)
class RequestAlerts:
    """Ask for an ``AlertList``; with ``say``, the list is also written to the event log."""

    say: bool = False
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class RequestAlertHistory:
    """Ask for an alert's firings (``None``: every alert's), newest first."""

    number: int | None = None
    limit: int = 200


@dataclass(frozen=True, slots=True)
class WebhookChecked:
    """The notifier's answer to ``WebhookCheck``: ``problem`` is "" if the URL took the POST."""

    check_id: str
    problem: str = ""


ALERT_COMMANDS = (
    CreateAlert,
    EditAlert,
    EnableAlert,
    DeleteAlert,
    AcknowledgeAlert,
    RequestAlerts,
    RequestAlertHistory,
    WebhookChecked,
)


# --------------------------------------------------------------------------- webhook


WEBHOOK_FIRED = "alert.fired"
WEBHOOK_TEST = "alert.test"


def webhook_body(fired: AlertFired) -> dict[str, object]:
    """The JSON a webhook receives when an alert fires (documented in ``docs/alerts.md``)."""
    spec = fired.spec
    when = datetime.fromtimestamp(fired.time_msc / 1000, UTC)
    return {
        "event": WEBHOOK_FIRED,
        "id": fired.delivery_id,
        "alert": fired.number,
        "count": fired.count,
        "repeat": fired.repeat,
        "symbol": spec.symbol,
        "watch": spec.watch.value,
        "condition": spec.condition.value,
        "level": spec.level,
        "upper": spec.upper,
        "value": fired.value,
        "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time_msc": fired.time_msc,
        "message": fired.text,
        "note": spec.note,
        "order_client_id": fired.order_client_id or None,
        "source": "tradeterm",
        "version": __version__,
    }


def webhook_test_body(check_id: str, now: datetime | None = None) -> dict[str, object]:
    """The JSON of the one POST that checks a webhook before an alert with it is stored."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "event": WEBHOOK_TEST,
        "id": check_id,
        "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "message": "Tradeterm checks this webhook before storing an alert that uses it",
        "source": "tradeterm",
        "version": __version__,
    }
