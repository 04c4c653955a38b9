"""Qt's own diagnostics go to Python logging, like everything else.

Some platform plugins print harmless notices on every start (the offscreen plugin
cannot resize windows for the window manager it does not have); those are kept
at debug level so a user's console shows only what matters.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

log = logging.getLogger("qt")

_HARMLESS = ("does not support propagateSizeHints", "does not support raise()")
_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _handle(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    level = _LEVELS.get(kind, logging.WARNING)
    if any(text in message for text in _HARMLESS):
        level = logging.DEBUG
    log.log(level, "%s", message)


def route_qt_messages_to_logging() -> None:
    qInstallMessageHandler(_handle)
