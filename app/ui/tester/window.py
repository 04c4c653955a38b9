"""The Strategy Tester window: settings and inputs, Start, progress, the report and the chart.

Like MetaTrader 5's tester: choose a strategy, the stored history (symbol,
timeframe, dates), the tick model, the costs and the account, and the
strategy's inputs; Start runs the test in a worker process
(:class:`~app.ui.tester.runner.TestRunner`), never in the GUI thread or the
live engine's; the progress bar says how far it is and how long is left, and
Cancel stops it. A test that cannot run is refused before anything starts,
in one line above the buttons. The result opens in the Report tab (the same
report the HTML file holds) and its trades are drawn on the tested bars in the
Chart tab. Other tabs join through :meth:`add_tab`.

Optimise, beside Start, runs the optimiser over the same settings with the
ranges of the Optimisation group (like MT5's optimisation mode): the passes run
in worker processes or on a Dask cluster, the Optimisation tab fills as they
finish, and its "Run this pass" runs that pass here as a single test and opens
its report. Closing the window stops the optimisation; quitting the terminal
waits until its workers are gone.
"""

from __future__ import annotations

import contextlib
import inspect
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.optimiser import OptimisationRun, OptimiserError, State
from app.optimiser.run import Workers
from app.tester import TesterSettings
from app.tester.background import Finished, Inventory, PassJob, load_inventory
from app.tester.market import price_digits
from app.ui.runtime.window_state import fit_to_screen
from app.ui.tester.background_call import BackgroundCall
from app.ui.tester.checks import data_problem, eta_text
from app.ui.tester.optimisation import OptimisationTab
from app.ui.tester.optimise_form import OptimiseForm
from app.ui.tester.optimise_job import OptimiseJob, build, check
from app.ui.tester.params_form import ParamsForm
from app.ui.tester.report_view import AskPath, ReportView, ask_save_path
from app.ui.tester.runner import TestRunner
from app.ui.tester.settings_form import SettingsForm
from app.ui.tester.trades_chart import TradesChart
from app.ui.widgets.theme import LOSS, MUTED

TITLE = "Strategy Tester"
OPTIMISATION_TAB = "Optimisation"
WATCH_MS = 250
_ENDED = (State.FINISHED, State.CANCELLED, State.FAILED)


def user_strategies_folder() -> Path:
    from app.paths import user_data_dir
    from app.strategies.catalog import USER_FOLDER

    return user_data_dir() / USER_FOLDER


def cluster_setting() -> str:
    """The ``[optimiser] cluster`` setting; a settings file that does not load means none
    (the terminal says why when it starts)."""
    from app.settings import load_settings

    with contextlib.suppress(Exception):
        return load_settings().optimiser.cluster
    return ""


