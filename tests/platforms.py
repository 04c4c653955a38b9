"""Which system the suite runs on, for the few tests that depend on it.

Under Wine, Windows Python sees the Linux root as drive Z:, so ``/dev/zero`` "exists"
there while it is no device to Windows; and a console control event cannot be sent to a
process group that has no console. Those tests are skipped there, with the reason said.
"""

from __future__ import annotations

import ctypes
import sys

WINDOWS = sys.platform == "win32"


def _under_wine() -> bool:
    if not WINDOWS:
        return False
    try:
        ntdll = ctypes.WinDLL("ntdll")  # type: ignore[attr-defined]
    except OSError:
        return False
    return hasattr(ntdll, "wine_get_version")


UNDER_WINE = _under_wine()
POSIX_DEVICES = not WINDOWS
