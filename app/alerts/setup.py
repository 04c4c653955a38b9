"""Puts the alert host on an engine: the one call the composition root makes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.alerts.host import AlertHost

if TYPE_CHECKING:
    from app.engine.extensions import EngineServices


def install_alerts(core: EngineServices) -> AlertHost:
    """Alerts for ``core``: restored from its journal when the engine connects."""
    return AlertHost(core)
