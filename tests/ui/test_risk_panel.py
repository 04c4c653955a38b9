"""The risk panel and kill switch in a real window on a real engine thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.domain.commands import SubmitOrder, UpdateRiskLimits, new_client_id
from app.domain.enums import OrderSource, Side, TradingState
from app.domain.risk_facts import RiskBreach, RiskSnapshot, RuleUsage, UsageLevel
from app.domain.risk_limits import RiskLimits, RiskRule
from app.domain.trading import AccountState, OrderRequest
from app.ui.panels.account import AccountPanel
from app.ui.panels.risk import RiskPanel
from tests.ui.conftest import Terminal


def _buy(w, volume: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    """An order as any client sends it: a command on the bus (the ticket does the same)."""
    w.send(SubmitOrder(OrderRequest(new_client_id(), "EURUSD", Side.BUY, volume)))


def _rejected(w, text: str) -> bool:  # type: ignore[no-untyped-def]
    return any(m.startswith("Rejected: ") and text in m for m in w.log_model.messages())


def _usage(w, rule: RiskRule) -> str:  # type: ignore[no-untyped-def]
    return w.risk_panel.usage_labels[rule].text()


def test_gauges_move_with_positions(qtbot: QtBot, make_terminal: Callable[..., Terminal]) -> None:
    w = make_terminal().window
    panel = w.risk_panel
    qtbot.waitUntil(lambda: _usage(w, RiskRule.OPEN_POSITIONS) == "0", timeout=5000)
    assert panel.banner.text().startswith("<b>ACTIVE</b>")
    assert panel.gauges[RiskRule.OPEN_POSITIONS].value() == 0

    _buy(w, 2)
    qtbot.waitUntil(lambda: _usage(w, RiskRule.OPEN_POSITIONS) == "1", timeout=5000)
    assert panel.gauges[RiskRule.OPEN_POSITIONS].value() == 5  # 1 of 20
    assert _usage(w, RiskRule.NET_POSITION) == "EURUSD 2 lots"
    assert panel.gauges[RiskRule.NET_POSITION].value() == 20  # 2 of 10 lots
    assert panel.gauges[RiskRule.TOTAL_EXPOSURE].value() > 0
    assert panel.level(RiskRule.NET_POSITION) is UsageLevel.OK

    _buy(w, 2)
    qtbot.waitUntil(lambda: _usage(w, RiskRule.NET_POSITION) == "EURUSD 4 lots", timeout=5000)
    assert panel.gauges[RiskRule.NET_POSITION].value() == 40
    assert panel.gauges[RiskRule.MARGIN_LEVEL].value() > 0  # 200 % of about 230 %

    _buy(w, 1)  # would leave the margin level under 200 %
    qtbot.waitUntil(lambda: _rejected(w, "Min margin level: "), timeout=5000)
    assert any("Min margin level" in line for line in _breach_lines(w))

    w.positions.selectRow(0)
    w.positions.close_action.trigger()
    qtbot.waitUntil(lambda: _usage(w, RiskRule.OPEN_POSITIONS) == "1", timeout=5000)
    assert panel.gauges[RiskRule.NET_POSITION].value() == 20


def test_kill_switch_hotkey_halts_at_once(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    qtbot.keyClick(
        w, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: w.risk_panel.state is TradingState.HALTED, timeout=5000)
    assert "HALTED" in w.risk_panel.banner.text() and "kill switch" in w.risk_panel.banner.text()
    assert t.confirmations == []  # halting never asks
    assert w.risk_panel.resume_button.isEnabled()
    qtbot.waitUntil(
        lambda: any(m.startswith("Trading HALTED") for m in w.log_model.messages()), timeout=5000
    )

    _buy(w)  # refused with the reason
    qtbot.waitUntil(lambda: _rejected(w, "Trading is HALTED (kill switch)"), timeout=5000)
    assert w.positions_model.rowCount() == 0

    w.risk_panel.resume_button.click()
    qtbot.waitUntil(lambda: w.risk_panel.state is TradingState.ACTIVE, timeout=5000)
    assert any("resumed by panel" in m for m in w.log_model.messages())


def test_halt_and_flatten_closes_everything_after_confirmation(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal(confirm_answer=False)
    w = t.window
    for _ in range(2):
        _buy(w)
    qtbot.waitUntil(lambda: w.positions_model.rowCount() == 2, timeout=5000)

    w.risk_panel.flatten_button.click()  # the trader says no: nothing happens
    assert len(t.confirmations) == 1 and "close every position" in t.confirmations[0]
    qtbot.wait(300)
    assert w.risk_panel.state is TradingState.ACTIVE and w.positions_model.rowCount() == 2

    w.order_desk.confirm = lambda title, text: True
    w.flatten_action.trigger()
    qtbot.waitUntil(lambda: w.positions_model.rowCount() == 0, timeout=5000)
    qtbot.waitUntil(lambda: w.risk_panel.state is TradingState.HALTED, timeout=5000)
    assert _usage(w, RiskRule.OPEN_POSITIONS) == "0"


def test_limits_dialog_validates_and_sends_an_audited_change(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    sent: list[object] = []
    t.bus.command.connect(sent.append)
    w.risk_limits_action.trigger()
    dialog = w.risk_dialog
    assert dialog is not None and dialog.numbers["max_order_volume"].text() == "5"

    dialog.numbers["max_order_volume"].setText("lots")
    dialog.hours["monday"].setText("9-17")
    dialog.accept()
    assert dialog.isVisible()
    assert "Max volume per order (lots): 'lots' is not a number" in dialog.error.text()
    assert "Monday: '9-17' is not a time window" in dialog.error.text()
    assert not any(isinstance(c, UpdateRiskLimits) for c in sent)

    dialog.numbers["max_order_volume"].setText("0.5")
    dialog.hours["monday"].setText("00:00-24:00")
    dialog.accept()
    assert not dialog.isVisible()
    update = next(c for c in sent if isinstance(c, UpdateRiskLimits))
    assert update.limits.max_order_volume == 0.5 and update.source is OrderSource.MENU
    qtbot.waitUntil(
        lambda: any("max_order_volume: 5 → 0.5" in m for m in w.log_model.messages()), timeout=5000
    )
    qtbot.waitUntil(
        lambda: w.desk.risk is not None and w.desk.risk.limits.max_order_volume == 0.5,
        timeout=5000,
    )
    _buy(w, 1)
    qtbot.waitUntil(
        lambda: _rejected(w, "Max volume per order: 1 lots exceeds the limit of 0.5 lots"),
        timeout=5000,
    )
    assert any(m.startswith("✖") or "Max volume per order" in m for m in _breach_lines(w))


def _breach_lines(w) -> list[str]:  # type: ignore[no-untyped-def]
    items = w.risk_panel.breaches
    return [items.item(i).text() for i in range(items.count())]


def test_gauge_colours_follow_the_level(qtbot: QtBot) -> None:
    panel = RiskPanel()
    qtbot.addWidget(panel)

    def show(fraction: float, level: UsageLevel) -> None:
        row = RuleUsage(RiskRule.DAILY_LOSS, "500.00 USD", "x", fraction, level)
        panel.update_snapshot(RiskSnapshot(TradingState.REDUCING, "warning", (row,), RiskLimits()))

    show(0.5, UsageLevel.OK)
    gauge = panel.gauges[RiskRule.DAILY_LOSS]
    assert gauge.value() == 50 and "#26a69a" in gauge.styleSheet()
    show(0.85, UsageLevel.WARNING)
    assert gauge.value() == 85 and "#f5a623" in gauge.styleSheet()
    show(1.3, UsageLevel.BREACH)
    assert gauge.value() == 100 and "#ef5350" in gauge.styleSheet()
    assert "REDUCING" in panel.banner.text() and "#f5a623" in panel.banner.styleSheet()
    for n in range(25):
        panel.add_fact(RiskBreach(RiskRule.ORDER_VOLUME, f"breach {n}"))
    assert panel.breaches.count() == 20 and panel.breaches.item(0).text().endswith("breach 24")


class _StyleChanges(QObject):
    """Counts re-stylings of a widget (each costs Qt a polish and a re-layout)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.StyleChange:
            self.count += 1
        return False


