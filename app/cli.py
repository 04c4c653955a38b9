"""Command line entry point: ``tradeterm`` / ``python -m app``.

Reads the arguments and settings, chooses the broker, then starts the GUI. Any
problem the user can fix (a bad setting, an unavailable broker) is one line on
stderr and exit code 2, never a traceback.

Subcommands work on the history store without starting the GUI:
``tradeterm import FILE --symbol EURUSD``, ``tradeterm history`` and ``tradeterm
test STRATEGY --symbol EURUSD --timeframe H1`` (the Strategy Tester). They load
pyarrow only when they run, so a plain start stays as fast as before.
"""

from __future__ import annotations

import time

STARTED_AT = time.perf_counter()

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, NoReturn  # noqa: E402

from app import __version__  # noqa: E402

if TYPE_CHECKING:
    from app.engine.extensions import EngineServices
    from app.settings import Settings
    from app.storage.journal import Journal


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line too, like every other problem the user can fix."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="tradeterm", description="Tradeterm trading terminal")
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
    parser.add_argument(
        "--fresh-paper-account",
        action="store_true",
        help="move the paper account aside (kept as <name>.<time>.bak) and start a new one",
    )
    parser.add_argument("--version", action="version", version=f"tradeterm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    importing = commands.add_parser(
        "import",
        help="store bars or ticks from a MetaTrader 5 export or a CSV file",
        description="Store bars or ticks from a MetaTrader 5 export (Symbols > Bars/Ticks > "
        "Export) or a CSV file with a header. Bad lines are skipped and counted, or stop "
        "the import with nothing stored (--on-error stop).",
    )
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.add_argument("--symbol", required=True, help="the symbol to store under, e.g. EURUSD")
    importing.add_argument(
        "--timeframe", help="M1, M5, M15, M30, H1, H4 or D1 (default: what the data says)"
    )
    importing.add_argument("--on-error", choices=("skip", "stop"), default="skip")

    history = commands.add_parser(
        "history",
        help="list, delete or export stored history",
        description="Without options: list what is stored (symbol, series, from, to, count, gaps).",
    )
    action = history.add_mutually_exclusive_group()
    action.add_argument("--delete", metavar="SYMBOL", help="delete a symbol's history")
    action.add_argument(
        "--export", nargs=2, metavar=("SYMBOL", "PATH.csv"), help="write a series to a CSV file"
    )
    history.add_argument(
        "--timeframe", help="the series for --delete or --export: M1 ... D1 or ticks"
    )
    history.add_argument(
        "--from", dest="start", metavar="DATE", help="export from DATE (YYYY-MM-DD)"
    )
    history.add_argument("--to", dest="end", metavar="DATE", help="export up to DATE, inclusive")
    history.add_argument("--gaps", action="store_true", help="list every gap under its series")
    _add_test_parser(commands)
    _add_optimise_parser(commands)
    return parser.parse_args(argv)


def _add_test_parser(commands: argparse._SubParsersAction) -> None:
    test = commands.add_parser(
        "test",
        help="test a strategy on stored history (the Strategy Tester, headless)",
        description="Replay stored history through the engine, the risk gate and the strategy, "
        "print a summary, and write the result (--json) and the report (--report). Ctrl+C "
        "cancels. Dates are UTC days on the data's clock, both included.",
    )
    test.add_argument("strategy", metavar="STRATEGY", help="the strategy's key, e.g. ma_cross")
    test.add_argument("--symbol", required=True, help="the stored symbol, e.g. EURUSD")
    test.add_argument("--timeframe", required=True, help="M1, M5, M15, M30, H1, H4 or D1")
    test.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day tested")
    test.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day tested")
    test.add_argument(
        "--model",
        default="open",
        metavar="MODEL",
        help="open (open prices only, default), ohlc (1-minute OHLC), every-tick (generated "
        "from M1) or ticks (real ticks)",
    )
    test.add_argument("--spread", metavar="POINTS", help="a fixed spread (default: the data's)")
    test.add_argument("--commission", metavar="MONEY", help="commission per lot and deal")
    test.add_argument("--slippage", metavar="POINTS", help="slippage of fills at the market")
    test.add_argument("--deposit", metavar="MONEY", help="initial deposit (default 10000)")
    test.add_argument("--leverage", metavar="N", help="account leverage 1:N (default 100)")
    test.add_argument("--currency", metavar="CCY", help="account currency (default USD)")
    test.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a strategy parameter (repeat for more)",
    )
    test.add_argument("--json", dest="json_path", type=Path, metavar="PATH", help="the result file")
    test.add_argument(
        "--report", dest="report_path", type=Path, metavar="PATH.html", help="the HTML report"
    )
    test.add_argument(
        "--csv", dest="csv_path", type=Path, metavar="PATH.csv", help="the trades as CSV"
    )


