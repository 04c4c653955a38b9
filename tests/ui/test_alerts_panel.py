"""The Alerts tab and the chart's alert lines on a real main window, engine thread and paper
broker, with the alert host installed on the engine as the application does it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.alerts.host import AlertHost
from app.alerts.setup import install_alerts
from app.brokers.sim.broker import SimBroker
from app.domain.alert_facts import AlertStatus, CreateAlert, DeleteAlert
from app.domain.alerts import AlertActions, AlertSpec, AlertState, Condition, Trigger, Watch
from app.domain.enums import OrderSource
from app.engine.bus import EventBus
from app.engine.thread import Engine, EngineHost
from app.ui.main_window import MainWindow
from app.ui.panels.alerts import AlertsPanel
from app.ui.panels.chart.alert_lines import ALERT_COLOR, ChartAlerts


@dataclass
class Desk:
    window: MainWindow
    bus: EventBus
    alert_host: AlertHost
    asked: list[str]
    answer: list[bool] = field(default_factory=lambda: [True])
    sent: list[object] = field(default_factory=list)  # every command put on the bus

    @property
    def panel(self) -> AlertsPanel:
        return self.window.alerts

    @property
    def lines(self) -> ChartAlerts:
        return self.window.chart_alerts[self.window.workspace.active.watcher]

    def status(self, number: int) -> AlertStatus | None:
        return self.panel.book.get(number)

    def cell(self, number: int, column: int) -> str:
        row = self.panel.model.row_of(number)
        assert row is not None, f"alert {number} is not in the table"
        return str(self.panel.model.index(row, column).data())

    def bid(self) -> float:
        return self.window.desk.quotes["EURUSD"].bid

    def stored_level(self, number: int) -> float | None:
        """The level the engine keeps (read in the GUI thread while the engine runs:
        a plain attribute read of a value the engine replaces, never mutates)."""
        return self.alert_host.alerts[number].spec.level


@pytest.fixture
def desk(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[[], Desk]]:
    hosts: list[EngineHost] = []

    def make() -> Desk:
        bus = EventBus()
        engine = Engine(bus, lambda: SimBroker(seed=5, ticks_per_second=30, history_bars=300))
        alert_host = install_alerts(engine.core)  # as the application does, before the thread
        host = EngineHost(engine, bus)
        asked: list[str] = []
        answer = [True]

        def confirm(_title: str, text: str) -> bool:
            asked.append(text)
            return answer[0]

        window = MainWindow(
            bus,
            default_symbol="EURUSD",
            default_volume=0.1,
            state_file=tmp_path / "window.ini",
            confirm=confirm,
        )
        window.closing.connect(host.stop)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        host.start()
        hosts.append(host)
        qtbot.waitUntil(lambda: window.chart.bar_count > 0, timeout=10_000)
        qtbot.waitUntil(lambda: "EURUSD" in window.desk.quotes, timeout=10_000)
        d = Desk(window, bus, alert_host, asked, answer)
        bus.command.connect(d.sent.append)
        return d

    yield make
    for host in hosts:
        host.stop()


def _create(qtbot: QtBot, d: Desk, spec: AlertSpec) -> int:
    before = set(d.panel.book.alerts)
    d.bus.command.emit(CreateAlert(spec, source=OrderSource.TICKET))
    qtbot.waitUntil(lambda: set(d.panel.book.alerts) - before != set(), timeout=10_000)
    (number,) = set(d.panel.book.alerts) - before
    return number


def _focus_tab(qtbot: QtBot, d: Desk) -> None:
    d.window.activateWindow()
    qtbot.waitUntil(d.window.isActiveWindow, timeout=5_000)
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(d.window, Qt.Key.Key_A, ctrl_shift)
    assert d.window.docks["alerts"].isVisible()
    qtbot.waitUntil(d.panel.table.hasFocus, timeout=5_000)


def _key(
    qtbot: QtBot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has keyboard focus"
    qtbot.keyClick(widget, key, modifiers)


def _fitted_view(qtbot: QtBot, d: Desk) -> tuple[float, float]:
    view = d.window.chart.plot_widget.getPlotItem().getViewBox()

    def fitted() -> bool:
        (_x0, _x1), (y0, y1) = view.viewRange()
        return y0 < d.bid() < y1 and y1 - y0 < 0.05

    qtbot.waitUntil(fitted, timeout=5000)
    (_x0, _x1), (y0, y1) = view.viewRange()
    return y0, y1


def _widget_point(d: Desk, price: float, across: float = 1 / 3) -> QPoint:
    plot = d.window.chart.plot_widget
    view = plot.getPlotItem().getViewBox()
    (x0, x1), _ = view.viewRange()
    scene = view.mapViewToScene(QPointF(x0 + (x1 - x0) * across, price))
    return plot.mapFromScene(scene)


def test_the_tab_lists_each_alert_with_its_condition_trigger_actions_state_count_and_expiry(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    far = round(d.bid() + 0.05, 5)
    expires = 4_102_444_800_000  # 2100-01-01
    number = _create(
        qtbot,
        d,
        AlertSpec(
            "EURUSD",
            Watch.ASK,
            Condition.CROSSES_UP,
            level=far,
            trigger=Trigger.EVERY,
            interval_s=300,
            max_count=3,
            expires_msc=expires,
            actions=AlertActions(sound=False, notify=True, telegram=True),
        ),
    )
    assert d.cell(number, 1) == "EURUSD"
    assert d.cell(number, 2) == f"ask crosses up {far:.5f}"
    assert d.cell(number, 3) == "every 5m, max 3"
    # Telegram is off: its message would reach nobody, and the list says so.
    assert d.cell(number, 4) == "notification, Telegram (off)"
    d.window.set_telegram_status("online", "", 0, 0)
    assert d.cell(number, 4) == "notification, Telegram"
    d.window.set_telegram_status("off", "", 0, 0)
    assert d.cell(number, 4) == "notification, Telegram (off)"
    assert d.cell(number, 5) == "active"
    assert d.cell(number, 6) == "0 / 3"
    assert d.cell(number, 7).startswith("2100-01-01") or d.cell(number, 7).startswith("2099-12-31")


def test_switch_off_and_on_edit_and_delete_from_the_keyboard(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    far = round(d.bid() + 0.05, 5)
    number = _create(qtbot, d, AlertSpec("EURUSD", Watch.BID, Condition.CROSSES, level=far))
    _focus_tab(qtbot, d)
    assert d.panel.selected() is not None and d.panel.selected().number == number  # type: ignore[union-attr]

    _key(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: d.cell(number, 5) == "disabled", timeout=10_000)
    _key(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: d.cell(number, 5) == "active", timeout=10_000)

    _key(qtbot, Qt.Key.Key_F2)
    form = d.panel.form
    assert form is not None and form.number == number and form.level.value() == pytest.approx(far)
    form.level.setValue(far - 0.0005)
    form.note.setText("the old high")
    form.submit()
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: d.stored_level(number) == pytest.approx(far - 0.0005), timeout=10_000)
    assert d.cell(number, 2) == f"bid crosses {far - 0.0005:.5f}"
    assert d.status(number).spec.note == "the old high"  # type: ignore[union-attr]

    _focus_tab(qtbot, d)
    d.answer[0] = False  # the trader says no: nothing is deleted
    _key(qtbot, Qt.Key.Key_Delete)
    assert d.asked and f"Delete alert {number}" in d.asked[-1]
    assert not any(isinstance(c, DeleteAlert) for c in d.sent)  # nothing was sent
    assert d.status(number) is not None
    d.answer[0] = True
    _key(qtbot, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: d.status(number) is None, timeout=10_000)
    assert d.panel.model.rowCount() == 0


def test_a_refused_edit_stays_in_the_form_with_the_reason_and_changes_nothing(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    far = round(d.bid() + 0.05, 5)
    number = _create(qtbot, d, AlertSpec("EURUSD", Watch.BID, Condition.CROSSES, level=far))
    d.panel.select(number)
    form = d.panel.edit()
    assert form is not None
    form.expires.setChecked(True)
    form.expiry.setDateTime(form.expiry.dateTime().addYears(-30))  # a time in the past
    form.submit()
    qtbot.waitUntil(form.problem.isVisible, timeout=10_000)
    assert "expiry" in form.problem.text().lower() and form.isVisible()
    assert d.status(number).spec.expires_msc is None  # type: ignore[union-attr]


def test_a_repeating_alert_fires_shows_its_history_and_is_acknowledged_from_the_menu(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    actions = AlertActions(sound=False, notify=False, telegram=False, repeat_until_ack=True)
    # Holds at once: the bid is above a level far below it.
    number = _create(
        qtbot,
        d,
        AlertSpec("EURUSD", Watch.BID, Condition.ABOVE, level=0.5, actions=actions),
    )
    qtbot.waitUntil(lambda: d.status(number).count == 1, timeout=10_000)  # type: ignore[union-attr]
    assert d.cell(number, 5) == "done · not acknowledged"
    d.panel.select(number)
    qtbot.waitUntil(lambda: len(d.panel.firings) == 1, timeout=10_000)
    assert d.panel.history_title.text() == f"History of alert {number}"
    assert "EURUSD bid is above 0.50000" in d.panel.history.item(0, 2).text()  # type: ignore[union-attr]

    table = d.panel.table
    rect = table.visualRect(table.model().index(0, 0))
    table.customContextMenuRequested.emit(rect.center())
    menu = table.last_menu
    assert menu is not None
    texts = [a.text().replace("&", "") for a in menu.actions()]
    assert texts == [
        "New alert…",
        "Edit…",
        "Switch on / off",
        "Acknowledge",
        "Acknowledge all",
        "Delete…",
    ]
    acknowledge = next(a for a in menu.actions() if a.text() == "&Acknowledge")
    menu.close()
    acknowledge.trigger()
    qtbot.waitUntil(lambda: not d.status(number).unacknowledged, timeout=10_000)  # type: ignore[union-attr]
    assert d.cell(number, 5) == "done"


def test_alert_lines_are_drawn_dragged_to_a_new_stored_level_and_go_with_the_alert(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    low, _high = _fitted_view(qtbot, d)
    bid = d.bid()
    level = round(low + (bid - low) / 2, 5)
    number = _create(qtbot, d, AlertSpec("EURUSD", Watch.BID, Condition.CROSSES, level=level))
    key = (number, "level")
    qtbot.waitUntil(lambda: key in d.lines.lines, timeout=5000)
    line = d.lines.lines[key]
    assert line.value() == pytest.approx(level)
    assert line.pen.color().name() == ALERT_COLOR and line.pen.style() == Qt.PenStyle.DotLine
    assert d.lines.shown_label(key) == f"Alert {number} · bid crosses {level:.5f}"
    assert line.label.isVisible()
    # A level far off the chart is not forced into view; its label is not left at the edge.
    far = _create(qtbot, d, AlertSpec("EURUSD", Watch.BID, Condition.CROSSES, level=bid + 0.5))
    qtbot.waitUntil(lambda: (far, "level") in d.lines.lines, timeout=5000)
    assert not d.lines.lines[(far, "level")].label.isVisible()

    viewport = d.window.chart.plot_widget.viewport()
    start = _widget_point(d, level)
    target = low + (level - low) / 3
    end = _widget_point(d, target)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 9):
        QTest.mouseMove(viewport, QPoint(start.x(), start.y() + (end.y() - start.y()) * i // 8))
        qtbot.wait(5)
    dragged_to = round(line.value(), 5)
    assert dragged_to < level
    assert d.lines.shown_label(key) == f"Alert {number} · bid crosses {dragged_to:.5f}"
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    let_go_at = round(line.value(), 5)
    # The engine stores the new level: read back from its alert list.
    qtbot.waitUntil(lambda: d.stored_level(number) == pytest.approx(let_go_at), timeout=10_000)
    assert let_go_at == pytest.approx(target, abs=(level - low) / 5)
    qtbot.waitUntil(lambda: d.cell(number, 2) == f"bid crosses {let_go_at:.5f}", timeout=5000)

    # Deleting the alert removes its line.
    d.panel.select(number)
    d.panel.delete()
    qtbot.waitUntil(lambda: key not in d.lines.lines, timeout=10_000)


def test_an_alert_is_created_from_the_chart_s_menu_and_with_alt_a_at_the_crosshair(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    low, _high = _fitted_view(qtbot, d)
    price = low + (d.bid() - low) / 4
    menu = d.window.chart_trading.pending_menu(price)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    wanted = f"Alert at {price:.5f}"
    [item] = [a for a in menu.actions() if a.text().startswith(wanted)]
    assert texts.index(item.text()) == len(texts) - 1  # after the pending orders
    item.trigger()
    qtbot.waitUntil(lambda: len(d.panel.book.alerts) == 1, timeout=10_000)
    (first,) = d.panel.book.alerts.values()
    assert first.spec.level == pytest.approx(round(price, 5)) and first.spec.watch is Watch.BID
    assert first.state is AlertState.ACTIVE

    # Alt+A at the crosshair: point at a price, then the key.
    chart = d.window.chart
    there = low + (d.bid() - low) / 2
    point = _widget_point(d, there, across=0.5)
    QTest.mouseMove(chart.plot_widget.viewport(), point)
    qtbot.waitUntil(lambda: d.lines.crosshair_price is not None, timeout=5000)
    crosshair = d.lines.crosshair_price
    assert crosshair is not None and crosshair == pytest.approx(there, abs=0.0002)
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(d.panel.book.alerts) == 2, timeout=10_000)
    second = max(d.panel.book.alerts.values(), key=lambda a: a.number)
    assert second.spec.level == pytest.approx(round(crosshair, 5))
    qtbot.waitUntil(lambda: (second.number, "level") in d.lines.lines, timeout=5000)

    # With the focus in the ticket's command line Alt+A still sets the alert, types nothing.
    command = d.window.ticket.command
    command.setFocus()
    command.setText("buy 0.1")
    qtbot.keyClick(command, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(d.panel.book.alerts) == 3, timeout=10_000)
    assert command.text() == "buy 0.1"
    assert command.hasFocus()
    # It takes no menu's Alt+letter: no menu bar title has A as its mnemonic.
    titles = [a.text().lower() for a in d.window.menuBar().actions()]
    assert titles and not any("&a" in title for title in titles), titles


def test_every_chart_of_the_symbol_draws_the_alert_and_a_closed_chart_lets_go(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    first = d.window.workspace.active
    second = d.window.new_chart("EURUSD")
    qtbot.waitUntil(lambda: second.chart.bar_count > 0, timeout=10_000)
    level = round(d.bid() - 0.001, 5)
    number = _create(qtbot, d, AlertSpec("EURUSD", Watch.BID, Condition.CROSSES, level=level))
    key = (number, "level")
    for window in (first, second):
        lines = d.window.chart_alerts[window.watcher]
        qtbot.waitUntil(lambda lines=lines: key in lines.lines, timeout=5000)
        assert lines.lines[key].value() == pytest.approx(level)

    assert d.window.workspace.close_chart(second)
    assert second.watcher not in d.window.chart_alerts
    # The book still updates the chart that stays, and nothing calls into the closed one.
    d.panel.select(number)
    d.panel.delete()
    qtbot.waitUntil(lambda: key not in d.window.chart_alerts[first.watcher].lines, timeout=10_000)


def test_with_telegram_off_the_form_says_so_and_the_ticket_says_asked_not_sent(
    qtbot: QtBot, desk: Callable[[], Desk]
) -> None:
    d = desk()
    form = d.panel.new_alert()
    assert form.telegram.text() == "Telegram (off)"
    form.close()
    d.window.set_telegram_status("online", "", 0, 0)
    form = d.panel.new_alert()
    assert form.telegram.text() == "Telegram"
    form.close()
    # An alert typed in the ticket is asked of the engine, not "sent" like an order.
    level = round(d.bid() + 0.05, 5)
    outcome = d.window.order_desk.submit(f"alert eurusd bid > {level}", OrderSource.TICKET)
    assert outcome.message.startswith("Asked: "), outcome.message
    assert "Sent" not in outcome.message
    qtbot.waitUntil(lambda: len(d.panel.book.alerts) == 1, timeout=10_000)
