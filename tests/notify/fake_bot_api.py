"""A small Bot API server for tests: enough of Telegram for PTB's real HTTP path.

Runs ``http.server`` in a daemon thread on 127.0.0.1. It records every
``sendMessage``, serves queued updates to long-polling ``getUpdates``, and can
play the network's bad days: ``down`` (drop every connection unanswered),
``delay_s`` (answer slowly) and ``retry_after`` (answer 429 a number of times).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TOKEN = "123456789:AAF-fake-token-for-tests-only_XYZabc"


@dataclass
class SentMessage:
    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    at: float  # time.monotonic() when the request arrived


@dataclass
class FakeBotApi:
    token: str = TOKEN
    down: bool = False
    delay_s: float = 0.0
    retry_after: int = 0  # answer this many sendMessage calls with 429
    retry_after_s: int = 1
    sent: list[SentMessage] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    callback_answers: list[str] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _next_update_id: int = 1000
    _next_message_id: int = 1
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _closing: bool = False

    # -- control --------------------------------------------------------------------
    def start(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                api._handle(self)

            do_GET = do_POST

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean (and token-free)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-bot-api")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def push_command(self, chat_id: int, text: str, user_id: int | None = None) -> None:
        command = text.split(" ", 1)[0]
        self._push(
            {
                "message": {
                    **self._message(chat_id, text),
                    "from": _user(user_id or chat_id),
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
                }
            }
        )

    def push_button(self, chat_id: int, data: str) -> None:
        with self._cond:
            query_id = f"cq{self._next_update_id}"
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": _user(chat_id),
                    "chat_instance": "ci",
                    "data": data,
                    "message": {**self._message(chat_id, "Close all?"), "from": _user(1, True)},
                }
            }
        )

    def texts_to(self, chat_id: int) -> list[str]:
        with self._cond:
            return [m.text for m in self.sent if m.chat_id == chat_id]

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        with self._cond:
            return [m for m in self.sent if m.chat_id == chat_id]

    # -- internals ------------------------------------------------------------------
    def _push(self, update: dict[str, Any]) -> None:
        with self._cond:
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
            self._updates.append(update)
            self._cond.notify_all()

    def _message(self, chat_id: int, text: str) -> dict[str, Any]:
        with self._cond:
            message_id = self._next_message_id
            self._next_message_id += 1
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "text": text,
        }

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode() if length else ""
        if self.down:
            request.close_connection = True
            return  # no answer at all: the client sees a dropped connection
        if self.delay_s:
            time.sleep(self.delay_s)
        prefix = f"/bot{self.token}/"
        if not request.path.startswith(prefix):
            self._reply(
                request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return
        method = request.path[len(prefix) :]
        params = {k: v[-1] for k, v in parse_qs(body).items()}
        if request.headers.get("Content-Type", "").startswith("application/json") and body:
            params = json.loads(body)
        with self._cond:
            self.calls.append(method)
        status, payload = self._answer(method, params)
        self._reply(request, status, payload)

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        ok = {"ok": True}
        if method == "getMe":
            bot = {**_user(1, True), "username": "tradeterm_test_bot"}
            return 200, {**ok, "result": bot}
        if method in ("deleteWebhook", "setMyCommands"):
            return 200, {**ok, "result": True}
        if method == "getUpdates":
            return 200, {**ok, "result": self._poll(params)}
        if method == "answerCallbackQuery":
            with self._cond:
                self.callback_answers.append(str(params.get("callback_query_id")))
            return 200, {**ok, "result": True}
        if method == "sendMessage":
            return self._send_message(params)
        return 404, {"ok": False, "error_code": 404, "description": f"Not Found: {method}"}

    def _send_message(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._cond:
            if self.retry_after > 0:
                self.retry_after -= 1
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry later",
                    "parameters": {"retry_after": self.retry_after_s},
                }
        text = str(params.get("text", ""))
        if len(text) > 4096:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message is too long",
            }
        chat_id = int(params["chat_id"])
        markup = params.get("reply_markup")
        message = SentMessage(
            chat_id,
            text,
            params.get("parse_mode"),
            json.loads(markup) if isinstance(markup, str) else markup,
            time.monotonic(),
        )
        with self._cond:
            self.sent.append(message)
        return 200, {"ok": True, "result": self._message(chat_id, text)}

    def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closing and not self.down:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
            return list(self._updates)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout, shutdown)


def _user(user_id: int, is_bot: bool = False) -> dict[str, Any]:
    return {"id": user_id, "is_bot": is_bot, "first_name": "Bot" if is_bot else "Trader"}
