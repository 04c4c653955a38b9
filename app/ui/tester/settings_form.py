"""The tester's settings: strategy, data, model, costs and account, as MetaTrader 5 asks them.

The lists come from an :class:`~app.tester.background.Inventory`: the
strategies that loaded and the symbols the history store holds (with what is
stored of each, shown under the symbol, and the dates set to its span when
the symbol changes). Numbers are spin boxes, so what can be typed is in range;
:meth:`SettingsForm.settings` makes the plain ``TesterSettings`` a pass takes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app.domain.timeframes import Timeframe
from app.strategies.base import Strategy
from app.tester.background import TICKS, Inventory, StoredSeries
from app.tester.errors import TesterError
from app.tester.settings import Model, TesterSettings
from app.ui.tester.checks import day
from app.ui.widgets.theme import MUTED

DATE_FORMAT = "yyyy-MM-dd"


def _qdate(seconds: int) -> QDate:
    when = datetime.fromtimestamp(seconds, UTC).date()
    return QDate(when.year, when.month, when.day)


def _first_second(value: QDate) -> int:
    return int(datetime(value.year(), value.month(), value.day(), tzinfo=UTC).timestamp())


def _last_second(value: QDate) -> int:
    """The day's last second: a test "to" a day includes the whole day, as on the command line."""
    start = datetime(value.year(), value.month(), value.day(), tzinfo=UTC)
    return int((start + timedelta(days=1) - timedelta(seconds=1)).timestamp())


def describe_series(stored: list[StoredSeries]) -> str:
    """``M1 2024-01-01 to 2024-03-31 (129,600); H1 …`` — what the store holds of a symbol."""
    if not stored:
        return "Nothing stored"
    parts = []
    for s in stored:
        what = "ticks" if s.series == TICKS else s.series
        parts.append(f"{what} {day(s.first)} to {day(s.last)} ({s.count:,})")
    return "; ".join(parts)


def account_currencies(symbol: str) -> list[str]:
    """The currencies a one-symbol test can keep its account in: the profit currency and
    the base currency (the tester converts between those two alone)."""
    from app.tester.market import spec_for

    try:
        spec = spec_for(symbol, {})
    except TesterError:
        return ["USD"]
    return list(dict.fromkeys(c for c in (spec.profit_currency, spec.base_currency) if c))