def test_live_figures_restyle_only_when_their_colour_changes(qtbot: QtBot) -> None:
    """Ten risk snapshots a second and an account per tick: styles change only on news."""
    panel, account = RiskPanel(), AccountPanel()
    for widget in (panel, account):
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
    banner, pnl = _StyleChanges(panel.banner), _StyleChanges(account.values["floating_pnl"])
    for n in range(10):
        row = RuleUsage(RiskRule.DAILY_LOSS, "500.00 USD", f"{n}.00 USD", n / 100, UsageLevel.OK)
        panel.update_snapshot(RiskSnapshot(TradingState.ACTIVE, "", (row,), RiskLimits()))
        account.update_account(
            AccountState("USD", 10_000, 10_000 - n - 1, 0, 10_000, -n - 1.0, -n - 1.0, 100)
        )
    assert panel.usage_labels[RiskRule.DAILY_LOSS].text() == "9.00 USD"
    assert account.values["floating_pnl"].text().startswith("-10.00")
    assert banner.count <= 1 and pnl.count <= 1  # the first colour only
    panel.update_snapshot(RiskSnapshot(TradingState.HALTED, "kill switch", (), RiskLimits()))
    account.update_account(AccountState("USD", 10_000, 10_005, 0, 10_000, 5.0, 5.0, 100))
    assert "HALTED" in panel.banner.text()
    assert banner.count == 2 and pnl.count == 2  # a new state, a profit: restyled once each


