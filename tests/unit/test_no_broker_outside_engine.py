"""Every path passes the gate: nothing outside the engine can reach a broker.

Built on grimp's import graph (the engine behind import-linter), so the check
sees every import the way Python resolves it, lazy ones inside functions too.
Only the engine (which runs each order through the risk gate), the brokers
themselves and the CLI (which picks the broker factory at start-up) may import
``app.brokers``; only the factory builds a concrete broker; only the CLI calls it.

The one exception is the Strategy Tester (``app.tester``): it builds an engine
of its own over a replay broker, which has no link to any real broker, and its
orders take that engine's order road and risk gate like any other.
"""

from __future__ import annotations

import grimp
import pytest

ALLOWED = ("app.engine", "app.brokers", "app.cli", "app.tester")
TESTER = ("app.tester",)  # its own engine over the replay broker (see the docstring)
INTERFACE = {"app.brokers", "app.brokers.base", "app.brokers.registry"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("app")


def _inside(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _broker_modules(graph: grimp.ImportGraph) -> set[str]:
    return {m for m in graph.modules if _inside(m, ("app.brokers",))}


def test_only_the_engine_and_the_cli_import_brokers(graph: grimp.ImportGraph) -> None:
    offenders = {
        f"{importer} imports {imported}"
        for imported in _broker_modules(graph)
        for importer in graph.find_modules_that_directly_import(imported)
        if not _inside(importer, ALLOWED)
    }
    assert offenders == set(), "send commands to the engine instead of reaching the broker"


def test_only_the_engine_holds_the_trading_core(graph: grimp.ImportGraph) -> None:
    """The core owns the broker reference: importing it would be a back door."""
    importers = graph.find_modules_that_directly_import("app.engine.core")
    assert {m for m in importers if not _inside(m, ("app.engine", *TESTER))} == set()


def test_concrete_brokers_are_built_only_by_the_factory(graph: grimp.ImportGraph) -> None:
    concrete = _broker_modules(graph) - INTERFACE
    assert "app.brokers.sim.broker" in concrete
    for module in concrete:
        importers = graph.find_modules_that_directly_import(module)
        outside = {m for m in importers if m not in concrete and not _inside(m, TESTER)}
        assert outside <= {"app.brokers.registry"}, f"{module} is imported by {outside}"
    for importer in graph.find_modules_that_directly_import("app.brokers.sim.broker"):
        assert not _inside(importer, TESTER), "the tester trades on the replay broker only"


def test_only_the_cli_calls_the_broker_factory(graph: grimp.ImportGraph) -> None:
    assert graph.find_modules_that_directly_import("app.brokers.registry") == {"app.cli"}
    details = graph.get_import_details(importer="app.cli", imported="app.brokers.registry")
    assert any("broker_factory" in d["line_contents"] for d in details)


def test_the_check_would_catch_a_ui_module_importing_a_broker() -> None:
    """The test above can fail: a graph with a forbidden import is reported."""
    fake = grimp.ImportGraph()
    for module in ("app", "app.ui", "app.ui.panel", "app.brokers", "app.brokers.sim.broker"):
        fake.add_module(module)
    fake.add_import(importer="app.ui.panel", imported="app.brokers.sim.broker")
    offenders = {
        importer
        for imported in _broker_modules(fake)
        for importer in fake.find_modules_that_directly_import(imported)
        if not _inside(importer, ALLOWED)
    }
    assert offenders == {"app.ui.panel"}
