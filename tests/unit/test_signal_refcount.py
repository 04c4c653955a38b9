"""Guard against the PySide6 6.12.0 regression that leaks references to ``True``.

On Python 3.11, every ``Signal.emit()`` under PySide6 6.12.0 dropped one reference
to ``True``; after a few thousand emits the interpreter aborted with
``Fatal Python error: bool_dealloc``. The engine emits thousands of signals a
minute, so a PySide6 upgrade that brings the bug back must fail here, loudly.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

EMITS = 2_000  # well below the count that crashed, well above any noise in the count


class _Emitter(QObject):
    plain = Signal()
    with_object = Signal(object)
    with_bool = Signal(bool)


@pytest.fixture
def qcore(qapp: QCoreApplication) -> QCoreApplication:
    """pytest-qt's application: a bare QCoreApplication here would break the GUI tests
    that run after this file in the same process."""
    return qapp


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True is immortal from Python 3.12 on")
@pytest.mark.parametrize("signal_name", ["plain", "with_object", "with_bool"])
def test_emit_does_not_change_refcount_of_true(qcore: QCoreApplication, signal_name: str) -> None:
    emitter = _Emitter()
    received: list[int] = []

    def slot(*_args: object) -> None:
        received.append(1)

    signal = getattr(emitter, signal_name)
    signal.connect(slot, Qt.ConnectionType.DirectConnection)
    args: tuple[object, ...] = () if signal_name == "plain" else (False,)
    for _ in range(50):  # warm up caches that may hold a reference once
        signal.emit(*args)
    before = sys.getrefcount(True)
    for _ in range(EMITS):
        signal.emit(*args)
    after = sys.getrefcount(True)

    assert len(received) == EMITS + 50
    # A leak of one reference per emit would show as a drop of about EMITS.
    assert abs(after - before) < EMITS // 10, (
        f"{signal_name}.emit() changed sys.getrefcount(True) by {after - before} "
        f"over {EMITS} emits: "
        "this PySide6 build leaks references to True (PySide6 6.12.0 did) and will crash"
    )