def test_the_limits_dialog_names_the_account_s_currency_beside_its_money_limits(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    w = make_terminal().window
    qtbot.waitUntil(lambda: w.desk.account is not None and w.desk.risk is not None, timeout=5000)
    w.risk_limits_action.trigger()
    dialog = w.risk_dialog
    assert dialog is not None

    def label(name: str) -> str:
        edit = dialog.numbers[name]
        layout = edit.parentWidget().layout()
        assert isinstance(layout, QFormLayout)
        text = layout.labelForField(edit)
        assert isinstance(text, QLabel)
        return text.text()

    currency = w.desk.account.currency if w.desk.account is not None else ""
    assert currency and label("max_daily_loss") == f"Max daily loss ({currency})"
    assert label("max_order_notional") == f"Max notional per order ({currency})"
    assert label("max_total_exposure") == f"Max total exposure ({currency})"
    assert label("max_order_volume") == "Max volume per order (lots)"  # not money
    dialog.reject()


def test_limits_dialog_reads_a_comma_as_the_command_line_does(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    t = make_terminal()
    w = t.window
    sent: list[object] = []
    t.bus.command.connect(sent.append)
    w.risk_limits_action.trigger()
    dialog = w.risk_dialog
    assert dialog is not None
    dialog.numbers["max_order_notional"].setText("500,000")  # 500 thousand, or 500.000?
    dialog.accept()
    assert dialog.isVisible()
    assert "Max notional per order: '500,000' is ambiguous" in dialog.error.text()
    assert not any(isinstance(c, UpdateRiskLimits) for c in sent)
    dialog.numbers["max_order_notional"].setText("500000")
    dialog.numbers["max_order_volume"].setText("1,5")  # a decimal comma: 1.5 lots, never 15
    dialog.accept()
    assert not dialog.isVisible()
    update = next(c for c in sent if isinstance(c, UpdateRiskLimits))
    assert update.limits.max_order_volume == 1.5


def test_resuming_leaves_the_risk_column_where_it_was(
    qtbot: QtBot, make_terminal: Callable[..., Terminal]
) -> None:
    """Resume greys itself out once trading is ACTIVE: the keyboard focus it had must
    not jump to the breaches list at the foot of the column and scroll HALT away."""
    w = make_terminal().window
    column = w.docks["risk"].widget()
    bar = column.verticalScrollBar()  # type: ignore[attr-defined]
    qtbot.keyClick(
        w, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: w.risk_panel.resume_button.isEnabled(), timeout=5000)
    assert bar.maximum() > 0, "the column must be taller than its dock for this test"
    bar.setValue(0)
    resume = w.risk_panel.resume_button
    resume.setFocus()
    qtbot.keyClick(resume, Qt.Key.Key_Space)  # as a trader pressing it from the keyboard
    qtbot.waitUntil(lambda: w.risk_panel.state is TradingState.ACTIVE, timeout=5000)
    assert bar.value() == 0
    assert w.risk_panel.kill_button.visibleRegion().isEmpty() is False
