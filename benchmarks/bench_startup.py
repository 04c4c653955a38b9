"""Start-up: process launch to the first painted frame with live ticks, and peak memory.

Runs ``tradeterm --smoke-test`` several times (from source, and from the PyInstaller
bundle in ``dist/`` when one has been built), timestamps the line the app prints
when its chart first paints live data, and reads the child's peak RSS from the OS.

    python benchmarks/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "Tradeterm" / ("Tradeterm.exe" if sys.platform == "win32" else "Tradeterm")


def measure(command: list[str], home: str) -> tuple[float, float, float]:
    """(seconds to first frame, seconds to exit, peak RSS in MB) of one smoke run."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADETERM_HOME": home}
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    first_frame = float("nan")
    for line in proc.stdout:
        if line.startswith("first painted frame") and first_frame != first_frame:
            first_frame = time.perf_counter() - start
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    else:  # pragma: no cover - Windows
        code = proc.wait()
        peak_mb = float("nan")
    total = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited with {code}")
    return first_frame, total, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    targets = {"from source": [sys.executable, "-m", "app", "--smoke-test"]}
    if BUNDLE.exists():
        targets["from the bundle"] = [str(BUNDLE), "--smoke-test"]
    print(
        "| launch | runs | first painted frame, median (s) | min (s) | whole smoke run (s) | peak RSS (MB) |"
    )
    print("|---|---|---|---|---|---|")
    for name, command in targets.items():
        # A trader's profile: the first run creates the journal; the measured ones reuse it.
        home = tempfile.mkdtemp()
        first_run = measure(command, home)
        results = [measure(command, home) for _ in range(args.runs)]
        frames = [r[0] for r in results]
        print(
            f"| {name} | {args.runs} | {statistics.median(frames):.2f} | {min(frames):.2f} | "
            f"{statistics.median(r[1] for r in results):.2f} | {max(r[2] for r in results):.0f} |"
        )
        print(
            f"| {name}, first run (creates the journal) | 1 | {first_run[0]:.2f} | | {first_run[1]:.2f} | {first_run[2]:.0f} |"
        )
    if BUNDLE.exists():
        size = sum(
            f.stat().st_size for f in BUNDLE.parent.rglob("*") if f.is_file() and not f.is_symlink()
        )
        print(f"\nbundle size: {size / 1e6:.0f} MB ({BUNDLE.parent.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
