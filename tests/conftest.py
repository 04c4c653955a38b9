"""Shared test setup: offscreen Qt, no real user files, and garbage collected on one thread.

Qt's offscreen platform on Windows looks for fonts only in a font directory (by
default one inside the PySide6 wheel, which ships none), so there it is pointed
at the system's: with no font at all, text draws and measures nothing like on a
desktop, and the tests that compare rendered text or repainted areas fail.

The app runs Python's cyclic garbage collector on the GUI thread only (see
``app/ui/runtime/gc_guard.py``); tests do the same, or a collection triggered on an
engine thread could destroy a widget left over from an earlier test and crash
the run inside Qt. What survives a test's collection is then frozen (``gc.freeze``,
as the app does once it has started): each later collection walks only what the
next test made, instead of the whole suite's heap, which made every full collection
late in the run take about a second.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if sys.platform == "win32":
    os.environ.setdefault(
        "QT_QPA_FONTDIR", os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts")
    )
os.environ["TRADETERM_HOME"] = tempfile.mkdtemp(prefix="tradeterm-tests-")


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    gc.freeze()
    if was_enabled:
        gc.enable()
