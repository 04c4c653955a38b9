"""Puts the strategy host on an engine: the one call the composition root makes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.strategies.catalog import USER_FOLDER, load_catalog
from app.strategies.host import StrategyHost

if TYPE_CHECKING:
    from app.engine.core import TradingCore


def install_strategies(core: TradingCore, data_dir: Path | None) -> StrategyHost:
    """Strategies for ``core``: built-ins, ``<data_dir>/strategies/*.py`` and installed packages.

    The catalogue loads when the engine starts, in its thread: user files are
    read and imported there, never in the GUI thread.
    """
    folder = data_dir / USER_FOLDER if data_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)  # so a trader finds where to drop one
    return StrategyHost(core, lambda: load_catalog(folder))
