"""The order desk: the one road every order of the window takes to the bus.

The ticket, the chart's lines, the tables, the hotkeys and the menus all hand a
command line and where it came from to ``OrderDesk.submit``. The desk parses
it against the desk model's live state, says what the risk gate will say,
applies the one confirmation rule and sends. Its ``Proposal`` is the one object
behind the preview line, the confirmation dialog and the commands on the bus,
so what a trader confirmed is exactly what goes to the engine.

A chart drag therefore reaches the bus in three steps: the chart's line →
``OrderDesk.submit`` → ``bus.command``.

Stops typed as distances (``sl 20p``, ``tp 2r``) on a market order are measured
from the live ask (buy) or bid (sell) when the proposal is made, that is at
confirmation, and the proposal says so. They do not follow the fill: like
MetaTrader 5, the order carries absolute SL and TP prices, so slippage moves
the entry, never the stops the trader confirmed.

Plain Python: the dialog is a function it is given (``confirm``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from itertools import pairwise

from app.domain.alert_facts import ALERT_COMMANDS
from app.domain.command_parser import ParseContext, ParsedCommand, ParseError, parse
from app.domain.commands import CancelAll, CloseAll, ClosePosition, Command, SubmitOrder
from app.domain.enums import OrderSource, OrderType, Side
from app.domain.strategies import StopStrategy
from app.ui.desk.gate import refusal
from app.ui.desk.model import DeskModel

ConfirmFn = Callable[[str, str], bool]
"""``confirm(title, text)``: ask the trader; True means go ahead."""

PREVIEW_ID = "preview"
_DISTANCE = re.compile(r"^(\d+(?:[.,]\d*)?|[.,]\d+)(p|pip|pips|pt|pts|point|points|r)$")


class Verdict(StrEnum):
    SENT = "sent"
    DECLINED = "declined"  # the trader said no
    REFUSED = "refused"  # not a valid command, or the risk gate would refuse it


@dataclass(frozen=True, slots=True)
class Proposal:
    """What will be sent, in words and in commands: shown, confirmed and sent as one.

    ``refusal`` is what the risk gate will answer (from the engine's latest risk
    snapshot), said before any dialog; ``None`` when it passes.
    """

    parsed: ParsedCommand
    source: OrderSource
    text: str
    note: str = ""  # how computed levels were measured
    refusal: str | None = None

    @property
    def commands(self) -> tuple[Command, ...]:
        return self.parsed.commands

    @property
    def summary(self) -> str:
        """The preview line: what the commands do, and how their levels were measured."""
        return " · ".join(part for part in (self.parsed.preview, self.note) if part)

    @property
    def bulk(self) -> bool:
        return self.parsed.bulk

    def confirmation_title(self) -> str:
        return confirmation_title(self.parsed)

    def confirmation_text(self) -> str:
        return confirmation_text(self.parsed, self.note)


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    message: str
    proposal: Proposal | None = None

    @property
    def sent(self) -> bool:
        return self.verdict is Verdict.SENT


class OrderDesk:
    """Parses, previews, confirms and sends; the only sender of orders in the window.

    ``one_click`` skips the confirmation of single orders; bulk commands (close
    all, flat, cancel all) always ask. ``report`` is told every refusal in
    words (the window shows it in the status bar).
    """

    def __init__(
        self,
        model: DeskModel,
        emit: Callable[[Command], None],
        *,
        confirm: ConfirmFn,
        default_volume: float,
        one_click: bool = False,
        report: Callable[[str], None] = lambda _text: None,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self.model = model
        self.emit = emit
        self.confirm = confirm
        self.default_volume = default_volume
        self.one_click = one_click
        self.report = report
        self._clock = clock

    # -- parsing --------------------------------------------------------------------
    def context(self, source: OrderSource, *, preview: bool = False) -> ParseContext:
        """What the parser needs, read from the desk model now."""
        m = self.model
        context = ParseContext(
            specs=m.specs,
            quotes=m.quotes,
            current_symbol=m.symbol,
            default_volume=self.default_volume,
            positions=m.positions,
            orders=m.orders,
            currency=m.currency,
            leverage=m.leverage,
            now=self._clock(),
            source=source,
        )
        return replace(context, new_id=lambda: PREVIEW_ID) if preview else context

    def propose(
        self, text: str, source: OrderSource, *, preview: bool = False
    ) -> Proposal | ParseError:
        """``text`` as a proposal at the live quotes, or why it cannot be sent.

        ``preview=True`` gives the commands no real client ids (nothing is sent).
        """
        parsed = parse(text, self.context(source, preview=preview))
        if isinstance(parsed, ParseError):
            return parsed
        return self._proposal(parsed, source, text.strip(), self._note(parsed, text))

    def _proposal(
        self, parsed: ParsedCommand, source: OrderSource, text: str, note: str = ""
    ) -> Proposal:
        """The commands with what the risk gate will say about them (``desk.gate``)."""
        refused = refusal(parsed.commands, self.model, self._clock().timestamp())
        return Proposal(parsed, source, text, note, refused.message if refused else None)

    def combine(self, texts: Sequence[str], source: OrderSource) -> Proposal | ParseError:
        """Several command lines as one proposal, confirmed once; the first problem stops all."""
        parsed: list[ParsedCommand] = []
        for text in texts:
            result = parse(text, self.context(source))
            if isinstance(result, ParseError):
                return result
            parsed.append(result)
        if not parsed:
            return ParseError("Nothing to send")
        if len(parsed) == 1:
            return self._proposal(
                parsed[0], source, texts[0].strip(), self._note(parsed[0], texts[0])
            )
        combined = ParsedCommand(
            tuple(c for p in parsed for c in p.commands), "\n".join(p.preview for p in parsed)
        )
        return self._proposal(combined, source, "; ".join(t.strip() for t in texts))

    # -- sending --------------------------------------------------------------------
    def submit(self, text: str, source: OrderSource) -> Outcome:
        """Parse ``text`` now, then confirm and send it (the road of every order)."""
        proposal = self.propose(text, source)
        if isinstance(proposal, ParseError):
            return self._refused(proposal.message)
        return self.send(proposal)

    def submit_many(self, texts: Iterable[str], source: OrderSource) -> Outcome:
        proposal = self.combine(list(texts), source)
        if isinstance(proposal, ParseError):
            return self._refused(proposal.message)
        return self.send(proposal)

    def stop_and_close(
        self,
        stop: StopStrategy | None,
        tickets: Sequence[int],
        source: OrderSource,
        *,
        name: str = "",
    ) -> Outcome:
        """A strategy's positions closed at market, asked once and always asked.

        With ``stop`` (the instance runs), the stop goes first and is in the question:
        a strategy stopped before its closes cannot answer them with new orders.
        ``name`` is the instance's, said in the question so that the trader knows whose
        positions are listed (and that no other is touched).
        """
        proposal = self.combine([f"close #{t}" for t in tickets], source)
        if isinstance(proposal, ParseError):
            return self._refused(proposal.message)
        lines = [proposal.parsed.preview]
        if name:
            lines.append(f"Only {name}'s positions, listed above: yours and others' stay open.")
        commands: tuple[Command, ...] = proposal.commands
        if stop is not None:
            lines.insert(0, f"Stop {stop.name} (its working orders are cancelled)")
            commands = (stop, *commands)
        parsed = ParsedCommand(commands, "\n".join(lines), bulk=True)
        owners = {p.owner for p in self.model.positions if p.ticket in tickets}
        outcome = self.send(self._proposal(parsed, source, proposal.text))
        if outcome.verdict is not Verdict.SENT:
            return outcome
        # One short line for the status bar (the question, with its estimates, was read).
        closes = ", ".join(f"#{t}" for t in tickets)
        first = f"stop {stop.name}, then " if stop is not None else ""
        message = f"Sent: {first}close {closes} at market"
        # What it opened while the trader was asked was not in the question, so it is
        # not closed: said, so that it is not left open unseen.
        newer = [
            p.ticket for p in self.model.positions if p.owner in owners and p.ticket not in tickets
        ]
        if newer:
            opened = ", ".join(f"#{t}" for t in newer)
            message += f"; {opened} opened while you were asked, still open (Ctrl+Delete again)"
        return replace(outcome, message=message)

    def send(self, proposal: Proposal) -> Outcome:
        """The confirmation rule, then exactly ``proposal``'s commands onto the bus."""
        if proposal.refusal is not None:
            return self._refused(proposal.refusal, proposal)
        if self.needs_confirmation(proposal) and not self.confirm(
            proposal.confirmation_title(), proposal.confirmation_text()
        ):
            return Outcome(Verdict.DECLINED, "Not sent: you said no", proposal)
        for command in proposal.commands:
            self.emit(command)
        if all(isinstance(c, ALERT_COMMANDS) for c in proposal.commands):
            # Not done yet: the engine stores it or says why not (the Alerts tab shows which).
            return Outcome(Verdict.SENT, f"Asked: {proposal.summary}", proposal)
        return Outcome(Verdict.SENT, f"Sent: {proposal.summary}", proposal)

    def needs_confirmation(self, proposal: Proposal) -> bool:
        return proposal.bulk or not self.one_click

    def _refused(self, message: str, proposal: Proposal | None = None) -> Outcome:
        self.report(message)
        return Outcome(Verdict.REFUSED, message, proposal)

    # -- how levels were measured -------------------------------------------------------
    def _note(self, parsed: ParsedCommand, text: str) -> str:
        """For a market order with stops typed as distances: from which price, and when."""
        request = parsed.request
        if request is None or request.order_type is not OrderType.MARKET:
            return ""
        distances = distance_stops(text)
        if not distances:
            return ""
        price = "ask" if request.side is Side.BUY else "bid"
        return f"{', '.join(distances)} from the {price} at confirmation, then fixed"


