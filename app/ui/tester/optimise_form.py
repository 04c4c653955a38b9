"""What an optimisation tries and how it judges: the Tester window's Optimisation settings.

Like MetaTrader 5's inputs tab in optimisation mode: one row per declared
parameter with a box that says whether it is optimised and its range (from,
to, step; filled from the parameter model's declared bounds and step). A
parameter that is not optimised keeps the value the Inputs form gives it.
Below: the search, the objective (a figure or an expression over figures),
constraints, the forward split and where the passes run. The form turns all of
it into the optimiser's own words (``fast=5:50:5``, ``trades>=30``), so the
window refuses exactly what ``tradeterm optimise`` refuses, in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.strategies import ParamSpec
from app.optimiser import FIGURES
from app.optimiser.local import default_workers
from app.optimiser.run import SEARCHES
from app.strategies.params import StrategyParams, specs
from app.ui.widgets.theme import MUTED


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _word(value: Any) -> str:
    """A fixed value as the optimiser's ``NAME=VALUE`` reads it back exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


@dataclass(frozen=True)
class OptimiseChoices:
    """Everything the form says, in the optimiser's words."""

    params: tuple[str, ...]
    search: str
    objective: str
    constraints: tuple[str, ...]
    forward: str | None
    passes: int
    population: int
    generations: int
    workers: int
    cluster: str


class RangeRow:
    """One parameter: optimised or not, and its range."""

    def __init__(self, spec: ParamSpec) -> None:
        self.spec = spec
        self.optimised = QCheckBox(spec.name)
        self.optimised.setObjectName(f"optimise_{spec.name}")
        self.start, self.stop, self.step = QLineEdit(), QLineEdit(), QLineEdit()
        for edit, part in ((self.start, "from"), (self.stop, "to"), (self.step, "step")):
            edit.setObjectName(f"optimise_{spec.name}_{part}")
            edit.setMaximumWidth(90)
        if spec.kind in ("int", "float"):
            self.start.setText(_number(spec.minimum))
            self.stop.setText(_number(spec.maximum))
            self.step.setText(_number(spec.step))
        else:  # a switch sweeps false and true; text takes a list in "from"
            self.start.setPlaceholderText("false,true" if spec.kind == "bool" else "a,b,c")
            self.stop.setEnabled(False)
            self.step.setEnabled(False)

    def word(self, fixed: dict[str, Any]) -> str | None:
        """``fast=5:50:5`` when optimised, ``fast=8`` when fixed, None when unknown."""
        name = self.spec.name
        if not self.optimised.isChecked():
            return f"{name}={_word(fixed[name])}" if name in fixed else None
        if self.spec.kind not in ("int", "float"):
            listed = self.start.text().strip()
            return f"{name}={listed}" if listed else name
        parts = [e.text().strip().replace(",", ".") for e in (self.start, self.stop, self.step)]
        if not parts[2]:
            parts.pop()
        return f"{name}={':'.join(parts)}"


