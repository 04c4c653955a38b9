"""Puts the strategy host on an engine: the one call the composition root makes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.strategies.catalog import USER_FOLDER, load_catalog
from app.strategies.host import StrategyHost

#: In the user data folder: the strategy files whose trial import passed (by content).
CHECKED_FILES = "strategy-files-checked.json"

if TYPE_CHECKING:
    from app.engine.extensions import EngineServices


def install_strategies(core: EngineServices, data_dir: Path | None) -> StrategyHost:
    """Strategies for ``core``: built-ins, ``<data_dir>/strategies/*.py`` and installed packages.

    The catalogue loads when the engine starts, in its thread: user files are
    read and imported there, never in the GUI thread, each new or changed one
    after a trial import in a child process (``import_probe``), remembered in
    ``CHECKED_FILES``.
    """
    if data_dir is None:
        return StrategyHost(core, lambda: load_catalog(None))
    folder = data_dir / USER_FOLDER
    folder.mkdir(parents=True, exist_ok=True)  # so a trader finds where to drop one
    checked = data_dir / CHECKED_FILES
    return StrategyHost(core, lambda: load_catalog(folder, checked=checked))