def _add_optimise_parser(commands: argparse._SubParsersAction) -> None:
    opt = commands.add_parser(
        "optimise",
        aliases=["optimize"],
        help="optimise a strategy's parameters on stored history (every core, or a Dask cluster)",
        description="Run the tester's pass over a space of parameters on every local core (or "
        "a Dask cluster), rank the passes by an objective, show each pass in sample and out "
        "of sample, and write every pass (--json). Ctrl+C cancels.",
    )
    opt.add_argument("strategy", metavar="STRATEGY", help="the strategy's key, e.g. ma_cross")
    opt.add_argument("--symbol", required=True, help="the stored symbol, e.g. EURUSD")
    opt.add_argument("--timeframe", required=True, help="M1, M5, M15, M30, H1, H4 or D1")
    opt.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day tested")
    opt.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day tested")
    opt.add_argument(
        "--model", default="open", metavar="MODEL", help="open, ohlc, every-tick or ticks"
    )
    opt.add_argument("--spread", metavar="POINTS", help="a fixed spread (default: the data's)")
    opt.add_argument("--commission", metavar="MONEY", help="commission per lot and deal")
    opt.add_argument("--slippage", metavar="POINTS", help="slippage of fills at the market")
    opt.add_argument("--deposit", metavar="MONEY", help="initial deposit (default 10000)")
    opt.add_argument("--leverage", metavar="N", help="account leverage 1:N (default 100)")
    opt.add_argument("--currency", metavar="CCY", help="account currency (default USD)")
    opt.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME[=FROM:TO[:STEP]|=A,B|=VALUE]",
        help="a parameter to sweep (NAME alone: its declared range) or to fix (repeat for more)",
    )
    opt.add_argument("--search", default="grid", choices=("grid", "random", "genetic"))
    opt.add_argument(
        "--objective",
        default="net_profit",
        metavar="EXPR",
        help="a figure or an expression over figures to maximise (default net_profit)",
    )
    opt.add_argument(
        "--constraint",
        action="append",
        default=[],
        metavar="EXPR",
        help="a condition every ranked pass keeps, e.g. trades>=30 (repeat for more)",
    )
    opt.add_argument(
        "--forward",
        metavar="FRACTION|DATE",
        help="out of sample: the last FRACTION of the period (0.3) or from DATE on",
    )
    opt.add_argument(
        "--walk-forward", type=int, default=0, metavar="N", help="N walk-forward windows"
    )
    opt.add_argument("--passes", type=int, default=200, metavar="N", help="random search: passes")
    opt.add_argument("--population", type=int, default=40, metavar="N", help="genetic search")
    opt.add_argument("--generations", type=int, default=25, metavar="N", help="genetic search")
    opt.add_argument("--seed", type=int, default=1, metavar="N", help="random and genetic search")
    where = opt.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: every core)"
    )
    where.add_argument("--cluster", metavar="tcp://HOST:8786", help="a Dask scheduler's address")
    opt.add_argument(
        "--json", dest="json_path", type=Path, metavar="PATH", help="every pass, as JSON"
    )


