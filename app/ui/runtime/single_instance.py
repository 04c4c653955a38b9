"""One running Tradeterm per user profile: a second launch wakes the first and exits.

A ``QLockFile`` in the user data folder is the guard (the OS releases it if the
process dies, so a crash never blocks the next start). A ``QLocalServer`` next to
it carries the "come to the front" message from a second launch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_ACTIVATE = b"activate\n"


def _server_name(lock_dir: Path) -> str:
    digest = hashlib.sha1(str(lock_dir.resolve()).encode()).hexdigest()[:16]
    return f"tradeterm-{digest}"


class SingleInstance(QObject):
    """``activation_requested`` fires in the first instance when a second one starts."""

    activation_requested = Signal()

    def __init__(self, lock_dir: Path) -> None:
        super().__init__()
        lock_dir.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(lock_dir / "tradeterm.lock"))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone
        self._name = _server_name(lock_dir)
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True if this process is the only instance; otherwise wake the other one."""
        if self._lock.tryLock(200):
            QLocalServer.removeServer(self._name)  # a leftover from a crashed run
            self._server = QLocalServer(self)
            self._server.newConnection.connect(self._on_connection)
            self._server.listen(self._name)
            return True
        self._wake_the_other()
        return False

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _wake_the_other(self) -> None:
        socket = QLocalSocket()
        socket.connectToServer(self._name)
        if socket.waitForConnected(1000):
            socket.write(_ACTIVATE)
            socket.waitForBytesWritten(1000)
            socket.disconnectFromServer()

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_message(s))
            socket.disconnected.connect(socket.deleteLater)

    def _on_message(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(_ACTIVATE.strip()):
            self.activation_requested.emit()
