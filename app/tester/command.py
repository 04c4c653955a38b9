"""``tradeterm test``: a strategy tested on stored history, from a terminal.

Prints a progress bar with the time left while it runs (on a terminal only), a
summary when it ends, and writes the JSON result and the HTML report when
asked; returns 0. Input it cannot test — an unknown strategy, dates with no
data, a parameter outside its range or unknown — is one line on stderr and
exit 2, with nothing written. Ctrl+C cancels between two chunks of the replay:
one line, nothing written, exit 130. Output is plain ASCII for any console.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app.domain.strategies import ParamSpec
from app.domain.timeframes import Timeframe
from app.strategies.params import choice_for
from app.tester.errors import TestCancelled, TesterError
from app.tester.settings import Model, TesterSettings

if TYPE_CHECKING:
    from app.history.store import HistoryStore
    from app.strategies.catalog import Catalog
    from app.tester.result import TesterResult

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_CANCELLED = 130  # 128 + SIGINT, what a shell reports for Ctrl+C
MODELS = {
    "open": Model.OPEN,
    "ohlc": Model.OHLC,
    "every-tick": Model.EVERY_TICK,
    "ticks": Model.TICKS,
}


@dataclass(frozen=True)
class TestRequest:
    """The command line's words, before they are checked."""

    __test__ = False  # not a pytest test class

    strategy: str
    symbol: str
    timeframe: str
    start: str | None = None
    end: str | None = None
    model: str = "open"
    spread: str | None = None
    commission: str | None = None
    slippage: str | None = None
    deposit: str | None = None
    leverage: str | None = None
    currency: str | None = None
    params: Sequence[str] = ()
    json_path: Path | None = None
    report_path: Path | None = None
    csv_path: Path | None = None


