"""What each bot command does, in plain Python (PTB only delivers the text).

Trading commands never act here: they become engine commands (``Halt``,
``Resume``, ``CloseAll`` with source ``telegram``) that take the same road as a
click in the terminal — engine, risk gate, journal. Read-only commands answer
from the :class:`DeskState` the bus keeps current.

``/flatten`` closes everything, so it needs a second, deliberate act: the
inline "Close all" button, or ``/flatten`` again, within 30 seconds. ``/stop
NAME`` stops a strategy instance the same way: ``/stop NAME`` again within 30 s.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.domain.alert_facts import CreateAlert, EditAlert
from app.domain.alerts import with_actions
from app.domain.command_parser import ParseContext, ParseError, parse
from app.domain.commands import CloseAll, Command, Halt, Resume
from app.domain.enums import OrderSource
from app.domain.strategies import StopStrategy
from app.notify.desk import DeskState
from app.notify.formatting import HELP_TEXT, Formatter, esc

CONFIRM_WINDOW_S = 30.0
PENDING_REPLIES = 100  # alert commands whose answer from the engine a chat still waits for
ALERT_USAGE = (
    "Send /alert and an alert, e.g. /alert eurusd &gt; 1.1, /alert gbpusd cross 1.27 every 5m, "
    "/alert eurusd at 14:30; /alert del 3; /alerts lists them."
)
CONFIRM_DATA = "flatten:confirm"
CANCEL_DATA = "flatten:cancel"
COMMAND_NAMES = (
    "status",
    "positions",
    "orders",
    "pnl",
    "strategies",
    "stop",
    "alerts",
    "alert",
    "halt",
    "resume",
    "flatten",
    "help",
)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str  # "" sends nothing now (the engine's answer follows)
    ask_flatten: bool = False  # attach the "Close all / Cancel" buttons


class RemoteCommands:
    def __init__(
        self,
        desk: DeskState,
        formatter: Formatter,
        send_command: Callable[[Command], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._desk = desk
        self._fmt = formatter
        self._send = send_command
        self._clock = clock
        self._flatten_asked: dict[int, float] = {}  # chat id -> deadline
        self._stop_asked: dict[tuple[int, str], float] = {}  # (chat id, instance) -> deadline
        #: request id of an alert command -> the chat that sent it (answered by AlertReply)
        self.pending: OrderedDict[str, int] = OrderedDict()
        self._requests = itertools.count(1)

    def handle(self, name: str, chat_id: int, args: str = "") -> Reply:
        """Run command ``name`` (without the slash) for an authorised chat."""
        desk, fmt = self._desk, self._fmt
        currency = desk.account.currency if desk.account else ""
        match name:
            case "status":
                return Reply(fmt.status(desk.connection, desk.trading_state, desk.account))
            case "positions":
                return Reply(fmt.positions(desk.positions, currency))
            case "orders":
                return Reply(fmt.orders(desk.orders))
            case "pnl":
                return Reply(fmt.pnl(desk.account, desk.realized_today, desk.trades_today))
            case "halt":
                reason = args.strip() or "kill switch"
                self._send(
                    Halt(
                        f"Telegram /halt from chat {chat_id}: {reason}", source=OrderSource.TELEGRAM
                    )
                )
                return Reply("🛑 Halt sent to the engine; new orders are refused once it confirms.")
            case "resume":
                self._send(Resume(source=OrderSource.TELEGRAM))
                return Reply("▶️ Resume sent to the engine; it confirms when trading is ACTIVE.")
            case "flatten":
                return self._flatten(chat_id)
            case "strategies":
                return Reply(fmt.strategies(list(desk.strategies.values()), currency))
            case "stop":
                return self._stop(chat_id, args.strip())
            case "alerts":
                return Reply(fmt.alerts(list(desk.alerts.values())))
            case "alert":
                return self._alert(chat_id, args.strip())
            case "help" | "start":
                return Reply(HELP_TEXT)
        return Reply(f"Unknown command /{esc(name)}. Send /help for the list.")

    def _flatten(self, chat_id: int) -> Reply:
        deadline = self._flatten_asked.get(chat_id)
        if deadline is not None and self._clock() <= deadline:
            return self.confirm_flatten(chat_id)
        if self._desk.account is not None and not self._desk.positions:
            self._flatten_asked.pop(chat_id, None)
            return Reply("No open positions: nothing to flatten.")
        self._flatten_asked[chat_id] = self._clock() + CONFIRM_WINDOW_S
        count = len(self._desk.positions)
        what = f"all {count} open position(s)" if count else "every open position"
        return Reply(
            f"⚠️ Close {what} at market?\n"
            f"Press <b>Close all</b> or send /flatten again within {CONFIRM_WINDOW_S:.0f} s.",
            ask_flatten=True,
        )

    def _stop(self, chat_id: int, name: str) -> Reply:
        if not name:
            return Reply("Send /stop NAME, e.g. /stop ma_cross#1 (see /strategies).")
        status = self._desk.strategies.get(name)
        if status is None:
            known = ", ".join(esc(n) for n in self._desk.strategies) or "none attached"
            return Reply(f"No strategy {esc(name)} (attached: {known}).")
        key = (chat_id, name)
        deadline = self._stop_asked.pop(key, None)
        if deadline is not None and self._clock() <= deadline:
            self._send(StopStrategy(name, source=OrderSource.TELEGRAM))
            return Reply(f"⏹ Stop sent for {esc(name)}; its positions stay as they are.")
        self._stop_asked[key] = self._clock() + CONFIRM_WINDOW_S
        return Reply(
            f"⚠️ Stop {esc(name)} ({esc(status.state)})? Its positions stay open.\n"
            f"Send /stop {esc(name)} again within {CONFIRM_WINDOW_S:.0f} s."
        )

    def _alert(self, chat_id: int, text: str) -> Reply:
        """``/alert …``: the terminal's alert grammar, read in the bot's time zone."""
        if not text:
            return Reply(ALERT_USAGE)
        request_id = f"tg-{chat_id}-{next(self._requests)}"
        context = ParseContext(
            specs=self._fmt.specs,
            quotes=self._desk.quotes,
            positions=self._desk.positions,
            now=self._desk.now(),
            source=OrderSource.TELEGRAM,
            new_id=lambda: request_id,
        )
        parsed = parse(f"alert {text}", context)
        if isinstance(parsed, ParseError):
            return Reply(f"⛔ {esc(parsed.message)}")
        commands: list[Command] = []
        for command in parsed.commands:
            if isinstance(command, CreateAlert | EditAlert):
                if command.spec.actions.order is not None:
                    return Reply(
                        "⛔ An alert that places orders is set up in the terminal, not from "
                        "Telegram."
                    )
                # Asked for from the phone: it tells the phone.
                command = replace(command, spec=with_actions(command.spec, telegram=True))
            commands.append(command)
        self.pending[request_id] = chat_id
        while len(self.pending) > PENDING_REPLIES:
            self.pending.popitem(last=False)
        for command in commands:
            self._send(command)
        return Reply("")

    def confirm_flatten(self, chat_id: int) -> Reply:
        deadline = self._flatten_asked.pop(chat_id, None)
        if deadline is None:
            return Reply("Nothing to confirm: send /flatten first.")
        if self._clock() > deadline:
            return Reply(
                "⌛ The flatten confirmation expired; nothing was closed. Send /flatten again."
            )
        self._send(CloseAll(source=OrderSource.TELEGRAM))
        return Reply("🧹 Flatten sent: the engine closes every position; fills follow.")

    def cancel_flatten(self, chat_id: int) -> Reply:
        if self._flatten_asked.pop(chat_id, None) is None:
            return Reply("Nothing to cancel.")
        return Reply("Flatten cancelled; nothing was closed.")
