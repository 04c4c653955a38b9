"""Logging to a rotating file, and hooks so no exception in any thread goes unseen.

Set up first thing by the entry point. The log lives in the user log folder;
its path is shown to the user whenever something goes wrong.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

LOG_FILE_NAME = "tradeterm.log"
_FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"

ReportFn = Callable[[str, str], None]
"""Called with (one-line summary, full details) after an uncaught exception is logged."""


def setup_logging(log_dir: Path, *, debug: bool = False) -> Path:
    """Log to ``log_dir/tradeterm.log`` (5 × 1 MB, rotating) and warnings to stderr.

    Returns the log file path. If the folder cannot be written, logs go to stderr
    only and the path is still returned for messages (the caller decides).
    """
    log_file = log_dir / LOG_FILE_NAME
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if debug else logging.WARNING)
    console.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(console)
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", log_file, exc)
        return log_file
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(file_handler)
    return log_file


def install_exception_hooks(report: ReportFn) -> None:
    """Route uncaught exceptions of every thread to the log, then to ``report``.

    ``report`` may be called from any thread; it must hand over to the GUI thread
    itself (e.g. by emitting a Qt signal).
    """

    def on_main(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        _log_and_report(report, threading.current_thread().name, exc, tb)

    def on_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or isinstance(args.exc_value, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "unknown thread"
        _log_and_report(report, name, args.exc_value, args.exc_traceback)

    sys.excepthook = on_main
    threading.excepthook = on_thread


def _log_and_report(
    report: ReportFn, thread_name: str, exc: BaseException, tb: TracebackType | None
) -> None:
    details = "".join(traceback.format_exception(type(exc), exc, tb))
    logging.getLogger("crash").error("uncaught exception in thread %s:\n%s", thread_name, details)
    summary = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    try:
        report(f"in {thread_name}: {summary}", details)
    except Exception:  # the reporter itself must never raise from a hook
        logging.getLogger("crash").exception("could not report the error to the user")