def run_test_command(
    request: TestRequest,
    *,
    store: HistoryStore | None = None,
    catalog: Catalog | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    cancel: threading.Event | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    cancel = cancel or threading.Event()
    try:
        catalog = catalog or _user_catalog()
        settings = settings_from(request, catalog)
        _check_outputs(request)
        market = _load(store, settings)
    except TesterError as exc:
        return _fail(err, str(exc))
    bar = ProgressBar(err) if _is_terminal(err) else None
    from app.tester.session import run_test

    previous = _on_interrupt(cancel)
    try:
        result = run_test(
            settings,
            market,
            catalog,
            cancel=cancel,
            progress=bar.update if bar is not None else None,
        )
    except TesterError as exc:
        return _fail(err, str(exc), bar)
    except (TestCancelled, KeyboardInterrupt):
        if bar is not None:
            bar.clear()
        print("Test cancelled; nothing was written", file=err)
        return EXIT_CANCELLED
    finally:
        _restore_interrupt(previous)
    if bar is not None:
        bar.clear()
    try:
        written = _write(result, request)
    except OSError as exc:
        return _fail(
            err,
            f"cannot write {getattr(exc, 'filename', '') or 'the output'}: {exc.strerror or exc}",
        )
    print(summary(result), file=out)
    for line in written:
        print(line, file=out)
    return EXIT_OK


def settings_from(request: TestRequest, catalog: Catalog) -> TesterSettings:
    """Check every word of the request; ``TesterError`` names the first one that is wrong."""
    cls = catalog.classes.get(request.strategy)
    if cls is None:
        known = ", ".join(sorted(catalog.classes)) or "none"
        problems = "".join(f"; not loaded: {p}" for p in catalog.problems)
        raise TesterError(f"no strategy {request.strategy!r} (available: {known}){problems}")
    try:
        timeframe = Timeframe.parse(request.timeframe)
    except ValueError as exc:
        raise TesterError(str(exc)) from None
    model = MODELS.get(request.model.strip().lower())
    if model is None:
        raise TesterError(f"unknown model {request.model!r}; use one of {', '.join(MODELS)}")
    start = _date(request.start, "--from", end_of_day=False)
    end = _date(request.end, "--to", end_of_day=True)
    from app.strategies.params import specs

    params = parse_params(request.params, specs(cls.Params))
    settings = TesterSettings(
        strategy=request.strategy,
        symbol=request.symbol,
        timeframe=timeframe,
        model=model,
        start=start,
        end=end,
        params=params,
        spread_points=_number(request.spread, "--spread", int)
        if request.spread is not None
        else None,
        commission_per_lot=_number(request.commission, "--commission", float, 0.0),
        slippage_points=_number(request.slippage, "--slippage", int, 0),
        deposit=_number(request.deposit, "--deposit", float, 10_000.0),
        leverage=_number(request.leverage, "--leverage", int, 100),
        currency=(request.currency or "USD").strip().upper(),
    )
    settings.check()
    from app.strategies.params import ParamError

    try:
        cls.Params.parse(params)
    except ParamError as exc:
        raise TesterError(str(exc)) from None
    return settings


def parse_params(words: Sequence[str], declared: Sequence[ParamSpec]) -> dict[str, Any]:
    """``NAME=VALUE`` words as typed values; the strategy's model checks them after."""
    kinds = {spec.name: spec.kind for spec in declared}
    by_name = {spec.name: spec for spec in declared}
    params: dict[str, Any] = {}
    for word in words:
        name, sep, text = word.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise TesterError(f"--param {word!r} must be NAME=VALUE, e.g. --param fast=12")
        if name not in kinds:
            known = ", ".join(kinds) or "none"
            raise TesterError(f"{name} is not a parameter of this strategy (it has: {known})")
        if name in params:
            raise TesterError(f"--param {name} is given twice; give each parameter once")
        params[name] = _typed(name, text, by_name[name])
    return params


def _typed(name: str, text: str, spec: ParamSpec) -> Any:
    kind = spec.kind
    if kind == "choice":
        found, value = choice_for(spec, text)
        if not found:
            words = ", ".join(str(c) for c in getattr(spec, "choices", ()))
            raise TesterError(f"{name} must be one of {words} (got {text!r})")
        return value
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise TesterError(f"{name} must be true or false (got {text!r})")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise TesterError(f"{name} must be a whole number (got {text!r})") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise TesterError(f"{name} must be a number (got {text!r})") from None
    return text


def _number(text: str | None, option: str, kind: Callable[[str], Any], default: Any = None) -> Any:
    if text is None:
        return default
    try:
        return kind(text.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise TesterError(f"{option} must be {what} (got {text!r})") from None


def _date(text: str | None, option: str, *, end_of_day: bool) -> int | None:
    """``YYYY-MM-DD`` as epoch seconds: the day's first second, or its last for ``--to``."""
    if text is None:
        return None
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise TesterError(f"{option} {text!r} is not a date like 2024-05-31") from None
    if end_of_day:
        day += timedelta(days=1) - timedelta(seconds=1)
    return int(day.timestamp())


def _check_outputs(request: TestRequest) -> None:
    for option, path in (
        ("--json", request.json_path),
        ("--report", request.report_path),
        ("--csv", request.csv_path),
    ):
        if path is None:
            continue
        if not Path(path).parent.is_dir():
            raise TesterError(f"{option}: the folder {Path(path).parent} does not exist")
        if Path(path).is_dir():
            raise TesterError(f"{option}: {path} is a folder; give a file name in it")


def _load(store: HistoryStore | None, settings: TesterSettings) -> Any:
    from app.history.errors import HistoryError
    from app.history.store import HistoryStore
    from app.tester.market import load_history

    store = store or HistoryStore()
    ticks = settings.model is Model.TICKS
    try:
        return load_history(
            store,
            settings.symbol,
            ticks=ticks,
            start_msc=settings.start * 1000 if ticks and settings.start is not None else None,
            end_msc=settings.end * 1000 + 999 if ticks and settings.end is not None else None,
        )
    except HistoryError as exc:
        raise TesterError(str(exc)) from None


def _user_catalog() -> Catalog:
    from app.paths import user_data_dir
    from app.strategies.catalog import USER_FOLDER, load_catalog

    return load_catalog(user_data_dir() / USER_FOLDER)


def _write(result: TesterResult, request: TestRequest) -> list[str]:
    lines = []
    if request.json_path is not None:
        result.write_json(request.json_path)
        lines.append(f"Result written to {request.json_path}")
    if request.report_path is not None:
        from app.reporting import write_html

        write_html(result.report, request.report_path)
        lines.append(f"Report written to {request.report_path}")
    if request.csv_path is not None:
        from app.reporting import write_csv

        figures = write_csv(result.report, request.csv_path)
        lines.append(f"Trades written to {request.csv_path}, figures to {figures}")
    return lines


def summary(result: TesterResult) -> str:
    """A few lines a trader reads first."""
    s, f = result.settings, result.report.figures
    currency = s.currency

    def day(msc: int) -> str:
        return datetime.fromtimestamp(msc / 1000, UTC).strftime("%Y-%m-%d %H:%M")

    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    rate = result.bars / result.seconds if result.seconds > 0 else 0.0
    won = f"{f.won / f.trades * 100:.1f} %" if f.trades else "-"
    pf = f"{f.profit_factor:.2f}" if f.profit_factor is not None else "-"
    sharpe = f"{f.sharpe_ratio:.2f}" if f.sharpe_ratio is not None else "-"
    lines = [
        f"Tested {s.strategy} ({params}) on {s.symbol} {s.timeframe.name}, "
        f"{s.model.label.lower()}, {day(result.first_msc)} to {day(result.last_msc)}",
        f"{result.bars:,} bars, {result.ticks:,} prices, {result.polls:,} polls in "
        f"{result.seconds:.2f} s ({rate:,.0f} bars/s)",
        f"Trades {f.trades:,} (won {won}), net profit {f.net_profit:,.2f} {currency}, "
        f"profit factor {pf}, max equity drawdown {f.equity_drawdown.maximal:,.2f} "
        f"({f.equity_drawdown.maximal_pct:.2f} %), Sharpe {sharpe}",
    ]
    if result.closed_at_end:
        lines.append(
            f"{result.closed_at_end} position(s) were open at the end and closed at the last price"
        )
    if result.stopped:
        lines.append(f"The strategy stopped before the end: {result.stopped}")
    if result.refused:
        lines.append(result.refusals_in_words())
    return "\n".join(line.replace("\u2014", "-") for line in lines)


class ProgressBar:
    """``  42% [########............] 0:13 left`` on one line, redrawn at most 10 times a second."""

    WIDTH = 30

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._drawn_at = -1.0

    def update(self, done: int, total: int) -> None:
        now = self._clock()
        if now - self._drawn_at < 0.1 and done < total:
            return
        self._drawn_at = now
        share = done / total if total else 1.0
        filled = int(share * self.WIDTH)
        elapsed = now - self._started
        left = elapsed / share - elapsed if share > 0 else 0.0
        text = (
            f"\r{share * 100:5.1f}% [{'#' * filled}{'.' * (self.WIDTH - filled)}] {_hms(left)} left"
        )
        self._stream.write(text)
        self._stream.flush()

    def clear(self) -> None:
        self._stream.write("\r" + " " * (self.WIDTH + 24) + "\r")
        self._stream.flush()


def _hms(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _on_interrupt(cancel: threading.Event) -> object:
    """Ctrl+C sets ``cancel`` (the replay stops at its next chunk) instead of raising."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, lambda _signum, _frame: cancel.set())


def _restore_interrupt(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)  # type: ignore[arg-type]


def _fail(err: TextIO, message: str, bar: ProgressBar | None = None) -> int:
    if bar is not None:
        bar.clear()
    print(message, file=err)
    return EXIT_BAD_INPUT
