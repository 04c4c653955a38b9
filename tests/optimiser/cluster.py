"""A real Dask cluster on 127.0.0.1: a scheduler and workers as processes of their own,
started the way the README tells a trader to (``dask scheduler``, ``dask worker``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180
WORKER_TTL = "30s"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalCluster:
    """``python -m distributed.cli.dask_scheduler`` and ``dask_worker`` processes (the
    ``dask scheduler`` / ``dask worker`` commands), one thread per worker, no nanny (a
    killed worker stays dead, as a lost machine would)."""

    def __init__(self, workers: int = 2) -> None:
        self.address = f"tcp://127.0.0.1:{free_port()}"
        # A killed worker's connection closes at once; a vanished machine's stays
        # open and the scheduler notices only missed heartbeats: after 30 s here, as
        # docs/optimiser.md tells a desk to set, instead of Dask's 5 minutes.
        self._env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL": WORKER_TTL,
        }
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._start(
            "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", port,
            "--no-dashboard",
        )  # fmt: skip
        self.workers = [self.start_worker() for _ in range(workers)]
        self.wait_for(workers)

    def _start(self, module: str, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=REPO,
            env=self._env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self._start(
            "distributed.cli.dask_worker", self.address, "--nthreads", "1", "--no-nanny",
            "--no-dashboard", "--host", "127.0.0.1",
        )  # fmt: skip

    def wait_for(self, workers: int) -> None:
        from distributed import Client

        deadline = time.monotonic() + START_TIMEOUT_S
        with Client(self.address, timeout=START_TIMEOUT_S, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=max(1.0, deadline - time.monotonic()))

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.kill()
        for process in [*self.workers, self.scheduler]:
            process.wait(timeout=30)
