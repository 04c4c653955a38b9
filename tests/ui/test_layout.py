"""A layout that fits: the default window and every dialog on 1366×768 and 1920×1080, 100 % and 150 %.

Each screen runs ``layout_probe.py`` in its own process (Qt fixes the screen at start).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENS = [(1366, 768, 1.0), (1366, 768, 1.5), (1920, 1080, 1.0), (1920, 1080, 1.5)]


def probe(tmp_path: Path, width: int, height: int, scale: float) -> dict[str, object]:
    config = tmp_path / "screen.json"
    screen = {"name": "probe", "x": 0, "y": 0, "width": width, "height": height}
    # As Windows scales: the screen's DPI grows, Qt divides its size by the scale.
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96 * scale, "dpr": 1}]}))
    env = {
        **os.environ,
        # Qt splits the platform's arguments at ":", which a Windows drive letter has:
        # the file is named from the probe's working folder.
        "QT_QPA_PLATFORM": f"offscreen:configfile={config.name}",
        "TRADETERM_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ui" / "layout_probe.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("width,height,scale", SCREENS, ids=lambda v: str(v))
def test_the_default_layout_shows_what_matters_and_every_dialog_fits(
    tmp_path: Path, width: int, height: int, scale: float
) -> None:
    seen = probe(tmp_path, width, height, scale)
    assert seen["screen"] == [round(width / scale), round(height / scale)]
    assert seen["window_fits"] and seen["window_fills"], seen
    chart_width, chart_height = seen["chart"]  # type: ignore[misc]
    assert chart_width >= 250 and chart_height >= 150, seen
    for what in ("ticket_command", "ticket_buttons", "halt_toolbar", "profit_visible"):
        assert seen[what], (what, seen)
    for what in ("halt_panel", "resume_panel"):  # the risk panel's buttons are never cut
        assert seen[what], (what, seen)
    for what in ("market_watch_fits", "log_time_fits", "risk_no_side_scroll"):
        assert seen[what], (what, seen)
    if scale == 1.0:  # room for the whole ticket and the risk panel's buttons
        for what in ("ticket_stops",):
            assert seen[what], (what, seen)
    assert all(seen["dialogs"].values()), seen["dialogs"]  # type: ignore[union-attr]