class OptimiseForm(QWidget):
    """``changed`` fires on every edit; ``choices(fixed)`` is what to run."""

    changed = Signal()

    def __init__(self, cluster: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, RangeRow] = {}
        self._grid = QGridLayout()
        self._grid.setColumnStretch(4, 1)
        self.search = QComboBox()
        self.search.setObjectName("optimise_search")
        self.search.addItems(SEARCHES)
        self.passes = self._spin("optimise_passes", 1, 1_000_000, 200)
        self.population = self._spin("optimise_population", 4, 10_000, 40)
        self.generations = self._spin("optimise_generations", 1, 10_000, 25)
        self.objective = QComboBox()
        self.objective.setObjectName("optimise_objective")
        self.objective.setEditable(True)
        for name, title in FIGURES.items():
            self.objective.addItem(name, title)
        self.objective.setToolTip(
            "A figure, or an expression over figures, e.g. net_profit / (1 + max_drawdown_pct)"
        )
        self.constraints = QLineEdit()
        self.constraints.setObjectName("optimise_constraints")
        self.constraints.setPlaceholderText("e.g. trades >= 30; max_drawdown_pct < 20")
        self.forward = QLineEdit()
        self.forward.setObjectName("optimise_forward")
        self.forward.setPlaceholderText("none; a fraction (0.3) or a date (2024-06-01)")
        self.workers = self._spin("optimise_workers", 1, 1024, default_workers())
        self.workers.setToolTip("Local worker processes (default: every core)")
        self.cluster = QLineEdit(cluster)
        self.cluster.setObjectName("optimise_cluster")
        self.cluster.setPlaceholderText("empty: this machine; or tcp://HOST:8786")
        self.search.currentTextChanged.connect(self._search_changed)
        for box in (self.search, self.objective):
            box.currentTextChanged.connect(lambda _: self.changed.emit())
        for edit in (self.constraints, self.forward, self.cluster):
            edit.textChanged.connect(lambda _: self.changed.emit())

        head = ("Optimise", "From", "To", "Step")
        for column, title in enumerate(head):
            label = QLabel(title)
            label.setStyleSheet(f"color: {MUTED.name()}")
            self._grid.addWidget(label, 0, column)
        form = QFormLayout()
        form.addRow("Search", self.search)
        form.addRow("Passes (random)", self.passes)
        form.addRow("Population (genetic)", self.population)
        form.addRow("Generations (genetic)", self.generations)
        form.addRow("Objective (maximised)", self.objective)
        form.addRow("Constraints", self.constraints)
        form.addRow("Forward (out of sample)", self.forward)
        form.addRow("Local workers", self.workers)
        form.addRow("Dask cluster", self.cluster)
        layout = QVBoxLayout(self)
        layout.addLayout(self._grid)
        layout.addLayout(form)
        layout.addStretch(1)
        self._search_changed(self.search.currentText())

    @staticmethod
    def _spin(name: str, low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setGroupSeparatorShown(True)
        return spin

    def _search_changed(self, search: str) -> None:
        self.passes.setEnabled(search == "random")
        self.population.setEnabled(search == "genetic")
        self.generations.setEnabled(search == "genetic")
        self.changed.emit()

    def set_model(self, model: type[StrategyParams] | None) -> None:
        """One row per declared parameter of ``model``, at its declared range, none ticked."""
        while self._grid.count() > 4:  # the header stays
            item = self._grid.takeAt(4)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.rows.clear()
        for line, spec in enumerate(specs(model) if model is not None else (), start=1):
            row = RangeRow(spec)
            for column, widget in enumerate((row.optimised, row.start, row.stop, row.step)):
                self._grid.addWidget(widget, line, column)
            for edit in (row.start, row.stop, row.step):
                edit.textChanged.connect(lambda _: self.changed.emit())
            row.optimised.toggled.connect(lambda _: self.changed.emit())
            self.rows[spec.name] = row

    def choose(self, name: str, start: str, stop: str, step: str = "") -> None:
        """Tick ``name`` and set its range (what a trader types)."""
        row = self.rows[name]
        row.optimised.setChecked(True)
        row.start.setText(start)
        row.stop.setText(stop)
        row.step.setText(step)

    def choices(self, fixed: dict[str, Any]) -> OptimiseChoices:
        """The form in the optimiser's words; ``fixed`` holds every parameter's value from
        the Inputs form (the ones not optimised keep it)."""
        words = tuple(w for row in self.rows.values() if (w := row.word(fixed)) is not None)
        constraints = tuple(c.strip() for c in self.constraints.text().split(";") if c.strip())
        forward = self.forward.text().strip() or None
        return OptimiseChoices(
            params=words,
            search=self.search.currentText(),
            objective=self.objective.currentText().strip(),
            constraints=constraints,
            forward=forward,
            passes=self.passes.value(),
            population=self.population.value(),
            generations=self.generations.value(),
            workers=self.workers.value(),
            cluster=self.cluster.text().strip(),
        )
