"""Journal benchmark: durable order commits, batched event rows, latency added per order.

Run from the repository root (PostgreSQL too when ``TRADETERM_TEST_PG_URL`` is set):

    python benchmarks/bench_journal.py [--orders 2000] [--events 100000]

* durable order commits/s: one order's intent and its result, each its own
  fsync'd commit (SQLite WAL, synchronous=FULL), as the engine writes them;
* batched event rows/s: event-log rows through the background writer, from the
  first ``put`` to the last row committed;
* added latency per order: the time the engine thread spends in the journal for
  one order (intent + result), p50 and p99.

Prints a markdown table; absolute numbers depend on the disk (laptops fsync slower).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, make_url, text

from app.domain.enums import LogLevel, OrderStatus, Side
from app.domain.notices import LogEvent
from app.domain.trading import Fill, OrderRequest
from app.storage import Journal
from app.storage.database import sqlite_url

PG_ENV = "TRADETERM_TEST_PG_URL"


def bench(url: str, orders: int, events: int) -> tuple[float, float, float, float]:
    journal = Journal.open(url)
    journal.account = "bench/1"
    latencies = []
    run = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    for n in range(orders):
        cid = f"b-{run}-{n}"
        request = OrderRequest(cid, "EURUSD", Side.BUY, 0.1)
        fill = Fill(cid, n + 1, n + 1, "EURUSD", Side.BUY, 0.1, 1.1, 1_700_000_000_000 + n)
        t0 = time.perf_counter()
        journal.record_intent(request)
        journal.record_result(cid, OrderStatus.FILLED, broker_ticket=n + 1, price=1.1, fills=[fill])
        latencies.append(time.perf_counter() - t0)
    order_rate = orders / (time.perf_counter() - started)

    t0 = time.perf_counter()
    for n in range(events):
        journal.log_event(LogEvent(LogLevel.INFO, "bench", f"event {n}"))
    journal.flush()
    event_rate = events / (time.perf_counter() - t0)
    journal.close()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return order_rate, event_rate, p50, p99


def raw_sqlite_commits(folder: Path, commits: int) -> float:
    """Reference: bare sqlite3, one fsync'd WAL commit per row; an order needs two."""
    import sqlite3

    connection = sqlite3.connect(folder / "raw.sqlite")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE t (x INTEGER)")
    started = time.perf_counter()
    for n in range(commits):
        connection.execute("INSERT INTO t VALUES (?)", (n,))
        connection.commit()
    rate = commits / (time.perf_counter() - started)
    connection.close()
    return rate


def pg_schema(base: str) -> tuple[str, object]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        url = sqlite_url(Path(folder) / "bench.sqlite")
        rows.append(("SQLite (WAL, synchronous=FULL)", *bench(url, args.orders, args.events)))
        raw = raw_sqlite_commits(Path(folder), args.orders)
    base = os.environ.get(PG_ENV, "")
    if base:
        url, drop = pg_schema(base)
        try:
            rows.append(("PostgreSQL", *bench(url, args.orders, args.events)))
        finally:
            drop()  # type: ignore[operator]
    print(
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{args.orders} orders, {args.events} events\n"
    )
    print(
        "| database | durable orders/s (intent+result) | batched event rows/s "
        "| added latency per order p50 | p99 |"
    )
    print("|---|---|---|---|---|")
    for name, orders, events, p50, p99 in rows:
        print(f"| {name} | {orders:,.0f} | {events:,.0f} | {p50:.2f} ms | {p99:.2f} ms |")
    print(
        f"\nSame disk, same run: bare sqlite3 does {raw:,.0f} fsync'd commits/s, so the "
        f"ceiling for two commits per order is {raw / 2:,.0f} orders/s."
    )
    if not base:
        print(f"\nPostgreSQL not measured: set {PG_ENV} to a server URL.")


if __name__ == "__main__":
    main()
