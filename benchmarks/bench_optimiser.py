"""The optimiser's speed: passes per second on 1 and 2 local workers and on a Dask cluster.

The same optimisation each time: ``ma_cross`` on 2,000 random-walk H1 bars,
``fast=5:50:5`` x ``slow=20:200:20`` (100 points, the ones with fast >= slow
skipped), open prices, net profit, no forward test. Each pass is the tester's
full pass (the live core, gate and strategy host) in a worker process.

Two figures per setup: the **steady** rate (passes from the first result to
the last, over that time: what a long optimisation runs at) and the **wall**
time including starting the workers (spawn imports the app in each process,
seconds on a busy machine). The target: 2 workers at least 1.6 x one worker
on 2 cores. The cluster is a ``dask scheduler`` and two ``dask worker``
processes (one thread each, no nanny) on 127.0.0.1, started as the README says.

The machine is shared with other jobs: the figures are a snapshot, not a
promise. Run: ``python benchmarks/bench_optimiser.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.domain.market import RATES_DTYPE  # noqa: E402
from app.domain.symbols import fx_pair  # noqa: E402
from app.domain.timeframes import Timeframe  # noqa: E402
from app.optimiser import (  # noqa: E402
    CatalogRecipe,
    Goal,
    Optimisation,
    OptimisationRun,
    Progress,
    build_space,
    plan_windows,
)
from app.strategies.builtin.ma_cross import MaCrossParams  # noqa: E402
from app.strategies.catalog import load_catalog  # noqa: E402
from app.strategies.params import specs  # noqa: E402
from app.tester import MarketHistory, TesterSettings  # noqa: E402
from benchmarks._report import Row, emit  # noqa: E402

BARS = 2000
PARAMS = ("fast=5:50:5", "slow=20:200:20")


def market() -> MarketHistory:
    rng = np.random.default_rng(3)
    opens = np.round(1.1 * np.exp(np.cumsum(rng.normal(0, 0.0015, BARS))), 5)
    rates = np.zeros(BARS, dtype=RATES_DTYPE)
    rates["time"] = 1_704_067_200 + 3600 * np.arange(BARS)
    rates["open"] = opens
    rates["close"] = np.r_[opens[1:], opens[-1]]
    rates["high"] = np.maximum(rates["open"], rates["close"])
    rates["low"] = np.minimum(rates["open"], rates["close"])
    rates["tick_volume"] = 10
    return MarketHistory("EURUSD", fx_pair("EURUSD", 5), bars={Timeframe.H1: rates})


def measure(workers: object) -> tuple[float, float, int]:
    """(steady passes/s, wall seconds with the start, passes run)."""
    history = market()
    settings = TesterSettings("ma_cross", "EURUSD", Timeframe.H1)
    optimisation = Optimisation(
        settings,
        build_space(PARAMS, specs(MaCrossParams)),
        Goal.parse("net_profit"),
        plan_windows(settings, history),
    )
    run = OptimisationRun(
        optimisation, history, load_catalog(None, entry_points=False), CatalogRecipe()
    )
    marks: list[float] = []
    started = time.perf_counter()

    def mark(progress: Progress) -> None:
        if progress.done > progress.skipped:
            marks.append(time.perf_counter())

    run.execute(workers, on_pass=mark)  # type: ignore[arg-type]
    wall = time.perf_counter() - started
    ran = len(run.results)
    steady = (len(marks) - 1) / (marks[-1] - marks[0]) if len(marks) > 1 else 0.0
    return steady, wall, ran


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cluster_rate() -> tuple[float, float, int]:
    from app.optimiser.cluster import ClusterWorkers

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def start(*args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    processes = [
        start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
              "--no-dashboard")
    ]  # fmt: skip
    try:
        for _ in range(2):
            processes.append(
                start("distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
                      "--no-dashboard", "--host", "127.0.0.1")
            )  # fmt: skip
        from distributed import Client

        with Client(address, timeout=120, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=300)
        return measure(ClusterWorkers(address))
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=30)


def main() -> None:
    from app.optimiser.local import LocalWorkers

    one = measure(LocalWorkers(1))
    two = measure(LocalWorkers(2))
    dask = cluster_rate()
    scale = two[0] / one[0] if one[0] else 0.0
    rows = [
        Row("1 local worker: steady", one[0], "", text=f"{one[0]:.2f} passes/s ({one[2]} passes, {one[1]:.1f} s wall with the start)"),
        Row("2 local workers: steady", two[0], "", text=f"{two[0]:.2f} passes/s ({two[2]} passes, {two[1]:.1f} s wall with the start)"),
        Row("2 workers / 1 worker", scale, "", text=f"{scale:.2f} x", target=">= 1.6 x on 2 cores"),
        Row("Dask, 2 workers on 127.0.0.1: steady", dask[0], "", text=f"{dask[0]:.2f} passes/s ({dask[2]} passes, {dask[1]:.1f} s wall with the start)"),
    ]  # fmt: skip
    emit("Optimiser: ma_cross on 2,000 H1 bars, 100-point grid", rows)


if __name__ == "__main__":
    main()
