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

from app import __version__  # noqa: E402


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
    parser.add_argument("--version", action="version", version=f"tradeterm {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s",
    )
    from app.brokers.factory import BrokerUnavailable, broker_factory
    from app.paths import user_config_dir
    from app.settings import ConfigError, load_settings

    try:
        settings = load_settings(args.config)
        factory = broker_factory(settings)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except BrokerUnavailable as exc:
        print(f"settings error: {exc}", file=sys.stderr)
        return 2

    from app.ui.app import run_gui

    return run_gui(
        settings,
        factory,
        state_dir=user_config_dir(),
        started_at=STARTED_AT,
        smoke_test=args.smoke_test,
    )


if __name__ == "__main__":
    sys.exit(main())
