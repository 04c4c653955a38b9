"""A layout saved on a large screen and restored on a small one still shows the desk.

Each screen runs ``restore_probe.py`` in its own process (Qt fixes the screen at start).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_probe(tmp_path: Path, mode: str, width: int, height: int) -> dict[str, object]:
    config = tmp_path / f"screen-{width}x{height}.json"
    screen = {"name": "probe", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    env = {
        **os.environ,
        # Qt splits the platform's arguments at ":", which a Windows drive letter has:
        # the file is named from the probe's working folder.
        "QT_QPA_PLATFORM": f"offscreen:configfile={config.name}",
        "TRADETERM_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "ui" / "restore_probe.py"),
            mode,
            str(tmp_path / "window.ini"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_layout_saved_at_1920x1080_restored_at_1366x768_keeps_buy_sell_and_halt(
    tmp_path: Path,
) -> None:
    saved = run_probe(tmp_path, "save", 1920, 1080)
    assert saved["saved"][0] > 1366  # type: ignore[index]
    seen = run_probe(tmp_path, "restore", 1366, 768)
    assert seen["screen"] == [1366, 768]
    assert seen["window_fits"], seen
    for what in ("buy", "sell", "halt_toolbar", "halt_panel", "profit_column"):
        assert seen[what], (what, seen)
    chart_width, chart_height = seen["chart"]  # type: ignore[misc]
    assert chart_width >= 250 and chart_height >= 150, seen
    assert "made for a 1920×1080 window" in str(seen["status"]), seen
    assert "larger than this 1366×768 screen: the default layout" in str(seen["status"]), seen


def test_a_layout_restored_on_the_same_screen_is_the_saved_one(tmp_path: Path) -> None:
    run_probe(tmp_path, "save", 1366, 768)
    seen = run_probe(tmp_path, "restore", 1366, 768)
    assert seen["buy"] and seen["halt_panel"], seen
    assert "default layout" not in str(seen["status"]), seen


def test_the_panels_keep_their_sizes_restart_after_restart(tmp_path: Path) -> None:
    """A trader who never touches the layout sees the same desk at every start (the
    right column once widened by some 40 pixels a restart)."""
    run_probe(tmp_path, "save", 1366, 768)
    starts = [run_probe(tmp_path, "docks", 1366, 768)["docks"] for _ in range(3)]
    assert starts[0] == starts[1] == starts[2], starts
