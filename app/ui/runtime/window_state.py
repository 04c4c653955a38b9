"""Window state that must survive a restart, and must never strand the window off-screen."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QDataStream, QIODevice, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHeaderView, QWidget


def save_header(store: QSettings, key: str, header: QHeaderView) -> None:
    store.setValue(f"tables/{key}", header.saveState())
    store.setValue(f"table_columns/{key}", header.count())


def restore_header(store: QSettings, key: str, header: QHeaderView) -> None:
    """The saved widths, order and sort of a table, if it still has the columns it had.

    Qt restores a state saved with fewer columns onto the first ones, so a column
    added since (the Positions panel's Owner) would take its right neighbour's
    width and sort. So the column count is saved beside the state, and a state
    saved with another count, or before counts were saved, is dropped: the table
    starts as new.
    """
    state = store.value(f"tables/{key}")
    if not isinstance(state, QByteArray):
        return
    try:
        saved = int(store.value(f"table_columns/{key}", -1))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return
    if saved == header.count():
        header.restoreState(state)


def visible_enough(frame: QRect, screens: list[QRect], *, min_pixels: int = 120) -> bool:
    """True if a grab-able part of the title bar area lies on some screen."""
    title_bar = QRect(frame.left(), frame.top(), frame.width(), 40)
    return any(
        (title_bar & screen).width() >= min_pixels and (title_bar & screen).height() > 0
        for screen in screens
    )


#: Qt's saved window geometry starts with this number (then its version and frame).
_GEOMETRY_MAGIC = 0x1D9D0CB


def saved_window_size(geometry: QByteArray) -> QSize | None:
    """The size of the window frame that ``QWidget.saveGeometry`` wrote, or ``None``.

    ``restoreGeometry`` quietly shrinks a window that no longer fits, so whether
    the saved layout was made for a larger screen has to be read from the bytes:
    magic, major and minor version, then the frame rectangle (left, top, right, bottom).
    """
    stream = QDataStream(geometry, QIODevice.OpenModeFlag.ReadOnly)
    if stream.readUInt32() != _GEOMETRY_MAGIC:
        return None
    stream.readUInt16()
    stream.readUInt16()
    left, top, right, bottom = (stream.readInt32() for _ in range(4))
    if stream.status() != QDataStream.Status.Ok:
        return None
    return QSize(right - left + 1, bottom - top + 1)


def fits_screen(size: QSize, screen: QRect, *, slack: int = 16) -> bool:
    """Whether a window of ``size`` fits the screen's free area (a frame's pixels aside)."""
    return size.width() <= screen.width() + slack and size.height() <= screen.height() + slack


def keep_on_screen(window: QWidget) -> bool:
    """Move ``window`` onto the primary screen if its saved place is on no screen now.

    That happens when the monitor it was last on is unplugged. Returns True if moved.
    """
    screens = [s.availableGeometry() for s in QGuiApplication.screens()]
    if not screens or visible_enough(window.frameGeometry(), screens):
        return False
    primary = QGuiApplication.primaryScreen()
    area = primary.availableGeometry() if primary else screens[0]
    width = min(window.width(), area.width())
    height = min(window.height(), area.height())
    window.resize(width, height)
    window.move(
        area.left() + (area.width() - width) // 2, area.top() + (area.height() - height) // 2
    )
    return True


def fit_to_screen(window: QWidget, fraction: float = 0.92) -> None:
    """Shrink ``window`` to fit its screen's free area (HiDPI scaling makes it larger)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry()
    width = min(window.width(), int(area.width() * fraction))
    height = min(window.height(), int(area.height() * fraction))
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
        window.move(
            area.left() + (area.width() - width) // 2, area.top() + (area.height() - height) // 2
        )


def fill_screen(window: QWidget) -> None:
    """Open ``window`` maximized on its screen's free area (a window manager may refine it).

    Without a window manager (a bare X server) maximizing does nothing, so the
    window is also given the free area's size.
    """
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        area = screen.availableGeometry()
        window.resize(area.size())
        window.move(area.topLeft())
    window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