class StrategyTesterWindow(QWidget):
    """One tester per main window; ``history_root`` and ``strategies_folder`` are the
    user's unless given (tests give temporary ones)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        history_root: Path | None = None,
        strategies_folder: Path | None = None,
        ask_path: AskPath = ask_save_path,
        cluster: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setObjectName("strategy_tester")
        self.setWindowTitle(TITLE)
        self._history_root = history_root
        self._strategies_folder = (
            strategies_folder if strategies_folder is not None else user_strategies_folder()
        )
        self.inventory: Inventory | None = None
        self.result: Finished | None = None
        self._loading: BackgroundCall | None = None
        self._started_at = 0.0
        self.optimisation_tab: OptimisationTab | None = None
        self._building: BackgroundCall | None = None
        self._build_cancelled = False
        self._shut = False
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self._watch_optimisation)

        self.runner = TestRunner(self)
        self.runner.progressed.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)

        self.settings_form = SettingsForm()
        self.params_form = ParamsForm()
        self.settings_form.strategy_changed.connect(self._strategy_changed)
        self.settings_form.changed.connect(self._clear_refusal)
        self.params_form.changed.connect(self._clear_refusal)
        self.optimise_form = OptimiseForm(cluster if cluster is not None else cluster_setting())
        self.optimise_form.changed.connect(self._clear_refusal)
        self.report_view = ReportView(ask_path=ask_path)
        self.chart = TradesChart()
        self.report_view.trade_activated.connect(self._show_trade)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tester_tabs")
        self.settings_tab = self._settings_page()
        self.tabs.addTab(self.settings_tab, "Settings")
        self.tabs.addTab(self.report_view, "Report")
        self.tabs.addTab(self.chart, "Chart")

        self.message = QLabel("")
        self.message.setObjectName("tester_message")
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("tester_progress")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(360)
        self.eta = QLabel("")
        self.eta.setObjectName("tester_eta")
        self.eta.setMinimumWidth(160)
        self.refresh_button = QPushButton("Refresh lists")
        self.refresh_button.setObjectName("tester_refresh")
        self.refresh_button.setToolTip("Read the strategies and the stored history again")
        self.refresh_button.clicked.connect(self.refresh)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("tester_start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.optimise_button = QPushButton("Optimise")
        self.optimise_button.setObjectName("tester_optimise")
        self.optimise_button.setToolTip(
            "Test every pass the Optimisation group asks for, on every core or the cluster"
        )
        self.optimise_button.clicked.connect(self.optimise)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("tester_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        bar = QHBoxLayout()
        bar.addWidget(self.message, 1)
        bar.addWidget(self.progress)
        bar.addWidget(self.eta)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.start_button)
        bar.addWidget(self.optimise_button)
        bar.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bar)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        self._set_running(False)
        self.resize(1500, 940)
        fit_to_screen(self)
        self.refresh()

    def _settings_page(self) -> QWidget:
        settings = QGroupBox("Settings")
        QVBoxLayout(settings).addWidget(self.settings_form)
        inputs = QGroupBox("Inputs")
        self.description = QLabel("")
        self.description.setObjectName("tester_strategy_description")
        self.description.setWordWrap(True)
        self.description.setStyleSheet(f"color: {MUTED.name()}")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.params_form)
        column = QVBoxLayout(inputs)
        column.addWidget(self.description)
        column.addWidget(scroll, 1)
        optimisation = QGroupBox("Optimisation")
        optimisation.setObjectName("tester_optimisation_settings")
        ranges = QScrollArea()
        ranges.setWidgetResizable(True)
        ranges.setFrameShape(QScrollArea.Shape.NoFrame)
        ranges.setWidget(self.optimise_form)
        QVBoxLayout(optimisation).addWidget(ranges)
        page = QWidget()
        row = QHBoxLayout(page)
        row.addWidget(settings, 1)
        row.addWidget(inputs, 1)
        row.addWidget(optimisation, 1)
        return page

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab (the optimiser's, for one); returns its index."""
        return self.tabs.addTab(widget, title)

    # -- the lists ----------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._loading is not None

    def refresh(self) -> None:
        """Read the catalogue and the store's listing again, off the GUI thread."""
        if self._loading is not None:
            return
        self._say("Reading the strategies and the stored history…")
        root, folder = self._history_root, self._strategies_folder
        self._loading = BackgroundCall(
            lambda: load_inventory(root, folder),
            self._on_inventory,
            self._on_inventory_failed,
            self,
        )
        self._set_running(self.runner.running)

    def _on_inventory(self, inventory: Inventory) -> None:
        self._loading = None
        self.inventory = inventory
        self.settings_form.set_inventory(inventory)
        if not inventory.series:
            self._say("No history is stored: import some (File → Import) or download it first")
        elif not inventory.catalog.classes:
            self._say("No strategy loaded; see the event log for why")
        else:
            problems = inventory.catalog.problems
            self._say(f"Not loaded: {problems[0]}" if problems else "", error=bool(problems))
        self._set_running(self.runner.running)

    def _on_inventory_failed(self, exc: BaseException) -> None:
        self._loading = None
        self._say(f"Could not read the stored history: {exc}", error=True)
        self._set_running(self.runner.running)

    def _strategy_changed(self, key: str) -> None:
        cls = self.settings_form.strategy_class()
        self.params_form.set_model(cls.Params if cls is not None else None)
        self.optimise_form.set_model(cls.Params if cls is not None else None)
        text = inspect.cleandoc(cls.__doc__ or "") if cls is not None else ""
        self.description.setText(text.replace("``", ""))

    # -- running ------------------------------------------------------------------------------

    def start(self) -> bool:
        """Check everything, then start the worker; False (and one line) if refused."""
        if self.runner.running or self.optimising:
            return False
        problem = self.refusal()
        if problem is not None:
            self._say(problem, error=True)
            return False
        params = self.params_form.values() or {}
        self._start_pass(self.settings_form.settings(params))
        return True

    def _start_pass(self, settings: TesterSettings) -> None:
        self.result = None
        self.report_view.set_report(None)
        self._started_at = time.monotonic()
        self.progress.setValue(0)
        self.eta.setText("loading the history…" if self.runner.spare else "starting a worker…")
        self.runner.start(PassJob(settings, self._history_root, self._strategies_folder))
        self._say(f"Testing {settings.strategy} on {settings.symbol} {settings.timeframe.name}…")
        self._set_running(True)

    def refusal(self) -> str | None:
        """Why Start would refuse now, in one line; None when a test can start."""
        if self.inventory is None:
            return "The lists are still being read; try again in a moment"
        if self.settings_form.strategy_class() is None:
            return "Choose a strategy (none is loaded)"
        if not self.settings_form.symbol.currentText():
            return "Choose a symbol (no history is stored)"
        problem = self.params_form.problem()
        if problem is not None:
            return problem
        settings = self.settings_form.settings({})
        problems = settings.problems()
        if problems:
            return "; ".join(problems)
        return data_problem(settings, self.settings_form.stored_series())

    def cancel(self) -> None:
        if self.optimising:
            self._cancel_optimisation()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling the optimisation…")
        elif self.runner.running:
            self.runner.cancel()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling…")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setValue(round(done / total * 1000) if total else 0)
        self.eta.setText(eta_text(done, total, time.monotonic() - self._started_at))

    def _on_finished(self, finished: Finished) -> None:
        self._set_running(False)
        self.result = finished
        result = finished.result
        figures = result.report.figures
        self.progress.setValue(1000)
        self.eta.setText("")  # the status line says how long it took, once
        self.report_view.set_report(result.report)
        settings = result.settings
        bars = finished.bars
        self.chart.set_data(
            bars,
            result.report.trades,
            timeframe=settings.timeframe,
            digits=price_digits({settings.timeframe: bars}, None),
            title=f"{settings.strategy} on {settings.symbol} {settings.timeframe.name}: "
            f"{len(bars):,} bars, {figures.trades:,} trades",
        )
        line = (
            f"Finished: {figures.trades:,} trades, net profit {figures.net_profit:,.2f} "
            f"{settings.currency}; {result.bars:,} bars replayed in {result.seconds:.2f} s; "
            f"run done in {time.monotonic() - self._started_at:.1f} s"
        )
        if result.stopped:
            line += f"; the strategy stopped before the end: {result.stopped}"
        elif result.refused:
            line += f"; {result.refusals_in_words()}"
        self._say(line)
        self.tabs.setCurrentWidget(self.report_view)

    def _on_failed(self, message: str) -> None:
        self._set_running(False)
        self.progress.setValue(0)
        self.eta.setText("")
        self._say(message[:1].upper() + message[1:], error=True)

    def _on_cancelled(self) -> None:
        self._set_running(False)
        self.progress.setValue(0)
        self.eta.setText("")
        self._say("Test cancelled; nothing was kept")

    # -- optimising ---------------------------------------------------------------------------

    @property
    def optimising(self) -> bool:
        """An optimisation is being prepared or its passes are running (until the window
        has said how it ended)."""
        return self._building is not None or self._watch.isActive()

    def optimise(self) -> bool:
        """Check the settings and the ranges, then build the run off the GUI thread and
        start it; False (and one line) if refused, with nothing started."""
        if self.runner.running or self.optimising:
            return False
        problem = self.refusal()
        if problem is None and self.inventory is not None:
            params = self.params_form.values() or {}
            job = OptimiseJob(
                self.optimise_form.choices(params),
                self.settings_form.settings(params),
                self.inventory.catalog,
                self._strategies_folder,
                self._history_root,
            )
            try:
                optimisation = check(job)
            except OptimiserError as exc:  # its words, as ``tradeterm optimise`` says them
                problem = str(exc)
        if problem is not None:
            self._say(problem, error=True)
            return False
        self._build_cancelled = False
        self._say("Reading the history and starting the workers…")
        self.progress.setValue(0)
        self.eta.setText("")
        self._building = BackgroundCall(
            lambda: build(job, optimisation), self._on_built, self._on_build_failed, self
        )
        self._set_running(False)
        return True

    def _on_built(self, built: tuple[OptimisationRun, Workers]) -> None:
        self._building = None
        run, workers = built
        if self._build_cancelled or self._shut:
            workers.close()  # nothing started on them: a cluster client is let go
            self._set_running(False)
            self._say("Optimisation cancelled before any pass ran")
            return
        if self.optimisation_tab is not None:
            old = self.optimisation_tab
            self.tabs.removeTab(self.tabs.indexOf(old))
            old.stop()  # its run has ended: this only stops its timer
            old.deleteLater()
        tab = OptimisationTab(run)
        tab.setObjectName("tester_optimisation")
        tab.run_pass_requested.connect(self.run_pass)
        self.optimisation_tab = tab
        self.tabs.setCurrentIndex(self.add_tab(tab, OPTIMISATION_TAB))
        self._started_at = time.monotonic()
        tab.start(workers)
        self._watch.start()
        s = run.optimisation.settings
        self._say(
            f"Optimising {s.strategy} on {s.symbol} {s.timeframe.name}: "
            f"{run.progress.total:,} passes, {run.optimisation.search} search on {workers.where}…"
        )
        self._set_running(False)

    def _on_build_failed(self, exc: BaseException) -> None:
        self._building = None
        self._set_running(False)
        text = str(exc) if isinstance(exc, OptimiserError) else f"Cannot optimise: {exc}"
        self._say(text, error=True)

    def _cancel_optimisation(self) -> None:
        if self._building is not None:
            self._build_cancelled = True
        elif self.optimisation_tab is not None:
            self.optimisation_tab.run.cancel()

    def _watch_optimisation(self) -> None:
        tab = self.optimisation_tab
        if tab is None:
            self._watch.stop()
            return
        run = tab.run
        p = run.progress
        self.progress.setValue(round(p.done / p.total * 1000) if p.total else 0)
        self.eta.setText(eta_text(p.done, p.total, time.monotonic() - self._started_at))
        if run.state not in _ENDED:
            return
        self._watch.stop()
        tab.refresh()
        self._set_running(False)
        ran = p.done - p.skipped
        if run.state is State.FAILED:
            self.progress.setValue(0)
            self.eta.setText("")
            self._say(run.error, error=True)
        elif run.state is State.CANCELLED:
            self._say(
                f"Optimisation cancelled after {p.done:,} of {p.total:,} passes; "
                "the passes that finished are kept"
            )
        else:
            self.eta.setText(f"done in {time.monotonic() - self._started_at:.1f} s")
            best = [r for r in run.results.best(1) if not r.error]
            line = f"Optimisation finished: {ran:,} passes on {run.where}"
            if best:
                shown = ", ".join(f"{n}={best[0].params[n]}" for n in run.parameter_names)
                line += f"; the best is pass {best[0].index} ({shown})"
            self._say(line)

    def run_pass(self, params: dict[str, Any]) -> bool:
        """Run one pass of the optimisation as a single test, on the optimisation's own
        settings, and open its report; False (and one line) while something runs."""
        tab = self.optimisation_tab
        if tab is None:
            return False
        if self.runner.running:
            self._say("A test is running: wait for it or cancel it", error=True)
            return False
        if self.optimising:
            self._say("Wait for the optimisation to finish (or stop it) first", error=True)
            return False
        self.params_form.set_values(params)
        self._start_pass(tab.run.optimisation.settings.with_params(params))
        return True

    def _show_trade(self, trade: object) -> None:
        self.tabs.setCurrentWidget(self.chart)
        self.chart.focus_trade(trade)  # type: ignore[arg-type]

    # -- state --------------------------------------------------------------------------------

    def _set_running(self, running: bool) -> None:
        busy = running or self.optimising
        self.start_button.setEnabled(not busy and self._loading is None)
        self.optimise_button.setEnabled(not busy and self._loading is None)
        self.refresh_button.setEnabled(not busy and self._loading is None)
        self.cancel_button.setEnabled(busy)
        self.settings_tab.setEnabled(not busy)
        self.progress.setVisible(busy or self.progress.value() > 0)

    def _clear_refusal(self) -> None:
        if not self.runner.running and not self.optimising and self.message.property("error"):
            self._say("")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("error", error and bool(text))
        self.message.setStyleSheet(f"color: {LOSS.name()}" if error else "")

    def showEvent(self, event: QShowEvent) -> None:
        """A worker gets ready while the trader chooses, so Start starts at once."""
        super().showEvent(event)
        self.runner.prepare()

    def hideEvent(self, event: QHideEvent) -> None:
        """Hidden (Esc, the close button): no idle worker; a running test carries on."""
        super().hideEvent(event)
        self.runner.release()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closed: the optimisation stops (its finished passes stay in the tab); its
        thread ends the workers without the GUI waiting for them."""
        self._cancel_optimisation()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """The terminal quits: a running worker and the spare are stopped at once, and an
        optimisation's workers are gone before this returns."""
        self._shut = True
        self._cancel_optimisation()
        self.runner.shutdown()
        if self.optimisation_tab is not None:
            self.optimisation_tab.stop()