def _run_optimise(args: argparse.Namespace) -> int:
    from app.optimiser.command import OptimiseRequest, run_optimise_command

    cluster = ""
    if args.cluster is None and args.workers is None:
        from app.settings import ConfigError, load_settings

        try:
            cluster = load_settings(args.config).optimiser.cluster
        except ConfigError as exc:
            return tell_user(str(exc))
    return run_optimise_command(
        OptimiseRequest(
            strategy=args.strategy,
            symbol=args.symbol,
            timeframe=args.timeframe,
            params=tuple(args.param),
            start=args.start,
            end=args.end,
            model=args.model,
            spread=args.spread,
            commission=args.commission,
            slippage=args.slippage,
            deposit=args.deposit,
            leverage=args.leverage,
            currency=args.currency,
            search=args.search,
            objective=args.objective,
            constraints=tuple(args.constraint),
            forward=args.forward,
            walk_forward=args.walk_forward,
            passes=args.passes,
            population=args.population,
            generations=args.generations,
            seed=args.seed,
            workers=args.workers,
            cluster=args.cluster,
            json_path=args.json_path,
        ),
        cluster_setting=cluster,
    )


def run_history_command(args: argparse.Namespace) -> int:
    """``tradeterm import``, ``history``, ``test`` and ``optimise``: no GUI, no broker."""
    if args.command in ("optimise", "optimize"):
        return _run_optimise(args)
    if args.command == "test":
        from app.tester.command import TestRequest, run_test_command

        return run_test_command(
            TestRequest(
                strategy=args.strategy,
                symbol=args.symbol,
                timeframe=args.timeframe,
                start=args.start,
                end=args.end,
                model=args.model,
                spread=args.spread,
                commission=args.commission,
                slippage=args.slippage,
                deposit=args.deposit,
                leverage=args.leverage,
                currency=args.currency,
                params=tuple(args.param),
                json_path=args.json_path,
                report_path=args.report_path,
                csv_path=args.csv_path,
            )
        )
    from app.history.commands import run_history, run_import

    if args.command == "import":
        return run_import(args.file, args.symbol, args.timeframe, args.on_error)
    export = (args.export[0], Path(args.export[1])) if args.export else None
    return run_history(
        delete=args.delete,
        export=export,
        timeframe=args.timeframe,
        start=args.start,
        end=args.end,
        gaps=args.gaps,
    )


def main(argv: list[str] | None = None) -> int:
    # The optimiser's worker processes start this program again (spawn); in the
    # packaged exe this is where such a child runs its work instead of the terminal.
    import multiprocessing

    multiprocessing.freeze_support()
    args = parse_args(argv)
    if args.command is not None:
        return run_history_command(args)
    from app.diagnostics import setup_logging
    from app.paths import user_config_dir, user_data_dir, user_log_dir

    log_file = setup_logging(user_log_dir(), debug=args.debug)
    logging.getLogger(__name__).info("Tradeterm %s starting", __version__)

    from app.brokers.registry import BrokerUnavailable, broker_factory, settings_problem
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
    problem = check_paper_account_before_window(settings, fresh=args.fresh_paper_account)
    if problem:
        return tell_user(problem)

    from app.alerts.setup import install_alerts
    from app.engine.history_jobs import install_history
    from app.notify.setup import TelegramHooks
    from app.settings import user_settings_path
    from app.strategies.setup import install_strategies
    from app.ui.app import run_gui

    def extend_engine(core: EngineServices) -> None:
        """The packages on the engine's seam: strategies, alerts and the history jobs,
        before its thread starts."""
        install_strategies(core, user_data_dir())
        install_alerts(core)
        install_history(
            core, record=settings.history.record_ticks, symbols=settings.history.record_symbols
        )

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
        extend_engine=extend_engine,
        settings_check=settings_problem,
        next_start=lambda: load_settings(args.config),  # to tell whether a saved change holds
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


def check_paper_account_before_window(settings: Settings, *, fresh: bool) -> str | None:
    """A damaged paper account stops the start; returns the one-line problem.

    Found later, in the engine thread, it would leave the terminal running with
    no broker and no way out (and ``--smoke-test`` waiting for a connection).
    """
    from app.brokers.registry import prepare_broker

    notice, problem = prepare_broker(settings, fresh=fresh)
    if notice:
        print(notice, file=sys.stderr)
    return problem


def open_journal(settings: Settings) -> Journal:
    """Runs in the engine thread: loads SQLAlchemy, migrates, audits the settings."""
    from app.storage.startup import journal_factory

    return journal_factory(settings)()


if __name__ == "__main__":
    sys.exit(main())