def distance_stops(text: str) -> list[str]:
    """The stops typed as distances, as typed: ``["SL 20p", "TP 2r"]``."""
    words = text.split()
    out = []
    for keyword, value in pairwise(words):
        if keyword.lower() in ("sl", "tp") and _DISTANCE.match(value.lower()):
            out.append(f"{keyword.upper()} {value}")
    return out


def typed_stops(text: str) -> dict[str, str]:
    """What follows ``sl`` and ``tp`` in a command line, as typed (``{"sl": "20p"}``)."""
    words = text.split()
    return {
        keyword.lower(): value
        for keyword, value in pairwise(words)
        if keyword.lower() in ("sl", "tp")
    }


def confirmation_title(parsed: ParsedCommand) -> str:
    first = parsed.commands[0] if parsed.commands else None
    if isinstance(first, SubmitOrder):
        return "Send order"
    if isinstance(first, StopStrategy):
        return "Stop and close"
    if all(isinstance(c, ClosePosition) for c in parsed.commands) and len(parsed.commands) > 1:
        return "Close positions"
    if parsed.bulk or isinstance(first, CloseAll | CancelAll):
        return "Close and cancel" if len(parsed.commands) > 1 else "Confirm"
    return "Confirm"


def confirmation_text(parsed: ParsedCommand, note: str = "") -> str:
    """The question the trader answers: what will happen, in full, then 'Send?'."""
    lines = [parsed.preview]
    if note:
        lines.append(f"Stops: {note}.")
    if parsed.bulk:
        lines.append("This acts on EVERYTHING listed, at market, and cannot be undone.")
    first = parsed.commands[0] if parsed.commands else None
    if isinstance(first, SubmitOrder):
        question = "Send this order?"
    elif len(parsed.commands) > 1 and all(isinstance(c, ClosePosition) for c in parsed.commands):
        question = "Close these positions at market?"
    elif isinstance(first, StopStrategy):
        question = "Stop it and close these positions at market?"
    else:
        question = "Go ahead?"
    return "\n\n".join([*lines, question])
