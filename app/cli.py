"""Command line entry point: ``tradeterm`` / ``python -m app``.

Reads the arguments and settings, chooses the broker, then starts the GUI. Any
problem the user can fix (a bad setting, an unavailable broker) is one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import time

STARTED_AT = time.perf_counter()

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from app import __version__  # noqa: E402

if TYPE_CHECKING:
    from app.settings import Settings
    from app.storage.journal import Journal


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tradeterm", description="Tradeterm trading terminal")
    parser.add_argument(
        "--config", type=Path, help="a settings file (TOML) that overrides the others"
    )
    parser.add_argument(
        "--smoke-test", action="store_true", help="start offscreen, trade once on paper, exit"
    )
    parser.add_argument(
        "--debug", action="store_true", help="log everything, including debug messages"
    )
    parser.add_argument(
        "--fresh-journal",
        action="store_true",
        help="move the trade journal aside (kept as <name>.<time>.bak) and start a new one",
    )
    parser.add_argument("--version", action="version", version=f"tradeterm {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from app.diagnostics import setup_logging
    from app.paths import user_config_dir, user_data_dir, user_log_dir

    log_file = setup_logging(user_log_dir(), debug=args.debug)
    logging.getLogger(__name__).info("Tradeterm %s starting", __version__)

    from app.brokers.registry import BrokerUnavailable, broker_factory
    from app.settings import ConfigError, load_settings

    try:
        settings = load_settings(args.config)
        factory = broker_factory(settings)
    except ConfigError as exc:
        return tell_user(str(exc))
    except BrokerUnavailable as exc:
        return tell_user(f"settings error: {exc}")

    problem = check_journal_before_window(settings, fresh=args.fresh_journal)
    if problem:
        return tell_user(problem)

    from app.notify.setup import TelegramHooks
    from app.settings import user_settings_path
    from app.strategies.setup import install_strategies
    from app.ui.app import run_gui

    return run_gui(
        settings,
        factory,
        state_dir=user_config_dir(),
        lock_dir=user_data_dir(),
        log_file=log_file,
        started_at=STARTED_AT,
        smoke_test=args.smoke_test,
        journal_factory=lambda: open_journal(settings),
        telegram=TelegramHooks(settings.telegram, user_settings_path()),
        extend_engine=lambda core: install_strategies(core, user_data_dir()),
    )


def tell_user(message: str, *, exit_code: int = 2) -> int:
    """Show a start-up problem where the user will see it; returns the exit code.

    From a terminal that is stderr. A windowed Windows build has no console
    (``sys.stderr`` is None): there a double-click must not end in silence, so
    the same line appears in a message box.
    """
    if sys.stderr is not None:
        print(message, file=sys.stderr)
    else:
        from app.ui.dialogs.startup_problem import show_startup_problem

        show_startup_problem(message)
    return exit_code


def check_journal_before_window(settings: Settings, *, fresh: bool) -> str | None:
    """A journal that cannot be written stops the start; returns the one-line problem.

    The default SQLite journal is probed with the standard library only; SQLAlchemy
    and the migrations load later, in the engine thread, after the window shows.
    """
    if not settings.storage.url and not fresh:
        from app.storage.probe import sqlite_problem

        path = settings.storage.resolved_path()
        failure = sqlite_problem(path)
        if failure is None:
            return None
        from app.storage.failures import describe_failure

        return f"journal error: {describe_failure(f'sqlite:///{path}', failure)}"
    from app.storage import StorageError, journal_url, quick_check

    try:
        notice = quick_check(journal_url(settings.storage), fresh=fresh)
    except StorageError as exc:
        return f"journal error: {exc}"
    if notice:
        print(notice, file=sys.stderr)
    return None


def open_journal(settings: Settings) -> Journal:
    """Runs in the engine thread: loads SQLAlchemy, migrates, audits the settings."""
    from app.storage.startup import journal_factory

    return journal_factory(settings)()


if __name__ == "__main__":
    sys.exit(main())
