"""A symbol's specification, as the market watch's context menu shows it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from app.domain.symbols import SymbolSpec


def spec_rows(spec: SymbolSpec) -> list[tuple[str, str]]:
    """The facts a trader checks before trading a symbol, as (label, value) rows."""
    return [
        ("Symbol", spec.name),
        ("Description", spec.description or "—"),
        ("Digits", str(spec.digits)),
        ("Point", f"{spec.point:.{spec.digits}f}"),
        ("Contract size", f"{spec.contract_size:,g}"),
        ("Volume", f"{spec.volume_min:g} to {spec.volume_max:g} lots, step {spec.volume_step:g}"),
        ("Currencies", f"{spec.base_currency} / {spec.profit_currency}"),
        ("Stops level", f"{spec.stops_level} points from the market"),
        ("Trading", spec.trade_mode),
    ]


class SymbolSpecDialog(QDialog):
    def __init__(self, spec: SymbolSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{spec.name} specification")
        self.setObjectName("symbol_spec_dialog")
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label, value in spec_rows(spec):
            shown = QLabel(value)
            self.values[label] = shown
            form.addRow(label, shown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
