"""The real MetaTrader5 package as a second reference for the fake, where it installs.

``tests/fakes/metatrader5.py`` is checked against the reference extracted from the
wheel (``test_fake_mt5_conformance.py``); here it is checked against the installed
package itself, so an upgrade of the package that adds, drops or reorders anything
fails until the fake follows. Then the adapter's connect path runs against the real
module on a machine with no MetaTrader 5 terminal, as on CI: it must fail in one
line that says the terminal cannot be reached, and never hang or raise anything else.

The package is a Windows-only wheel, so elsewhere the whole module is skipped.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from app.brokers.base import PermanentBrokerError
from app.brokers.mt5.broker import Mt5Broker
from app.brokers.registry import broker_factory
from app.domain.enums import ConnectionStatus, LogLevel
from app.domain.notices import ConnectionState
from app.engine.core import TradingCore
from app.settings import Settings
from tests.fakes import metatrader5 as fake
from tests.fakes import mt5_surface
from tests.published import Published
from tests.unit.test_fake_mt5_conformance import REFERENCE

real: ModuleType = pytest.importorskip(
    "MetaTrader5", reason="the MetaTrader5 package installs on Windows only"
)


def constants(module: ModuleType) -> dict[str, Any]:
    return {n: v for n, v in vars(module).items() if n.isupper() and not n.startswith("_")}


def struct_types(module: ModuleType) -> dict[str, type]:
    """The result types (PyStructSequence in the package, named tuples in the fake)."""
    return {
        n: v
        for n, v in vars(module).items()
        if isinstance(v, type) and issubclass(v, tuple) and not n.startswith("_")
    }


def functions(module: ModuleType) -> set[str]:
    return {
        n
        for n, v in vars(module).items()
        if callable(v) and not isinstance(v, type) and not n.startswith("_")
    }


def test_the_installed_package_is_the_version_the_fake_was_written_from() -> None:
    assert real.__version__ == REFERENCE["version"], (
        f"MetaTrader5 {real.__version__} is installed but the fake follows "
        f"{REFERENCE['version']}: re-extract tests/fakes/mt5_api_reference.json and update "
        "the fake (tests/fakes/mt5_surface.py)"
    )


def test_every_constant_has_the_same_name_and_value() -> None:
    ours, theirs = constants(fake), constants(real)
    assert sorted(set(theirs) - set(ours)) == [], "constants the fake lacks"
    assert sorted(set(ours) - set(theirs)) == [], "constants the real package lacks"
    assert {n: v for n, v in ours.items() if theirs[n] != v} == {}, "different values"


def test_every_function_of_the_package_exists_in_the_fake() -> None:
    missing = functions(real) - functions(fake)
    assert sorted(missing) == []


def test_result_types_have_the_same_fields_in_the_same_order() -> None:
    theirs = struct_types(real)
    ours = {n: t for n, t in struct_types(mt5_surface).items() if hasattr(t, "_fields")}
    assert sorted(theirs) == sorted(ours)
    for name, real_type in theirs.items():
        assert ours[name]._fields == real_type.__match_args__, name  # type: ignore[attr-defined]
        assert getattr(fake, name) is ours[name]  # the fake module exports the same type


@pytest.fixture
def mt5_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """kind = "mt5" with the real package: no module switch, no password anywhere."""
    monkeypatch.delenv("TRADETERM_MT5_MODULE", raising=False)
    monkeypatch.delenv("TRADETERM_MT5_PASSWORD", raising=False)
    return Settings(broker={"kind": "mt5"}, mt5={"timeout_ms": 5000})  # type: ignore[arg-type]


def _skip_if_a_terminal_answers(broker: Mt5Broker) -> None:
    try:
        broker.connect()
    except PermanentBrokerError:
        return
    real.shutdown()
    pytest.skip("a MetaTrader 5 terminal is installed here and answered")


def test_the_adapter_says_in_one_line_that_the_terminal_cannot_be_reached(
    mt5_settings: Settings,
) -> None:
    broker = broker_factory(mt5_settings)()
    assert isinstance(broker, Mt5Broker)
    _skip_if_a_terminal_answers(broker)
    with pytest.raises(PermanentBrokerError) as failure:
        broker.connect()
    message = str(failure.value)
    assert "\n" not in message
    assert message.lower().startswith(
        "could not connect to metatrader 5: could not start or reach the metatrader 5 terminal"
    )
    assert "MT5 error -10003" in message  # the package's own code for "no terminal"
    assert real.last_error()[0] == -10003


def test_the_engine_stays_disconnected_and_logs_the_reason_once(mt5_settings: Settings) -> None:
    factory = broker_factory(mt5_settings)
    _skip_if_a_terminal_answers(factory())  # type: ignore[arg-type]
    out = Published()
    core = TradingCore(factory, out)  # type: ignore[arg-type]

    assert core.connect() is False
    assert not core.connected
    errors = [e for e in out.logs if e.level is LogLevel.ERROR]
    assert len(errors) == 1
    assert "could not start or reach the metatrader 5 terminal" in errors[0].message.lower()
    assert "\n" not in errors[0].message
    states = [f for f in out.other if isinstance(f, ConnectionState)]
    assert states[-1].status is ConnectionStatus.DISCONNECTED
