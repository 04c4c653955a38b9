"""On Linux the start names the X11 library Qt lacks, instead of Qt's generic abort."""

from __future__ import annotations

import pytest

from app.ui.runtime import platform_check
from app.ui.runtime.platform_check import XCB_LIBRARIES, missing_xcb_libraries, platform_problem


def loader_without(*absent: str):  # type: ignore[no-untyped-def]
    def load(name: str) -> object:
        if name in absent:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        return object()

    return load


def test_each_missing_library_is_named_with_its_package() -> None:
    load = loader_without("libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    problem = platform_problem({"DISPLAY": ":0"}, platform="linux", load=load)
    assert problem is not None
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1 are missing" in problem
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in problem


def test_nothing_to_say_when_every_library_loads_or_qt_draws_elsewhere() -> None:
    everything_missing = loader_without(*(name for name, _ in XCB_LIBRARIES))
    assert platform_problem({"DISPLAY": ":0"}, platform="linux", load=loader_without()) is None
    for environ in ({"QT_QPA_PLATFORM": "offscreen"}, {"WAYLAND_DISPLAY": "wayland-0"}):
        assert platform_problem(environ, platform="linux", load=everything_missing) is None
    assert platform_problem({}, platform="win32", load=everything_missing) is None
    assert len(missing_xcb_libraries(everything_missing)) == len(XCB_LIBRARIES)


def test_the_gui_stops_with_the_line_before_qt_aborts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run_gui`` prints the line and returns 2 when no QApplication exists yet."""
    from app.ui import app as gui

    line = "Qt cannot open a window: libxcb-icccm.so.4 is missing."
    monkeypatch.setattr(gui, "platform_problem", lambda: line)
    monkeypatch.setattr(gui.QApplication, "instance", staticmethod(lambda: None))
    code = gui.run_gui(None, None, state_dir=None, lock_dir=None, log_file=None, started_at=0.0)  # type: ignore[arg-type]
    assert code == 2
    assert capsys.readouterr().err.strip() == line
    assert platform_check.uses_xcb({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, "linux")
