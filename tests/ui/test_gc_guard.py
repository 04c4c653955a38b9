"""The GUI-thread garbage collector: cycles die on the GUI thread, and a settled heap is skipped."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from pytestqt.qtbot import QtBot

from app.ui.runtime.gc_guard import GuiThreadGarbageCollector


class Node:
    """One half of a reference cycle that notes the thread it was freed on."""

    freed_on: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.partner: Node | None = None

    def __del__(self) -> None:
        Node.freed_on.append(threading.current_thread().name)


def make_cycle() -> None:
    first, second = Node(), Node()
    first.partner, second.partner = second, first


def make_cycle_and_allocate(keep: list[list[int]]) -> None:
    """An engine thread's work: a cycle, then allocations past gen 0's threshold."""
    make_cycle()
    keep.extend([i] for i in range(gc.get_threshold()[0] * 2))


def tracked(obj: object) -> bool:
    """Whether a collection would walk ``obj`` (frozen objects are in no generation)."""
    return any(candidate is obj for candidate in gc.get_objects())


def test_a_cycle_made_on_another_thread_is_freed_on_the_gui_thread(qtbot: QtBot) -> None:
    gc.enable()  # as a fresh interpreter has it; the collector takes over
    collector = GuiThreadGarbageCollector(interval_ms=10)
    Node.freed_on = []
    try:
        kept: list[list[int]] = []
        worker = threading.Thread(target=make_cycle_and_allocate, args=(kept,), name="engine")
        worker.start()
        worker.join()
        assert Node.freed_on == []  # automatic collection is off: nothing ran on "engine"
        qtbot.waitUntil(lambda: len(Node.freed_on) == 2, timeout=3000)
        assert Node.freed_on == [threading.current_thread().name] * 2
    finally:
        collector.stop()


def test_settle_exempts_what_lives_and_still_frees_later_cycles(qtbot: QtBot) -> None:
    collector = GuiThreadGarbageCollector(interval_ms=10)
    long_lived = {"window": [1, 2, 3]}
    Node.freed_on = []
    try:
        assert tracked(long_lived)
        collector.settle()
        assert not tracked(long_lived)  # a full collection no longer walks it
        assert gc.get_freeze_count() > 0
        make_cycle()  # made after start-up: collected as usual
        gc.collect(2)
        assert len(Node.freed_on) == 2
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0  # stop gives everything back to the collector
    assert tracked(long_lived)
