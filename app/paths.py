"""Where Tradeterm finds its shipped resources and keeps the user's files.

Every other module asks this one instead of computing paths itself, because the
answer differs between three situations that must all work:

* running from a source checkout (resources live next to the ``app`` package),
* running frozen by PyInstaller (resources are unpacked under ``sys._MEIPASS``),
* running tests or smoke runs, which must never read or write the real user's
  configuration, journal or logs -- hence the ``TRADETERM_HOME`` override.

This module deliberately imports nothing from Qt or from the rest of ``app`` so
that settings, storage, UI and the CLI can all use it without import cycles.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "Tradeterm"
"""Application name used for the per-user directories chosen by platformdirs."""

HOME_ENV_VAR = "TRADETERM_HOME"
"""If set (and non-empty), all per-user directories live under this directory."""


def resource_root() -> Path:
    """Return the directory that holds ``config/`` and ``resources/``.

    From source this is the project root (the parent of the ``app`` package).
    When frozen by PyInstaller the bundled data files are extracted to
    ``sys._MEIPASS``; if that attribute is missing (other freezers) we fall back
    to the executable's directory, which is where such tools put data files.
    """
    if getattr(sys, "frozen", False):
        bundle_dir = getattr(sys, "_MEIPASS", None)
        if bundle_dir:
            return Path(bundle_dir)
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def default_config_path() -> Path:
    """Return the path of the shipped ``config/default.toml``."""
    return resource_root() / "config" / "default.toml"


def resource_path(*parts: str) -> Path:
    """Return the path of a shipped resource, e.g. ``resource_path("icons", "app.png")``."""
    return resource_root().joinpath("resources", *parts)


def _home_override(environ: Mapping[str, str] | None) -> Path | None:
    """Return ``$TRADETERM_HOME`` as a path, or None when unset or empty."""
    env = os.environ if environ is None else environ
    value = env.get(HOME_ENV_VAR, "")
    return Path(value).expanduser() if value else None


def user_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the per-user configuration directory (where ``settings.toml`` lives).

    ``environ`` defaults to ``os.environ``; passing a mapping lets callers (such
    as ``load_settings``) resolve the directory against an explicit environment.
    The directory is not created.
    """
    home = _home_override(environ)
    if home is not None:
        return home / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the per-user data directory (the trade journal lives here). Not created."""
    home = _home_override(environ)
    if home is not None:
        return home / "data"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_log_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the per-user log directory. Not created."""
    home = _home_override(environ)
    if home is not None:
        return home / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def not_a_file(path: Path) -> str | None:
    """What is at ``path`` when it exists but is not a regular file, e.g. ``"a directory"``.

    ``None`` for a regular file, a missing path or one that cannot be looked at (the
    caller's own open then reports that). Settings files and the journal must be
    regular files: reading a device such as ``/dev/zero`` never ends, opening a
    named pipe waits for a writer forever, and a folder is not a file.
    """
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file"
