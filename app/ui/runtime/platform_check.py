"""Before Qt opens a window on Linux: name the system library its X11 plugin lacks.

When the ``xcb`` platform plugin cannot be loaded, Qt prints a generic line
("xcb-cursor0 or libxcb-cursor0 is needed…") whatever is really missing, then
aborts the process, so nothing can catch it. This check runs first: it opens
each library the plugin links against and, if any is missing, says which one
and which Debian/Ubuntu package brings it, and the start stops with that line.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

#: Every library the Qt 6 ``xcb`` plugin needs beyond what offscreen Qt needs, as
#: (file name, Debian/Ubuntu package). Found with ``ldd`` on ``libqxcb.so`` and
#: ``libQt6XcbQpa.so``, and checked by starting the terminal on a bare X server.
XCB_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("libxcb.so.1", "libxcb1"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-shm.so.0", "libxcb-shm0"),
    ("libxcb-sync.so.1", "libxcb-sync1"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
)

Loader = Callable[[str], object]


def _load(name: str) -> object:
    return ctypes.CDLL(name)


def uses_xcb(environ: dict[str, str] | os._Environ[str], platform: str = sys.platform) -> bool:
    """Whether Qt will try its X11 plugin: Linux, and no other platform chosen."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if chosen:
        return chosen == "xcb"
    # Qt picks Wayland itself when the session is Wayland; then X11 libraries don't matter.
    return not environ.get("WAYLAND_DISPLAY")


def missing_xcb_libraries(load: Loader = _load) -> list[tuple[str, str]]:
    """The (library, package) pairs that cannot be opened, in the order listed."""
    missing = []
    for library, package in XCB_LIBRARIES:
        try:
            load(library)
        except OSError:
            missing.append((library, package))
    return missing


def platform_problem(
    environ: dict[str, str] | os._Environ[str] = os.environ,
    *,
    platform: str = sys.platform,
    load: Loader = _load,
) -> str | None:
    """One line saying what to install, or ``None`` when Qt can open a window."""
    if not uses_xcb(environ, platform):
        return None
    missing = missing_xcb_libraries(load)
    if not missing:
        return None
    names = ", ".join(library for library, _ in missing)
    packages = " ".join(package for _, package in missing)
    return (
        f"Qt cannot open a window: {names} {'is' if len(missing) == 1 else 'are'} missing. "
        f"On Debian or Ubuntu: sudo apt-get install {packages} (the README lists every "
        "library a desktop needs)."
    )
