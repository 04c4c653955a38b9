"""The small dialogs of the trade tables.

Every dialog here only collects numbers; what is sent is built by the command
parser (``close #1234 0.3``, ``modify #1234 sl 1.0870``) so the tables, the chart
and the command line share one validation and one preview. ``TradeDialogs`` is
the seam tests replace, since a modal dialog would block a test.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.symbols import SymbolSpec
from app.domain.trading import Position, WorkingOrder


class CloseVolumeDialog(QDialog):
    """How much of a position to close: the symbol's volume step, up to what it holds."""

    def __init__(self, position: Position, spec: SymbolSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Partial close #{position.ticket}")
        self.volume = QDoubleSpinBox()
        self.volume.setObjectName("close_volume")
        self.volume.setDecimals(spec.volume_digits)
        self.volume.setSingleStep(spec.volume_step)
        self.volume.setRange(spec.volume_min, position.volume)
        self.volume.setValue(max(spec.volume_min, spec.round_volume(position.volume / 2)))
        form = QFormLayout()
        form.addRow(QLabel(f"{position.side.upper()} {position.volume:g} {position.symbol}"))
        form.addRow("&Volume to close", self.volume)
        _finish(self, form)

    def value(self) -> float:
        return round(self.volume.value(), self.volume.decimals())


class LevelsDialog(QDialog):
    """New SL/TP (and price, for an order), typed like on the command line: 1.0850, 20p."""

    def __init__(
        self,
        title: str,
        spec: SymbolSpec,
        sl: float | None,
        tp: float | None,
        price: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        fmt = spec.format_price
        self.price = QLineEdit("" if price is None else fmt(price))
        self.price.setObjectName("levels_price")
        self.sl = QLineEdit("" if sl is None else fmt(sl))
        self.sl.setObjectName("levels_sl")
        self.sl.setPlaceholderText("none")
        self.tp = QLineEdit("" if tp is None else fmt(tp))
        self.tp.setObjectName("levels_tp")
        self.tp.setPlaceholderText("none")
        form = QFormLayout()
        if price is not None:
            form.addRow("&Price", self.price)
        form.addRow("Stop &loss", self.sl)
        form.addRow("&Take profit", self.tp)
        self._has_price = price is not None
        _finish(self, form)

    def command_words(self) -> str:
        """``price P sl X tp Y`` for the parser; an empty field means none."""
        words = []
        if self._has_price:
            words += ["price", self.price.text().strip() or "?"]
        for word, field in (("sl", self.sl), ("tp", self.tp)):
            words += [word, "".join(field.text().split()) or "none"]
        return " ".join(words)


class ChoosePositionDialog(QDialog):
    """Pick the opposite position for a close-by."""

    def __init__(self, title: str, choices: Sequence[Position], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.choices = list(choices)
        self.combo = QComboBox()
        for p in self.choices:
            self.combo.addItem(f"#{p.ticket} {p.side.upper()} {p.volume:g} {p.symbol}")
        form = QFormLayout()
        form.addRow("&Position", self.combo)
        _finish(self, form)

    def chosen(self) -> Position | None:
        index = self.combo.currentIndex()
        return self.choices[index] if 0 <= index < len(self.choices) else None


def _finish(dialog: QDialog, form: QFormLayout) -> None:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(buttons)


class TradeDialogs:
    """The questions the tables ask; each returns ``None`` when the trader cancels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def close_volume(self, position: Position, spec: SymbolSpec) -> float | None:
        dialog = CloseVolumeDialog(position, spec, self.parent)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def position_levels(self, position: Position, spec: SymbolSpec) -> str | None:
        title = f"Modify #{position.ticket} {position.symbol}"
        dialog = LevelsDialog(title, spec, position.sl, position.tp, parent=self.parent)
        return dialog.command_words() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def order_levels(self, order: WorkingOrder, spec: SymbolSpec) -> str | None:
        title = f"Modify order #{order.ticket} {order.symbol}"
        dialog = LevelsDialog(title, spec, order.sl, order.tp, order.price, self.parent)
        return dialog.command_words() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def opposite_position(self, position: Position, choices: Sequence[Position]) -> Position | None:
        if len(choices) == 1:
            return choices[0]
        dialog = ChoosePositionDialog(f"Close #{position.ticket} by…", choices, self.parent)
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None
