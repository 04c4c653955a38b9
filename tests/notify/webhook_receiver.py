"""A webhook receiver for tests: an HTTP server on 127.0.0.1 that records every POST.

Runs ``http.server`` in a daemon thread, like the fake Bot API. It answers 200
unless told otherwise: ``answers`` is a list of statuses to give first (500,
429…, then 200), ``retry_after`` adds that header to 429/503 answers, ``down``
drops every connection unanswered. ``unused_url()`` gives an address where
nothing listens (a refused connection).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float  # time.monotonic() on arrival


@dataclass
class WebhookReceiver:
    answers: list[int] = field(default_factory=list)
    retry_after: str = ""
    down: bool = False
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="webhook-receiver")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def url(self, path: str = "/hooks/secret-token-123") -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def bodies(self, event: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.received if event is None or r.body.get("event") == event]

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if self.down:
            request.close_connection = True
            return
        entry = Received(
            request.path,
            {k: v for k, v in request.headers.items()},
            json.loads(raw) if raw else {},
            time.monotonic(),
        )
        with self._lock:
            self.received.append(entry)
            status = self.answers.pop(0) if self.answers else 200
        try:
            request.send_response(status)
            if status in (429, 503) and self.retry_after:
                request.send_header("Retry-After", self.retry_after)
            request.send_header("Content-Length", "0")
            request.end_headers()
        except OSError:
            pass


def unused_url(path: str = "/hooks/secret-token-123") -> str:
    """An address on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