class SettingsForm(QWidget):
    """``strategy_changed(key)`` when another strategy is chosen; ``changed`` on any edit."""

    strategy_changed = Signal(str)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._inventory: Inventory | None = None
        self.strategy = QComboBox()
        self.strategy.setObjectName("tester_strategy")
        self.symbol = QComboBox()
        self.symbol.setObjectName("tester_symbol")
        self.timeframe = QComboBox()
        self.timeframe.setObjectName("tester_timeframe")
        for tf in Timeframe:
            self.timeframe.addItem(tf.name)
        self.timeframe.setCurrentText("H1")
        self.stored = QLabel("")
        self.stored.setObjectName("tester_stored")
        self.stored.setWordWrap(True)
        self.stored.setStyleSheet(f"color: {MUTED.name()}")
        self.start = self._date_edit("tester_from")
        self.end = self._date_edit("tester_to")
        dates = QHBoxLayout()
        dates.addWidget(self.start)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.end)
        dates.addStretch(1)
        self.model = QComboBox()
        self.model.setObjectName("tester_model")
        for model in Model:
            self.model.addItem(model.label, str(model))
        self.spread_from_data = QCheckBox("From the data")
        self.spread_from_data.setObjectName("tester_spread_from_data")
        self.spread = QSpinBox()
        self.spread.setObjectName("tester_spread")
        self.spread.setRange(0, 100_000)
        self.spread.setSuffix(" points")
        self.spread_from_data.toggled.connect(lambda on: self.spread.setEnabled(not on))
        self.spread_from_data.setChecked(True)
        spread = QHBoxLayout()
        spread.addWidget(self.spread_from_data)
        spread.addWidget(self.spread)
        spread.addStretch(1)
        self.commission = QDoubleSpinBox()
        self.commission.setObjectName("tester_commission")
        self.commission.setRange(0.0, 10_000.0)
        self.commission.setDecimals(2)
        self.commission.setSuffix(" per lot")
        self.slippage = QSpinBox()
        self.slippage.setObjectName("tester_slippage")
        self.slippage.setRange(0, 100_000)
        self.slippage.setSuffix(" points")
        self.deposit = QDoubleSpinBox()
        self.deposit.setObjectName("tester_deposit")
        self.deposit.setRange(1.0, 1_000_000_000.0)
        self.deposit.setDecimals(2)
        self.deposit.setGroupSeparatorShown(True)
        self.deposit.setValue(10_000.0)
        self.leverage = QSpinBox()
        self.leverage.setObjectName("tester_leverage")
        self.leverage.setRange(1, 10_000)
        self.leverage.setPrefix("1:")
        self.leverage.setValue(100)
        self.currency = QComboBox()
        self.currency.setObjectName("tester_currency")

        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for wide in (
            self.strategy,
            self.symbol,
            self.model,
            self.currency,
            self.timeframe,
            self.stored,
        ):
            wide.setMinimumWidth(340)
        for number in (self.commission, self.slippage, self.deposit, self.leverage):
            number.setMinimumWidth(180)
        form.addRow("Strategy", self.strategy)
        form.addRow("Symbol", self.symbol)
        form.addRow("", self.stored)
        form.addRow("Timeframe", self.timeframe)
        form.addRow("Dates", dates)
        form.addRow("Model", self.model)
        form.addRow("Spread", spread)
        form.addRow("Commission", self.commission)
        form.addRow("Slippage", self.slippage)
        form.addRow("Deposit", self.deposit)
        form.addRow("Leverage", self.leverage)
        form.addRow("Currency", self.currency)

        self.strategy.currentIndexChanged.connect(self._strategy_chosen)
        self.symbol.currentTextChanged.connect(self._symbol_chosen)
        for signal in (
            self.timeframe.currentIndexChanged,
            self.model.currentIndexChanged,
            self.start.dateChanged,
            self.end.dateChanged,
        ):
            signal.connect(self.changed)

    @staticmethod
    def _date_edit(name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(DATE_FORMAT)
        return edit

    # -- the lists --------------------------------------------------------------------------

    def set_inventory(self, inventory: Inventory) -> None:
        """Fill the lists, keeping the strategy and symbol chosen if they are still there."""
        self._inventory = inventory
        strategy, symbol = self.strategy_key(), self.symbol.currentText()
        self.strategy.blockSignals(True)
        self.strategy.clear()
        # The catalogue's own order, as the Strategies panel lists it (ma_cross first).
        for key, cls in inventory.catalog.classes.items():
            self.strategy.addItem(f"{cls.title} ({key})", key)
        index = self.strategy.findData(strategy)
        self.strategy.setCurrentIndex(index if index >= 0 else 0)
        self.strategy.blockSignals(False)
        self.symbol.blockSignals(True)
        self.symbol.clear()
        self.symbol.addItems(inventory.symbols())
        if symbol in inventory.symbols():
            self.symbol.setCurrentText(symbol)
        self.symbol.blockSignals(False)
        self._strategy_chosen()
        self._symbol_chosen(self.symbol.currentText())

    def strategy_key(self) -> str:
        key = self.strategy.currentData()
        return str(key) if key else ""

    def strategy_class(self) -> type[Strategy] | None:
        if self._inventory is None:
            return None
        return self._inventory.catalog.classes.get(self.strategy_key())

    def stored_series(self) -> list[StoredSeries]:
        return list(self._inventory.series) if self._inventory is not None else []

    def _strategy_chosen(self, *_: object) -> None:
        self.strategy_changed.emit(self.strategy_key())
        self.changed.emit()

    def _symbol_chosen(self, symbol: str) -> None:
        stored = self._inventory.of(symbol) if self._inventory is not None and symbol else []
        self.stored.setText(describe_series(stored) if symbol else "No history is stored yet")
        if stored:
            self.start.setDate(_qdate(min(s.first for s in stored)))
            self.end.setDate(_qdate(max(s.last for s in stored)))
        if symbol:
            current = self.currency.currentText()
            self.currency.clear()
            self.currency.addItems(account_currencies(symbol))
            if self.currency.findText(current) >= 0:
                self.currency.setCurrentText(current)
        self.changed.emit()

    # -- the values ---------------------------------------------------------------------------

    def set_dates(self, first: date, last: date) -> None:
        self.start.setDate(QDate(first.year, first.month, first.day))
        self.end.setDate(QDate(last.year, last.month, last.day))

    def settings(self, params: dict[str, object]) -> TesterSettings:
        return TesterSettings(
            strategy=self.strategy_key(),
            symbol=self.symbol.currentText(),
            timeframe=Timeframe[self.timeframe.currentText()],
            model=Model(self.model.currentData()),
            start=_first_second(self.start.date()),
            end=_last_second(self.end.date()),
            params=params,
            spread_points=None if self.spread_from_data.isChecked() else self.spread.value(),
            commission_per_lot=self.commission.value(),
            slippage_points=self.slippage.value(),
            deposit=self.deposit.value(),
            leverage=self.leverage.value(),
            currency=self.currency.currentText() or "USD",
        )
